#pragma once
// One labelled face, as every source (the synthetic domains and the real loaders)
// produces it, and fit_to_input, which brings one to a size and channel count with
// its landmarks. Labels live in the datasets' own vocabularies; the sampler maps
// them onto a joint layout and builds the known-mask.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "image.hpp"
#include "landmarks.hpp"

namespace sjmt::data {

/// The largest AU number a sample can carry (EmotioNet's automatic files code AU1..AU60).
inline constexpr int max_labelled_au = 60;

/// AU label values: absent, present, or unknown / not annotated (EmotioNet's 999).
enum class au_label : std::int8_t { unknown = -1, absent = 0, present = 1 };

struct labelled_face {
  image picture;                ///< (H, W, C) in [0, 1]
  std::int32_t emotion = -1;    ///< index in spaces::emotion (SFEW order), -1 none
  std::int32_t compound = -1;   ///< index in spaces::compound_emotion, -1 none
  std::int32_t ckplus_emotion = -1;  ///< CK+ code 0..7 (keeps contempt), -1 none
  /// By FACS AU number (index 0 unused).
  std::array<au_label, max_labelled_au + 1> au = [] {
    std::array<au_label, max_labelled_au + 1> a{};
    a.fill(au_label::unknown);
    return a;
  }();
  /// FACS intensity by AU number: 0 not given, 1..5 = A..E.
  std::array<std::uint8_t, max_labelled_au + 1> au_intensity{};
  std::optional<shape68> landmarks;  ///< pixel coordinates of `picture`, x right, y down
  std::string source;                ///< file (and line) or "domain#index"
};

/// `f` with its picture converted to `channels` and resized to width x height; landmarks
/// rescaled to match.
inline void fit_to_input(labelled_face& f, int channels, int height, int width) {
  if (f.picture.channels() != channels) f.picture = channels == 1 ? to_grey(f.picture) : to_rgb(f.picture);
  if (f.picture.width() == width && f.picture.height() == height) return;
  const float sx = static_cast<float>(width) / static_cast<float>(f.picture.width());
  const float sy = static_cast<float>(height) / static_cast<float>(f.picture.height());
  f.picture = resize(f.picture, width, height);
  if (f.landmarks)
    for (point& p : *f.landmarks) p.x *= sx, p.y *= sy;
}

}  // namespace sjmt::data
