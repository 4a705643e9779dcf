#include "data/import.hpp"

#include "geo/error.hpp"

namespace gridmap::data {

ImportReport import_layer(Db&, const ImportOptions&) {
  throw Error(ErrorKind::unavailable, "import is not built yet");
}

}  // namespace gridmap::data
