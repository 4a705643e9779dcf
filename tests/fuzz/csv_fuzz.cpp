// CSV (locate --csv, convert --csv, imports): the reader on any bytes, and the round trip
// of records written by write_csv_row (the input's 0x01 bytes end records, 0x00 fields).
#include <sstream>
#include <vector>

#include "core/error.hpp"
#include "data/csv.hpp"
#include "fuzz/fuzz.hpp"

using namespace gridmap;

namespace {

using Records = std::vector<std::vector<std::string>>;

Records read_all(const std::string& text) {
  std::istringstream in(text);
  data::CsvReader reader(in);
  Records out;
  int64_t line = 0;
  while (auto r = reader.next()) {
    FUZZ_CHECK(!r->empty(), "a record without fields");
    FUZZ_CHECK(reader.line() > line, "the line number did not advance");
    line = reader.line();
    out.push_back(std::move(*r));
  }
  return out;
}

std::string show(const Records& rs) {
  std::string s;
  for (auto& r : rs) {
    s += "[";
    for (auto& f : r) s += "<" + f + ">";
    s += "]";
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  Records raw;
  try {
    raw = read_all(text);
  } catch (const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::invalid_input, e.what());
  }
  for (auto& r : raw)
    for (size_t i = 0; i < r.size(); ++i) {
      auto at = data::find_column(r, r[i]);
      FUZZ_CHECK(at && *at <= i && r[*at] == r[i], "find_column of '" + r[i] + "'");
    }

  Records records(1);
  records.back().emplace_back();
  for (char c : text) {
    if (c == '\x01') {
      records.emplace_back(1);
    } else if (c == '\0') {
      records.back().emplace_back();
    } else {
      records.back().back() += c;
    }
  }
  // A byte order mark at the very start is the reader's to drop.
  if (records[0][0].rfind("\xEF\xBB\xBF", 0) == 0) return 0;
  std::ostringstream out;
  for (auto& r : records) data::write_csv_row(out, r);
  Records back = read_all(out.str());
  FUZZ_CHECK(back == records, show(records) + " came back as " + show(back));
  return 0;
}
