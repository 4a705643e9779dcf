#include "server/context.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace gridmap::server {

const Principal& principal(const Context& ctx) {
  if (!ctx.principal) throw Error(ErrorKind::unauthorized, "sign in first");
  return *ctx.principal;
}

bool in_patch(const Context& ctx, const std::optional<std::string>& grid) {
  const Principal& p = principal(ctx);
  if (!ctx.own_only()) return true;
  return grid && std::find(p.grids.begin(), p.grids.end(), *grid) != p.grids.end();
}

void require_self(const Context& ctx, int64_t worker_id) {
  const Principal& p = principal(ctx);
  if (ctx.own_only() && p.worker_id != worker_id)
    throw Error(ErrorKind::forbidden, "a worker may only act as themself");
}

}  // namespace gridmap::server
