#pragma once
// The joint output of a network: label spaces laid side by side.
//
//   using layout = joint_layout<emotion, aus>;   // size 18
//   layout::offset<aus>                          // 7
//   layout::slice_of<aus>                        // {7, 11}
//   layout::output(9)                            // {"aus", "AU4"}
//
// Requires: at least one space; space names unique within the layout.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "../detail/type_list.hpp"
#include "label_space.hpp"

namespace sjmt {

/// A contiguous range of outputs [offset, offset + size).
struct slice {
  std::size_t offset = 0;
  std::size_t size = 0;
  constexpr std::size_t end() const { return offset + size; }
  constexpr bool contains(std::size_t i) const { return i >= offset && i < end(); }
  friend constexpr bool operator==(const slice&, const slice&) = default;
};

/// What a layout knows of one of its spaces, at run time.
struct space_info {
  std::string_view name;
  sjmt::kind kind;
  slice outputs;
};

/// The name of one output of a layout: its space and its class.
struct output_name {
  std::string_view space;
  std::string_view label;
  std::string qualified() const { return std::string(space) + "/" + std::string(label); }
};

template <label_space_type... Spaces>
struct joint_layout {
  static_assert(sizeof...(Spaces) > 0,
                "sjmt::joint_layout: the layout is empty; list the label spaces of the joint "
                "output, e.g. joint_layout<emotion, aus>.");
  static_assert(detail::unique(std::array<std::string_view, sizeof...(Spaces)>{Spaces::name...}),
                "sjmt::joint_layout: two label spaces share one name (or one space is listed "
                "twice); give each space of a layout its own name.");

  using spaces = detail::type_list<Spaces...>;
  static constexpr std::size_t num_spaces = sizeof...(Spaces);
  static constexpr std::size_t size = (Spaces::size + ...);

  /// One entry per space, in layout order.
  static constexpr std::array<space_info, num_spaces> space_infos = [] {
    std::array<space_info, num_spaces> infos{};
    std::size_t i = 0, offset = 0;
    ((infos[i++] = space_info{Spaces::name, Spaces::kind, slice{offset, Spaces::size}},
      offset += Spaces::size),
     ...);
    return infos;
  }();

  template <class S>
  static constexpr bool contains = detail::contains_v<S, Spaces...>;

  template <class S>
  static consteval std::size_t space_index_of() {
    static_assert(contains<S>,
                  "sjmt::joint_layout: the label space asked for is not in this layout; add it to "
                  "the joint_layout's list of spaces, or ask for one of its spaces.");
    return detail::index_of<S, Spaces...>();
  }
  /// Position of space S in the layout's list of spaces.
  template <class S>
  static constexpr std::size_t space_index = space_index_of<S>();
  /// First output of space S.
  template <class S>
  static constexpr std::size_t offset = space_infos[space_index<S>].outputs.offset;
  /// Outputs of space S.
  template <class S>
  static constexpr slice slice_of = space_infos[space_index<S>].outputs;

  /// Index of the space that output i belongs to. Requires: i < size.
  static constexpr std::size_t space_of(std::size_t i) {
    for (std::size_t s = 0; s < num_spaces; ++s)
      if (space_infos[s].outputs.contains(i)) return s;
    return num_spaces;
  }

  /// Space and class name of output i. Requires: i < size.
  static constexpr output_name output(std::size_t i) {
    std::string_view label;
    std::size_t s = 0;
    ((space_infos[s].outputs.contains(i) ? (void)(label = Spaces::class_name(i - space_infos[s].outputs.offset))
                                        : (void)0,
      ++s),
     ...);
    return {space_infos[space_of(i)].name, label};
  }

  /// Output index of "space/class", or `size` where there is none.
  static constexpr std::size_t find(std::string_view space, std::string_view label) {
    for (std::size_t i = 0; i < size; ++i) {
      const output_name o = output(i);
      if (o.space == space && o.label == label) return i;
    }
    return size;
  }
};

template <class L>
inline constexpr bool is_joint_layout_v = false;
template <class... S>
inline constexpr bool is_joint_layout_v<joint_layout<S...>> = true;

template <class L>
concept joint_layout_type = is_joint_layout_v<L>;

}  // namespace sjmt
