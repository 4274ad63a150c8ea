#pragma once
// A dataset: a name and the label spaces that its samples are annotated with.
//
//   using sfew = dataset<"sfew", emotion>;                 // emotion labels only
//   using ckplus = dataset<"ckplus", emotion, aus, landmarks>;
//
// Requires: a non-empty name, at least one space, no space twice.

#include <array>
#include <cstddef>
#include <string_view>

#include "../detail/fixed_string.hpp"
#include "../detail/type_list.hpp"
#include "label_space.hpp"

namespace sjmt {

template <detail::fixed_string Name, label_space_type... Spaces>
struct dataset {
  static_assert(Name.size() > 0,
                "sjmt::dataset: the dataset has an empty name; give it a name that is unique "
                "within its dataset_union, e.g. dataset<\"sfew\", emotion>.");
  static_assert(sizeof...(Spaces) > 0,
                "sjmt::dataset: the dataset annotates no label space; list the spaces its samples "
                "carry labels for, e.g. dataset<\"sfew\", emotion>.");
  static_assert(detail::unique(std::array<std::string_view, sizeof...(Spaces)>{Spaces::name...}),
                "sjmt::dataset: a label space is listed twice (or two share one name); list each "
                "space the dataset annotates once.");

  static constexpr std::string_view name = Name.view();
  using sjmt_dataset_tag = void;  ///< what dataset_type detects (see is_dataset_v)
  using spaces = detail::type_list<Spaces...>;
  static constexpr std::size_t num_spaces = sizeof...(Spaces);

  /// Whether samples of this dataset carry labels of space S.
  template <class S>
  static constexpr bool annotates = detail::contains_v<S, Spaces...>;
};

/// Detected through a member rather than by matching dataset<N, S...>: nvcc's
/// front end does not deduce a class-type template argument (the fixed_string
/// name) in a partial specialisation, so that form would reject every dataset
/// in a CUDA translation unit.
template <class D>
inline constexpr bool is_dataset_v = requires { typename D::sjmt_dataset_tag; };

template <class D>
concept dataset_type = is_dataset_v<D>;

}  // namespace sjmt
