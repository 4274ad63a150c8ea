#pragma once
// Options shared by the losses: reduction, how exclusive and regression spaces
// are trained, per-class positive weights.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sjmt {

/// How per-entry losses are reduced to one number (and the gradient scaled).
enum class reduction : unsigned char {
  /// Sum over selected entries, divided by the number of samples N. The paper's
  /// Eq. 1 averaged over the batch, and the default: every sample weighs the
  /// same whatever its dataset annotates, and the loss of a sample does not
  /// change with the composition of the batch.
  mean_over_samples,
  /// Sum over selected entries, divided by their count (0 selected gives 0).
  mean_over_selected,
  /// Plain sum over selected entries.
  sum,
};

/// How an exclusive space (one of K) is trained.
enum class exclusive_rule : unsigned char {
  sigmoid,  ///< one sigmoid cross-entropy per class: the paper's choice
  softmax,  ///< softmax cross-entropy over the space's (known) classes
};

/// How a regression space is trained.
enum class regression_rule : unsigned char {
  l2,    ///< 0.5 (z - y)^2 per output
  wing,  ///< Feng et al. 2018: w ln(1 + |x|/eps) for |x| < w, else |x| - C
};

/// How one regression space of the layout is trained: overrides loss_options'
/// regression, wing_width and wing_epsilon for the space called `space`, so
/// that landmarks can take the wing loss while head pose keeps L2.
template <class T>
struct regression_space_options {
  std::string space{};                      ///< the name of a regression space of the layout
  regression_rule rule = regression_rule::l2;
  T wing_width = T(10);                     ///< w of the wing loss, in target units
  T wing_epsilon = T(2);                    ///< epsilon of the wing loss, in target units
};

template <class T>
struct loss_options {
  sjmt::reduction reduction = reduction::mean_over_samples;
  exclusive_rule exclusive = exclusive_rule::sigmoid;
  /// Every regression space's rule and wing parameters, unless regression_spaces names it.
  regression_rule regression = regression_rule::l2;
  T wing_width = T(10);   ///< w of the wing loss, in target units
  T wing_epsilon = T(2);  ///< epsilon of the wing loss, in target units
  /// Per regression space, by name: its own rule and parameters (a name that is not a
  /// regression space of the layout, or a space named twice, is a value_error).
  std::vector<regression_space_options<T>> regression_spaces{};
  /// Weight of the positive term of each sigmoid output (layout-sized), as in
  /// PyTorch's pos_weight; empty means 1 everywhere. Ignored on softmax and
  /// regression outputs.
  std::vector<T> pos_weight;
};

constexpr std::string_view to_string(reduction r) {
  switch (r) {
    case reduction::mean_over_samples: return "mean_over_samples";
    case reduction::mean_over_selected: return "mean_over_selected";
    case reduction::sum: return "sum";
  }
  return "?";
}

}  // namespace sjmt
