#pragma once
// A dataset union: the datasets trained together on one joint layout. Each
// dataset is a domain with an index (its position in the list) and a mask over
// the layout's outputs: true where the dataset annotates the output.
//
//   using domains = dataset_union<joint_layout<emotion, aus>, sfew, emotionet>;
//   static_assert(domains::mask<emotionet>()[7]);     // AU1 is annotated by emotionet
//   static_assert(domains::domain_index<emotionet> == 1);
//
// Requires: at least one dataset; every space of every dataset is in the layout;
// dataset names unique.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "../error.hpp"
#include "dataset.hpp"
#include "joint_layout.hpp"

namespace sjmt {
namespace detail {

/// Instantiated once per dataset so that a failing check names the dataset.
template <class Layout, class D>
struct dataset_fits_layout;

template <class Layout, fixed_string Name, class... Spaces>
struct dataset_fits_layout<Layout, dataset<Name, Spaces...>> {
  static_assert((Layout::template contains<Spaces> && ...),
                "sjmt::dataset_union: a dataset annotates a label space that the joint_layout "
                "lacks; add that space to the joint_layout, or remove it from the dataset.");
  static constexpr bool value = (Layout::template contains<Spaces> && ...);
};

}  // namespace detail

template <joint_layout_type Layout, dataset_type... Datasets>
struct dataset_union {
  static_assert(sizeof...(Datasets) > 0,
                "sjmt::dataset_union: the union has no dataset; list the datasets trained together, "
                "e.g. dataset_union<layout, sfew, emotionet>.");
  static_assert((detail::dataset_fits_layout<Layout, Datasets>::value && ...));
  static_assert(detail::unique(std::array<std::string_view, sizeof...(Datasets)>{Datasets::name...}),
                "sjmt::dataset_union: two datasets share one name (or one is listed twice); give "
                "each dataset of a union its own name.");

  using layout = Layout;
  using datasets = detail::type_list<Datasets...>;
  static constexpr std::size_t num_domains = sizeof...(Datasets);
  static constexpr std::size_t size = Layout::size;
  static constexpr std::array<std::string_view, num_domains> domain_names{Datasets::name...};

  template <class D>
  static constexpr bool contains = detail::contains_v<D, Datasets...>;

  template <class D>
  static consteval std::size_t domain_index_of() {
    static_assert(contains<D>,
                  "sjmt::dataset_union: the dataset asked for is not in this union; add it to the "
                  "dataset_union's list of datasets.");
    return detail::index_of<D, Datasets...>();
  }
  /// Domain index of dataset D: its position in the union.
  template <class D>
  static constexpr std::size_t domain_index = domain_index_of<D>();

 private:
  template <class D>
  struct mask_of;
  template <detail::fixed_string Name, class... Spaces>
  struct mask_of<dataset<Name, Spaces...>> {
    static constexpr std::array<bool, size> value = [] {
      std::array<bool, size> m{};
      (([&m] {
         constexpr slice s = Layout::template slice_of<Spaces>;
         for (std::size_t i = s.offset; i < s.end(); ++i) m[i] = true;
       }()),
       ...);
      return m;
    }();
  };

 public:
  /// Which outputs dataset D annotates: true on the slices of D's spaces.
  template <class D>
  static constexpr std::array<bool, size> mask() {
    static_assert(contains<D>,
                  "sjmt::dataset_union::mask: the dataset asked for is not in this union; add it to "
                  "the dataset_union's list of datasets.");
    return mask_of<D>::value;
  }

  /// All masks, indexed [domain][output].
  static constexpr std::array<std::array<bool, size>, num_domains> masks{mask_of<Datasets>::value...};

  /// Whether domain d annotates space index s of the layout. Requires: d < num_domains.
  static constexpr bool annotates_space(std::size_t d, std::size_t s) {
    return masks[d][Layout::space_infos[s].outputs.offset];
  }

  /// Domain index of the dataset called `name`; throws value_error if none is.
  static std::size_t domain_index_by_name(std::string_view name) {
    const std::size_t d = detail::find(domain_names, name);
    if (d == num_domains) {
      std::string known;
      for (auto n : domain_names) known += (known.empty() ? "" : ", ") + std::string(n);
      detail::throw_error<value_error>(std::source_location::current(), "dataset_union: no dataset named '",
                                       name, "'; the union has: ", known);
    }
    return d;
  }
};

template <class U>
inline constexpr bool is_dataset_union_v = false;
template <class L, class... D>
inline constexpr bool is_dataset_union_v<dataset_union<L, D...>> = true;

template <class U>
concept dataset_union_type = is_dataset_union_v<U>;

}  // namespace sjmt
