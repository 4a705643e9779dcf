// Features (data/features.hpp) as GeoJSON: the one place their JSON is written.
#pragma once

#include <string>

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

}  // namespace gridmap::server
