// RFC 4180 CSV: quoted fields, embedded commas, quotes and newlines; UTF-8 BOM tolerated.
#pragma once

#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace gridmap::data {

class CsvReader {
 public:
  explicit CsvReader(std::istream& in) : in_(in) {}
  // The next record, or nullopt at the end. Throws invalid_input on an unterminated quote.
  std::optional<std::vector<std::string>> next();
  // The same into `fields` (its strings reused: no allocation per record once warm); false
  // at the end.
  bool next(std::vector<std::string>& fields);
  int64_t line() const noexcept { return line_; }

 private:
  std::istream& in_;
  std::string buf_;  // the line being read
  int64_t line_ = 0;
  bool first_ = true;
};

void write_csv_row(std::ostream& out, const std::vector<std::string>& fields);
std::string csv_escape(const std::string& field);

// Position of `name` in a header row (exact, then case-insensitive), or nullopt.
std::optional<size_t> find_column(const std::vector<std::string>& header, const std::string& name);

}  // namespace gridmap::data
