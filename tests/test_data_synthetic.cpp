// Tests of <sjmt/data/world/synthetic.hpp>: the synthetic domains' sizes, label statistics,
// determinism and laziness.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>

#include <sjmt/data/pipeline/paper_sources.hpp>
#include <sjmt/data/world/synthetic.hpp>

using namespace sjmt::data;

namespace {

std::array<std::size_t, num_categories> count_categories(const synthetic_domain& d) {
  std::array<std::size_t, num_categories> n{};
  for (std::size_t i = 0; i < d.size(); ++i) ++n[d.category(i)];
  return n;
}

}  // namespace

TEST_CASE("synthetic: domain sizes and exact class counts follow the paper's data regime") {
  CHECK(sfew_like(split::train, 1).size() == 958);
  CHECK(sfew_like(split::test, 1).size() == 436);
  CHECK(emotionet_like(split::train, 1).size() == 24000);
  CHECK(emotionet_like(split::test, 1).size() == 1000);
  CHECK(emotionet_compound_like(1).size() == 2000);
  CHECK(ck_like(1).size() == 327);
  const synthetic_domain fer = fer_like(split::train, 1);
  CHECK(fer.size() == 28709);
  CHECK(fer_like(split::test, 1).size() == 3589);
  CHECK(fer_like(split::validation, 1).size() == 3589);
  // FER2013 Training counts (DATA.md 1.1), in spaces::emotion order.
  const auto n = count_categories(fer);
  CHECK(n[0] == 3995);  // angry
  CHECK(n[1] == 436);   // disgust
  CHECK(n[3] == 7215);  // happy
  CHECK(n[4] == 4965);  // neutral
  CHECK(n[6] == 3171);  // surprise
  const auto ck = count_categories(ck_like(1));
  CHECK(ck[contempt_category] == 18);
  CHECK(ck[6] == 83);
  const auto et = count_categories(emotionet_like(split::train, 1));
  CHECK(et[4] == 4800);  // neutral 20 %
  CHECK(et[first_compound_category] == 960);
  CHECK(apportion<3>(10, {1, 1, 1}) == std::array<std::size_t, 3>{4, 3, 3});
}

TEST_CASE("synthetic: samples are rendered lazily and deterministically from the seed") {
  const synthetic_domain a = sfew_like(split::train, 7), b = sfew_like(split::train, 7), c = sfew_like(split::train, 8);
  const labelled_face x = a[5], y = b[5];
  CHECK(x.picture == y.picture);
  CHECK(x.emotion == y.emotion);
  CHECK(x.picture != a[6].picture);
  CHECK(x.picture != c[5].picture);
  CHECK(sfew_like(split::test, 7)[5].picture != x.picture);  // splits are different faces
  CHECK(x.picture.width() == 32);
  CHECK(x.picture.channels() == 3);
  CHECK(x.emotion == static_cast<std::int32_t>(a.category(5)));
  CHECK(x.au[12] == au_label::unknown);  // SFEW has no AU labels
  CHECK_FALSE(x.landmarks.has_value());
  CHECK_THROWS_AS(a[958], sjmt::value_error);
  const labelled_face f = fer_like(split::train, 1)[0];
  CHECK(f.picture.width() == 48);
  CHECK(f.picture.channels() == 1);
}

TEST_CASE("synthetic: emotionet-like AU labels have the asked unknown rate and follow the prototypes") {
  const synthetic_domain d = emotionet_like(split::test, 3);
  std::size_t labels = 0, unknown = 0, happy = 0, happy12 = 0, neutral = 0, neutral12 = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const labelled_face f = d[i];
    CHECK(f.emotion == -1);  // EmotioNet Track 1 carries AUs only
    CHECK(f.au[15] == au_label::unknown);  // not one of the 11 labelled AUs
    for (int au : sjmt::spaces::emotionet_aus::au) {
      ++labels;
      unknown += f.au[static_cast<std::size_t>(au)] == au_label::unknown;
    }
    if (f.au[12] == au_label::unknown) continue;
    const bool smile = f.au[12] == au_label::present;
    if (d.category(i) == 3) ++happy, happy12 += smile;
    if (d.category(i) == 4) ++neutral, neutral12 += smile;
  }
  CHECK(std::fabs(static_cast<double>(unknown) / static_cast<double>(labels) - 0.05) < 0.01);
  // Happy faces smile (AU12 kept with probability 0.88); neutral faces rarely (added AUs, 2.5 %).
  CHECK(static_cast<double>(happy12) / static_cast<double>(happy) > 0.78);
  CHECK(static_cast<double>(neutral12) / static_cast<double>(neutral) < 0.07);
}

TEST_CASE("synthetic: ck-like carries emotions (contempt as CK+ code 2), AU intensities and landmarks") {
  const synthetic_domain d = ck_like(5);
  bool saw_contempt = false;
  for (std::size_t i = 0; i < 40; ++i) {
    const labelled_face f = d[i];
    REQUIRE(f.landmarks.has_value());
    CHECK(f.picture.channels() == 1);
    for (const point& p : *f.landmarks) CHECK((p.x >= 0 && p.x <= 64 && p.y >= 0 && p.y <= 64));
    if (d.category(i) == contempt_category) {
      saw_contempt = true;
      CHECK(f.emotion == -1);
      CHECK(f.ckplus_emotion == 2);
    } else {
      CHECK(f.emotion == static_cast<std::int32_t>(d.category(i)));
    }
    for (int au : rendered_aus) {
      const auto k = static_cast<std::size_t>(au);
      CHECK(f.au[k] != au_label::unknown);
      CHECK((f.au[k] == au_label::present) == (f.au_intensity[k] > 0));
    }
  }
  CHECK(saw_contempt);
}

TEST_CASE("synthetic: sfew-like label noise keeps the label counts exact") {
  const synthetic_domain d = sfew_like(split::train, 2);
  std::array<std::size_t, 7> n{};
  for (std::size_t i = 0; i < d.size(); ++i) ++n[static_cast<std::size_t>(d[i].emotion)];
  const auto want = apportion<7>(958, {4953, 547, 5121, 8989, 6198, 6077, 4002});
  CHECK(n == want);
}

TEST_CASE("synthetic: sequences ramp from a neutral onset to the sample at its peak") {
  const synthetic_domain d = ck_like(6);
  std::size_t i = 0;
  while (d.category(i) != 6) ++i;  // a surprise: AU26 drops the jaw
  const std::vector<labelled_face> s = d.sequence(i, 5);
  REQUIRE(s.size() == 5);
  const labelled_face peak = d[i];
  CHECK(s.back().picture == peak.picture);
  CHECK(s.back().emotion == peak.emotion);
  CHECK(s.back().au == peak.au);
  CHECK(s.front().emotion == -1);  // labels on the peak frame only
  REQUIRE(s.front().landmarks.has_value());
  // The chin (point 8) moves down through the sequence (pixel y grows) when AU26 is shown.
  if (peak.au[26] == au_label::present) {
    float last = -1;
    for (const labelled_face& f : s) {
      CHECK((*f.landmarks)[8].y >= last);
      last = (*f.landmarks)[8].y;
    }
    CHECK((*s.back().landmarks)[8].y > (*s.front().landmarks)[8].y + 0.5f);
  }
  expression e;
  e.set(12, 5), e.set(6, 1);
  CHECK(ramp(e, 0).intensity[12] == 0);
  CHECK(ramp(e, 0.5f).intensity[12] == 3);
  CHECK(ramp(e, 0.1f).intensity[6] == 1);
  CHECK(ramp(e, 1).intensity == e.intensity);
}

TEST_CASE("paper sources: Table 4's compound split has the paper's per-class counts, 15 of each to train") {
  const sjmt::data::split_sources s = sjmt::data::paper_sources{}.compound();
  CHECK(s.train.size == 8 * 15);
  CHECK(s.test.size == 722 - 8 * 15);
  std::array<std::size_t, 8> train{}, test{};
  for (std::size_t i = 0; i < s.train.size; ++i) ++train[static_cast<std::size_t>(s.train.get(i).compound)];
  for (std::size_t i = 0; i < s.test.size; ++i) ++test[static_cast<std::size_t>(s.test.get(i).compound)];
  for (std::size_t c = 0; c < 8; ++c) {
    CHECK(train[c] == 15);
    CHECK(test[c] == paper_compound_counts[c] - 15);
  }
  CHECK(test[1] == 486 - 15);  // happily disgusted, the paper's largest class
}
