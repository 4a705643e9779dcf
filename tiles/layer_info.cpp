#include "tiles/layer_info.hpp"

#include <string>

#include "data/petition_types.hpp"
#include "geo/error.hpp"
#include "tiles/tile_request.hpp"

namespace gridmap::tiles {

const std::vector<data::Layer>& tile_layers() {
  static const std::vector<data::Layer> all = {data::Layer::subdistricts, data::Layer::communities,
                                               data::Layer::grids,        data::Layer::households,
                                               data::Layer::petitions,    data::Layer::workers};
  return all;
}

namespace {

// The petitions_clusters fields: the count, one count per status, and the overdue ones.
std::vector<FieldInfo> cluster_fields() {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> t;
    for (data::Status s : data::kAllStatuses) {
      std::string d = "of which " + std::string(data::to_string(s));
      for (char& c : d)
        if (c == '_') c = ' ';
      t.push_back(d);
    }
    return t;
  }();
  std::vector<FieldInfo> out{{"count", "Number", "petitions in the cell"}};
  for (size_t i = 0; i < data::kAllStatuses.size(); ++i)
    out.push_back({data::to_string(data::kAllStatuses[i]), "Number", texts[i]});
  out.push_back({"overdue", "Number", "of which open past the deadline"});
  return out;
}

const std::string& status_description() {
  static const std::string d = data::status_names();
  return d;
}

}  // namespace

const TileLayerInfo& layer_info(data::Layer layer) {
  static const FieldInfo code{"code", "String", "administrative code"};
  static const FieldInfo name{"name", "String", "name"};
  static const std::vector<TileLayerInfo> infos = {
      {data::Layer::subdistricts,
       "Subdistricts (街道)",
       0,
       18,
       {{"subdistricts", "subdistrict areas", 0, 18, {code, name}},
        {"subdistricts_label",
         "a label point inside each subdistrict",
         label_minzoom(data::Layer::subdistricts),
         18,
         {code, name}}}},
      {data::Layer::communities,
       "Communities (社区)",
       0,
       18,
       {{"communities", "community areas", 0, 18, {code, name}},
        {"communities_label",
         "a label point inside each community",
         label_minzoom(data::Layer::communities),
         18,
         {code, name}}}},
      {data::Layer::grids,
       "Grids (网格)",
       0,
       18,
       {{"grids",
         "grid areas",
         0,
         18,
         {code,
          name,
          {"worker", "String", "the grid workers' names"},
          {"households", "Number", "households in the grid"}}},
        {"grids_label",
         "a label point inside each grid",
         label_minzoom(data::Layer::grids),
         18,
         {code, name}}}},
      {data::Layer::households,
       "Households (户): positions and grid only",
       0,
       18,
       {{"households",
         "one point per household (feature id = household id), zoom 14 and above",
         kClusterBelowZoom,
         18,
         {{"grid_code", "String", "the household's grid"}}},
        {"households_clusters",
         "households counted in 32-pixel cells, below zoom 14",
         0,
         kClusterBelowZoom - 1,
         {{"count", "Number", "households in the cell"}}}}},
      {data::Layer::petitions,
       "Petitions (群众诉求 / 事件); filters: status, category, kind, from, to",
       0,
       18,
       {{"petitions",
         "one point per petition (feature id = petition id), zoom 14 and above",
         kClusterBelowZoom,
         18,
         {{"kind", "String", "appeal or incident"},
          {"category", "String", "category code"},
          {"status", "String", status_description()},
          {"age_days", "Number", "whole days since reported (until closed)"},
          {"overdue", "Boolean", "open past its deadline"}}},
        {"petitions_clusters",
         "petitions counted in 32-pixel cells, below zoom 14",
         0,
         kClusterBelowZoom - 1,
         cluster_fields()}}},
      {data::Layer::workers,
       "Grid workers (网格员): live positions",
       0,
       18,
       {{"workers",
         "one point per worker with a known position (feature id = worker id)",
         0,
         18,
         {{"on_duty", "Boolean", "on duty"},
          {"position_at", "String", "time of the last position"}}}}},
  };
  for (const TileLayerInfo& i : infos)
    if (i.layer == layer) return i;
  throw_internal("no tile layer info");
}

const VectorLayerInfo& hotspot_layer_info() {
  static const VectorLayerInfo info{
      "hotspots",
      "grids with the Getis-Ord Gi* statistic of their petitions (neighbours: grids sharing a "
      "border) after a Benjamini-Hochberg FDR correction",
      0,
      18,
      {{"code", "String", "grid code"},
       {"name", "String", "grid name"},
       {"gi_z", "Number", "Gi* z-score"},
       {"p_value", "Number", "two-sided p-value of gi_z"},
       {"class", "String", "hot_99, hot_95, hot_90, cold_*, or not_significant"},
       {"trend", "String", "new, persistent, no_longer_hot or none against the previous window"},
       {"count", "Number", "petitions in the window"}}};
  return info;
}

}  // namespace gridmap::tiles
