#pragma once
// Facial expressions as FACS Action Units with intensities, and the emotion
// prototypes that the synthetic faces are drawn from.
//
// Sources (shared DATA.md, "Choices for the synthetic FACS faces (decided)"):
//  - basic emotions: the EMFACS prototypes quoted by iMotions (DATA.md 3.1, [S27,S28]):
//    happiness 6+12, sadness 1+4+15, surprise 1+2+5B+26, fear 1+2+4+5+7+20+26,
//    anger 4+5+7+23, disgust 9+15+16, neutral none, contempt R12+R14;
//  - compound emotions: the core AUs of the EmotioNet table (DATA.md 3.2, [S31]), with the
//    bracketed Du, Tao & Martinez (2014) variants as optional extras drawn with low probability.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../../error.hpp"
#include "../random.hpp"

namespace sjmt::data {

/// The Action Units the renderer draws: every AU of DATA.md section 2, and AU11 (the
/// nasolabial deepener, needed by the compound-emotion variants).
inline constexpr std::array<int, 20> rendered_aus{1,  2,  4,  5,  6,  7,  9,  10, 11, 12,
                                                  14, 15, 16, 17, 20, 23, 24, 25, 26, 27};
inline constexpr int max_au = 27;

/// Whether the renderer draws AU `au`.
constexpr bool is_rendered_au(int au) {
  for (int a : rendered_aus)
    if (a == au) return true;
  return false;
}

/// Which side of the face an AU acts on (R/L are the subject's right and left).
enum class face_side : std::int8_t { both = 0, right = -1, left = 1 };

/// A set of active AUs. Intensity 0 is absent, 1..5 are FACS A..E (trace .. maximum).
struct expression {
  std::array<std::uint8_t, max_au + 1> intensity{};
  std::array<face_side, max_au + 1> side{};

  bool has(int au) const { return au >= 0 && au <= max_au && intensity[au] > 0; }
  /// Deformation strength of `au` in [0, 1]: A = 0.2 .. E = 1.
  float strength(int au) const {
    return (au >= 0 && au <= max_au) ? 0.2f * static_cast<float>(intensity[au]) : 0.0f;
  }
  /// Sets `au` to `level` (0..5). Requires: `au` is rendered and level <= 5.
  void set(int au, int level, face_side s = face_side::both) {
    SJMT_CHECK(value_error, is_rendered_au(au), "expression: AU", au, " is not drawn by the renderer");
    SJMT_CHECK(value_error, level >= 0 && level <= 5, "expression: intensity ", level,
               " of AU", au, " is outside 0..5 (FACS A..E are 1..5)");
    intensity[static_cast<std::size_t>(au)] = static_cast<std::uint8_t>(level);
    side[static_cast<std::size_t>(au)] = s;
  }
  friend bool operator==(const expression&, const expression&) = default;
};

/// `e` on the way to its apex: every intensity scaled by t in [0, 1] and rounded up, so
/// t = 0 is neutral, t = 1 is `e`, and an AU present at t > 0 shows at least at A.
inline expression ramp(const expression& e, float t) {
  expression out = e;
  for (auto& level : out.intensity) {
    const float v = static_cast<float>(level) * (t < 0 ? 0 : (t > 1 ? 1 : t));
    auto up = static_cast<std::uint8_t>(v);
    if (static_cast<float>(up) < v) ++up;
    level = up;
  }
  return out;
}

/// An emotion as AUs: `core` always intended, `variants` optional extras. Zero ends a list.
struct prototype {
  std::string_view name;
  std::array<std::int8_t, 8> core{};
  std::array<std::int8_t, 8> variants{};
  std::int8_t weak_au = 0;        ///< an AU whose intensity is at most B (surprise's AU5)
  face_side side = face_side::both;  ///< one-sided expression (contempt: R12+R14)
};

/// EMFACS basic prototypes, indexed in `spaces::emotion` order
/// (angry, disgust, fear, happy, neutral, sad, surprise). Source: DATA.md 3.1 [S27].
inline constexpr std::array<prototype, 7> basic_prototypes{{
    {"angry", {4, 5, 7, 23}, {}, 0, face_side::both},
    {"disgust", {9, 15, 16}, {}, 0, face_side::both},
    {"fear", {1, 2, 4, 5, 7, 20, 26}, {}, 0, face_side::both},
    {"happy", {6, 12}, {}, 0, face_side::both},
    {"neutral", {}, {}, 0, face_side::both},
    {"sad", {1, 4, 15}, {}, 0, face_side::both},
    {"surprise", {1, 2, 5, 26}, {}, 5, face_side::both},
}};

/// CK+'s contempt, R12+R14 (one side only). Source: DATA.md 3.1 [S27].
inline constexpr prototype contempt_prototype{"contempt", {12, 14}, {}, 0, face_side::right};

/// Compound prototypes in `spaces::compound_emotion` order (the paper's Table 4 classes).
/// Core AUs: the EmotioNet table (DATA.md 3.2, [S31]); variants: Du et al. 2014 brackets
/// (recalled, unverified in DATA.md).
inline constexpr std::array<prototype, 8> compound_prototypes{{
    {"happily_surprised", {1, 2, 12, 25}, {5, 26}},
    {"happily_disgusted", {10, 12, 25}, {4, 6, 9}},
    {"sadly_angry", {4, 7, 15}, {6, 11, 17}},
    {"sadly_disgusted", {4, 10}, {1, 6, 9, 11, 15, 17, 25}},
    {"fearfully_angry", {4, 20, 25}, {5, 7, 10, 11}},
    {"fearfully_surprised", {1, 2, 5, 20, 25}, {4, 10, 11, 26}},
    {"angrily_surprised", {4, 25, 26}, {5, 7, 10}},
    {"angrily_disgusted", {4, 10, 17}, {7, 9, 24}},
}};

/// How far samples stray from their prototype (DATA.md: "expressions are not perfect
/// prototypes"), so that emotion is predictable from AUs but not a function of them.
struct expression_variation {
  float drop = 0.12f;        ///< probability that a core AU is left out
  float add = 0.025f;        ///< probability, per other rendered AU, that it is added
  float variant = 0.2f;      ///< probability that each variant AU is added
  int min_level = 2;         ///< core AU intensities are uniform in [min_level, max_level]
  int max_level = 5;
  int max_added_level = 3;   ///< added AUs are weak: uniform in [1, max_added_level]
};

/// An expression drawn around prototype `p`.
inline expression sample_expression(const prototype& p, rng& r, const expression_variation& v = {}) {
  expression e;
  auto level = [&](int lo, int hi) {
    return lo + static_cast<int>(r.below(static_cast<std::uint32_t>(hi - lo + 1)));
  };
  for (int au : rendered_aus) {
    if (r.bernoulli(v.add)) e.set(au, level(1, v.max_added_level));
  }
  for (std::int8_t au : p.variants)
    if (au != 0 && r.bernoulli(v.variant)) e.set(au, level(v.min_level, v.max_level));
  for (std::int8_t au : p.core) {
    if (au == 0) continue;
    if (r.bernoulli(v.drop)) {
      e.set(au, 0);
      continue;
    }
    const int hi = au == p.weak_au ? 2 : v.max_level;
    e.set(au, level(v.min_level < hi ? v.min_level : hi, hi), p.side);
  }
  return e;
}

}  // namespace sjmt::data
