#pragma once
// Small text helpers for the loaders of the real datasets' formats.

#include <charconv>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace sjmt::detail {

inline std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// `s` without surrounding spaces and one level of '...' or "..." quotes, also stray
/// leading or trailing quotes (EmotioNet's URL cells).
inline std::string_view unquote(std::string_view s) {
  s = trim(s);
  while (!s.empty() && (s.front() == '\'' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\'' || s.back() == '"')) s.remove_suffix(1);
  return trim(s);
}

inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

/// A whole decimal integer, or nothing.
inline std::optional<long> parse_int(std::string_view s) {
  s = trim(s);
  long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

/// A float in any notation ("3.0000000e+00"), or nothing.
inline std::optional<double> parse_float(std::string_view s) {
  s = trim(s);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

/// `line` without a UTF-8 byte-order mark at its start (spreadsheet exports write one).
inline std::string_view strip_bom(std::string_view line) {
  if (line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  return line;
}

/// A header cell as a column key: unquoted, trimmed, ASCII lower case, so that
/// `Emotion`, ` emotion` and `'emotion'` name one column.
inline std::string column_key(std::string_view cell) {
  std::string k(unquote(cell));
  for (char& c : k)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return k;
}

/// `v` as an integer when it is one exactly (finite, no fraction, in range of long),
/// or nothing: the one rule for a field that holds an integer written as a float
/// (CK+'s MATLAB "3.0000000e+00"). 1.4 is not AU 1, and nan is not a code.
inline std::optional<long> integral_value(double v) {
  if (!std::isfinite(v) || v != std::floor(v) || v < -9.0e15 || v > 9.0e15) return std::nullopt;
  return static_cast<long>(v);
}

/// Whitespace-separated numbers of a line.
inline std::optional<std::vector<double>> parse_floats(std::string_view s) {
  std::vector<double> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    const std::size_t j = s.find_first_of(" \t\r", i);
    const std::string_view tok = s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
    if (tok.empty()) break;
    const auto v = parse_float(tok);
    if (!v) return std::nullopt;
    out.push_back(*v);
    i = j == std::string_view::npos ? s.size() : j;
  }
  return out;
}

}  // namespace sjmt::detail
