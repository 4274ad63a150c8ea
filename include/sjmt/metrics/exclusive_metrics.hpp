#pragma once
// Metrics of an exclusive label space (one of K classes, e.g. emotions).
//
// A sample's predicted class is the argmax of its K scores (sigmoid and
// softmax are monotonic, so logits and probabilities give the same argmax);
// its true class is the one output whose target is >= 0.5. With n_tc the
// number of samples of true class t predicted as c (the confusion matrix,
// rows = true class):
//
//   accuracy                 = sum_c n_cc / sum_tc n_tc   (over all images)
//   recall_c (per-class acc) = n_cc / sum_p n_cp          (row c)
//   precision_c              = n_cc / sum_t n_tc          (column c)
//   f1_c                     = 2 n_cc / (row_c + column_c)
//   mean_per_class_accuracy  = mean of recall_c over classes with samples
//   macro_f1                 = mean of the defined f1_c
//
// These are the figures the paper reports for emotion as the trainers'
// issue lists them (Pons & Masip, arXiv 1802.06664, Tables 2 and 4: accuracy
// over all images, per-class accuracy, its mean over classes); the standard
// definitions, as the paper's text past its introduction could not be read
// here. Undefined ratios are NaN (see ratio.hpp).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "ratio.hpp"

namespace sjmt::metrics {

/// Everything measured on one exclusive space.
struct exclusive_result {
  std::string space;
  std::vector<std::string> classes;
  std::vector<std::vector<std::uint64_t>> confusion;  ///< [true][predicted] counts
  std::uint64_t count = 0;                            ///< samples evaluated
  std::uint64_t correct = 0;                          ///< samples with argmax == true class
  double accuracy = undefined;
  std::vector<std::uint64_t> support;  ///< samples per true class (row sums)
  std::vector<double> recall;          ///< per-class accuracy
  std::vector<double> precision;
  std::vector<double> f1;
  double mean_per_class_accuracy = undefined;
  double macro_f1 = undefined;
};

/// Counts (true, predicted) pairs of one exclusive space; feed it, then read result().
class exclusive_accumulator {
 public:
  exclusive_accumulator(std::string space, std::vector<std::string> classes)
      : m_space(std::move(space)),
        m_classes(std::move(classes)),
        m_confusion(m_classes.size() * m_classes.size(), 0) {
    SJMT_CHECK(shape_error, !m_classes.empty(), "exclusive_accumulator: space '", m_space,
               "' has no classes");
  }

  std::size_t num_classes() const { return m_classes.size(); }

  /// One sample of true class `truth` predicted as `predicted`. Requires both < K.
  void add(std::size_t truth, std::size_t predicted) {
    const std::size_t k = m_classes.size();
    SJMT_CHECK(value_error, truth < k && predicted < k, "exclusive_accumulator: space '", m_space,
               "': class index (true ", truth, ", predicted ", predicted, ") out of range [0, ", k,
               ")");
    ++m_confusion[truth * k + predicted];
  }

  void reset() { m_confusion.assign(m_confusion.size(), 0); }

  exclusive_result result() const {
    const std::size_t k = m_classes.size();
    exclusive_result r;
    r.space = m_space;
    r.classes = m_classes;
    r.confusion.assign(k, std::vector<std::uint64_t>(k, 0));
    r.support.assign(k, 0);
    std::vector<std::uint64_t> column(k, 0);
    for (std::size_t t = 0; t < k; ++t)
      for (std::size_t p = 0; p < k; ++p) {
        const std::uint64_t n = m_confusion[t * k + p];
        r.confusion[t][p] = n;
        r.support[t] += n;
        column[p] += n;
        r.count += n;
        if (t == p) r.correct += n;
      }
    r.accuracy = detail::ratio(r.correct, r.count);
    for (std::size_t c = 0; c < k; ++c) {
      const std::uint64_t tp = r.confusion[c][c];
      r.recall.push_back(detail::ratio(tp, r.support[c]));
      r.precision.push_back(detail::ratio(tp, column[c]));
      r.f1.push_back(detail::ratio(2 * tp, r.support[c] + column[c]));
    }
    r.mean_per_class_accuracy = detail::mean_of_defined(r.recall);
    r.macro_f1 = detail::mean_of_defined(r.f1);
    return r;
  }

 private:
  std::string m_space;
  std::vector<std::string> m_classes;
  std::vector<std::uint64_t> m_confusion;  // K x K, row-major [true][predicted]
};

}  // namespace sjmt::metrics

namespace sjmt::detail {

/// Index of the largest value (the first one on ties). Requires: v not empty.
template <class T>
std::size_t argmax(std::span<const T> v) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

}  // namespace sjmt::detail
