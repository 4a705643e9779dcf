// gridmap demo --db FILE [--preset tatabu|city|province] [--seed N] [--now TIME]
#include <ctime>
#include <iostream>

#include <filesystem>
#include <optional>

#include "data/areas.hpp"
#include "data/audit.hpp"
#include "data/demo.hpp"
#include "data/engine_copy.hpp"
#include "data/scratch_dir.hpp"
#include "data/time.hpp"
#include "data/users.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {

const CommandSpec& demo_spec() {
  static const CommandSpec spec{
      "demo",
      "demo    --db FILE [--preset tatabu|city|province] [--seed N] [--now TIME]",
      {{"--db", "FILE", "the database to create (an existing one must hold no grids)", ""},
       {"--preset", "NAME", "the city: tatabu, city or province", "city"},
       {"--seed", "N", "random seed: the same seed gives the same city", "1"},
       {"--now", "TIME", "when the city's timeline ends (2026-11-01T08:00:00+08:00)", "now"}}};
  return spec;
}

int cmd_demo(const Args& args) {
  if (!args.positional().empty())
    throw_invalid("demo: unexpected argument '" + args.positional()[0] + "'");
  data::DemoOptions o;
  std::string preset = args.get("--preset").value_or("city");
  auto p = data::parse_preset(preset);
  if (!p) throw_invalid("unknown preset '" + preset + "' (use tatabu, city or province)");
  o.preset = *p;
  o.seed = static_cast<uint64_t>(args.integer("--seed", 1, 0, 2147483647));
  // The timeline ends now, so the queue is alive; --now TIME for another moment.
  if (auto at = args.get("--now")) {
    o.now = data::parse_time(*at);
    if (!o.now)
      throw_invalid("demo: " + args.describe("--now") + " '" + *at +
                    "' is not a time (2026-11-01T08:00:00+08:00)");
  } else {
    o.now = static_cast<int64_t>(std::time(nullptr));
  }
  // On PostgreSQL the city is made in a scratch SQLite file with the bulk loader, then copied.
  const std::string target = args.db();
  const bool postgresql = data::is_postgresql(target);
  if (postgresql) (void)data::AuditAnchor::of(target);  // says what is missing before the work
  std::optional<data::ScratchDir> scratch;
  if (postgresql) scratch.emplace(std::filesystem::temp_directory_path(), "gridmap-demo");
  const std::string made = postgresql ? scratch->file("demo.sqlite") : target;
  data::DemoSummary s;
  {
    data::Db db = data::Db::open(made);
    Progress progress("generating " + preset);
    o.progress = [&](int64_t done, int64_t total) { progress(done, total); };
    s = data::generate_demo(db, o);
    progress.finish();
  }
  data::Db db = data::Db::open(target);
  if (postgresql) {
    data::Db from = data::Db::open(made, false);
    data::copy_database(from, db);
    data::copy_audit_anchor(made, target);
  }
  std::cout << "demo city '" << preset << "' (seed " << o.seed << ") in "
            << data::display_name(target) << ": " << s.subdistricts << " subdistricts, "
            << s.communities << " communities, " << s.grids << " grids, " << s.workers
            << " workers, " << s.households << " households, " << s.petitions << " petitions\n";
  // Sign-ins for trying the map, one per role; the worker owns the first grid.
  data::UserRepo users(db);
  std::string first_grid = data::AreaRepo(db, data::Layer::grids).first_code().value_or("");
  const std::string password = "gridmap-demo";
  users.add("demo-admin", "admin", {}, std::nullopt, password);
  users.add("demo-dispatcher", "dispatcher", {}, std::nullopt, password);
  users.add("demo-planner", "planner", {}, std::nullopt, password);
  users.add("demo-worker", "worker", {first_grid}, 1, password);
  std::cout << "demo sign-ins (password '" << password
            << "'): demo-admin, demo-dispatcher, demo-planner, demo-worker (grid " << first_grid
            << ")\n";
  return 0;
}

}  // namespace gridmap::cli
