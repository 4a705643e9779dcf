// Import of any layer from anything GDAL reads, into the store, as one transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "data/layer.hpp"
#include "geo/crs.hpp"

namespace gridmap::data {

struct ImportOptions {
  Layer layer = Layer::grids;
  std::string file;
  std::optional<crs::Crs> crs;  // overrides the file's own CRS
  std::optional<std::string> code_field, name_field, parent_field, lon_field, lat_field;
  std::optional<std::string> encoding;      // e.g. "GBK" for shapefiles without a .cpg
  std::optional<std::string> source_layer;  // layer name inside a multi-layer file
  bool skip_invalid = false;                // import the usable features, report the rest
  std::function<void(int64_t done, int64_t total)> progress;  // may be empty
};

struct ImportIssue {
  int64_t feature = 0;   // 1-based position in the source layer
  std::string code;      // code or id of the feature when it has one
  std::string message;   // what was repaired, or why the feature cannot be used
  bool rejected = false;  // false: repaired and imported
};

struct ImportReport {
  int64_t read = 0;
  int64_t imported = 0;
  int64_t repaired = 0;
  int64_t rejected = 0;
  bool committed = false;  // false when rejected features aborted the import
  std::vector<ImportIssue> issues;
};

// Reads, validates, repairs and stores the features. Unusable features are reported with
// their code and reason; unless skip_invalid, any of them aborts the import and nothing is
// stored. Throws invalid_input for an unreadable file, an unknown field or CRS.
ImportReport import_layer(Db& db, const ImportOptions& options);

}  // namespace gridmap::data
