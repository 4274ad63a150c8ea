#pragma once
// The paper's Figure 2 and Table 3 (Pons & Masip, arXiv 1802.06664, experiments):
// on emotion-only test images (SFEW: no AU labels), the network's AU outputs
// are read anyway, and averaged per *predicted* emotion.
//
//   E = emotion space (exclusive), A = AU space (multilabel), both in the layout.
//   A sample counts when its dataset annotates E and does not annotate A.
//   e_i    = argmax of the E scores of sample i (its predicted emotion)
//   n_e    = number of samples with e_i = e
//   M[e,a] = (1 / n_e) sum over i with e_i = e of sigmoid(z_ia)   (Figure 2)
//   top_k(e) = the k AUs of largest M[e, .], largest first; ties by AU order
//              (Table 3: the AUs the network associates with each emotion)
// Rows of emotions never predicted have n_e = 0 and undefined (NaN) means.
// Only the definition as the issue and the design state it: the paper's own
// text past its introduction could not be retrieved when this was written.
//
//   sjmt::metrics::au_by_emotion<domains, emotion, aus> fig2;
//   fig2.update(logits, domains_of_rows);
//   auto m = fig2.result();  m.top_aus(3)

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "../tensor/compute_type.hpp"
#include "../error.hpp"
#include "../labels/dataset_union.hpp"
#include "exclusive_metrics.hpp"
#include "ratio.hpp"
#include "scores.hpp"

namespace sjmt::metrics {

/// Mean AU score per predicted emotion: the matrix of Figure 2.
struct au_by_emotion_result {
  std::string emotion_space;
  std::string au_space;
  std::vector<std::string> emotions;          ///< rows
  std::vector<std::string> aus;               ///< columns
  std::vector<std::uint64_t> counts;          ///< n_e, images predicted as each emotion
  std::vector<std::vector<double>> mean;      ///< [emotion][au], NaN where n_e = 0

  /// Table 3: for each emotion, the indices of its k highest mean AU scores,
  /// largest first (ties: lower AU index first); empty for emotions never predicted.
  std::vector<std::vector<std::size_t>> top_aus(std::size_t k) const {
    std::vector<std::vector<std::size_t>> top(emotions.size());
    for (std::size_t e = 0; e < emotions.size(); ++e) {
      if (counts[e] == 0) continue;
      std::vector<std::size_t> order(aus.size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return mean[e][a] > mean[e][b]; });
      order.resize(std::min(k, order.size()));
      top[e] = std::move(order);
    }
    return top;
  }
};

template <dataset_union_type Union, label_space_type Emotion, label_space_type AUs,
          std::floating_point T = float>
class au_by_emotion {
  static_assert(::sjmt::detail::supported_compute_type<T>());
  using layout = typename Union::layout;
  static_assert(layout::template contains<Emotion> && layout::template contains<AUs>,
                "sjmt::metrics::au_by_emotion: the emotion and AU spaces must both be spaces of "
                "the union's joint_layout; add them to the layout or name spaces it has.");
  static_assert(Emotion::kind == kind::exclusive,
                "sjmt::metrics::au_by_emotion: the emotion space must be kind::exclusive (the "
                "predicted emotion is its argmax).");
  static_assert(AUs::kind == kind::multilabel,
                "sjmt::metrics::au_by_emotion: the AU space must be kind::multilabel (its "
                "outputs are read as independent sigmoid scores).");

 public:
  static constexpr std::size_t num_emotions = Emotion::size;
  static constexpr std::size_t num_aus = AUs::size;

  explicit au_by_emotion(score_kind scores = score_kind::logits)
      : m_scores(scores), m_sum(num_emotions * num_aus, 0.0), m_count(num_emotions, 0) {}

  /// Scores (N, layout size) and domains (N). Rows of datasets that annotate the
  /// AU space, or do not annotate the emotion space, are skipped.
  template <detail::buffer_of<const T> Scores, detail::buffer_of<const std::int32_t> Domains>
  void update(const Scores& scores, const Domains& domains) {
    constexpr std::size_t W = layout::size;
    const std::span<const T> z = detail::view_of<const T>(scores, W, "au_by_emotion", "scores");
    const std::span<const std::int32_t> d(std::data(domains), std::size(domains));
    detail::check_metric_batch<T>("au_by_emotion", z, z, {}, d, W, Union::num_domains);
    constexpr std::size_t se = layout::template space_index<Emotion>;
    constexpr std::size_t sa = layout::template space_index<AUs>;
    constexpr std::size_t oe = layout::template offset<Emotion>, oa = layout::template offset<AUs>;
    for (std::size_t r = 0; r < d.size(); ++r) {
      const std::size_t dom = static_cast<std::size_t>(d[r]);
      if (!Union::annotates_space(dom, se) || Union::annotates_space(dom, sa)) continue;
      const std::size_t e = detail::argmax(z.subspan(r * W + oe, num_emotions));
      for (std::size_t a = 0; a < num_aus; ++a)
        m_sum[e * num_aus + a] += probability(z[r * W + oa + a], m_scores);
      ++m_count[e];
    }
  }

  void reset() {
    m_sum.assign(m_sum.size(), 0.0);
    m_count.assign(m_count.size(), 0);
  }

  au_by_emotion_result result() const {
    au_by_emotion_result r;
    r.emotion_space = Emotion::name;
    r.au_space = AUs::name;
    for (std::size_t e = 0; e < num_emotions; ++e) r.emotions.emplace_back(Emotion::class_name(e));
    for (std::size_t a = 0; a < num_aus; ++a) r.aus.emplace_back(AUs::class_name(a));
    r.counts = m_count;
    r.mean.assign(num_emotions, std::vector<double>(num_aus, undefined));
    for (std::size_t e = 0; e < num_emotions; ++e)
      if (m_count[e] > 0)
        for (std::size_t a = 0; a < num_aus; ++a)
          r.mean[e][a] = m_sum[e * num_aus + a] / static_cast<double>(m_count[e]);
    return r;
  }

 private:
  score_kind m_scores;
  std::vector<double> m_sum;  // [emotion][au]
  std::vector<std::uint64_t> m_count;
};

}  // namespace sjmt::metrics
