#pragma once
// Compile-time remapping of class indices between two label spaces, for
// datasets whose label order differs from the layout's (FER2013 -> SFEW).
//
//   label_remap<From, To, Map...>   explicit: class i of From is class Map[i] of To
//   remap_by_name<From, To>         derived by matching class names
//   remap_by_name<From, To, partial_remap::allow>   classes of From absent from To map to `unmapped`
//
// Requires: one target per source class; every target < To::size or `unmapped`;
// no two source classes map to one target.

#include <array>
#include <cstddef>
#include <limits>

#include "label_space.hpp"

namespace sjmt {

/// Target of a source class that has no counterpart in the destination space.
inline constexpr std::size_t unmapped = std::numeric_limits<std::size_t>::max();

namespace detail {

template <std::size_t N>
constexpr bool injective(const std::array<std::size_t, N>& map) {
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = i + 1; j < N; ++j)
      if (map[i] != unmapped && map[i] == map[j]) return false;
  return true;
}

template <std::size_t N>
constexpr bool in_range(const std::array<std::size_t, N>& map, std::size_t to_size) {
  for (std::size_t t : map)
    if (t != unmapped && t >= to_size) return false;
  return true;
}

}  // namespace detail

template <label_space_type From, label_space_type To, std::size_t... Map>
struct label_remap {
  static_assert(sizeof...(Map) == From::size,
                "sjmt::label_remap: the remapping has the wrong size; list exactly one target index "
                "per class of the source space, in the source's order.");
  static constexpr std::array<std::size_t, From::size> table = [] {
    std::array<std::size_t, From::size> t{};
    if constexpr (sizeof...(Map) == From::size) t = {Map...};
    return t;
  }();
  static_assert(detail::in_range(table, To::size),
                "sjmt::label_remap: a target index is out of range; every target must be below the "
                "destination space's size, or sjmt::unmapped.");
  static_assert(detail::injective(table),
                "sjmt::label_remap: two source classes map to one target; a remapping of labels "
                "must be one to one.");

  using from = From;
  using to = To;
  /// Destination index of source class i, or `unmapped`. Requires: i < From::size.
  static constexpr std::size_t apply(std::size_t i) { return table[i]; }
};

enum class partial_remap : bool { forbid, allow };

template <label_space_type From, label_space_type To, partial_remap Partial = partial_remap::forbid>
struct remap_by_name {
  static constexpr std::array<std::size_t, From::size> table = [] {
    std::array<std::size_t, From::size> t{};
    for (std::size_t i = 0; i < From::size; ++i) {
      t[i] = unmapped;
      for (std::size_t j = 0; j < To::size; ++j)
        if (From::class_name(i) == To::class_name(j)) t[i] = j;
    }
    return t;
  }();
  static_assert(Partial == partial_remap::allow || [] {
    for (std::size_t t : table)
      if (t == unmapped) return false;
    return true;
  }(), "sjmt::remap_by_name: a class of the source space has no class of the same name in the "
       "destination; rename it, list the mapping with label_remap, or pass partial_remap::allow.");

  using from = From;
  using to = To;
  static constexpr std::size_t apply(std::size_t i) { return table[i]; }
};

}  // namespace sjmt
