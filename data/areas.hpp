// Repository of the three area layers: subdistricts, communities, grids.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "data/db.hpp"
#include "data/layer.hpp"

namespace gridmap::data {

struct Area {
  std::string code;
  std::string name;
  std::optional<std::string> parent;  // subdistrict of a community, community of a grid
  std::string wkb;                    // MultiPolygon, WGS84, ISO WKB
};

// A grid with the codes above it, as used to stamp points with their hierarchy.
struct GridLineage {
  GridCode grid_code;
  std::optional<std::string> community_code;
  std::optional<std::string> subdistrict_code;
};

class AreaRepo {
 public:
  AreaRepo(Db& db, Layer layer);  // layer must be an area layer
  void upsert(const Area& a);     // insert or update by code
  std::optional<Area> get(const std::string& code);
  void for_each(const std::function<void(const Area&)>& f);  // ordered by code
  std::vector<Area> all();
  int64_t count();
  std::optional<std::string> first_code();  // the lowest code, nullopt for an empty layer
  bool exists(const std::string& code);

 private:
  Db& db_;
  Layer layer_;
  Statement upsert_;
};

// All grids ordered by code with their lineage; the order is the point-in-grid priority.
std::vector<GridLineage> grid_lineage(Db& db);

// What the map's labels can say: every area's name and code.
std::vector<std::string> area_label_texts(Db& db);

}  // namespace gridmap::data
