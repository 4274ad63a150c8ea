#pragma once
// Compound emotions from a network that never saw one: the 8 compound emotions
// of the paper's Table 4 (spaces::compound_emotion) scored from a Table-2 network's
// basic-emotion probabilities (spaces::emotion) and EmotioNet AU probabilities
// (spaces::emotionet_aus), with the AU evidence of DATA.md's compound prototypes
// (section 3.2, core AUs; data/world/expression.hpp holds them):
//
//   score(c) = log p(e1(c)) + log p(e2(c))                  the two basic components
//            + sum over the 11 AUs a of log( p_a t(c, a) + (1 - p_a) (1 - t(c, a)) )
//
// where t(c, a) is how often compound c shows AU a: 0.85 for a core AU of c,
// 0.35 for one of its variants, 0.05 otherwise (Du et al.'s core AUs are those
// "more than 70 % of subjects used"; the variants are the less common ones; the
// three rates are our choice, fixed before any evaluation and not fitted). It is
// naive Bayes with equal priors and the network's outputs as soft evidence: an AU
// at p_a = 0.5 says nothing (every term is log 0.5), a compound is likely when
// both its basic emotions are and its AUs agree with the AU outputs. Emotion
// probabilities are clamped to [1e-6, 1].
//
//   auto s = sjmt::metrics::compound_scores(emotion_probs, au_probs);   // 8 log-scores
//   std::size_t c = sjmt::metrics::infer_compound(emotion_probs, au_probs);

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <span>

#include "../data/world/expression.hpp"
#include "../error.hpp"
#include "../labels/spaces.hpp"

namespace sjmt::detail {

/// The two basic components of each compound, as indices in spaces::emotion.
inline constexpr std::array<std::array<std::size_t, 2>, 8> compound_components = [] {
  using E = spaces::emotion;
  std::array<std::array<std::size_t, 2>, 8> c{};
  constexpr std::array<std::array<std::string_view, 2>, 8> names{{{"happy", "surprise"},
                                                                  {"happy", "disgust"},
                                                                  {"sad", "angry"},
                                                                  {"sad", "disgust"},
                                                                  {"fear", "angry"},
                                                                  {"fear", "surprise"},
                                                                  {"angry", "surprise"},
                                                                  {"angry", "disgust"}}};
  for (std::size_t i = 0; i < 8; ++i) c[i] = {E::index_of(names[i][0]), E::index_of(names[i][1])};
  return c;
}();
static_assert(spaces::compound_emotion::class_name(0) == "happily_surprised" &&
                  spaces::compound_emotion::class_name(7) == "angrily_disgusted",
              "compound_components follows spaces::compound_emotion's order");
static_assert(data::compound_prototypes[2].name == spaces::compound_emotion::class_name(2),
              "the prototypes follow spaces::compound_emotion's order");

constexpr bool lists(const std::array<std::int8_t, 8>& aus, int a) {
  return std::find(aus.begin(), aus.end(), static_cast<std::int8_t>(a)) != aus.end();
}

/// How often a compound shows an AU: one of its core AUs, one of its variants, any other.
inline constexpr double compound_core_rate = 0.85, compound_variant_rate = 0.35, compound_other_rate = 0.05;

}  // namespace sjmt::detail

namespace sjmt::metrics {

/// Log-scores of the 8 compound emotions (spaces::compound_emotion order).
inline std::array<double, 8> compound_scores(std::span<const double> emotion_probs,
                                             std::span<const double> au_probs) {
  using E = spaces::emotion;
  using A = spaces::emotionet_aus;
  SJMT_CHECK(value_error, emotion_probs.size() == E::size, "compound_scores: ", emotion_probs.size(),
             " emotion probabilities, expected ", E::size, " (spaces::emotion)");
  SJMT_CHECK(value_error, au_probs.size() == A::size, "compound_scores: ", au_probs.size(),
             " AU probabilities, expected ", A::size, " (spaces::emotionet_aus)");
  const auto checked = [](double p) {
    SJMT_CHECK(value_error, p >= 0 && p <= 1, "compound_scores: a probability of ", p, " is outside [0, 1]");
    return p;
  };
  std::array<double, 8> score{};
  for (std::size_t c = 0; c < 8; ++c) {
    const auto [e1, e2] = detail::compound_components[c];
    double s = std::log(std::max(checked(emotion_probs[e1]), 1e-6)) +
               std::log(std::max(checked(emotion_probs[e2]), 1e-6));
    const data::prototype& proto = data::compound_prototypes[c];
    for (std::size_t a = 0; a < A::size; ++a) {
      const double t = detail::lists(proto.core, A::au[a])       ? detail::compound_core_rate
                       : detail::lists(proto.variants, A::au[a]) ? detail::compound_variant_rate
                                                                 : detail::compound_other_rate;
      const double p = checked(au_probs[a]);
      s += std::log(p * t + (1 - p) * (1 - t));
    }
    score[c] = s;
  }
  return score;
}

/// The most likely compound emotion (index in spaces::compound_emotion).
inline std::size_t infer_compound(std::span<const double> emotion_probs, std::span<const double> au_probs) {
  const std::array<double, 8> s = compound_scores(emotion_probs, au_probs);
  return static_cast<std::size_t>(std::max_element(s.begin(), s.end()) - s.begin());
}

}  // namespace sjmt::metrics
