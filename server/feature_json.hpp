// Features (data/features.hpp) as GeoJSON: the one place their JSON is written.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "data/features.hpp"
#include "server/json.hpp"

namespace gridmap::server {

// The members of a GeoJSON Feature ("type", "id", "geometry", "properties"), for a caller
// that adds its own before closing the object.
void write_feature_members(JsonWriter& w, const data::Feature& f);
std::string feature_json(const data::Feature& f);
// The "type" and "features" members of a FeatureCollection, for a caller that adds its own
// (paging, links) before closing the object.
void write_collection_members(JsonWriter& w, const data::FeaturePage& page);
// A FeatureCollection with "next": the cursor of the next page, or null.
std::string page_json(const data::FeaturePage& page);
// A GeoJSON geometry (WGS84 lon/lat, as features hold it) with every position passed
// through `to` and written with `decimals` decimals; `lat_first` puts each position's
// second axis first (a CRS whose first axis is latitude, such as EPSG:4490).
std::string reproject_geometry(std::string_view geojson, const std::function<LonLat(LonLat)>& to,
                               bool lat_first, int decimals);

}  // namespace gridmap::server
