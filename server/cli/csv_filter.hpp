// Shared by `locate --csv` and `convert --csv`: read a CSV with lon/lat columns, append
// columns computed per row, write it to stdout.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "geo/types.hpp"

namespace gridmap::cli {

// `compute` gets each row's position and returns the values of `new_columns`. A row whose
// lon/lat is not a number stops the run with its line number (nothing is half-written to a
// file: the output goes to stdout).
void filter_csv(const std::string& path, const std::vector<std::string>& new_columns,
                const std::function<std::vector<std::string>(LonLat)>& compute);

std::string format_coordinate(double v);  // shortest text that round-trips, at most 1e-9

}  // namespace gridmap::cli
