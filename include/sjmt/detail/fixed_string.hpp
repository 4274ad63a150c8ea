#pragma once
// A string literal usable as a template argument (C++20 class-type NTTP), so a
// label space carries its name and class names in its type.

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace sjmt::detail {

template <std::size_t N>
struct fixed_string {
  char value[N]{};  // includes the terminating '\0'

  constexpr fixed_string(const char (&s)[N]) { std::copy_n(s, N, value); }  // NOLINT: implicit by design
  constexpr std::string_view view() const { return {value, N - 1}; }
  constexpr std::size_t size() const { return N - 1; }
};

template <class T>
inline constexpr bool dependent_false = false;

}  // namespace sjmt::detail
