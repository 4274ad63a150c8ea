#pragma once
// The dataset-wise selective loss of Pons & Masip (arXiv 1802.06664, Eq. 1).
// For a sample x of dataset d with logits z and targets y:
//
//   L(x) = - sum over outputs c annotated by d (and known) of
//            [ y_c log s(z_c) + (1 - y_c) log(1 - s(z_c)) ],   s = sigmoid
//
// Outputs that d does not annotate add nothing and get zero gradient:
// dL/dz_c = s(z_c) - y_c on selected outputs, 0 elsewhere. By option, an
// exclusive space is trained by softmax cross-entropy instead, and regression
// spaces (landmarks) by L2 or wing loss, selected by the same dataset mask.
//
//   using domains = dataset_union<joint_layout<emotion, aus>, sfew, emotionet>;
//   sjmt::selective_loss<domains> loss;                      // float, mean over samples
//   float l = loss.forward_backward(cpu, logits, targets, domain_of_sample, grad);
//
// Requires: targets of sigmoid and softmax outputs in [0, 1] where selected.

#include <concepts>

#include "../labels/dataset_union.hpp"
#include "union_loss.hpp"
#include "options.hpp"

namespace sjmt {

template <dataset_union_type Union, std::floating_point T = float>
class selective_loss : public union_loss<Union, T> {
 public:
  using union_type = Union;
  using layout = typename Union::layout;

  explicit selective_loss(loss_options<T> options = {})
      : union_loss<Union, T>(detail::make_plan<Union, T>("selective_loss", options), options.reduction) {}
};

}  // namespace sjmt
