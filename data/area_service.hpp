// Boundary edits as one workflow: create (409 when the code exists) or update (404 when it
// does not) a subdistrict, community or grid, checked against the version the editor saw
// (If-Match), the geometry repaired to a valid area, in one transaction, then one change
// notice (with the extent before and after, for the tiles over both).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "data/changes.hpp"
#include "data/db.hpp"
#include "data/layer.hpp"

namespace gridmap::data {

struct AreaEdit {
  Layer layer = Layer::grids;
  std::string code;
  bool create = false;
  std::optional<std::string> name, parent;  // unchanged when absent (a new area needs a name)
  std::optional<std::string> geojson;       // the boundary, a GeoJSON (Multi)Polygon
  std::optional<int64_t> expected_version;  // If-Match: precondition_failed when stale
};

class AreaService {
 public:
  AreaService(Db& db, ChangeFeed& changes) : db_(db), changes_(changes) {}
  // Throws conflict, not_found, precondition_failed or invalid_input; nothing is stored then.
  void write(const AreaEdit& edit);
  // Removes an area nothing refers to: throws not_found, precondition_failed, or conflict
  // naming what still lies in it (communities, grids, households, cases, units, workers' or
  // users' assignments), which a removal would otherwise orphan or silently unassign.
  void remove(Layer layer, const std::string& code, std::optional<int64_t> expected_version);

 private:
  Db& db_;
  ChangeFeed& changes_;
};

}  // namespace gridmap::data
