// Tests of <sjmt/data/pipeline/sampler.hpp>, <sjmt/data/pipeline/targets.hpp>,
// <sjmt/data/pipeline/augment.hpp>, <sjmt/data/pipeline/prefetch.hpp> and fit_to_input
// (<sjmt/data/sample.hpp>): batches over a dataset union.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <span>
#include <stdexcept>
#include <vector>

#include <sjmt/data/pipeline/prefetch.hpp>
#include <sjmt/data/pipeline/sampler.hpp>
#include <sjmt/labels.hpp>

using namespace sjmt::data;
namespace sp = sjmt::spaces;

namespace {

using layout = sjmt::joint_layout<sp::emotion, sp::emotionet_aus, sp::landmarks68>;
using ck = sjmt::dataset<"ck", sp::emotion, sp::emotionet_aus, sp::landmarks68>;
using domains = sjmt::dataset_union<layout, sjmt::datasets::sfew, sjmt::datasets::emotionet, ck>;

/// Small cheap faces: a 16x16 picture whose first pixel encodes (domain, index).
std::vector<labelled_face> toy(int domain, std::size_t n) {
  std::vector<labelled_face> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    labelled_face& f = v[i];
    f.picture = image(16, 16, 3);
    f.picture.at(0, 0, 0) = static_cast<float>(domain) / 4.0f + static_cast<float>(i) / 4096.0f;
    f.emotion = static_cast<std::int32_t>(i % 7);
    f.au[12] = i % 2 ? au_label::present : au_label::absent;
    f.au[4] = i % 3 == 0 ? au_label::unknown : au_label::absent;
  }
  return v;
}

std::array<sample_source, 3> toy_sources(std::size_t a = 50, std::size_t b = 80, std::size_t c = 30) {
  return {source(toy(0, a)), source(toy(1, b)), source(toy(2, c))};
}

}  // namespace

TEST_CASE("targets: masks follow the union's datasets and unknown labels") {
  labelled_face f = toy(0, 2)[1];  // emotion 1, AU12 present, AU4 absent
  f.landmarks = shape68{};
  std::array<float, layout::size> t{};
  std::array<std::uint8_t, layout::size> k{};
  fill_targets<domains>(f, 0, t, k);  // sfew: emotion only
  for (std::size_t j = 0; j < layout::size; ++j) CHECK(k[j] == (j < 7 ? 1 : 0));
  CHECK(t[1] == 1.0f);
  CHECK(t[0] == 0.0f);
  fill_targets<domains>(f, 1, t, k);  // emotionet: AUs only, unknown ones masked
  constexpr std::size_t au0 = layout::offset<sp::emotionet_aus>;
  CHECK(k[0] == 0);
  CHECK(k[au0 + sp::emotionet_aus::index_of_au(12)] == 1);
  CHECK(t[au0 + sp::emotionet_aus::index_of_au(12)] == 1.0f);
  CHECK(k[au0 + sp::emotionet_aus::index_of_au(4)] == 1);
  CHECK(k[au0 + sp::emotionet_aus::index_of_au(1)] == 0);  // never labelled: unknown
  f.au[4] = au_label::unknown;
  fill_targets<domains>(f, 1, t, k);
  CHECK(k[au0 + sp::emotionet_aus::index_of_au(4)] == 0);
  CHECK(k[layout::offset<sp::landmarks68>] == 0);
  fill_targets<domains>(f, 2, t, k);  // ck: landmarks too
  CHECK(k[layout::offset<sp::landmarks68>] == 1);
}

TEST_CASE("sampler: mixed batches have the set domain proportions and consistent rows") {
  union_sampler<domains> s(toy_sources(), {.batch_size = 40, .channels = 3, .height = 16, .width = 16,
                                           .mode = batch_mode::mixed, .proportions = {0.5, 0.3, 0.2},
                                           .augment = false, .seed = 3});
  std::array<double, 3> count{};
  const int batches = 200;
  for (int b = 0; b < batches; ++b) {
    const batch x = s.next();
    REQUIRE(x.images.size() == 40u * 3 * 16 * 16);
    REQUIRE(x.targets.size() == 40u * layout::size);
    for (std::size_t r = 0; r < x.size; ++r) {
      const auto d = static_cast<std::size_t>(x.domain[r]);
      ++count[d];
      // The picture is the one of (domain, index).
      CHECK(x.images[r * 3 * 16 * 16] == doctest::Approx(static_cast<float>(d) / 4.0f + static_cast<float>(x.index[r]) / 4096.0f));
      for (std::size_t j = 0; j < layout::size; ++j)
        if (!domains::masks[d][j]) CHECK(x.known[r * layout::size + j] == 0);
    }
  }
  CHECK(count[0] / (40.0 * batches) == doctest::Approx(0.5).epsilon(0.02));
  CHECK(count[1] / (40.0 * batches) == doctest::Approx(0.3).epsilon(0.02));
  CHECK(count[2] / (40.0 * batches) == doctest::Approx(0.2).epsilon(0.03));
}

TEST_CASE("sampler: alternating and single-domain modes, epochs without repeats, determinism") {
  union_sampler<domains> alt(toy_sources(), {.batch_size = 8, .height = 16, .width = 16, .mode = batch_mode::alternating, .augment = false});
  for (int b = 0; b < 9; ++b) {
    const batch x = alt.next();
    for (std::int32_t d : x.domain) CHECK(d == b % 3);
  }
  union_sampler<domains> one(toy_sources(), {.batch_size = 10, .height = 16, .width = 16, .mode = batch_mode::single,
                                             .single_domain = 1, .augment = false, .seed = 9});
  CHECK(one.epoch_size() == 80);
  CHECK(one.batches_per_epoch() == 8);
  std::set<std::uint64_t> seen;
  for (std::size_t b = 0; b < one.batches_per_epoch(); ++b)
    for (std::uint64_t i : one.next().index) CHECK(seen.insert(i).second);  // each sample once per epoch
  CHECK(seen.size() == 80);
  CHECK(one.epoch() == 1);
  CHECK(one.passes(1) == 0);
  one.next();
  CHECK(one.passes(1) == 1);

  auto run = [](std::uint64_t seed) {
    union_sampler<domains> s(toy_sources(), {.batch_size = 16, .height = 16, .width = 16, .seed = seed});
    s.next();
    return s.next();
  };
  const batch a = run(5), b = run(5), c = run(6);
  CHECK(a.images == b.images);
  CHECK(a.domain == b.domain);
  CHECK(a.targets == b.targets);
  CHECK(a.index != c.index);
  CHECK_THROWS_AS(union_sampler<domains>(toy_sources(), {.proportions = {1, 2}}), sjmt::value_error);
  CHECK_THROWS_AS(union_sampler<domains>(toy_sources(0), {}), sjmt::value_error);
}

TEST_CASE("augment: crop and flip move the pixels and the landmarks together, swapping sides") {
  rng r(4);
  int flips = 0;
  for (int trial = 0; trial < 40; ++trial) {
    labelled_face f;
    f.picture = image(32, 32, 1);
    shape68 lm{};
    for (std::size_t i = 0; i < 68; ++i) lm[i] = {8.5f + static_cast<float>(i % 16), 6.5f + static_cast<float>(i / 16) * 4};
    lm[36] = {10.5f, 12.5f};  // subject's right outer eye corner, on the image left
    lm[45] = {21.5f, 12.5f};
    f.landmarks = lm;
    f.picture.at(12, 10, 0) = 1.0f;  // a dot on point 36
    augment(f, {}, r);
    const point p36 = (*f.landmarks)[36], p45 = (*f.landmarks)[45];
    CHECK(p36.x < p45.x);  // the subject's right stays on the image left
    // The dot is under point 36 (no flip) or under point 45 (the flip made it the left corner).
    const bool flipped = std::fabs((p45.x - p36.x) - 11.0f) < 1e-4f && f.picture.at(static_cast<int>(p45.y), static_cast<int>(p45.x), 0) == 1.0f;
    const bool kept = f.picture.at(static_cast<int>(p36.y), static_cast<int>(p36.x), 0) == 1.0f;
    const bool cropped_away = p36.x < 0 || p45.x >= 32;
    CHECK((flipped || kept || cropped_away));
    flips += flipped && !kept;
  }
  CHECK(flips > 8);
  CHECK(flips < 32);
}

TEST_CASE("sampler: synthetic domains fitted to the input, landmarks in [0, 1]") {
  using lay = sjmt::joint_layout<sp::emotion, sp::emotionet_aus, sp::landmarks68>;
  using u = sjmt::dataset_union<lay, sjmt::datasets::sfew, ck>;
  union_sampler<u> s({source(sfew_like(split::train, 1)), source(ck_like(1))},
                     {.batch_size = 12, .channels = 3, .height = 32, .width = 32, .seed = 1});
  const batch b = s.next();
  CHECK(b.images.size() == 12u * 3 * 32 * 32);
  for (std::size_t r = 0; r < b.size; ++r)
    if (b.domain[r] == 1) {
      const std::size_t o = r * lay::size + lay::offset<sp::landmarks68>;
      CHECK(b.known[o] == 1);
      CHECK((b.targets[o] > -0.2f && b.targets[o] < 1.2f));
    }
}

TEST_CASE("sampler: rendering on several threads gives the same batches as on one") {
  using u = sjmt::dataset_union<layout, sjmt::datasets::sfew, ck>;
  auto run = [](int threads) {
    union_sampler<u> s({source(sfew_like(split::train, 2)), source(ck_like(2))},
                       {.batch_size = 16, .seed = 4, .threads = threads});
    s.next();
    return s.next();
  };
  const batch one = run(1), four = run(4);
  CHECK(one.images == four.images);
  CHECK(one.targets == four.targets);
  CHECK(one.known == four.known);
  CHECK(one.index == four.index);
}

TEST_CASE("sampler: skip(k) then next() gives the batch that k next() calls lead to (resuming)") {
  for (batch_mode mode : {batch_mode::mixed, batch_mode::alternating, batch_mode::single}) {
    CAPTURE(static_cast<int>(mode));
    const sampler_options o{.batch_size = 24, .mode = mode, .proportions = {0.5, 0.3, 0.2}, .single_domain = 1, .seed = 9};
    union_sampler<domains> walked(toy_sources(), o), skipped(toy_sources(), o);
    for (int i = 0; i < 7; ++i) walked.next();  // 7 x 24 rows: every domain reshuffled at least once
    skipped.skip(7);
    CHECK(skipped.batches_drawn() == 7);
    CHECK(skipped.epoch() == walked.epoch());
    for (int i = 0; i < 3; ++i) {
      const batch a = walked.next(), b = skipped.next();
      CHECK(a.index == b.index);
      CHECK(a.domain == b.domain);
      CHECK(a.images == b.images);  // the same crops and flips
      CHECK(a.targets == b.targets);
    }
  }
}

TEST_CASE("prefetch: the same sequence as calling the producer, errors rethrown") {
  int n = 0;
  prefetcher<int> p([&n] { return n++; }, 3);
  for (int i = 0; i < 100; ++i) CHECK(p.next() == i);
  int m = 0;
  prefetcher<int> bad([&m] {
    if (m == 2) throw std::runtime_error("broken source");
    return m++;
  });
  CHECK(bad.next() == 0);
  CHECK(bad.next() == 1);
  CHECK_THROWS_AS(bad.next(), std::runtime_error);
}

TEST_CASE("sampler: a batch row is its (augmented) picture's (H, W, C) pixels, copied as is") {
  using u = sjmt::dataset_union<layout, sjmt::datasets::sfew, ck>;
  const std::array<synthetic_domain, 2> faces{sfew_like(split::train, 3), ck_like(3)};
  const std::size_t pixels = 16 * 16 * 3;
  // Row r's face after fit_to_input, as the sampler brings it to the input.
  auto fitted = [&faces](const batch& b, std::size_t r) {
    labelled_face f = faces[static_cast<std::size_t>(b.domain[r])][b.index[r]];
    fit_to_input(f, 3, 16, 16);
    return f;
  };
  auto row = [pixels](const batch& b, std::size_t r) {
    return std::vector<float>(b.images.begin() + static_cast<std::ptrdiff_t>(r * pixels),
                              b.images.begin() + static_cast<std::ptrdiff_t>((r + 1) * pixels));
  };
  SUBCASE("without augmentation: the fitted picture, value for value") {
    union_sampler<u> s({source(faces[0]), source(faces[1])},
                       {.batch_size = 6, .channels = 3, .height = 16, .width = 16, .augment = false, .seed = 5});
    const batch b = s.next();
    REQUIRE(b.images.size() == 6 * pixels);
    std::size_t differ = 0;
    for (std::size_t r = 0; r < 6; ++r) {
      const image want = fitted(b, r).picture;
      const std::vector<float> got = row(b, r);
      CHECK(std::equal(got.begin(), got.end(), want.pixels().begin(), want.pixels().end()));
      // Channels last: (y, x, c) is at (y * W + x) * C + c of the row.
      for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x)
          for (int c = 0; c < 3; ++c)
            differ += got[(static_cast<std::size_t>(y) * 16 + static_cast<std::size_t>(x)) * 3 +
                          static_cast<std::size_t>(c)] != want.at(y, x, c);
    }
    CHECK(differ == 0);
  }
  SUBCASE("with augmentation: the picture under one of the crops and flips the options allow") {
    union_sampler<u> s({source(faces[0]), source(faces[1])},
                       {.batch_size = 6, .channels = 3, .height = 16, .width = 16, .seed = 5});
    const batch b = s.next();
    REQUIRE(b.images.size() == 6 * pixels);
    for (std::size_t r = 0; r < 6; ++r) {
      const std::vector<float> got = row(b, r);
      const labelled_face f = fitted(b, r);
      bool found = false;
      for (int dy = -4; dy <= 4 && !found; ++dy)
        for (int dx = -4; dx <= 4 && !found; ++dx)
          for (bool flip : {false, true}) {
            labelled_face g = f;
            apply_crop_flip(g, {dx, dy, flip});
            const std::span<const float> want = g.picture.pixels();
            found = found || std::equal(got.begin(), got.end(), want.begin(), want.end());
          }
      CHECK(found);
    }
  }
}
