#include "data/sql_dialect.hpp"

#include <algorithm>
#include <cctype>

#include "geo/error.hpp"

namespace gridmap::data {
namespace {

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool same_word(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Reads SQL one token at a time: words, numbers, quoted text, comments, white space and
// single characters, so that what is rewritten is never inside a literal.
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  size_t pos() const { return i_; }
  // The next token; `space` is set for white space and comments.
  std::string_view next(bool& space) {
    size_t start = i_;
    char c = s_[i_];
    space = false;
    if (std::isspace(static_cast<unsigned char>(c))) {
      while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
      space = true;
    } else if (c == '-' && i_ + 1 < s_.size() && s_[i_ + 1] == '-') {
      while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      space = true;
    } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '*') {
      size_t end = s_.find("*/", i_ + 2);
      i_ = end == std::string_view::npos ? s_.size() : end + 2;
      space = true;
    } else if (c == '\'' || c == '"' || c == '`') {
      // Quoted: a doubled quote is the quote itself.
      ++i_;
      while (i_ < s_.size()) {
        if (s_[i_] == c) {
          if (i_ + 1 < s_.size() && s_[i_ + 1] == c) {
            i_ += 2;
            continue;
          }
          ++i_;
          break;
        }
        ++i_;
      }
    } else if (word_char(c)) {
      while (i_ < s_.size() && word_char(s_[i_])) ++i_;
    } else {
      ++i_;
    }
    return s_.substr(start, i_ - start);
  }
  // The next word-like token after white space, without consuming anything.
  std::string_view peek_word() const {
    Lexer copy = *this;
    bool space = true;
    std::string_view t;
    while (!copy.done() && space) t = copy.next(space);
    return space ? std::string_view() : t;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

PgSql to_postgresql(std::string_view sql) {
  PgSql out;
  out.sql.reserve(sql.size() + 16);
  Lexer lex(sql);
  bool on_conflict_nothing = false;
  int highest = 0;
  while (!lex.done()) {
    bool space = false;
    std::string_view t = lex.next(space);
    if (space) {
      out.sql += t;
      continue;
    }
    if (t == "?") {
      // ?NNN names its parameter; a bare ? takes the number after the highest used so far.
      size_t start = lex.pos();
      size_t end = start;
      while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) ++end;
      int n = 0;
      if (end > start) {
        for (size_t k = start; k < end; ++k) n = n * 10 + (sql[k] - '0');
        bool s2 = false;
        while (lex.pos() < end) lex.next(s2);
      } else {
        n = highest + 1;
      }
      highest = std::max(highest, n);
      out.sql += '$';
      out.sql += std::to_string(n);
      continue;
    }
    if (same_word(t, "INSERT") && same_word(lex.peek_word(), "OR")) {
      bool s2 = false;
      std::string_view w;
      do w = lex.next(s2);
      while (s2);  // OR
      do w = lex.next(s2);
      while (s2);  // IGNORE / REPLACE / ...
      if (!same_word(w, "IGNORE"))
        throw_invalid("INSERT OR " + std::string(w) +
                      " has no PostgreSQL translation: write an upsert with its conflict target");
      out.sql += t;
      on_conflict_nothing = true;
      continue;
    }
    if (same_word(t, "IS")) {
      std::string_view w = lex.peek_word();
      bool negated = same_word(w, "NOT");
      if (negated) {
        Lexer copy = lex;
        bool s2 = false;
        do copy.next(s2);
        while (s2);
        w = copy.peek_word();
      }
      if (!same_word(w, "NULL") && !same_word(w, "TRUE") && !same_word(w, "FALSE") &&
          !same_word(w, "DISTINCT")) {
        if (negated) {
          bool s2 = false;
          do lex.next(s2);
          while (s2);  // NOT
        }
        out.sql += negated ? "IS DISTINCT FROM" : "IS NOT DISTINCT FROM";
        continue;
      }
    }
    out.sql += t;
  }
  if (on_conflict_nothing) {
    // Before a final semicolon and white space.
    size_t end = out.sql.find_last_not_of(" \t\r\n;");
    std::string tail = out.sql.substr(end + 1);
    out.sql.resize(end + 1);
    out.sql += " ON CONFLICT DO NOTHING";
    out.sql += tail;
  }
  out.params = highest;
  return out;
}

std::string box_condition(bool postgresql, std::string_view table, std::string_view alias,
                          int first) {
  auto p = [first](int k) {
    std::string out = "?";  // appended, not "?" + ...: GCC 12's -O3 -Wrestrict misfires there
    out += std::to_string(first + k);
    return out;
  };
  std::string a(alias);
  if (postgresql)
    return a + ".geom && ST_MakeEnvelope(" + p(0) + ", " + p(1) + ", " + p(2) + ", " + p(3) +
           ", 4326)";
  return a + ".ROWID IN (SELECT pkid FROM idx_" + std::string(table) +
         "_geom WHERE xmin <= " + p(2) + " AND xmax >= " + p(0) + " AND ymin <= " + p(3) +
         " AND ymax >= " + p(1) + ")";
}

std::string extent_query(bool postgresql, std::string_view table) {
  if (postgresql)
    return "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) "
           "AS e FROM " +
           std::string(table) + ") AS x";
  return "SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM idx_" + std::string(table) +
         "_geom";
}

}  // namespace gridmap::data
