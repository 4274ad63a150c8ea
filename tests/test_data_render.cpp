// Tests of <sjmt/data/world/render.hpp>, <sjmt/data/world/face.hpp>, <sjmt/data/world/expression.hpp>,
// <sjmt/data/landmarks.hpp> and <sjmt/data/random.hpp>: the synthetic FACS face renderer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <tuple>
#include <vector>

#include <sjmt/data/world/render.hpp>

using namespace sjmt::data;

namespace {

/// Mean absolute channel difference of a and b in the (2r+1)^2 window around p.
float window_change(const image& a, const image& b, point p, int r = 3) {
  float sum = 0;
  int n = 0;
  for (int y = static_cast<int>(p.y) - r; y <= static_cast<int>(p.y) + r; ++y)
    for (int x = static_cast<int>(p.x) - r; x <= static_cast<int>(p.x) + r; ++x) {
      if (x < 0 || y < 0 || x >= a.width() || y >= a.height()) continue;
      for (int c = 0; c < a.channels(); ++c) sum += std::fabs(a.at(y, x, c) - b.at(y, x, c));
      n += a.channels();
    }
  return n ? sum / static_cast<float>(n) : 0.0f;
}

struct au_effect {
  int au;
  std::vector<int> moved;  // landmarks DATA.md section 2 says the AU moves
  float dy;                // sign of their vertical motion (face y up), 0: not checked
  std::vector<int> far;    // landmarks it must leave alone
};

const std::vector<int> brows{17, 18, 19, 20, 21, 22, 23, 24, 25, 26};
const std::vector<int> mouth{48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59};

}  // namespace

TEST_CASE("rng: splitmix64 matches the published sequence and streams are reproducible") {
  CHECK(splitmix64(0) == 0xe220a8397b1dcdafull);
  rng a(derive_seed(5, 17)), b(derive_seed(5, 17)), c(derive_seed(5, 18));
  for (int i = 0; i < 100; ++i) {
    const auto va = a.next();
    CHECK(va == b.next());
    CHECK(va != c.next());
  }
  rng r(1);
  double mean = 0, var = 0;
  for (int i = 0; i < 20000; ++i) {
    const double z = r.normal();
    mean += z / 20000, var += z * z / 20000;
  }
  CHECK(std::fabs(mean) < 0.03);
  CHECK(std::fabs(var - 1.0) < 0.05);
  for (int i = 0; i < 1000; ++i) CHECK(r.below(7) < 7u);
}

TEST_CASE("face: neutral landmarks follow the 68-point convention and mirror_index pairs them") {
  rng r(3);
  const shape68 s = neutral_shape(random_identity(r));
  CHECK(s[8].y < s[57].y);    // chin below the mouth
  CHECK(s[57].y < s[33].y);   // mouth below the nose
  CHECK(s[33].y < s[39].y);   // nose below the eyes
  CHECK(s[39].y < s[21].y);   // eyes below the brows
  CHECK(s[36].x < s[39].x);   // right eye: outer corner on the image left
  CHECK(s[0].x < 0);          // subject's right on the image left
  CHECK(s[48].x < s[54].x);
  for (int i = 0; i < 68; ++i) {
    const auto m = static_cast<std::size_t>(mirror_index[static_cast<std::size_t>(i)]);
    CHECK(mirror_index[m] == i);
    CHECK(s[m].x == doctest::Approx(-s[static_cast<std::size_t>(i)].x).epsilon(1e-4));
    CHECK(s[m].y == doctest::Approx(s[static_cast<std::size_t>(i)].y).epsilon(1e-4));
  }
}

TEST_CASE("render: every AU moves its landmarks and changes the pixels around them, not far away") {
  const std::vector<au_effect> effects{
      {1, {20, 21, 22, 23}, +1, mouth},      {2, {17, 18, 25, 26}, +1, mouth},
      {4, {19, 20, 21, 22, 23, 24}, -1, mouth}, {5, {37, 38, 43, 44}, +1, mouth},
      {6, {40, 41, 46, 47}, +1, brows},      {7, {40, 41, 46, 47}, +1, mouth},
      {9, {31, 32, 33, 34, 35}, +1, {4, 5, 6, 10, 11, 12}}, {10, {50, 51, 52}, +1, brows},
      {11, {48, 49, 53, 54}, +1, brows},             {12, {48, 54}, +1, brows},
      {14, {48, 54}, +1, brows},             {15, {48, 54}, -1, brows},
      {16, {56, 57, 58}, -1, brows},         {17, {56, 57, 58, 8}, +1, brows},
      {20, {48, 54}, 0, brows},              {23, {48, 54}, 0, brows},
      {24, {51, 57}, 0, brows},              {25, {57, 66}, -1, brows},
      {26, {8, 57, 66}, -1, brows},          {27, {8, 57, 66}, -1, brows},
  };
  CHECK(effects.size() == rendered_aus.size());
  const identity id{};  // the default identity: a frontal, average face
  const render_options o{.width = 64, .height = 64, .channels = 3};
  rng unused(0);
  const shape68 neutral = neutral_shape(id);
  const rendered_face base = render_face(id, expression{}, nuisance{}, o, unused);
  for (const au_effect& fx : effects) {
    CAPTURE(fx.au);
    expression e;
    e.set(fx.au, 5);
    const shape68 moved = apply_aus(neutral, e);
    const rendered_face face = render_face(id, e, nuisance{}, o, unused);
    float near_change = 0;
    for (int i : fx.moved) {
      const auto k = static_cast<std::size_t>(i);
      const float dy = moved[k].y - neutral[k].y, dx = moved[k].x - neutral[k].x;
      CHECK(std::hypot(dx, dy) > 0.005f);
      if (fx.dy != 0) CHECK(dy * fx.dy > 0);
      near_change = std::max(near_change, window_change(base.picture, face.picture, base.landmarks[k]));
    }
    CHECK(near_change > 0.02f);
    for (int i : fx.far) {
      const auto k = static_cast<std::size_t>(i);
      CHECK(moved[k] == neutral[k]);
      CHECK(window_change(base.picture, face.picture, base.landmarks[k], 1) < 0.25f * near_change);
    }
  }
}

TEST_CASE("render: AU direction details of DATA.md (outward, toward the midline, one side)") {
  const identity id{};
  const shape68 n = neutral_shape(id);
  auto with = [&](int au, face_side side = face_side::both) {
    expression e;
    e.set(au, 5, side);
    return apply_aus(n, e);
  };
  CHECK(with(12)[48].x < n[48].x);   // corners up and out
  CHECK(with(12)[54].x > n[54].x);
  CHECK(with(20)[48].x < n[48].x);   // sideways
  CHECK(with(4)[21].x > n[21].x);    // inner brows toward the midline
  CHECK(with(4)[22].x < n[22].x);
  CHECK(with(9)[31].x < n[31].x);    // nostril wings outward
  const shape68 c = with(12, face_side::right);  // contempt's R12: the subject's right only
  CHECK(c[48].y - n[48].y > 5 * (c[54].y - n[54].y));
  CHECK(std::fabs(with(24)[62].y - with(24)[66].y) < 1e-3f);  // inner contours meet
  // Intensity scales the motion: E moves more than B.
  expression b, e;
  b.set(26, 2), e.set(26, 5);
  CHECK(n[8].y - apply_aus(n, e)[8].y > 2 * (n[8].y - apply_aus(n, b)[8].y));
}

TEST_CASE("render: deterministic from a seed, any size, RGB or grey, landmarks in pixels") {
  for (auto [w, h, ch] : {std::tuple{32, 32, 3}, std::tuple{48, 48, 1}, std::tuple{100, 80, 3}}) {
    auto draw = [&](std::uint64_t seed) {
      rng r(seed);
      const identity id = random_identity(r);
      const expression e = sample_expression(basic_prototypes[3], r);
      const nuisance nu = random_nuisance(r, {.amount = 1.0f, .occlusion_probability = 0.5f});
      return render_face(id, e, nu, {.width = w, .height = h, .channels = ch}, r);
    };
    const rendered_face a = draw(11), b = draw(11), c = draw(12);
    CHECK(a.picture == b.picture);
    CHECK(a.landmarks == b.landmarks);
    CHECK(a.picture != c.picture);
    CHECK(a.picture.width() == w);
    CHECK(a.picture.height() == h);
    CHECK(a.picture.channels() == ch);
    for (float v : a.picture.pixels()) CHECK((v >= 0.0f && v <= 1.0f));
  }
  // Without nuisance the face is centred and inside the picture.
  rng r(0);
  const rendered_face f = render_face(identity{}, expression{}, nuisance{}, {.width = 40, .height = 40}, r);
  for (const point& p : f.landmarks) CHECK((p.x > 0 && p.x < 40 && p.y > 0 && p.y < 40));
  CHECK(f.landmarks[30].x == doctest::Approx(20).epsilon(0.05));
  CHECK(f.landmarks[36].x < f.landmarks[45].x);
  CHECK(f.landmarks[19].y < f.landmarks[57].y);  // brows above the mouth: y grows downwards
  // A rotation moves landmarks by that rotation about the image centre.
  nuisance turned;
  turned.rotation = 0.3f;
  const rendered_face t = render_face(identity{}, expression{}, turned, {.width = 40, .height = 40}, r);
  const float a0 = std::atan2(f.landmarks[45].y - f.landmarks[36].y, f.landmarks[45].x - f.landmarks[36].x);
  const float a1 = std::atan2(t.landmarks[45].y - t.landmarks[36].y, t.landmarks[45].x - t.landmarks[36].x);
  CHECK(std::fabs(std::fabs(a1 - a0) - 0.3f) < 0.01f);
  CHECK_THROWS_AS(render_face(identity{}, expression{}, nuisance{}, {.width = 4, .height = 4}, r), sjmt::value_error);
}

TEST_CASE("expression: prototypes are recorded as DATA.md decided, and samples vary around them") {
  auto core = [](const prototype& p) {
    std::vector<int> v;
    for (auto a : p.core)
      if (a) v.push_back(a);
    return v;
  };
  CHECK(core(basic_prototypes[3]) == std::vector<int>{6, 12});          // happy
  CHECK(core(basic_prototypes[5]) == std::vector<int>{1, 4, 15});       // sad
  CHECK(core(basic_prototypes[6]) == std::vector<int>{1, 2, 5, 26});    // surprise
  CHECK(core(basic_prototypes[2]) == std::vector<int>{1, 2, 4, 5, 7, 20, 26});
  CHECK(core(basic_prototypes[0]) == std::vector<int>{4, 5, 7, 23});
  CHECK(core(basic_prototypes[1]) == std::vector<int>{9, 15, 16});
  CHECK(core(basic_prototypes[4]).empty());
  CHECK(core(compound_prototypes[0]) == std::vector<int>{1, 2, 12, 25});  // happily surprised
  rng r(9);
  const int n = 4000;
  int has12 = 0, has6 = 0, extra = 0, surprise5_strong = 0;
  for (int i = 0; i < n; ++i) {
    const expression h = sample_expression(basic_prototypes[3], r);
    has12 += h.has(12), has6 += h.has(6);
    for (int au : rendered_aus) extra += (au != 6 && au != 12 && h.has(au));
    const expression s = sample_expression(basic_prototypes[6], r);
    surprise5_strong += s.intensity[5] > 2;
    const expression c = sample_expression(contempt_prototype, r);
    if (c.has(14)) CHECK(c.side[14] == face_side::right);
  }
  CHECK(std::fabs(has12 / double(n) - 0.88) < 0.025);  // drop = 0.12
  CHECK(std::fabs(has6 / double(n) - 0.88) < 0.025);
  CHECK(std::fabs(extra / double(n) - 18 * 0.025) < 0.05);  // add = 0.025 per other AU
  CHECK(surprise5_strong == 0);                              // surprise's AU5 is at most B
  expression e;
  CHECK_THROWS_AS(e.set(3, 2), sjmt::value_error);
  CHECK_THROWS_AS(e.set(12, 6), sjmt::value_error);
}
