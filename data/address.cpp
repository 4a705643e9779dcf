// The standard address parser. The text is decoded to code points, normalised (full-width
// ASCII, spaces, brackets, dashes), stripped of notes, then read left to right in the
// register's order: administrative prefix, subdistrict, community, road (+ lane extensions),
// door number; what remains is the compound followed by building / unit / room tokens.
#include "data/address.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace gridmap::data {

namespace {

using Text = std::u32string;
using View = std::u32string_view;

constexpr size_t kMaxBytes = 1024;  // longer than any address; bounds the quadratic bits

// Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF); the offset of the first
// bad byte when it fails.
std::optional<Text> decode_utf8(std::string_view s, size_t& bad) {
  Text out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    char32_t c = 0;
    size_t n = 0;
    if (b < 0x80) {
      c = b, n = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      c = b & 0x1Fu, n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      c = b & 0x0Fu, n = 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      c = b & 0x07u, n = 4;
    } else {
      bad = i;
      return std::nullopt;
    }
    if (s.size() - i < n) {
      bad = i;
      return std::nullopt;
    }
    for (size_t k = 1; k < n; ++k) {
      const auto cb = static_cast<unsigned char>(s[i + k]);
      if ((cb & 0xC0u) != 0x80u) {
        bad = i;
        return std::nullopt;
      }
      c = (c << 6) | (cb & 0x3Fu);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF)) {
      bad = i;
      return std::nullopt;
    }
    out.push_back(c);
    i += n;
  }
  return out;
}

std::string encode(View v) {
  std::string out;
  out.reserve(v.size() * 3);
  for (char32_t c : v) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

bool at(View t, size_t i, View w) {
  return i <= t.size() && t.substr(i).starts_with(w);
}

bool is_digit(char32_t c) {
  return c >= U'0' && c <= U'9';
}

bool is_letter(char32_t c) {
  return c >= U'A' && c <= U'Z';
}

// 0..9 for a Chinese digit, 10 for 十, -1 otherwise.
int cn_digit(char32_t c) {
  switch (c) {
    case U'〇':
    case U'零':
      return 0;
    case U'一':
      return 1;
    case U'二':
    case U'两':
      return 2;
    case U'三':
      return 3;
    case U'四':
      return 4;
    case U'五':
      return 5;
    case U'六':
      return 6;
    case U'七':
      return 7;
    case U'八':
      return 8;
    case U'九':
      return 9;
    case U'十':
      return 10;
    default:
      return -1;
  }
}

bool is_cn_numeral(char32_t c) {
  return cn_digit(c) >= 0;
}

bool is_tiangan(char32_t c) {
  return c == U'甲' || c == U'乙' || c == U'丙' || c == U'丁';
}

bool has_digit(View v) {
  for (char32_t c : v)
    if (is_digit(c) || c == U'#' || c == U'-') return true;
  return false;
}

// "三" → "3", "十二" → "12", "二十三" → "23", "五零一" → "501"; nullopt when not a numeral.
std::optional<std::string> cn_number(View v) {
  if (v.empty()) return std::nullopt;
  const size_t ten = v.find(U'十');
  if (ten == View::npos) {
    std::string s;
    for (char32_t c : v) {
      const int d = cn_digit(c);
      if (d < 0 || d > 9) return std::nullopt;
      s += static_cast<char>('0' + d);
    }
    return s;
  }
  if (ten > 1 || v.size() > ten + 2) return std::nullopt;
  int tens = 1;
  int ones = 0;
  if (ten == 1) tens = cn_digit(v[0]);
  if (ten + 1 < v.size()) ones = cn_digit(v[ten + 1]);
  if (tens < 1 || tens > 9 || ones < 0 || ones > 9) return std::nullopt;
  return std::to_string(tens * 10 + ones);
}

// A numeral as ASCII: digits, letters and '-' as they are, Chinese numerals converted.
std::optional<std::string> ascii_number(View v) {
  bool ascii = !v.empty();
  for (char32_t c : v) ascii = ascii && c < 0x80;
  if (ascii) return encode(v);
  return cn_number(v);
}

// Length of the road suffix at t[j] (路, 街, 大道, 胡同, ...), 0 when there is none.
size_t road_suffix_len(View t, size_t j) {
  if (at(t, j, U"胡同") || at(t, j, U"巷子")) return 2;
  if (j >= t.size()) return 0;
  switch (t[j]) {
    case U'路':
    case U'街':
    case U'道':
    case U'巷':
    case U'弄':
    case U'里':
    case U'条':
      return 1;
    default:
      return 0;
  }
}

// Suffixes that name an estate. The strong ones are safe to test inside other names.
constexpr View kStrongCompound[] = {U"小区", U"花园", U"家园", U"公寓", U"新村",
                                    U"大厦", U"广场", U"宿舍", U"苑",   U"园"};
constexpr View kWeakCompound[] = {U"公馆", U"山庄", U"大楼", U"家属院", U"大院",
                                  U"城",   U"府",   U"庭",   U"居",     U"邸",
                                  U"湾",   U"郡",   U"坊",   U"阁",     U"轩"};

size_t compound_suffix_len(View t, size_t j, bool strong_only) {
  for (View s : kStrongCompound)
    if (at(t, j, s)) return s.size();
  if (!strong_only)
    for (View s : kWeakCompound)
      if (at(t, j, s)) return s.size();
  return 0;
}

// A compound name: some name followed by a suffix somewhere.
bool names_compound(View v) {
  for (size_t k = 1; k < v.size(); ++k)
    if (compound_suffix_len(v, k, false)) return true;
  return false;
}

bool contains_strong_compound(View v) {
  for (size_t k = 0; k < v.size(); ++k)
    if (compound_suffix_len(v, k, true)) return true;
  return false;
}

// Where an administrative name ends the next thing may not be a road or an estate suffix
// ("城市花园", "镇江路", "王村路").
bool clean_end(View t, size_t e) {
  return road_suffix_len(t, e) == 0 && compound_suffix_len(t, e, true) == 0;
}

Text normalise(View in) {
  Text t;
  t.reserve(in.size());
  for (char32_t c : in) {
    if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;  // full-width ASCII
    if (c <= 0x20 || c == 0x7F || c == 0xA0 || c == 0x3000 || c == 0xFEFF ||
        (c >= 0x200B && c <= 0x200D))
      continue;
    if (c >= U'a' && c <= U'z') c -= 0x20;
    if (c == U'【' || c == U'〔' || c == U'[' || c == U'{' || c == U'〈' || c == U'「') c = U'(';
    if (c == U'】' || c == U'〕' || c == U']' || c == U'}' || c == U'〉' || c == U'」') c = U')';
    if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == U'~' || c == U'～') c = U'-';
    if (c == U'：') c = U':';
    t.push_back(c);
  }
  return t;
}

bool is_punctuation(char32_t c) {
  if (c < 0x80) return c != U'-' && c != U'#' && !is_digit(c) && !is_letter(c);
  static constexpr View kCjk = U"、，。；：？！“”‘’《》·…￥";
  return kCjk.find(c) != View::npos;
}

constexpr View kTrailingNotes[] = {U"附近", U"旁边", U"对面", U"隔壁",
                                   U"一带", U"周边", U"后面", U"旁"};

constexpr View kPlaceholders[] = {U"不详",   U"同上", U"无",   U"暂无", U"未知",
                                  U"空",     U"待定", U"见上", U"略",   U"不知道",
                                  U"无地址", U"NULL", U"NONE", U"NA",   U"-"};

// Cuts notes out of the text: "(东门)", a trailing "附近"; drops a "地址:" label and
// punctuation.
Text strip_notes(Text t, std::vector<Text>& notes) {
  const size_t colon = t.find(U':');
  if (colon != Text::npos && colon <= 8 && View(t).substr(0, colon).find(U'址') != View::npos)
    t.erase(0, colon + 1);
  Text out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size();) {
    if (t[i] == U'(') {
      int depth = 1;
      Text inner;
      size_t j = i + 1;
      for (; j < t.size() && depth > 0; ++j) {
        if (t[j] == U'(') ++depth;
        if (t[j] == U')') --depth;
        if (t[j] != U'(' && t[j] != U')' && !is_punctuation(t[j])) inner.push_back(t[j]);
      }
      if (!inner.empty()) notes.push_back(std::move(inner));
      i = j;
    } else {
      if (t[i] != U')' && !is_punctuation(t[i])) out.push_back(t[i]);
      ++i;
    }
  }
  for (bool again = true; again;) {
    again = false;
    for (View w : kTrailingNotes)
      if (out.size() > w.size() && View(out).ends_with(w)) {
        notes.insert(notes.begin(), Text(w));
        out.resize(out.size() - w.size());
        again = true;
      }
  }
  return out;
}

class Parser {
 public:
  explicit Parser(View t) : t_(t) {}

  AddressParse run(std::string note) {
    a_.note = std::move(note);
    admin();
    subdistrict();
    community();
    road();
    if (!a_.road.empty()) number();
    tail();
    AddressParse r;
    const bool base = (!a_.road.empty() && !a_.number.empty()) || !a_.compound.empty();
    if (!a_.road.empty() && a_.number.empty() && a_.compound.empty())
      problems_.insert(problems_.begin(), "no door number after '" + a_.road + "'");
    if (a_.road.empty() && a_.compound.empty())
      problems_.insert(problems_.begin(), "no road with a door number and no compound (小区)");
    if (base) r.address = std::move(a_);
    r.problems = std::move(problems_);
    return r;
  }

 private:
  std::string take(size_t b, size_t e) { return encode(t_.substr(b, e - b)); }

  // The first position k in [i_, i_ + window) where `match` says a name ends there.
  template <class Match>
  size_t find_within(size_t window, Match match) const {
    for (size_t k = i_; k < t_.size() && k < i_ + window; ++k)
      if (match(k)) return k;
    return View::npos;
  }

  // A leading 中国 is dropped when a province or city follows it ("中国路" is a road).
  void admin() {
    for (bool again = true; again;) {
      again = false;
      for (View country : {View(U"中华人民共和国"), View(U"中国")})
        if (at(t_, i_, country)) i_ += country.size(), again = true;
    }
    if (i_ > 0) {
      province_city();
      if (a_.province.empty() && a_.city.empty()) i_ = 0;
    }
    if (i_ == 0) province_city();
    district();
  }

  void province_city() {
    for (View m : {View(U"北京"), View(U"上海"), View(U"天津"), View(U"重庆")})
      if (at(t_, i_, m)) {
        const size_t e = i_ + m.size() + (at(t_, i_ + m.size(), U"市") ? 1 : 0);
        a_.city = take(i_, e);
        i_ = e;
        break;
      }
    if (a_.city.empty()) {
      size_t k = find_within(
          10, [&](size_t k) { return k > i_ && (t_[k] == U'省' || at(t_, k, U"自治区")); });
      if (k != View::npos && !has_digit(t_.substr(i_, k - i_))) {
        const size_t e = k + (t_[k] == U'省' ? 1 : 3);
        a_.province = take(i_, e);
        i_ = e;
      }
      k = find_within(8, [&](size_t k) { return k > i_ && t_[k] == U'市' && admin_ok(k); });
      if (k != View::npos) {
        a_.city = take(i_, k + 1);
        i_ = k + 1;
      }
    }
  }

  void district() {
    const size_t k = find_within(8, [&](size_t k) {
      const bool mark = t_[k] == U'区' || t_[k] == U'县' || (t_[k] == U'市' && !a_.city.empty());
      if (!mark || k == i_) return false;
      static constexpr View kNotDistrict = U"小社园校厂营景片军库矿";
      const char32_t prev = t_[k - 1];
      return kNotDistrict.find(prev) == View::npos && !is_letter(prev) && admin_ok(k);
    });
    if (k != View::npos) {
      a_.district = take(i_, k + 1);
      i_ = k + 1;
    }
  }

  // An administrative name from i_ to k (inclusive) has no numbers, roads or estates in it.
  bool admin_ok(size_t k) const {
    const View name = t_.substr(i_, k + 1 - i_);
    if (has_digit(name) || contains_strong_compound(name) || compound_suffix_len(t_, k + 1, true))
      return false;
    for (size_t j = 0; j < name.size(); ++j) {
      if (name[j] == U'镇' || name[j] == U'乡' || name[j] == U'村') return false;
      if (road_suffix_len(name, j) && name.size() > 3) return false;  // but "道里区"
    }
    return true;
  }

  void subdistrict() {
    const size_t k = find_within(12, [&](size_t k) {
      if (k == i_ || has_digit(t_.substr(i_, k - i_))) return false;
      if (at(t_, k, U"街道")) return true;
      return (t_[k] == U'镇' || t_[k] == U'乡') && clean_end(t_, k + 1) && !at(t_, k + 1, U"村");
    });
    if (k == View::npos) return;
    const size_t e = k + (t_[k] == U'街' ? 2 : 1);
    a_.subdistrict = take(i_, e);
    // The office ("街道办事处") is dropped, every repetition of it: what follows starts the
    // next part, as in the canonical form.
    for (i_ = e; at(t_, i_, U"办");) i_ += at(t_, i_, U"办事处") ? 3 : 1;
  }

  // "中关村东路", "员村二横路", "王村路" are roads named after a village: a road suffix soon
  // after the 村 (before any number) says so. "碧江村委会" is the village's office.
  bool village_in_road(size_t k) const {
    size_t n = k + 1;  // what follows, as in the canonical form
    while (office_len(n) > 0) n += office_len(n);
    size_t end = n;  // the name part: a road name holds no digits
    while (end < t_.size() && end < n + 4 && !numeric_at(end, false)) ++end;
    auto road_at = [&](size_t j) { return j < end && road_suffix_len(t_, j) > 0; };
    if (road_at(n) || road_at(n + 1)) return true;
    if (n < end && (View(U"东西南北中").find(t_[n]) != View::npos || is_cn_numeral(t_[n])))
      return road_at(n + 2) || road_at(n + 3);
    return false;
  }

  // The committee after a community's name ("社区居委会", "村委会"), dropped.
  size_t office_len(size_t e) const {
    for (View office : {View(U"居民委员会"), View(U"居委会"), View(U"村民委员会"), View(U"村委会"),
                        View(U"民委员会"), View(U"委会")})
      if (at(t_, e, office)) return office.size();
    return 0;
  }

  void community() {
    const size_t k = find_within(14, [&](size_t k) {
      if (k == i_ || has_digit(t_.substr(i_, k - i_))) return false;
      if (at(t_, k, U"社区") || at(t_, k, U"居委会")) return true;
      return t_[k] == U'村' && t_[k - 1] != U'新' && !village_in_road(k);
    });
    if (k == View::npos) return;
    const size_t e = k + (t_[k] == U'村' ? 1 : at(t_, k, U"社区") ? 2 : 3);
    a_.community = take(i_, e);
    for (i_ = e; office_len(i_) > 0;) i_ += office_len(i_);
  }

  // Numerals (ASCII digits or Chinese) from k; the end of the run.
  size_t numeral_run(size_t k) const {
    size_t q = k;
    if (q < t_.size() && is_digit(t_[q])) {
      while (q < t_.size() && is_digit(t_[q])) ++q;
    } else {
      while (q < t_.size() && is_cn_numeral(t_[q])) ++q;
    }
    return q;
  }

  // The door number at k ("18号", "18-2", "甲18#", "十八号", "5号院"): its ASCII value and
  // where it ends, or npos when the numeral there is something else ("3栋", "5号楼").
  size_t door_number(size_t k, std::string& value) const {
    if (k >= t_.size()) return View::npos;
    size_t q = k;
    if (is_tiangan(t_[q]) && q + 1 < t_.size() && is_digit(t_[q + 1])) ++q;
    if (is_digit(t_[q])) {
      while (q < t_.size() && is_digit(t_[q])) ++q;
      if (q + 1 < t_.size() && t_[q] == U'-' && is_digit(t_[q + 1])) {
        size_t r = q + 1;
        while (r < t_.size() && is_digit(t_[r])) ++r;
        if (!(r < t_.size() && t_[r] == U'-')) q = r;
      }
      value = encode(t_.substr(k, q - k));
    } else {
      const size_t r = numeral_run(q);
      if (r == q || !at(t_, r, U"号")) return View::npos;
      auto v = cn_number(t_.substr(q, r - q));
      if (!v) return View::npos;
      value = *v;
      q = r;
    }
    if (at(t_, q, U"号楼") || at(t_, q, U"#楼")) return View::npos;
    if (q < t_.size() && (t_[q] == U'号' || t_[q] == U'#')) {
      ++q;
      if (at(t_, q, U"院")) ++q;
    } else if (q < t_.size()) {
      static constexpr View kTailMarks = U"栋幢座单室户楼层门期区";
      if (kTailMarks.find(t_[q]) != View::npos) return View::npos;
      if (t_[q] == U'-' || t_[q] == U'院') ++q;  // "18-2-501": number 18, then building-room
    }
    return q;
  }

  bool number_starts(size_t k) const {
    std::string value;
    return door_number(k, value) != View::npos;
  }

  // Lanes and sections that belong to the road: "100弄", "二段", "3巷", "北三段", and a
  // direction before the number ("黄埔大道西638号").
  size_t extend_road(size_t e) const {
    for (;;) {
      size_t q = e;
      if (q < t_.size() && View(U"东西南北中").find(t_[q]) != View::npos) {
        ++q;
        if (number_starts(q)) return q;
      }
      q = numeral_run(q);
      if (q == e) return e;
      size_t len = 0;
      for (View w : {View(U"支弄"), View(U"段"), View(U"弄"), View(U"巷"), View(U"条")})
        if (at(t_, q, w)) {
          len = w.size();
          break;
        }
      if (len == 0) return e;
      e = q + len;
    }
  }

  // After a candidate road: a number, or an estate with a name of its own.
  // The same estate name the tail will read: the text up to the first numeral token.
  bool road_followed_well(size_t e) const {
    if (number_starts(e)) return true;
    for (size_t k = e; k < t_.size() && !numeric_at(k, false); ++k)
      if (k >= e + 2 && compound_suffix_len(t_, k, false)) return true;
    return false;
  }

  void road() {
    // A village group: "五组", "3组", "八队".
    const size_t g = numeral_run(i_);
    if (g > i_ && g < t_.size() &&
        (t_[g] == U'组' || t_[g] == U'队' || (t_[g] == U'社' && !at(t_, g, U"社区")))) {
      a_.road = take(i_, g + 1);
      i_ = g + 1;
      return;
    }
    for (size_t j = i_ + 1; j < t_.size() && j < i_ + 24; ++j) {
      const size_t len = road_suffix_len(t_, j);
      if (len == 0) continue;
      if (has_digit(t_.substr(i_, j - i_))) return;
      const size_t e = extend_road(j + len);
      if (!road_followed_well(e)) continue;
      a_.road = take(i_, e);
      i_ = e;
      return;
    }
  }

  void number() {
    std::string value;
    const size_t e = door_number(i_, value);
    if (e == View::npos) return;
    a_.number = std::move(value);
    i_ = e + (at(t_, e, U"院") ? 1 : 0);  // "5号院"
  }

  struct Token {
    size_t b = 0, e = 0;  // the whole token in t_
    bool numeric = false;
    std::string value;  // numerals as ASCII
    View mark;          // "栋", "单元", ... or empty
  };

  // A numeral with its mark at p. Chinese numerals need a mark ("一品苑" is a name) unless
  // they follow another token ("三栋二单元五零一").
  std::optional<Token> numeric_at(size_t p, bool after_token) const {
    static constexpr View kMarks[] = {U"号楼", U"#楼", U"单元", U"栋", U"幢", U"座", U"门", U"室",
                                      U"户",   U"号",  U"#",    U"楼", U"层", U"期", U"区"};
    size_t q = p;
    bool needs_mark = true;
    if (is_digit(t_[q])) {
      while (q < t_.size() &&
             (is_digit(t_[q]) || (t_[q] == U'-' && q + 1 < t_.size() && is_digit(t_[q + 1]))))
        ++q;
      needs_mark = false;
    } else if (is_letter(t_[q])) {
      ++q;
    } else {
      q = numeral_run(p);
      if (q == p) return std::nullopt;
      needs_mark = !after_token;
    }
    Token tok;
    tok.b = p;
    for (View m : kMarks)
      if (at(t_, q, m)) {
        tok.mark = m;
        break;
      }
    if (is_letter(t_[p]) && (tok.mark == U"门" || tok.mark == U"室" || tok.mark == U"户" ||
                             tok.mark == U"楼" || tok.mark == U"层" || tok.mark == U"期"))
      return std::nullopt;
    if (needs_mark && tok.mark.empty()) return std::nullopt;
    auto value = ascii_number(t_.substr(p, q - p));
    if (!value) return std::nullopt;
    tok.numeric = true;
    tok.value = *value;
    tok.e = q + tok.mark.size();
    return tok;
  }

  void leftover(size_t b, size_t e) {
    problems_.push_back("unrecognised text '" + take(b, e) + "'");
  }

  void assign(const Token& tok, std::string& floor) {
    auto set = [&](std::string& field) {
      const auto dashes = std::count(tok.value.begin(), tok.value.end(), '-');
      if (!field.empty() || dashes > 1) return leftover(tok.b, tok.e);
      field = tok.value;
    };
    const View m = tok.mark;
    if (m == U"号楼" || m == U"#楼" || m == U"栋" || m == U"幢" || m == U"座")
      return set(a_.building);
    if (m == U"单元" || m == U"门") return set(a_.unit);
    if (m == U"室" || m == U"户") return set(a_.room);
    if (m == U"楼" || m == U"层") return set(floor);
    if (m == U"期" || m == U"区") return leftover(tok.b, tok.e);
    const bool none = a_.building.empty() && a_.unit.empty() && a_.room.empty();
    if (m == U"号" || m == U"#") {
      if (!none && is_letter(t_[tok.b])) return leftover(tok.b, tok.e);  // rooms are numbers
      return set(none ? a_.building : a_.room);
    }
    std::vector<std::string> parts;
    for (size_t s = 0;;) {
      const size_t d = tok.value.find('-', s);
      parts.push_back(tok.value.substr(s, d == std::string::npos ? d : d - s));
      if (d == std::string::npos) break;
      s = d + 1;
    }
    if (parts.size() == 3 && none) {
      a_.building = parts[0], a_.unit = parts[1], a_.room = parts[2];
    } else if (parts.size() == 2 && none) {
      a_.building = parts[0], a_.room = parts[1];
    } else if (parts.size() == 2 && a_.unit.empty() && a_.room.empty()) {
      a_.unit = parts[0], a_.room = parts[1];
    } else if (parts.size() == 1) {
      set(a_.room);
    } else {
      leftover(tok.b, tok.e);
    }
  }

  // The rest: an estate name (with its "二期", "A区"), then building / unit / room tokens.
  void tail() {
    size_t compound_b = i_, compound_e = i_;
    bool in_compound = true;
    size_t text_b = View::npos;
    std::string floor;
    auto end_text = [&](size_t p) {
      if (text_b != View::npos) leftover(text_b, p);
      text_b = View::npos;
    };
    for (size_t p = i_; p < t_.size();) {
      auto tok = numeric_at(p, !in_compound && text_b == View::npos);
      if (!tok) {
        if (in_compound) {
          compound_e = p + 1;
        } else if (text_b == View::npos) {
          text_b = p;
        }
        ++p;
        continue;
      }
      if (in_compound && compound_e > compound_b && (tok->mark == U"期" || tok->mark == U"区")) {
        compound_e = tok->e;
        p = tok->e;
        continue;
      }
      in_compound = false;
      end_text(p);
      assign(*tok, floor);
      p = tok->e;
    }
    end_text(t_.size());
    // An estate name needs a suffix (小区, 花园, ...) unless buildings follow it or it comes
    // after a door number: "恒大绿洲7号楼", "江城大道588号世茂锦绣长江6栋".
    const bool road_number = !a_.road.empty() && !a_.number.empty();
    const bool units = !a_.building.empty() || (road_number && !(a_.unit + a_.room).empty());
    if (compound_e > compound_b) {
      const View name = t_.substr(compound_b, compound_e - compound_b);
      // After a door number "楼…" would read back as "号楼".
      if ((names_compound(name) || units) && !(road_number && name[0] == U'楼')) {
        a_.compound = take(compound_b, compound_e);
      } else {
        problems_.insert(problems_.begin(),
                         "unrecognised text '" + take(compound_b, compound_e) + "'");
      }
    }
    if (!floor.empty() && a_.room.empty())
      problems_.push_back("floor " + floor + " dropped: no room number");
  }

  View t_;
  size_t i_ = 0;
  StandardAddress a_;
  std::vector<std::string> problems_;
};

}  // namespace

bool StandardAddress::same_place(const StandardAddress& o) const noexcept {
  return province == o.province && city == o.city && district == o.district &&
         subdistrict == o.subdistrict && community == o.community && road == o.road &&
         number == o.number && compound == o.compound && building == o.building && unit == o.unit &&
         room == o.room;
}

AddressParse parse_address(std::string_view text) {
  AddressParse fail;
  if (text.size() > kMaxBytes) {
    fail.problems.push_back("address too long (" + std::to_string(text.size()) + " bytes)");
    return fail;
  }
  size_t bad = 0;
  auto decoded = decode_utf8(text, bad);
  if (!decoded) {
    fail.problems.push_back("invalid UTF-8 at byte " + std::to_string(bad));
    return fail;
  }
  std::vector<Text> notes;
  const Text t = strip_notes(normalise(*decoded), notes);
  std::string note;
  for (const Text& n : notes) note += (note.empty() ? "" : "; ") + encode(n);
  if (t.empty()) {
    fail.problems.push_back(notes.empty() ? "empty address" : "only a note: '" + note + "'");
    return fail;
  }
  for (View p : kPlaceholders)
    if (t == p) {
      fail.problems.push_back("a placeholder, not an address: '" + encode(t) + "'");
      return fail;
    }
  return Parser(t).run(std::move(note));
}

std::string format_address(const StandardAddress& a) {
  std::string s = a.province + a.city + a.district + a.subdistrict + a.community + a.road;
  if (!a.number.empty()) s += a.number + "号";
  s += a.compound;
  if (!a.building.empty()) s += a.building + "栋";
  if (!a.unit.empty()) s += a.unit + "单元";
  if (!a.room.empty()) s += a.room + "室";
  return s;
}

}  // namespace gridmap::data
