#pragma once
// The selective softmax baseline (Fourure et al. 2017): per sample, a softmax
// over the outputs its dataset annotates (and whose labels are known), with
// cross-entropy against the targets normalised to sum 1. A sample whose
// selected targets are all 0 (an AU image with no active AU) adds nothing.
//
// Requires: a layout of exclusive and multilabel spaces only.

#include <concepts>
#include <vector>

#include "../labels/dataset_union.hpp"
#include "union_loss.hpp"
#include "naive_joint_loss.hpp"
#include "options.hpp"

namespace sjmt {

template <dataset_union_type Union, std::floating_point T = float>
class selective_softmax_loss : public union_loss<Union, T> {
  static_assert(!detail::has_regression_space<typename Union::layout>,
                "sjmt::selective_softmax_loss: the layout has a regression space, which a softmax "
                "cannot train; use selective_loss, or a layout of exclusive and multilabel spaces.");

 public:
  using union_type = Union;
  using layout = typename Union::layout;

  /// Uses options.reduction; pos_weight must be empty.
  explicit selective_softmax_loss(loss_options<T> options = {})
      : union_loss<Union, T>(make(options), options.reduction) {}

 private:
  static loss_plan<T> make(loss_options<T> options) {
    SJMT_CHECK(value_error, options.pos_weight.empty(),
               "selective_softmax_loss: pos_weight applies to sigmoid outputs only; leave it empty");
    loss_plan<T> plan = detail::make_plan<Union, T>("selective_softmax_loss", options);
    std::fill(plan.bce_mask.begin(), plan.bce_mask.end(), T(0));
    plan.segments = {loss_segment{0, plan.width, segment_rule::softmax,
                                          std::vector<unsigned char>(plan.num_domains, 1)}};
    return plan;
  }
};

}  // namespace sjmt
