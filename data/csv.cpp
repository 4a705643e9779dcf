#include "data/csv.hpp"

#include <algorithm>
#include <cctype>

#include "geo/error.hpp"

namespace gridmap::data {

std::optional<std::vector<std::string>> CsvReader::next() {
  std::vector<std::string> fields;
  if (!next(fields)) return std::nullopt;
  return fields;
}

// A line at a time (getline reads in bulk, and a record on a pipe is parsed as soon as its
// line arrives), then the line's bytes; a quoted field goes on over the next line.
bool CsvReader::next(std::vector<std::string>& fields) {
  if (!std::getline(in_, buf_)) return false;
  ++line_;
  int64_t start_line = line_;
  size_t used = 0;
  auto open_field = [&]() -> std::string& {
    if (used == fields.size()) fields.emplace_back();
    std::string& f = fields[used++];
    f.clear();
    return f;
  };
  std::string* field = &open_field();
  bool quoted = false, field_started = false;
  size_t i = 0;
  if (first_) {
    first_ = false;
    if (buf_.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // UTF-8 byte order mark
  }
  for (;;) {
    const char* p = buf_.data();
    const size_t n = buf_.size();
    while (i < n) {
      char c = p[i];
      if (quoted) {
        // Up to the next quote in one append.
        size_t q = buf_.find('"', i);
        if (q == std::string::npos) {
          field->append(p + i, n - i);
          i = n;
          break;
        }
        field->append(p + i, q - i);
        if (q + 1 < n && p[q + 1] == '"') {
          field->push_back('"');
          i = q + 2;
        } else {
          quoted = false;
          i = q + 1;
        }
        continue;
      }
      if (c == '"' && !field_started) {
        quoted = true;
        field_started = true;
        ++i;
      } else if (c == ',') {
        field = &open_field();
        field_started = false;
        ++i;
      } else if (c == '\r') {
        ++i;  // tolerated before \n
      } else {
        // Up to the next comma, quote or carriage return in one append.
        size_t j = i + 1;
        while (j < n && p[j] != ',' && p[j] != '"' && p[j] != '\r') ++j;
        field->append(p + i, j - i);
        field_started = true;
        i = j;
      }
    }
    if (!quoted) break;
    // A quoted field holds the line's end: the record goes on over the next line.
    if (!std::getline(in_, buf_))
      throw_invalid("CSV: unterminated quoted field starting on line " +
                    std::to_string(start_line));
    ++line_;
    field->push_back('\n');
    i = 0;
  }
  fields.resize(used);
  return true;
}

std::string csv_escape(const std::string& f) {
  if (f.find_first_of(",\"\n\r") == std::string::npos) return f;
  std::string out = "\"";
  for (char c : f) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

void write_csv_row(std::ostream& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out << ',';
    out << csv_escape(fields[i]);
  }
  out << '\n';
}

std::optional<size_t> find_column(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  std::string n = lower(name);
  for (size_t i = 0; i < header.size(); ++i)
    if (lower(header[i]) == n) return i;
  return std::nullopt;
}

}  // namespace gridmap::data
