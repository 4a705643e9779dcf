// Point-in-grid with the names and workers an answer carries; immutable, replaced whole
// when grids change (readers keep the snapshot they started with: App::locator()).
#pragma once

#include "data/locator.hpp"
#include "data/place_names.hpp"

namespace gridmap::server {

struct LocatorState {
  data::Locator locator;
  data::PlaceNames names;
};

}  // namespace gridmap::server
