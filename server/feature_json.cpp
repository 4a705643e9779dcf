#include "server/feature_json.hpp"

#include <type_traits>

#include "core/error.hpp"
#include "data/time.hpp"

namespace gridmap::server {
namespace {

void write_value(JsonWriter& w, const data::PropertyValue& v) {
  std::visit(
      [&w](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>)
          w.Null();
        else if constexpr (std::is_same_v<T, bool>)
          w.Bool(x);
        else if constexpr (std::is_same_v<T, int64_t>)
          w.Int64(x);
        else if constexpr (std::is_same_v<T, double>)
          write_number(w, x, 6);
        else if constexpr (std::is_same_v<T, std::string>)
          write_string(w, x);
        else if constexpr (std::is_same_v<T, data::Timestamp>)
          write_string(w, data::format_time(x.epoch));
        else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          w.StartArray();
          for (const std::string& s : x) write_string(w, s);
          w.EndArray();
        } else {
          static_assert(std::is_same_v<T, std::vector<int64_t>>);
          w.StartArray();
          for (int64_t i : x) w.Int64(i);
          w.EndArray();
        }
      },
      v);
}

}  // namespace

void write_feature_members(JsonWriter& w, const data::Feature& f) {
  w.Key("type");
  w.String("Feature");
  w.Key("id");
  write_value(w, f.id);
  w.Key("geometry");
  if (f.geometry)
    w.RawValue(f.geometry->data(), f.geometry->size(), rapidjson::kObjectType);
  else
    w.Null();
  w.Key("properties");
  w.StartObject();
  for (const data::Property& p : f.properties) {
    w.Key(p.name);
    write_value(w, p.value);
  }
  w.EndObject();
}

std::string feature_json(const data::Feature& f) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  write_feature_members(w, f);
  w.EndObject();
  return buf.GetString();
}

void write_collection_members(JsonWriter& w, const data::FeaturePage& page) {
  w.Key("type");
  w.String("FeatureCollection");
  w.Key("features");
  w.StartArray();
  for (const data::Feature& f : page.features) {
    w.StartObject();
    write_feature_members(w, f);
    w.EndObject();
  }
  w.EndArray();
}

std::string page_json(const data::FeaturePage& page) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  write_collection_members(w, page);
  w.Key("next");
  if (page.next)
    write_string(w, *page.next);
  else
    w.Null();
  w.EndObject();
  return buf.GetString();
}

namespace {
// Rewrites the positions of a "coordinates" value in place: a position is an array whose
// first member is a number; anything else is an array of them.
void reproject_positions(rapidjson::Value& v, rapidjson::Document::AllocatorType& a,
                         const std::function<LonLat(LonLat)>& to, bool lat_first) {
  if (!v.IsArray() || v.Empty()) return;
  if (v[0].IsNumber()) {
    if (v.Size() < 2 || !v[1].IsNumber()) throw_invalid("a GeoJSON position is not [lon, lat]");
    LonLat p = to({v[0].GetDouble(), v[1].GetDouble()});
    v[0].SetDouble(lat_first ? p.lat : p.lon);
    v[1].SetDouble(lat_first ? p.lon : p.lat);
    return;
  }
  for (auto& child : v.GetArray()) reproject_positions(child, a, to, lat_first);
}

void reproject_geometry_value(rapidjson::Value& g, rapidjson::Document::AllocatorType& a,
                              const std::function<LonLat(LonLat)>& to, bool lat_first) {
  if (!g.IsObject()) return;
  if (g.HasMember("coordinates")) reproject_positions(g["coordinates"], a, to, lat_first);
  if (g.HasMember("geometries") && g["geometries"].IsArray())
    for (auto& child : g["geometries"].GetArray()) reproject_geometry_value(child, a, to, lat_first);
}
}  // namespace

std::string reproject_geometry(std::string_view geojson, const std::function<LonLat(LonLat)>& to,
                               bool lat_first, int decimals) {
  rapidjson::Document d;
  d.Parse(geojson.data(), geojson.size());
  if (d.HasParseError()) throw_internal("a stored geometry is not JSON");
  reproject_geometry_value(d, d.GetAllocator(), to, lat_first);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.SetMaxDecimalPlaces(decimals);
  d.Accept(w);
  return buf.GetString();
}

}  // namespace gridmap::server
