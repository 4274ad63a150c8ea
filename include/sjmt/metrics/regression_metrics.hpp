#pragma once
// Metrics of a regression space (K real values, e.g. 68 landmarks as x0, y0,
// x1, y1, ...). Over the values that are annotated and known, with e = pred - y:
//
//   rmse         = sqrt( sum e^2 / n )          (all values of the space)
//   mae          = sum |e| / n
//   rmse_c       = the same per output c
//
// NME (normalised mean error, the landmark metric), where the space holds 2-D
// points (options.points): for sample i, over its points p whose x and y are
// both known,
//
//   nme_i = ( (1/P_i) sum_p || pred_p - y_p ||_2 ) / d_i
//   nme   = mean over samples of nme_i
//
// with d_i = || y_a - y_b ||_2, the distance between two reference points of
// the ground truth (inter-ocular: points 36 and 45 of the 68-point scheme),
// or d_i = 1 when no reference points are set. A sample whose reference points
// are unknown or coincide is left out of the NME (counted in nme_skipped).
// These are the standard definitions; the paper reports no regression space.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "ratio.hpp"

namespace sjmt::metrics {

/// How a regression space is read for NME.
struct regression_options {
  bool points = true;             ///< outputs are (x, y) pairs; NME needs an even size
  std::size_t norm_point_a = 0;   ///< reference points of the normaliser d_i;
  std::size_t norm_point_b = 0;   ///< equal indices: no normalisation (d_i = 1)
};

/// The 68-point (iBUG 300-W) inter-ocular normalisation: outer eye corners 36 and 45.
inline constexpr regression_options inter_ocular_68{true, 36, 45};

/// Everything measured on one regression space.
struct regression_result {
  std::string space;
  std::vector<std::string> labels;
  std::uint64_t count = 0;            ///< values evaluated
  double rmse = undefined;
  double mae = undefined;
  std::vector<double> rmse_per_output;
  std::vector<std::uint64_t> count_per_output;
  bool has_nme = false;               ///< the space was read as points
  double nme = undefined;             ///< normalised as the options say (inter-ocular for 68 points)
  std::uint64_t nme_samples = 0;
  std::uint64_t nme_skipped = 0;
  /// NME normalised by the diagonal of the true points' bounding box (every sample
  /// with two or more known points that span a box), whatever the options say.
  double nme_box = undefined;
  std::uint64_t nme_box_samples = 0;
  /// Per point: its error normalised as nme is, averaged over the samples where it
  /// is known (undefined where never known).
  std::vector<double> point_error{};
  /// Every sample's nme_i (as nme), ascending: the cumulative error distribution.
  std::vector<double> nme_per_sample{};

  /// The fraction of samples whose nme_i is at most `threshold` (0.08, 0.10: the
  /// landmark literature's "failure rate" is 1 minus it); undefined with no sample.
  double fraction_within(double threshold) const {
    if (nme_per_sample.empty()) return undefined;
    const auto end = std::upper_bound(nme_per_sample.begin(), nme_per_sample.end(), threshold);
    return static_cast<double>(end - nme_per_sample.begin()) / static_cast<double>(nme_per_sample.size());
  }
};

class regression_accumulator {
 public:
  regression_accumulator(std::string space, std::vector<std::string> labels,
                         regression_options options = {})
      : m_space(std::move(space)),
        m_labels(std::move(labels)),
        m_options(options),
        m_sq(m_labels.size(), 0.0),
        m_count(m_labels.size(), 0) {
    SJMT_CHECK(shape_error, !m_labels.empty(), "regression_accumulator: space '", m_space,
               "' has no outputs");
    m_points = m_options.points && m_labels.size() % 2 == 0;
    if (m_points) {
      const std::size_t p = m_labels.size() / 2;
      SJMT_CHECK(value_error, m_options.norm_point_a < p && m_options.norm_point_b < p,
                 "regression_accumulator: space '", m_space, "': normalisation points ",
                 m_options.norm_point_a, " and ", m_options.norm_point_b,
                 " must be below the number of points ", p);
    }
  }

  /// One sample: predictions, targets and known flags (uint8, 0 = unknown), K each.
  void add(std::span<const double> pred, std::span<const double> truth,
           std::span<const std::uint8_t> known) {
    const std::size_t k = m_labels.size();
    SJMT_CHECK(shape_error, pred.size() == k && truth.size() == k && known.size() == k,
               "regression_accumulator: space '", m_space, "': a sample needs ", k,
               " predictions, targets and known flags; got ", pred.size(), ", ", truth.size(),
               ", ", known.size());
    for (std::size_t c = 0; c < k; ++c) {
      if (!known[c]) continue;
      const double e = pred[c] - truth[c];
      m_sq[c] += e * e;
      m_abs += std::abs(e);
      ++m_count[c];
    }
    if (m_points) add_nme(pred, truth, known);
  }

  void reset() {
    m_sq.assign(m_sq.size(), 0.0);
    m_count.assign(m_count.size(), 0);
    m_abs = m_nme_sum = m_box_sum = 0;
    m_nme_samples = m_nme_skipped = m_box_samples = 0;
    m_point_sum.assign(m_point_sum.size(), 0.0);
    m_point_count.assign(m_point_count.size(), 0);
    m_per_sample.clear();
  }

  regression_result result() const {
    regression_result r;
    r.space = m_space;
    r.labels = m_labels;
    double sq = 0;
    for (std::size_t c = 0; c < m_labels.size(); ++c) {
      sq += m_sq[c];
      r.count += m_count[c];
      r.count_per_output.push_back(m_count[c]);
      r.rmse_per_output.push_back(
          m_count[c] == 0 ? undefined : std::sqrt(m_sq[c] / static_cast<double>(m_count[c])));
    }
    if (r.count > 0) {
      r.rmse = std::sqrt(sq / static_cast<double>(r.count));
      r.mae = m_abs / static_cast<double>(r.count);
    }
    r.has_nme = m_points;
    r.nme_samples = m_nme_samples;
    r.nme_skipped = m_nme_skipped;
    if (m_nme_samples > 0) r.nme = m_nme_sum / static_cast<double>(m_nme_samples);
    r.nme_box_samples = m_box_samples;
    if (m_box_samples > 0) r.nme_box = m_box_sum / static_cast<double>(m_box_samples);
    for (std::size_t p = 0; p < m_point_sum.size(); ++p)
      r.point_error.push_back(m_point_count[p] ? m_point_sum[p] / static_cast<double>(m_point_count[p]) : undefined);
    r.nme_per_sample = m_per_sample;
    std::sort(r.nme_per_sample.begin(), r.nme_per_sample.end());
    return r;
  }

 private:
  void add_nme(std::span<const double> pred, std::span<const double> truth,
               std::span<const std::uint8_t> known) {
    auto point_known = [&](std::size_t p) { return known[2 * p] && known[2 * p + 1]; };
    auto dist = [](double ax, double ay, double bx, double by) { return std::hypot(ax - bx, ay - by); };
    double norm = 1;
    const std::size_t a = m_options.norm_point_a, b = m_options.norm_point_b;
    if (a != b) {
      norm = point_known(a) && point_known(b)
                 ? dist(truth[2 * a], truth[2 * a + 1], truth[2 * b], truth[2 * b + 1])
                 : 0.0;
    }
    double sum = 0;
    std::size_t n = 0;
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // the true points' bounding box
    for (std::size_t p = 0; p < m_labels.size() / 2; ++p)
      if (point_known(p)) {
        sum += dist(pred[2 * p], pred[2 * p + 1], truth[2 * p], truth[2 * p + 1]);
        const double x = truth[2 * p], y = truth[2 * p + 1];
        if (n == 0) x0 = x1 = x, y0 = y1 = y;
        x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
        ++n;
      }
    if (n == 0) return;  // nothing known: not a sample of this space
    const double diagonal = std::hypot(x1 - x0, y1 - y0);
    if (diagonal > 0) {
      m_box_sum += sum / static_cast<double>(n) / diagonal;
      ++m_box_samples;
    }
    if (!(norm > 0)) {
      ++m_nme_skipped;
      return;
    }
    m_nme_sum += sum / static_cast<double>(n) / norm;
    m_per_sample.push_back(sum / static_cast<double>(n) / norm);
    ++m_nme_samples;
    if (m_point_sum.empty()) m_point_sum.assign(m_labels.size() / 2, 0.0), m_point_count.assign(m_labels.size() / 2, 0);
    for (std::size_t p = 0; p < m_labels.size() / 2; ++p)
      if (point_known(p)) {
        m_point_sum[p] += dist(pred[2 * p], pred[2 * p + 1], truth[2 * p], truth[2 * p + 1]) / norm;
        ++m_point_count[p];
      }
  }

  std::string m_space;
  std::vector<std::string> m_labels;
  regression_options m_options;
  bool m_points = false;
  std::vector<double> m_sq;
  std::vector<std::uint64_t> m_count;
  double m_abs = 0;
  double m_nme_sum = 0, m_box_sum = 0;
  std::uint64_t m_box_samples = 0;
  std::vector<double> m_point_sum{}, m_per_sample{};
  std::vector<std::uint64_t> m_point_count{};
  std::uint64_t m_nme_samples = 0;
  std::uint64_t m_nme_skipped = 0;
};

}  // namespace sjmt::metrics
