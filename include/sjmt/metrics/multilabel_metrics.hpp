#pragma once
// Metrics of a multilabel space (K independent binary labels, e.g. AUs).
//
// Label l of a sample is predicted present when its probability
// p = sigmoid(z) is >= threshold (0.5 by default, i.e. z >= 0), and is truly
// present when its target is >= 0.5. Per label, over the samples where it is
// annotated and known, with TP/FP/TN/FN counted as usual:
//
//   accuracy_l  = (TP + TN) / (TP + TN + FP + FN)
//   precision_l = TP / (TP + FP)
//   recall_l    = TP / (TP + FN)
//   f1_l        = 2 TP / (2 TP + FP + FN)   (= harmonic mean of the two above)
//
//   mean_accuracy = (1/K) sum_l accuracy_l       <- the AU accuracy reported
//   macro precision/recall/f1 = mean of the defined per-label values
//   pooled_accuracy = sum_l (TP + TN) / sum_l (TP + TN + FP + FN)
//
// The paper (Pons & Masip, arXiv 1802.06664) reports an AU accuracy, its
// Eq. 3; its text past the introduction could not be retrieved while writing
// this, so the formula above is the standard definition (the EmotioNet
// challenge's accuracy per AU, averaged over AUs), documented as such in
// docs/metrics.md. F1 is reported beside it because
// accuracy alone flatters rare AUs.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "ratio.hpp"

namespace sjmt::metrics {

/// The four counts of one binary label.
struct binary_counts {
  std::uint64_t tp = 0, fp = 0, tn = 0, fn = 0;
  std::uint64_t total() const { return tp + fp + tn + fn; }
  friend bool operator==(const binary_counts&, const binary_counts&) = default;
};

/// Everything measured on one multilabel space.
struct multilabel_result {
  std::string space;
  std::vector<std::string> labels;
  double threshold = 0.5;
  std::vector<binary_counts> counts;  ///< per label
  std::vector<double> accuracy;       ///< per label, Eq. 3
  std::vector<double> precision;
  std::vector<double> recall;
  std::vector<double> f1;
  double mean_accuracy = undefined;  ///< mean over labels of accuracy_l
  double pooled_accuracy = undefined;
  double macro_precision = undefined;
  double macro_recall = undefined;
  double macro_f1 = undefined;
};

/// Counts TP/FP/TN/FN per label of one multilabel space.
class multilabel_accumulator {
 public:
  multilabel_accumulator(std::string space, std::vector<std::string> labels, double threshold = 0.5)
      : m_space(std::move(space)),
        m_labels(std::move(labels)),
        m_threshold(threshold),
        m_counts(m_labels.size()) {
    SJMT_CHECK(shape_error, !m_labels.empty(), "multilabel_accumulator: space '", m_space,
               "' has no labels");
    SJMT_CHECK(value_error, threshold > 0 && threshold < 1, "multilabel_accumulator: threshold ",
               threshold, " must be in (0, 1)");
  }

  std::size_t num_labels() const { return m_labels.size(); }
  double threshold() const { return m_threshold; }

  /// One known label `l` with probability `p` and target `y` (present when >= 0.5).
  void add(std::size_t l, double p, double y) {
    SJMT_CHECK(value_error, l < m_labels.size(), "multilabel_accumulator: space '", m_space,
               "': label index ", l, " out of range [0, ", m_labels.size(), ")");
    const bool predicted = p >= m_threshold, truth = y >= 0.5;
    binary_counts& c = m_counts[l];
    if (predicted && truth) ++c.tp;
    else if (predicted) ++c.fp;
    else if (truth) ++c.fn;
    else ++c.tn;
  }

  void reset() { m_counts.assign(m_counts.size(), binary_counts{}); }

  multilabel_result result() const {
    multilabel_result r;
    r.space = m_space;
    r.labels = m_labels;
    r.threshold = m_threshold;
    r.counts = m_counts;
    std::uint64_t right = 0, all = 0;
    for (const binary_counts& c : m_counts) {
      r.accuracy.push_back(detail::ratio(c.tp + c.tn, c.total()));
      r.precision.push_back(detail::ratio(c.tp, c.tp + c.fp));
      r.recall.push_back(detail::ratio(c.tp, c.tp + c.fn));
      r.f1.push_back(detail::ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn));
      right += c.tp + c.tn;
      all += c.total();
    }
    r.mean_accuracy = detail::mean_of_defined(r.accuracy);
    r.pooled_accuracy = detail::ratio(right, all);
    r.macro_precision = detail::mean_of_defined(r.precision);
    r.macro_recall = detail::mean_of_defined(r.recall);
    r.macro_f1 = detail::mean_of_defined(r.f1);
    return r;
  }

 private:
  std::string m_space;
  std::vector<std::string> m_labels;
  double m_threshold;
  std::vector<binary_counts> m_counts;
};

}  // namespace sjmt::metrics
