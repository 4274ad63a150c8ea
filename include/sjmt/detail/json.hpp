#pragma once
// A minimal JSON reader and string escaper, enough for safetensors headers:
// objects, arrays, strings, numbers (kept as text, so 64-bit integers stay
// exact), true, false, null. Malformed input throws io_error.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../error.hpp"

namespace sjmt::detail {

struct json_value {
  enum class type : unsigned char { null, boolean, number, string, array, object };
  type kind = type::null;
  std::string text;  // string contents, or the number's digits, or "true"/"false"
  std::vector<json_value> items;
  std::vector<std::pair<std::string, json_value>> members;

  /// Member `key` of an object, or nullptr.
  const json_value* find(std::string_view key) const {
    for (const auto& [k, v] : members)
      if (k == key) return &v;
    return nullptr;
  }
};

class json_parser {
 public:
  explicit json_parser(std::string_view text) : m_text(text) {}

  json_value parse_document() {
    json_value v = parse_value(0);
    skip_space();
    SJMT_CHECK(io_error, m_pos == m_text.size(), "json: unexpected text at byte ", m_pos);
    return v;
  }

 private:
  void skip_space() {
    while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\n' || m_text[m_pos] == '\r' ||
                                     m_text[m_pos] == '\t'))
      ++m_pos;
  }
  char peek() {
    skip_space();
    SJMT_CHECK(io_error, m_pos < m_text.size(), "json: unexpected end of header");
    return m_text[m_pos];
  }
  void expect(char c) {
    SJMT_CHECK(io_error, peek() == c, "json: expected '", c, "' at byte ", m_pos);
    ++m_pos;
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    while (true) {
      SJMT_CHECK(io_error, m_pos < m_text.size(), "json: unterminated string");
      const char c = m_text[m_pos++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      SJMT_CHECK(io_error, m_pos < m_text.size(), "json: unterminated escape");
      const char e = m_text[m_pos++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          SJMT_CHECK(io_error, m_pos + 4 <= m_text.size(), "json: short \\u escape");
          const unsigned code = static_cast<unsigned>(std::stoul(std::string(m_text.substr(m_pos, 4)), nullptr, 16));
          m_pos += 4;
          // Header keys and metadata are ASCII in practice; other code points as UTF-8 (no surrogate pairs).
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default: SJMT_CHECK(io_error, false, "json: bad escape \\", e);
      }
    }
  }

  json_value parse_value(int depth) {
    SJMT_CHECK(io_error, depth < 32, "json: nested deeper than 32 levels");
    json_value v;
    const char c = peek();
    if (c == '{') {
      v.kind = json_value::type::object;
      ++m_pos;
      if (peek() == '}') {
        ++m_pos;
        return v;
      }
      while (true) {
        std::string key = parse_string();
        expect(':');
        v.members.emplace_back(std::move(key), parse_value(depth + 1));
        if (peek() == ',') {
          ++m_pos;
          continue;
        }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.kind = json_value::type::array;
      ++m_pos;
      if (peek() == ']') {
        ++m_pos;
        return v;
      }
      while (true) {
        v.items.push_back(parse_value(depth + 1));
        if (peek() == ',') {
          ++m_pos;
          continue;
        }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.kind = json_value::type::string;
      v.text = parse_string();
      return v;
    }
    for (std::string_view word : {std::string_view("true"), std::string_view("false"), std::string_view("null")})
      if (m_text.substr(m_pos, word.size()) == word) {
        m_pos += word.size();
        v.kind = word == "null" ? json_value::type::null : json_value::type::boolean;
        v.text = std::string(word);
        return v;
      }
    const std::size_t start = m_pos;
    while (m_pos < m_text.size() && (std::string_view("+-.eE0123456789").find(m_text[m_pos]) != std::string_view::npos))
      ++m_pos;
    SJMT_CHECK(io_error, m_pos > start, "json: unexpected character at byte ", start);
    v.kind = json_value::type::number;
    v.text = std::string(m_text.substr(start, m_pos - start));
    return v;
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
};

/// A non-negative integer JSON number, exactly; throws io_error otherwise.
inline std::uint64_t json_to_u64(const json_value& v, std::string_view what) {
  SJMT_CHECK(io_error, v.kind == json_value::type::number && !v.text.empty() &&
                           v.text.find_first_not_of("0123456789") == std::string::npos && v.text.size() <= 19,
             what, ": expected a non-negative integer, got '", v.text, "'");
  return std::stoull(v.text);
}

/// `s` as a quoted JSON string.
inline std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[(c >> 4) & 0xF];
      out += hex[c & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace sjmt::detail
