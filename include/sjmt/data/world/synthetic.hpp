#pragma once
// Synthetic domains with the paper's data regime, each generated lazily from a
// seed: sample i is rendered from derive_seed(seed, i) when asked for, so 25,000
// images are never held in memory.
//
//   auto sfew = sjmt::data::sfew_like(sjmt::data::split::train, 1);   // 958 faces
//   sjmt::data::labelled_face f = sfew[17];                           // rendered now
//
// Label counts are exact: the spec lists how many samples each expression
// category has, and the categories are shuffled over the indices.

#include <array>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "../../error.hpp"
#include "../../labels/spaces.hpp"
#include "../random.hpp"
#include "../sample.hpp"
#include "expression.hpp"
#include "render.hpp"

namespace sjmt::data {

/// Expression categories of the synthetic world: the 7 basic emotions in spaces::emotion
/// order, CK+'s contempt, then the 8 compound emotions in spaces::compound_emotion order.
inline constexpr std::size_t num_categories = 16;
inline constexpr std::size_t contempt_category = 7;
inline constexpr std::size_t first_compound_category = 8;

inline const prototype& category_prototype(std::size_t c) {
  SJMT_CHECK(value_error, c < num_categories, "category_prototype: category ", c, " >= ", num_categories);
  if (c < 7) return basic_prototypes[c];
  if (c == contempt_category) return contempt_prototype;
  return compound_prototypes[c - first_compound_category];
}

/// CK+ emotion code (0 neutral, 1 anger, 2 contempt, 3 disgust, 4 fear, 5 happy, 6 sadness,
/// 7 surprise) of a basic category or contempt; -1 for compounds.
constexpr std::int32_t ckplus_code(std::size_t category) {
  constexpr std::array<std::int32_t, 8> code{1, 3, 4, 5, 0, 6, 7, 2};
  return category < 8 ? code[category] : -1;
}

enum class split { train, test, validation };

/// Everything that defines a synthetic domain.
struct domain_spec {
  std::string name{};
  render_options render{};
  nuisance_level nuisance{};
  expression_variation variation{};
  /// Samples per category (num_categories entries); the domain's size is their sum.
  std::array<std::size_t, num_categories> category_counts{};
  bool label_emotion = false;    ///< fills `emotion` (basic categories) and `ckplus_emotion`
  bool label_compound = false;   ///< fills `compound`
  bool label_landmarks = false;
  std::vector<int> labelled_aus{};///< AUs whose presence is labelled (others stay unknown)
  bool au_intensity = false;     ///< also give FACS intensities (CK+'s FACS files)
  float unknown_au_rate = 0;     ///< probability that a labelled AU is written as unknown (999)
  /// Probability that a face shows another category of its family than its label says
  /// (label noise; the label counts stay exact).
  float label_noise = 0;
  std::uint64_t seed = 0;
};

/// Counts that sum to `total` in the proportions of `weights` (largest remainder).
template <std::size_t N>
std::array<std::size_t, N> apportion(std::size_t total, const std::array<double, N>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  SJMT_CHECK(value_error, sum > 0, "apportion: the weights sum to ", sum);
  std::array<std::size_t, N> n{};
  std::array<double, N> rest{};
  std::size_t given = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const double exact = static_cast<double>(total) * weights[i] / sum;
    n[i] = static_cast<std::size_t>(exact);
    rest[i] = exact - static_cast<double>(n[i]);
    given += n[i];
  }
  while (given < total) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < N; ++i)
      if (rest[i] > rest[best]) best = i;
    ++n[best], rest[best] = -1, ++given;
  }
  return n;
}

class synthetic_domain {
 public:
  explicit synthetic_domain(domain_spec spec) : m_spec(std::move(spec)) {
    for (std::size_t c = 0; c < num_categories; ++c)
      m_categories.insert(m_categories.end(), m_spec.category_counts[c], static_cast<std::uint8_t>(c));
    SJMT_CHECK(value_error, !m_categories.empty(), "synthetic_domain '", m_spec.name, "': no samples asked for");
    for (int au : m_spec.labelled_aus)
      SJMT_CHECK(value_error, is_rendered_au(au), "synthetic_domain '", m_spec.name, "': AU", au,
                 " is labelled but not rendered");
    rng r(derive_seed(m_spec.seed, 0xca7e9071ull));
    for (std::size_t i = m_categories.size(); i > 1; --i)
      std::swap(m_categories[i - 1], m_categories[r.below(static_cast<std::uint32_t>(i))]);
  }

  const domain_spec& spec() const { return m_spec; }
  std::size_t size() const { return m_categories.size(); }
  /// Category of sample i (what its labels say), without rendering it.
  std::size_t category(std::size_t i) const { return m_categories.at(i); }

  /// Sample i, rendered now. Requires: i < size(). Ensures: the same (spec, i) gives the
  /// same sample, bit for bit.
  labelled_face operator[](std::size_t i) const { return std::move(sequence(i, 1).back()); }

  /// Sample i as a posed sequence of `frames` pictures (CK+'s onset to peak): the same face,
  /// camera and noise, every AU intensity ramped from 0 (frame 0, neutral) to its value
  /// (the last frame, equal to (*this)[i]). Only the last frame carries the labels; every
  /// frame carries its landmarks when the domain labels landmarks. Requires: frames >= 1.
  std::vector<labelled_face> sequence(std::size_t i, std::size_t frames) const {
    SJMT_CHECK(value_error, i < size(), "synthetic_domain '", m_spec.name, "': sample ", i,
               " of ", size());
    SJMT_CHECK(value_error, frames >= 1, "synthetic_domain::sequence: 0 frames");
    const std::size_t labelled = m_categories[i];
    rng r(derive_seed(m_spec.seed, i));
    std::size_t shown = labelled;
    if (m_spec.label_noise > 0 && r.bernoulli(m_spec.label_noise)) {
      // Another category of the same family (basic or compound).
      const std::size_t lo = labelled < first_compound_category ? 0 : first_compound_category;
      const std::size_t n = labelled < first_compound_category ? 7 : 8;
      shown = lo + (labelled - lo + 1 + r.below(static_cast<std::uint32_t>(n - 1))) % n;
    }
    const identity id = random_identity(r);
    const expression e = sample_expression(category_prototype(shown), r, m_spec.variation);
    const nuisance nu = random_nuisance(r, m_spec.nuisance);
    std::vector<labelled_face> out(frames);
    rng noise = r;
    for (std::size_t k = 0; k < frames; ++k) {
      noise = r;  // every frame has the same pixel noise; the last leaves r where it ends
      const float t = frames == 1 ? 1.0f : static_cast<float>(k) / static_cast<float>(frames - 1);
      rendered_face face = render_face(id, ramp(e, t), nu, m_spec.render, noise);
      out[k].picture = std::move(face.picture);
      // Built by appends: GCC 12 warns (-Wrestrict, a false positive) on "/" + to_string(k).
      std::string& src = out[k].source;
      src.append(m_spec.name).append("#").append(std::to_string(i));
      if (frames > 1) src.append("/").append(std::to_string(k));
      if (m_spec.label_landmarks) out[k].landmarks = face.landmarks;
    }
    r = noise;
    labelled_face& peak = out.back();
    if (m_spec.label_emotion && labelled < first_compound_category) {
      peak.emotion = labelled < 7 ? static_cast<std::int32_t>(labelled) : -1;
      peak.ckplus_emotion = ckplus_code(labelled);
    }
    if (m_spec.label_compound && labelled >= first_compound_category)
      peak.compound = static_cast<std::int32_t>(labelled - first_compound_category);
    for (int au : m_spec.labelled_aus) {
      const auto k = static_cast<std::size_t>(au);
      if (r.bernoulli(m_spec.unknown_au_rate)) continue;  // stays unknown
      peak.au[k] = e.has(au) ? au_label::present : au_label::absent;
      if (m_spec.au_intensity) peak.au_intensity[k] = e.intensity[k];
    }
    return out;
  }

 private:
  domain_spec m_spec;
  std::vector<std::uint8_t> m_categories;
};

}  // namespace sjmt::data

namespace sjmt::detail {

inline std::uint64_t split_seed(std::uint64_t seed, data::split s, std::uint64_t domain) {
  return data::derive_seed(data::derive_seed(seed, domain), static_cast<std::uint64_t>(s) + 1);
}

inline std::vector<int> emotionet_au_numbers() {
  const auto& a = spaces::emotionet_aus::au;
  return {a.begin(), a.end()};
}

/// Basic-category counts in spaces::emotion order, padded to all categories.
inline std::array<std::size_t, data::num_categories> basic_counts(std::array<std::size_t, 7> c) {
  std::array<std::size_t, data::num_categories> out{};
  std::copy(c.begin(), c.end(), out.begin());
  return out;
}

}  // namespace sjmt::detail

namespace sjmt::data {

/// SFEW 2.0-like: 7 emotions, 958 train / 436 test (SFEW's Train and Val), 32x32 RGB, heavy
/// nuisance ("in the wild"), 10 % label noise. Class proportions: FER2013's overall class
/// frequencies (DATA.md 1.1), as SFEW's own per-class counts are not recorded in DATA.md.
inline synthetic_domain sfew_like(split s, std::uint64_t seed, render_options render = {}) {
  domain_spec d;
  d.name = s == split::train ? "sfew-like-train" : "sfew-like-test";
  d.render = render;
  d.nuisance = {.amount = 1.0f, .occlusion_probability = 0.25f};
  d.variation = {.drop = 0.15f, .add = 0.03f};
  const std::size_t n = s == split::train ? 958 : 436;
  d.category_counts = detail::basic_counts(apportion<7>(n, {4953, 547, 5121, 8989, 6198, 6077, 4002}));
  d.label_emotion = true;
  d.label_noise = 0.1f;
  d.seed = detail::split_seed(seed, s, 1);
  return synthetic_domain(std::move(d));
}

/// EmotioNet-like: the 11 challenge AUs labelled (5 % of labels unknown, written 999), 25,000
/// faces of which 1,000 are held out (split::test), moderate nuisance. Expressions: neutral
/// 20 %, the 6 other basic emotions 8 % each, the 8 compound emotions 4 % each.
inline synthetic_domain emotionet_like(split s, std::uint64_t seed, render_options render = {}) {
  domain_spec d;
  d.name = s == split::train ? "emotionet-like-train" : "emotionet-like-test";
  d.render = render;
  d.nuisance = {.amount = 0.7f, .occlusion_probability = 0.15f};
  std::array<double, num_categories> w{8, 8, 8, 8, 20, 8, 8, 0, 4, 4, 4, 4, 4, 4, 4, 4};
  d.category_counts = apportion<num_categories>(s == split::train ? 24000 : 1000, w);
  d.labelled_aus = detail::emotionet_au_numbers();
  d.unknown_au_rate = 0.05f;
  d.seed = detail::split_seed(seed, s, 2);
  return synthetic_domain(std::move(d));
}

/// Per-class counts of the compound-emotion subset, in spaces::compound_emotion order.
/// Default: 250 each (2,000 images, balanced, for looking at the classes).
inline constexpr std::array<std::size_t, 8> default_compound_counts{250, 250, 250, 250, 250, 250, 250, 250};

/// The per-class counts of the paper's Table 4, in spaces::compound_emotion order (happily
/// surprised 36, happily disgusted 486, sadly angry 15, sadly disgusted 105, fearfully angry
/// 19, fearfully surprised 17, angrily surprised 25, angrily disgusted 19: 722 images).
inline constexpr std::array<std::size_t, 8> paper_compound_counts{36, 486, 15, 105, 19, 17, 25, 19};

/// EmotioNet's compound-emotion subset: the 8 compound emotions of the paper's Table 4,
/// with the 11 AUs labelled as in emotionet_like.
inline synthetic_domain emotionet_compound_like(std::uint64_t seed, std::array<std::size_t, 8> counts = default_compound_counts,
                                                render_options render = {}) {
  domain_spec d;
  d.name = "emotionet-compound-like";
  d.render = render;
  d.nuisance = {.amount = 0.7f, .occlusion_probability = 0.15f};
  for (std::size_t c = 0; c < 8; ++c) d.category_counts[first_compound_category + c] = counts[c];
  d.label_compound = true;
  d.labelled_aus = detail::emotionet_au_numbers();
  d.unknown_au_rate = 0.05f;
  d.seed = detail::split_seed(seed, split::test, 3);
  return synthetic_domain(std::move(d));
}

/// CK+-like: posed and controlled (frontal, even light, no occlusion, intense prototypes),
/// grey, labelled with emotions (CK+'s 327 peak frames: anger 45, contempt 18, disgust 59,
/// fear 25, happy 69, sadness 28, surprise 83; DATA.md 1.4), every rendered AU with its
/// intensity, and the 68 landmarks.
inline synthetic_domain ck_like(std::uint64_t seed, render_options render = {.width = 64, .height = 64, .channels = 1}) {
  domain_spec d;
  d.name = "ck-like";
  d.render = render;
  d.nuisance = {.amount = 0.08f, .occlusion_probability = 0.0f};
  d.variation = {.drop = 0.04f, .add = 0.01f, .variant = 0.1f, .min_level = 3};
  d.category_counts = detail::basic_counts({45, 59, 25, 69, 0, 28, 83});
  d.category_counts[contempt_category] = 18;
  d.label_emotion = true;
  d.label_landmarks = true;
  d.labelled_aus.assign(rendered_aus.begin(), rendered_aus.end());
  d.au_intensity = true;
  d.seed = detail::split_seed(seed, split::train, 4);
  return synthetic_domain(std::move(d));
}

/// 300-W-like: faces in the wild labelled with their 68 landmarks only (no emotion, no
/// AU): 3,148 train / 689 test (300-W's training and full test sets), 32x32 RGB, the
/// nuisance of SFEW-like (pose, light, occlusion), every basic expression and the neutral
/// face in EmotioNet-like's proportions (300-W's faces are mostly neutral or smiling).
inline synthetic_domain w300_like(split s, std::uint64_t seed, render_options render = {}) {
  domain_spec d;
  d.name = s == split::train ? "w300-like-train" : "w300-like-test";
  d.render = render;
  d.nuisance = {.amount = 1.0f, .occlusion_probability = 0.25f};
  d.variation = {.drop = 0.15f, .add = 0.03f};
  std::array<double, num_categories> w{8, 8, 8, 16, 40, 8, 8, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  d.category_counts = apportion<num_categories>(s == split::train ? 3148 : 689, w);
  d.label_landmarks = true;
  d.seed = detail::split_seed(seed, s, 6);
  return synthetic_domain(std::move(d));
}

/// FER2013-like: 7 emotions, 48x48 grey, with FER2013's per-split class counts (DATA.md 1.1):
/// train 28,709 (Training), test 3,589 (PublicTest), validation 3,589 (PrivateTest).
inline synthetic_domain fer_like(split s, std::uint64_t seed, render_options render = {.width = 48, .height = 48, .channels = 1}) {
  domain_spec d;
  d.name = s == split::train ? "fer-like-train" : (s == split::test ? "fer-like-public-test" : "fer-like-private-test");
  d.render = render;
  d.nuisance = {.amount = 0.6f, .occlusion_probability = 0.1f};
  // FER2013 order (angry, disgust, fear, happy, sad, surprise, neutral) -> spaces::emotion order.
  d.category_counts = s == split::train ? detail::basic_counts({3995, 436, 4097, 7215, 4965, 4830, 3171})
                      : s == split::test ? detail::basic_counts({467, 56, 496, 895, 607, 653, 415})
                                         : detail::basic_counts({491, 55, 528, 879, 626, 594, 416});
  d.label_emotion = true;
  d.label_noise = 0.05f;
  d.seed = detail::split_seed(seed, s, 5);
  return synthetic_domain(std::move(d));
}

}  // namespace sjmt::data
