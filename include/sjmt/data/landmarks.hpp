#pragma once
// The 68 facial landmarks every source gives in its picture's pixels (x right, y down),
// in the iBUG 300-W convention: the subject's right (indices 0, 17-21, 36-41, 48) is on
// the image left. Kept apart from the face renderer so that a labelled sample, a loader
// or the augmentation needs no renderer to carry landmarks.

#include <array>
#include <cstddef>

namespace sjmt::data {

struct point {
  float x = 0;
  float y = 0;
  friend bool operator==(const point&, const point&) = default;
};
using shape68 = std::array<point, 68>;

/// Landmark index of each point's mirror image (a horizontal flip swaps the subject's
/// right and left): jaw k <-> 16-k, brows 17 <-> 26, eyes 36 <-> 45, mouth 48 <-> 54, ...
inline constexpr std::array<int, 68> mirror_index = [] {
  std::array<int, 68> m{};
  for (int i = 0; i < 68; ++i) m[static_cast<std::size_t>(i)] = i;
  auto pair = [&m](int a, int b) {
    m[static_cast<std::size_t>(a)] = b;
    m[static_cast<std::size_t>(b)] = a;
  };
  for (int k = 0; k < 8; ++k) pair(k, 16 - k);
  for (int k = 0; k < 5; ++k) pair(17 + k, 26 - k);
  pair(31, 35), pair(32, 34);
  pair(36, 45), pair(37, 44), pair(38, 43), pair(39, 42), pair(40, 47), pair(41, 46);
  pair(48, 54), pair(49, 53), pair(50, 52), pair(55, 59), pair(56, 58);
  pair(60, 64), pair(61, 63), pair(65, 67);
  return m;
}();

}  // namespace sjmt::data
