#pragma once
// The naive joint baseline of the paper: one sigmoid per output of the layout
// for every sample, whatever its dataset annotates, missing labels taken as 0.
// This is the failure the paper explains: an emotion-only Happy image, whose
// AU targets are missing, pushes AU6 and AU12 down.
//
// Requires: a layout of exclusive and multilabel spaces only.

#include <concepts>

#include "../labels/dataset_union.hpp"
#include "union_loss.hpp"
#include "options.hpp"

namespace sjmt {
namespace detail {

template <class Layout>
inline constexpr bool has_regression_space = [] {
  for (const space_info& s : Layout::space_infos)
    if (s.kind == kind::regression) return true;
  return false;
}();

}  // namespace detail

template <dataset_union_type Union, std::floating_point T = float>
class naive_joint_loss : public union_loss<Union, T> {
  static_assert(!detail::has_regression_space<typename Union::layout>,
                "sjmt::naive_joint_loss: the layout has a regression space, which a sigmoid cannot "
                "train; use selective_loss, or a layout of exclusive and multilabel spaces.");

 public:
  using union_type = Union;
  using layout = typename Union::layout;

  /// Uses options.reduction and options.pos_weight; every output is a sigmoid.
  explicit naive_joint_loss(loss_options<T> options = {})
      : union_loss<Union, T>(make(options), options.reduction) {}

 private:
  static loss_plan<T> make(loss_options<T> options) {
    options.exclusive = exclusive_rule::sigmoid;
    loss_plan<T> plan = detail::make_plan<Union, T>("naive_joint_loss", options);
    plan.missing_as_negative = true;
    return plan;
  }
};

}  // namespace sjmt
