#include "server/http/multipart.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "core/text.hpp"

namespace gridmap::server {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A parameter of a header value (`name="x"` or `name=x`), nullopt when absent.
std::optional<std::string> param(std::string_view value, std::string_view key) {
  constexpr size_t npos = std::string_view::npos;
  size_t i = value.find(';');  // past the value itself
  while (i != npos && i < value.size()) {
    ++i;
    size_t eq = i;
    while (eq < value.size() && value[eq] != '=' && value[eq] != ';') ++eq;
    std::string k = ascii_lower(trim(value.substr(i, eq - i)));
    std::string v;
    size_t j = eq;
    if (eq < value.size() && value[eq] == '=') {
      j = eq + 1;
      while (j < value.size() && (value[j] == ' ' || value[j] == '\t')) ++j;
      if (j < value.size() && value[j] == '"') {
        for (++j; j < value.size() && value[j] != '"'; ++j) {
          if (value[j] == '\\' && j + 1 < value.size()) ++j;
          v += value[j];
        }
        while (j < value.size() && value[j] != ';') ++j;
      } else {
        size_t e = std::min(value.size(), value.find(';', j));
        v = std::string(trim(value.substr(j, e - j)));
        j = e;
      }
    }
    if (k == key) return v;
    i = j < value.size() ? j : npos;  // at the next ';', or done
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  std::string type = ascii_lower(trim(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data") return std::nullopt;
  auto b = param(content_type, "boundary");
  if (!b || b->empty() || b->size() > 70) return std::nullopt;
  return b;
}

std::vector<FormPart> parse_multipart(std::string_view body, std::string_view boundary,
                                      size_t max_parts) {
  std::string delim = "--" + std::string(boundary);
  // The first delimiter may come at the very start or after a preamble's CRLF.
  size_t pos = body.rfind(delim, 0) == 0 ? 0 : body.find("\r\n" + delim);
  if (pos == std::string_view::npos)
    throw_invalid("the form has no part (no boundary '" + std::string(boundary) + "')");
  if (pos != 0) pos += 2;
  std::string next_delim = "\r\n" + delim;
  std::vector<FormPart> parts;
  while (true) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    // Transport padding, then the line break ending the delimiter line.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") throw_invalid("the form is malformed after a boundary");
    pos += 2;
    if (parts.size() == max_parts)
      throw_invalid("the form has more than " + std::to_string(max_parts) + " parts");
    size_t head_end = body.find("\r\n\r\n", pos);
    size_t end = body.find(next_delim, pos);
    if (end == std::string_view::npos) throw_invalid("the form ends before its closing boundary");
    FormPart part;
    bool disposition = false;
    if (head_end != std::string_view::npos && head_end <= end) {
      std::string_view head = body.substr(pos, head_end - pos);
      size_t line_start = 0;
      while (line_start <= head.size()) {
        size_t eol = head.find("\r\n", line_start);
        std::string_view line = head.substr(
            line_start, eol == std::string_view::npos ? std::string_view::npos : eol - line_start);
        size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
          std::string key = ascii_lower(trim(line.substr(0, colon)));
          std::string_view value = trim(line.substr(colon + 1));
          if (key == "content-disposition") {
            if (ascii_lower(trim(value.substr(0, value.find(';')))) != "form-data")
              throw_invalid("a form part is not form-data");
            part.name = param(value, "name").value_or("");
            part.filename = param(value, "filename");
            disposition = true;
          } else if (key == "content-type") {
            part.content_type = ascii_lower(trim(value.substr(0, value.find(';'))));
          }
        } else if (!line.empty()) {
          throw_invalid("a form part has a malformed header line");
        }
        if (eol == std::string_view::npos) break;
        line_start = eol + 2;
      }
      part.body = body.substr(head_end + 4, end - head_end - 4);
    } else {
      throw_invalid("a form part has no header");
    }
    if (!disposition || part.name.empty())
      throw_invalid("a form part has no name (Content-Disposition: form-data; name=...)");
    parts.push_back(std::move(part));
    pos = end + 2;
  }
}

}  // namespace gridmap::server
