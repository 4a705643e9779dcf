#include "data/csv.hpp"

#include <algorithm>
#include <cctype>

#include "geo/error.hpp"

namespace gridmap::data {

std::optional<std::vector<std::string>> CsvReader::next() {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, any = false, field_started = false;
  int64_t start_line = line_ + 1;
  int c;
  while ((c = in_.get()) != EOF) {
    any = true;
    if (first_) {
      first_ = false;
      if (c == 0xEF && in_.peek() == 0xBB) {  // UTF-8 byte order mark
        in_.get();
        if (in_.peek() == 0xBF) {
          in_.get();
          continue;
        }
        field += "\xEF\xBB";  // not a mark after all, but the field's first bytes
        field_started = true;
        continue;
      }
    }
    if (quoted) {
      if (c == '"') {
        if (in_.peek() == '"') {
          in_.get();
          field += '"';
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_;
        field += static_cast<char>(c);
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n') {
      ++line_;
      fields.push_back(std::move(field));
      return fields;
    } else if (c == '\r') {
      // tolerated before \n
    } else {
      field += static_cast<char>(c);
      field_started = true;
    }
  }
  if (quoted) throw_invalid("CSV: unterminated quoted field starting on line " + std::to_string(start_line));
  if (!any) return std::nullopt;
  ++line_;
  fields.push_back(std::move(field));
  return fields;
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
