// Layers as GeoJSON for the API: pages of features with bbox and attribute filters,
// keyset-paginated by code or id, as typed rows. Personal data is never part of these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "data/db.hpp"
#include "data/layer.hpp"
#include "geo/types.hpp"

namespace gridmap::data {

// A condition on a layer's properties (OGC API - Features Part 3, CQL2's basic comparisons):
// comparisons of a property with a literal, joined by AND, OR and NOT. The property is one
// of the layer's columns (queryables()); a literal for a time property is an ISO 8601 text.
enum class CompareOp { eq, ne, lt, le, gt, ge, is_null, is_not_null };
struct Condition {
  enum class Kind { compare, all, any, negate };
  Kind kind = Kind::compare;
  std::string property;  // compare
  CompareOp op = CompareOp::eq;
  std::variant<std::string, int64_t, double, bool> value;
  std::vector<Condition> children;  // all (AND), any (OR), negate (its one child)
};

// A property a condition may name, and its JSON Schema type ("string", "integer",
// "boolean"; times are "string" with format date-time).
struct Queryable {
  std::string name;
  const char* type;
  bool time = false;
};
std::vector<Queryable> queryables(Layer layer);

struct FeatureQuery {
  Layer layer = Layer::grids;
  std::optional<Box> bbox;
  // attribute = value; a comma-separated value is a list of alternatives (status=a,b)
  std::vector<std::pair<std::string, std::string>> filters;
  std::optional<Condition> condition;               // and this condition
  std::optional<int64_t> created_from, created_to;  // petitions only
  size_t limit = 100;
  std::optional<std::string> cursor;  // the last key of the previous page
  bool newest_first = false;          // keys in descending order (the latest petitions first)
  int64_t now = 0;                    // for computed fields (overdue, age)
  // A worker's reach: households in these grids; petitions in these grids, reported by
  // `reporter` or handled by `handler_worker`; workers: only `handler_worker` itself.
  std::optional<std::vector<std::string>> grid_scope;
  std::optional<std::string> reporter;
  std::optional<int64_t> handler_worker;
  std::optional<int64_t> department;  // petitions handled by this department are in reach too
  // Petitions reported by this user or dispatched to this worker (a worker's "my tasks").
  struct Mine {
    std::string reporter;
    std::optional<int64_t> worker_id;
  };
  std::optional<Mine> mine;
};

// A property's value as stored: text, a number, a flag, a moment (rendered as ISO 8601 UTC),
// or a list of codes or ids. Rendering (GeoJSON, CSV, another CRS) belongs to the caller.
struct Timestamp {
  int64_t epoch = 0;
};
using PropertyValue = std::variant<std::monostate, bool, int64_t, double, std::string, Timestamp,
                                   std::vector<std::string>, std::vector<int64_t>>;
struct Property {
  const char* name = "";
  PropertyValue value;
};
struct Feature {
  PropertyValue id;                     // a code (areas) or an integer id
  std::optional<std::string> geometry;  // GeoJSON geometry (WGS84), absent when the record has none
  std::vector<Property> properties;
  int64_t version = 0;
};
struct FeaturePage {
  std::vector<Feature> features;
  std::optional<std::string> next;  // the cursor of the next page, when there is one
};

// The attribute names a layer can be filtered by.
std::vector<std::string> filterable(Layer layer);
// Throws invalid_input for an unknown filter attribute.
FeaturePage list_features(Db& db, const FeatureQuery& q);
// A caller held to a patch: a worker's grids, their name (as a reporter) and their worker id.
struct Reach {
  std::vector<std::string> grids;
  std::string reporter;
  std::optional<int64_t> worker;
  std::optional<int64_t> department;
};
// Whether the record is within the reach: households in the grids; petitions in the grids,
// reported by or handled by the worker; workers only the worker itself; boundaries always.
// False for a record that does not exist.
bool within_reach(Db& db, Layer layer, const std::string& key, const Reach& reach);
// The record's version (ETag / If-Match), nullopt when it does not exist; and its increment.
std::optional<int64_t> version_of(Db& db, Layer layer, const std::string& key);
void bump_version(Db& db, Layer layer, const std::string& key);
// If-Match: throws precondition_failed when `expected` is given and is not the version now.
void check_version(Db& db, Layer layer, const std::string& key, std::optional<int64_t> expected);
// The record's bounding box, nullopt when it does not exist or has no geometry.
std::optional<Box> extent_of(Db& db, Layer layer, const std::string& key);

// One feature, with its version; nullopt when absent.
std::optional<Feature> get_feature(Db& db, Layer layer, const std::string& key, int64_t now);

}  // namespace gridmap::data
