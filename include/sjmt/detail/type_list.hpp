#pragma once
// Minimal type-list algebra used by the label headers.

#include <cstddef>
#include <type_traits>

namespace sjmt::detail {

template <class... Ts>
struct type_list {
  static constexpr std::size_t size = sizeof...(Ts);
};

template <class T, class... Ts>
inline constexpr bool contains_v = (std::is_same_v<T, Ts> || ...);

/// Index of T in Ts...; Ts... must contain T (callers static_assert first).
template <class T, class... Ts>
consteval std::size_t index_of() {
  std::size_t i = 0;
  bool found = false;
  ((found = found || std::is_same_v<T, Ts>, i += found ? 0 : 1), ...);
  return i;
}

}  // namespace sjmt::detail
