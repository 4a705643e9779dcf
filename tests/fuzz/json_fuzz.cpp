// Request bodies: parse_json, the opt_* readers on every member, and writing back. A body
// that parses is written out again and must parse to the same document; a number written
// with write_number must come back rounded as asked.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "fuzz/fuzz.hpp"
#include "server/json.hpp"

using namespace gridmap;
using namespace gridmap::server;

namespace {

template <class F>
void expect_valid_or_invalid_input(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::invalid_input, e.what());
  }
}

// Every reader on every member of an object, as handlers use them.
void read_members(const rapidjson::Value& obj) {
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    std::string name(it->name.GetString(), it->name.GetStringLength());
    const char* n = name.c_str();  // as handlers pass names: up to the first NUL
    expect_valid_or_invalid_input([&] { opt_string(obj, n); });
    expect_valid_or_invalid_input([&] { need_string(obj, n); });
    expect_valid_or_invalid_input([&] {
      if (auto v = opt_number(obj, n)) FUZZ_CHECK(std::isfinite(*v), name);
    });
    expect_valid_or_invalid_input([&] { opt_int(obj, n); });
    expect_valid_or_invalid_input([&] { opt_bool(obj, n); });
  }
}

void check_write_number(double v) {
  for (int decimals : {0, 1, 6, 9}) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    write_number(w, v, decimals);
    w.EndArray();
    std::string text(buf.GetString(), buf.GetSize());
    rapidjson::Document back;
    back.Parse(text.data(), text.size());
    if (!std::isfinite(v)) {  // JSON has no infinity or NaN: written as null
      FUZZ_CHECK(text == "[null]", "write_number(" + std::to_string(v) + ") wrote " + text);
      continue;
    }
    FUZZ_CHECK(!back.HasParseError() && back.IsArray() && back.Size() == 1 && back[0].IsNumber(),
               "write_number(" + std::to_string(v) + ", " + std::to_string(decimals) +
                   ") wrote " + text);
    double got = back[0].GetDouble();
    double tolerance = 0.5 * std::pow(10.0, -decimals) + std::fabs(v) * 1e-15;
    FUZZ_CHECK(std::fabs(got - v) <= tolerance,
               "write_number(" + std::to_string(v) + ") wrote " + text);
  }
}

// The same document: members in the same order; numbers equal, or within a few units in
// the last place when either is not an integer (RapidJSON parses without full precision).
bool same(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.IsNumber() && b.IsNumber()) {
    if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
    if (a.IsUint64() && b.IsUint64()) return a.GetUint64() == b.GetUint64();
    double x = a.GetDouble(), y = b.GetDouble();
    return x == y || std::fabs(x - y) <= 4e-16 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.GetType() != b.GetType()) return false;
  if (a.IsString())
    return std::string_view(a.GetString(), a.GetStringLength()) ==
           std::string_view(b.GetString(), b.GetStringLength());
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i)
      if (!same(a[i], b[i])) return false;
    return true;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (auto i = a.MemberBegin(), j = b.MemberBegin(); i != a.MemberEnd(); ++i, ++j)
      if (!same(i->name, j->name) || !same(i->value, j->value)) return false;
    return true;
  }
  return a == b;  // null, true, false
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  rapidjson::Document d;
  try {
    d = parse_json(body);
  } catch (const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::invalid_input, e.what());
    return 0;
  }
  // Walk the document without recursion, as deep as it is.
  std::vector<const rapidjson::Value*> todo{&d};
  bool infinite = false;  // a number beyond double's range parses as infinity
  while (!todo.empty()) {
    const rapidjson::Value* v = todo.back();
    todo.pop_back();
    if (v->IsObject()) {
      read_members(*v);
      for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) todo.push_back(&it->value);
    } else if (v->IsArray()) {
      expect_valid_or_invalid_input([&] { opt_string(*v, "x"); });  // not an object
      for (auto& e : v->GetArray()) todo.push_back(&e);
    } else if (v->IsNumber()) {
      infinite = infinite || !std::isfinite(v->GetDouble());
      check_write_number(v->GetDouble());
    }
  }
  // JSON cannot write infinity back (opt_number refuses it as not finite).
  if (infinite) return 0;
  // Written out and parsed again: the same document.
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  FUZZ_CHECK(d.Accept(w), "the writer refused a parsed document");
  std::string text(buf.GetString(), buf.GetSize());
  rapidjson::Document again;
  try {
    again = parse_json(text);
  } catch (const Error& e) {
    fuzz::fail(__FILE__, __LINE__, "parse_json(written)", text + ": " + e.what());
  }
  FUZZ_CHECK(same(again, d), "written as " + text);
  return 0;
}
