#pragma once
// From a labelled sample to one row of layout-shaped targets and known-mask.
//
// Contract of label_filler<S> (a customisation point: specialise it for a new space):
//   static void fill(const labelled_face& f, std::span<float> target, std::span<std::uint8_t> known)
//   target.size() == known.size() == S::size; known[j] = 1 where the sample's label of
//   output j is known, target[j] its value; known[j] = 0 leaves target[j] = 0.
// Provided: spaces::emotion and spaces::compound_emotion (one-hot), every au_space (AU by
// FACS number; EmotioNet's 999 is unknown), and 68-point coordinate spaces (landmarks
// divided by the picture's width and height, so in [0, 1] inside the picture).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "../../labels/dataset_union.hpp"
#include "../../labels/spaces.hpp"
#include "../sample.hpp"

namespace sjmt::detail {
template <class>
inline constexpr bool label_filler_undefined = false;
}  // namespace sjmt::detail

namespace sjmt::data {

template <class S>
struct label_filler {
  static_assert(sjmt::detail::label_filler_undefined<S>,
                "sjmt::data::label_filler: the sampler does not know how to read labels of this "
                "label space from a labelled_face; specialise sjmt::data::label_filler<YourSpace> "
                "with a static fill(face, target, known).");
};

inline void fill_one_hot(std::int32_t label, std::span<float> target, std::span<std::uint8_t> known) {
  if (label < 0 || static_cast<std::size_t>(label) >= target.size()) return;  // not labelled
  for (std::size_t j = 0; j < target.size(); ++j) known[j] = 1, target[j] = 0.0f;
  target[static_cast<std::size_t>(label)] = 1.0f;
}

template <>
struct label_filler<spaces::emotion> {
  static void fill(const labelled_face& f, std::span<float> t, std::span<std::uint8_t> k) { fill_one_hot(f.emotion, t, k); }
};

template <>
struct label_filler<spaces::compound_emotion> {
  static void fill(const labelled_face& f, std::span<float> t, std::span<std::uint8_t> k) { fill_one_hot(f.compound, t, k); }
};

template <sjmt::detail::fixed_string Name, int... AUs>
struct label_filler<au_space<Name, AUs...>> {
  static void fill(const labelled_face& f, std::span<float> t, std::span<std::uint8_t> k) {
    std::size_t j = 0;
    for (int au : {AUs...}) {
      const au_label l = au >= 0 && au <= max_labelled_au ? f.au[static_cast<std::size_t>(au)] : au_label::unknown;
      if (l != au_label::unknown) k[j] = 1, t[j] = l == au_label::present ? 1.0f : 0.0f;
      ++j;
    }
  }
};

template <sjmt::detail::fixed_string Name>
struct label_filler<coordinate_space<Name, 68>> {
  static void fill(const labelled_face& f, std::span<float> t, std::span<std::uint8_t> k) {
    if (!f.landmarks) return;
    const float w = static_cast<float>(f.picture.width()), h = static_cast<float>(f.picture.height());
    for (std::size_t i = 0; i < 68; ++i) {
      t[2 * i] = (*f.landmarks)[i].x / w, t[2 * i + 1] = (*f.landmarks)[i].y / h;
      k[2 * i] = k[2 * i + 1] = 1;
    }
  }
};

/// Fills one row: targets (Union::size) and known (Union::size) of sample `f` from domain `d`.
/// Outputs that domain d does not annotate stay unknown (0), whatever the sample carries.
/// Requires: d < Union::num_domains; both spans of Union::size.
template <dataset_union_type Union>
void fill_targets(const labelled_face& f, std::size_t d, std::span<float> target, std::span<std::uint8_t> known) {
  using layout = typename Union::layout;
  std::fill(target.begin(), target.end(), 0.0f);
  std::fill(known.begin(), known.end(), std::uint8_t{0});
  [&]<class... S>(sjmt::detail::type_list<S...>) {
    (([&] {
       constexpr slice s = layout::template slice_of<S>;
       if (!Union::masks[d][s.offset]) return;
       label_filler<S>::fill(f, target.subspan(s.offset, s.size), known.subspan(s.offset, s.size));
     }()),
     ...);
  }(typename layout::spaces{});
}

}  // namespace sjmt::data
