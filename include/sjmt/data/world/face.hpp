#pragma once
// The procedural face: identity parameters, the 68 neutral landmarks they give,
// and the landmark motion of every rendered Action Unit.
//
// Face coordinates: x to the image's right, y up (DATA.md 2), the face spans about
// [-0.75, 0.75] x [-1, 1]. Landmarks follow the iBUG 300-W 68-point convention
// (DATA.md 4): the subject's right (indices 0, 17-21, 36-41, 48) is on the image left.

#include <array>
#include <cmath>
#include <cstddef>

#include "../landmarks.hpp"
#include "../random.hpp"
#include "expression.hpp"

namespace sjmt::data {

struct rgb {
  float r = 0, g = 0, b = 0;
};

/// Who the face is: geometry and colours, all drawn by `random_identity`.
struct identity {
  float face_width = 0.72f;   ///< half width of the jaw ellipse
  float jaw_height = 0.95f;   ///< from the cheekbone line down to the chin
  float chin_taper = 0.25f;   ///< 0 round, 0.5 pointed
  float forehead = 0.95f;     ///< height of the skull above the cheekbone line
  float eye_y = 0.28f, eye_dx = 0.28f, eye_w = 0.13f, eye_h = 0.055f;
  float brow_y = 0.45f, brow_arch = 0.04f, brow_thickness = 0.045f;
  float nose_y = -0.12f, nose_w = 0.13f;
  float mouth_y = -0.45f, mouth_w = 0.24f, lip_upper = 0.05f, lip_lower = 0.07f;
  rgb skin{0.85f, 0.68f, 0.55f}, lips{0.7f, 0.35f, 0.35f}, hair{0.25f, 0.17f, 0.1f};
  rgb iris{0.3f, 0.2f, 0.1f}, background{0.4f, 0.5f, 0.6f}, background2{0.6f, 0.6f, 0.5f};
  int hair_style = 1;         ///< 0 short, 1 fringe, 2 long
  float hairline = 0.7f;      ///< y of the hairline
};

/// A random identity: face shape, feature positions and sizes, skin, hair, background.
inline identity random_identity(rng& r) {
  identity id;
  id.face_width = r.uniform(0.62f, 0.8f);
  id.jaw_height = r.uniform(0.85f, 1.05f);
  id.chin_taper = r.uniform(0.05f, 0.45f);
  id.forehead = r.uniform(0.9f, 1.05f);
  id.eye_y = r.uniform(0.22f, 0.32f);
  id.eye_dx = r.uniform(0.25f, 0.31f);
  id.eye_w = r.uniform(0.11f, 0.145f);
  id.eye_h = r.uniform(0.045f, 0.065f);
  id.brow_y = id.eye_y + r.uniform(0.14f, 0.2f);
  id.brow_arch = r.uniform(0.01f, 0.06f);
  id.brow_thickness = r.uniform(0.03f, 0.06f);
  id.nose_y = r.uniform(-0.17f, -0.08f);
  id.nose_w = r.uniform(0.11f, 0.16f);
  id.mouth_y = id.nose_y - r.uniform(0.28f, 0.36f);
  id.mouth_w = r.uniform(0.2f, 0.27f);
  id.lip_upper = r.uniform(0.035f, 0.06f);
  id.lip_lower = r.uniform(0.05f, 0.08f);
  // Skin tones along a light-dark axis with a little hue spread.
  const float t = r.uniform();
  id.skin = {0.95f - 0.55f * t + r.uniform(-0.03f, 0.03f), 0.78f - 0.5f * t + r.uniform(-0.03f, 0.03f),
             0.66f - 0.45f * t + r.uniform(-0.03f, 0.03f)};
  id.lips = {id.skin.r * 0.8f, id.skin.g * 0.5f, id.skin.b * 0.55f};
  const float h = r.uniform();
  id.hair = h < 0.15f ? rgb{0.8f, 0.68f, 0.42f}
                      : (h < 0.3f ? rgb{0.5f, 0.25f, 0.12f} : rgb{0.08f + 0.2f * h, 0.06f + 0.12f * h, 0.05f + 0.06f * h});
  id.iris = rgb{r.uniform(0.1f, 0.45f), r.uniform(0.1f, 0.4f), r.uniform(0.05f, 0.5f)};
  id.background = {r.uniform(), r.uniform(), r.uniform()};
  id.background2 = {r.uniform(), r.uniform(), r.uniform()};
  id.hair_style = static_cast<int>(r.below(3));
  id.hairline = r.uniform(0.62f, 0.8f);
  return id;
}

/// The 68 landmarks of `id`'s neutral face, in face coordinates.
inline shape68 neutral_shape(const identity& id) {
  shape68 s{};
  constexpr float pi = 3.14159265f;
  // Jaw 0..16: the lower half of an ellipse, from the right ear level through the chin.
  for (int k = 0; k <= 16; ++k) {
    const float a = pi + pi * static_cast<float>(k) / 16.0f;
    const float c = std::cos(a), sn = std::sin(a);
    const float taper = 1.0f - id.chin_taper * sn * sn * sn * sn;
    s[static_cast<std::size_t>(k)] = {id.face_width * c * taper, 0.1f + id.jaw_height * sn};
  }
  // Brows 17..21 (right, outer to inner) and 22..26 (left, inner to outer).
  for (int k = 0; k < 5; ++k) {
    const float u = static_cast<float>(k) / 4.0f;  // 0 outer .. 1 inner
    const float x = id.eye_dx + id.eye_w * 1.25f - u * (id.eye_w * 2.3f);
    const float y = id.brow_y + id.brow_arch * std::sin(pi * (0.2f + 0.7f * u)) - 0.02f * (1 - u);
    s[static_cast<std::size_t>(17 + k)] = {-x, y};
    s[static_cast<std::size_t>(26 - k)] = {x, y};
  }
  // Nose bridge 27..30, lower nose 31..35.
  for (int k = 0; k < 4; ++k)
    s[static_cast<std::size_t>(27 + k)] = {0, id.eye_y - (id.eye_y - id.nose_y - 0.04f) * static_cast<float>(k) / 3.0f};
  s[31] = {-id.nose_w, id.nose_y + 0.01f};
  s[32] = {-id.nose_w * 0.5f, id.nose_y - 0.02f};
  s[33] = {0, id.nose_y - 0.03f};
  s[34] = {id.nose_w * 0.5f, id.nose_y - 0.02f};
  s[35] = {id.nose_w, id.nose_y + 0.01f};
  // Eyes: 36 outer .. 39 inner (right eye), 42 inner .. 45 outer (left eye); upper lid
  // points first, then the lower lid back.
  const float w = id.eye_w, h = id.eye_h;
  const float cr = -id.eye_dx, cl = id.eye_dx, y = id.eye_y;
  s[36] = {cr - w, y};
  s[37] = {cr - w / 3, y + h};
  s[38] = {cr + w / 3, y + h};
  s[39] = {cr + w, y};
  s[40] = {cr + w / 3, y - h * 0.8f};
  s[41] = {cr - w / 3, y - h * 0.8f};
  s[42] = {cl - w, y};
  s[43] = {cl - w / 3, y + h};
  s[44] = {cl + w / 3, y + h};
  s[45] = {cl + w, y};
  s[46] = {cl + w / 3, y - h * 0.8f};
  s[47] = {cl - w / 3, y - h * 0.8f};
  // Outer lips 48..59 (from the right corner over the top and back along the bottom) and
  // inner lips 60..67; the neutral mouth is closed, so the inner contours coincide.
  const float mw = id.mouth_w, my = id.mouth_y, up = id.lip_upper, lo = id.lip_lower;
  s[48] = {-mw, my};
  s[49] = {-mw * 0.6f, my + up * 0.8f};
  s[50] = {-mw * 0.25f, my + up * 1.1f};
  s[51] = {0, my + up * 0.9f};
  s[52] = {mw * 0.25f, my + up * 1.1f};
  s[53] = {mw * 0.6f, my + up * 0.8f};
  s[54] = {mw, my};
  s[55] = {mw * 0.6f, my - lo * 0.8f};
  s[56] = {mw * 0.25f, my - lo};
  s[57] = {0, my - lo};
  s[58] = {-mw * 0.25f, my - lo};
  s[59] = {-mw * 0.6f, my - lo * 0.8f};
  s[60] = {-mw * 0.85f, my};
  s[61] = {-mw * 0.4f, my + 0.004f};
  s[62] = {0, my + 0.004f};
  s[63] = {mw * 0.4f, my + 0.004f};
  s[64] = {mw * 0.85f, my};
  s[65] = {mw * 0.4f, my - 0.004f};
  s[66] = {0, my - 0.004f};
  s[67] = {-mw * 0.4f, my - 0.004f};
  return s;
}

/// `neutral` deformed by the AUs of `e` (DATA.md section 2, "landmarks moved"). Displacements
/// are linear in each AU's strength (A = 0.2 .. E = 1); one-sided AUs move mostly their side.
inline shape68 apply_aus(const shape68& neutral, const expression& e) {
  shape68 s = neutral;
  float au = 0;          // strength of the AU being applied
  face_side side = face_side::both;
  auto weight = [&](std::size_t i) {
    if (side == face_side::both) return 1.0f;
    const float x = neutral[i].x;
    const bool on_side = side == face_side::right ? x < -0.01f : x > 0.01f;
    return on_side ? 1.0f : (std::fabs(x) <= 0.01f ? 0.5f : 0.1f);
  };
  // Moves point i by (dx, dy) x strength; `out` > 0 means away from the midline.
  auto move = [&](std::initializer_list<int> idx, float out, float dy) {
    for (int k : idx) {
      const auto i = static_cast<std::size_t>(k);
      const float w = au * weight(i);
      const float sgn = neutral[i].x < 0 ? -1.0f : (neutral[i].x > 0 ? 1.0f : 0.0f);
      s[i].x += sgn * out * w;
      s[i].y += dy * w;
    }
  };
  auto use = [&](int a) {
    au = e.strength(a);
    side = e.side[static_cast<std::size_t>(a)];
    return au > 0;
  };
  if (use(1)) move({20, 21, 22, 23}, 0, 0.1f), move({19, 24}, 0, 0.05f), move({18, 25}, 0, 0.015f);
  if (use(2)) move({17, 18, 25, 26}, 0, 0.09f), move({19, 24}, 0, 0.045f);
  if (use(4)) {
    move({17, 18, 25, 26}, 0, -0.035f), move({19, 20, 23, 24}, -0.01f, -0.055f);
    move({21, 22}, -0.04f, -0.07f), move({37, 38, 43, 44}, 0, -0.02f);
  }
  if (use(5)) move({37, 38, 43, 44}, 0, 0.06f), move({36, 39, 42, 45}, 0, 0.01f);
  if (use(6)) move({40, 41, 46, 47}, 0, 0.025f), move({31, 35}, 0, 0.01f);
  if (use(7)) move({40, 41, 46, 47}, 0, 0.04f), move({37, 38, 43, 44}, 0, -0.022f);
  if (use(9)) {
    move({31, 35}, 0.03f, 0.04f), move({32, 33, 34}, 0, 0.04f);
    move({50, 51, 52, 61, 62, 63}, 0, 0.02f), move({21, 22}, 0, -0.02f);
  }
  if (use(10)) move({50, 51, 52, 61, 62, 63}, 0, 0.05f), move({49, 53}, 0, 0.025f);
  if (use(11)) move({49, 53}, 0.01f, 0.025f), move({48, 54}, 0.01f, 0.01f);
  if (use(12)) move({48, 54}, 0.07f, 0.08f), move({60, 64}, 0.06f, 0.07f), move({49, 53, 59, 55}, 0.02f, 0.03f);
  if (use(14)) move({48, 54, 60, 64}, -0.04f, 0.02f);
  if (use(15)) move({48, 54, 60, 64}, 0, -0.09f), move({49, 53, 55, 59}, 0, -0.035f);
  if (use(16)) move({56, 57, 58}, 0, -0.04f), move({55, 59}, 0, -0.02f), move({65, 66, 67}, 0, -0.05f);
  if (use(17)) {
    move({56, 57, 58}, 0, 0.05f), move({6, 7, 8, 9, 10}, 0, 0.05f), move({65, 66, 67}, 0, 0.025f);
    move({48, 54}, 0, -0.02f);
  }
  if (use(20)) {
    move({48, 54}, 0.1f, -0.01f), move({60, 64}, 0.09f, -0.01f);
    move({49, 50, 51, 52, 53}, 0.03f, -0.012f), move({55, 56, 57, 58, 59}, 0.03f, 0.012f);
  }
  if (use(23)) {
    move({48, 54, 60, 64}, -0.045f, 0), move({49, 50, 51, 52, 53}, -0.01f, -0.03f);
    move({55, 56, 57, 58, 59}, -0.01f, 0.035f);
  }
  if (use(24)) {
    // The inner contours meet at their middle; the lips thin.
    for (int k = 61; k <= 63; ++k) {
      const auto up = static_cast<std::size_t>(k), lo = static_cast<std::size_t>(128 - k);  // 67..65
      const float mid = 0.5f * (s[up].y + s[lo].y);
      s[up].y += (mid - s[up].y) * au, s[lo].y += (mid - s[lo].y) * au;
    }
    move({49, 50, 51, 52, 53}, 0, -0.03f), move({55, 56, 57, 58, 59}, 0, 0.035f);
  }
  if (use(25)) move({61, 62, 63}, 0, 0.03f), move({65, 66, 67}, 0, -0.05f), move({56, 57, 58}, 0, -0.03f);
  for (int a : {26, 27}) {
    if (!use(a)) continue;
    const float k = a == 27 ? 2.0f : 1.0f;
    // The jaw rotates down: the chin moves most, the contour near the ears least.
    for (int j = 3; j <= 13; ++j) {
      const float t = 1.0f - std::fabs(static_cast<float>(j - 8)) / 6.0f;
      move({j}, 0, -0.11f * k * t);
    }
    move({55, 56, 57, 58, 59}, 0, -0.11f * k), move({65, 66, 67}, 0, -0.12f * k);
    move({61, 62, 63}, 0, 0.01f * k);
    if (a == 27) move({48, 54, 60, 64}, -0.04f, -0.03f);
  }
  return s;
}

}  // namespace sjmt::data
