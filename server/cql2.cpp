#include "server/cql2.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

#include "core/error.hpp"

namespace gridmap::server {
namespace {

constexpr size_t kMostBytes = 4096;
constexpr int kMostDepth = 16;

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  data::Condition parse() {
    data::Condition c = disjunction(0);
    skip_space();
    if (at_ < s_.size()) fail("unexpected '" + std::string(s_.substr(at_, 12)) + "'");
    return c;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw_invalid("filter (CQL2 text) at offset " + std::to_string(at_) + ": " + what);
  }

  void skip_space() {
    while (at_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[at_]))) ++at_;
  }

  // A keyword (case-insensitive) followed by something that cannot continue a name.
  bool keyword(std::string_view word) {
    skip_space();
    if (s_.size() - at_ < word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i)
      if (std::toupper(static_cast<unsigned char>(s_[at_ + i])) != word[i]) return false;
    size_t end = at_ + word.size();
    if (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_'))
      return false;
    at_ = end;
    return true;
  }

  bool symbol(std::string_view sym) {
    skip_space();
    if (s_.substr(at_, sym.size()) != sym) return false;
    at_ += sym.size();
    return true;
  }

  data::Condition group(data::Condition::Kind kind, data::Condition first) {
    data::Condition g;
    g.kind = kind;
    g.children.push_back(std::move(first));
    return g;
  }

  data::Condition disjunction(int depth) {
    data::Condition left = conjunction(depth);
    if (!keyword("OR")) return left;
    data::Condition any = group(data::Condition::Kind::any, std::move(left));
    do any.children.push_back(conjunction(depth));
    while (keyword("OR"));
    return any;
  }

  data::Condition conjunction(int depth) {
    data::Condition left = negation(depth);
    if (!keyword("AND")) return left;
    data::Condition all = group(data::Condition::Kind::all, std::move(left));
    do all.children.push_back(negation(depth));
    while (keyword("AND"));
    return all;
  }

  data::Condition negation(int depth) {
    if (depth > kMostDepth) fail("nested more than " + std::to_string(kMostDepth) + " deep");
    if (keyword("NOT")) return group(data::Condition::Kind::negate, negation(depth + 1));
    if (symbol("(")) {
      data::Condition inner = disjunction(depth + 1);
      if (!symbol(")")) fail("expected ')'");
      return inner;
    }
    return comparison();
  }

  std::string property() {
    skip_space();
    if (symbol("\"")) {
      size_t end = s_.find('"', at_);
      if (end == std::string_view::npos) fail("an unclosed quoted property name");
      std::string name(s_.substr(at_, end - at_));
      at_ = end + 1;
      return name;
    }
    size_t start = at_;
    while (at_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[at_])) || s_[at_] == '_'))
      ++at_;
    if (at_ == start || std::isdigit(static_cast<unsigned char>(s_[start])))
      fail("expected a property name");
    return std::string(s_.substr(start, at_ - start));
  }

  std::string quoted() {
    skip_space();
    if (!symbol("'")) fail("expected a 'quoted' text");
    std::string out;
    while (true) {
      if (at_ >= s_.size()) fail("an unclosed 'text'");
      char c = s_[at_++];
      if (c == '\'') {
        if (at_ < s_.size() && s_[at_] == '\'') {
          out += '\'';
          ++at_;
          continue;
        }
        return out;
      }
      out += c;
    }
  }

  std::variant<std::string, int64_t, double, bool> literal() {
    skip_space();
    if (at_ < s_.size() && s_[at_] == '\'') return quoted();
    if (keyword("TRUE")) return true;
    if (keyword("FALSE")) return false;
    if (keyword("TIMESTAMP") || keyword("DATE")) {
      if (!symbol("(")) fail("expected '(' after TIMESTAMP or DATE");
      std::string t = quoted();
      if (!symbol(")")) fail("expected ')'");
      return t;
    }
    size_t start = at_;
    if (at_ < s_.size() && (s_[at_] == '-' || s_[at_] == '+')) ++at_;
    bool real = false;
    while (at_ < s_.size() &&
           (std::isdigit(static_cast<unsigned char>(s_[at_])) || s_[at_] == '.' || s_[at_] == 'e' ||
            s_[at_] == 'E' ||
            ((s_[at_] == '-' || s_[at_] == '+') && (s_[at_ - 1] == 'e' || s_[at_ - 1] == 'E')))) {
      real |= !std::isdigit(static_cast<unsigned char>(s_[at_]));
      ++at_;
    }
    std::string_view number = s_.substr(start, at_ - start);
    if (number.empty())
      fail("expected a literal: 'text', a number, TRUE, FALSE or TIMESTAMP('...')");
    const char* first = number.data() + (number[0] == '+' ? 1 : 0);
    if (!real) {
      int64_t i = 0;
      auto [p, ec] = std::from_chars(first, number.data() + number.size(), i);
      if (ec == std::errc() && p == number.data() + number.size()) return i;
    }
    double d = 0;
    auto [p, ec] = std::from_chars(first, number.data() + number.size(), d);
    if (ec != std::errc() || p != number.data() + number.size() || !std::isfinite(d))
      fail("'" + std::string(number) + "' is not a number");
    return d;
  }

  data::Condition comparison() {
    data::Condition c;
    c.property = property();
    if (keyword("IS")) {
      bool negated = keyword("NOT");
      if (!keyword("NULL")) fail("expected NULL after IS");
      c.op = negated ? data::CompareOp::is_not_null : data::CompareOp::is_null;
      return c;
    }
    if (symbol("<>"))
      c.op = data::CompareOp::ne;
    else if (symbol("<="))
      c.op = data::CompareOp::le;
    else if (symbol(">="))
      c.op = data::CompareOp::ge;
    else if (symbol("<"))
      c.op = data::CompareOp::lt;
    else if (symbol(">"))
      c.op = data::CompareOp::gt;
    else if (symbol("="))
      c.op = data::CompareOp::eq;
    else
      fail("expected a comparison (=, <>, <, <=, >, >=, IS NULL) after '" + c.property + "'");
    c.value = literal();
    return c;
  }

  std::string_view s_;
  size_t at_ = 0;
};

}  // namespace

data::Condition parse_cql2_text(std::string_view text) {
  if (text.size() > kMostBytes)
    throw_invalid("filter is longer than " + std::to_string(kMostBytes) + " bytes");
  return Parser(text).parse();
}

}  // namespace gridmap::server
