// Compound emotions inferred from basic-emotion and AU probabilities
// (metrics/compound_inference.hpp): a hand-computed score, the AU evidence
// deciding between compounds that share their basic emotions, errors.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <sjmt/metrics/compound_inference.hpp>
#include <vector>

using namespace sjmt;
using C = spaces::compound_emotion;
using A = spaces::emotionet_aus;

TEST_CASE("compound scores: values by hand") {
  // happy 0.5, surprise 0.25, every AU 0.5: an AU at 0.5 says nothing (log 0.5 whatever the rate).
  std::vector<double> e(7, 0.25 / 5), a(11, 0.5);
  e[spaces::emotion::index_of("happy")] = 0.5;
  e[spaces::emotion::index_of("surprise")] = 0.25;
  const auto s = metrics::compound_scores(e, a);
  CHECK(s[C::index_of("happily_surprised")] == doctest::Approx(std::log(0.5) + std::log(0.25) + 11 * std::log(0.5)));
  CHECK(s[C::index_of("sadly_angry")] == doctest::Approx(2 * std::log(0.05) + 11 * std::log(0.5)));
  CHECK(metrics::infer_compound(e, a) == C::index_of("happily_surprised"));
  // Every AU certainly on: sadly angry has core AU4 (7 and 15 are not among the 11 AUs), variants
  // 6 and 17, and 8 others: log 0.85 + 2 log 0.35 + 8 log 0.05 beside its two emotions.
  const std::vector<double> on(11, 1.0);
  CHECK(metrics::compound_scores(e, on)[C::index_of("sadly_angry")] ==
        doctest::Approx(2 * std::log(0.05) + std::log(0.85) + 2 * std::log(0.35) + 8 * std::log(0.05)));
}

TEST_CASE("compound inference: the AUs decide when the basic emotions do not") {
  std::vector<double> e(7, 1.0 / 7);  // no basic emotion preferred
  for (std::size_t c = 0; c < 8; ++c) {
    // The AUs of compound c on, the others off: c must win.
    std::vector<double> a(11, 0.05);
    for (std::int8_t au : data::compound_prototypes[c].core)
      if (au && A::index_of_au(au) < A::size) a[A::index_of_au(au)] = 0.95;
    INFO("compound ", C::class_name(c));
    // sadly angry and sadly disgusted both have AU4 as their only core AU among the 11 (and
    // sadly disgusted more variants): their AUs cannot tell them apart, their emotions must.
    if (c == C::index_of("sadly_disgusted")) {
      CHECK(metrics::infer_compound(e, a) == C::index_of("sadly_angry"));
      std::vector<double> disgust = e;
      disgust[spaces::emotion::index_of("disgust")] = 0.3;
      disgust[spaces::emotion::index_of("angry")] = 0.1;
      CHECK(metrics::infer_compound(disgust, a) == c);
      continue;
    }
    CHECK(metrics::infer_compound(e, a) == c);
  }
  // Probabilities of exactly 0 and 1 are clamped, not log(0).
  std::vector<double> hard(7, 0.0), au(11, 1.0);
  hard[0] = 1;
  for (double v : metrics::compound_scores(hard, au)) CHECK(std::isfinite(v));
}

TEST_CASE("compound inference: wrong sizes and probabilities outside [0, 1] are errors") {
  std::vector<double> e(7, 0.1), a(11, 0.5), short_a(10, 0.5);
  CHECK_THROWS_WITH_AS(metrics::compound_scores(e, short_a), doctest::Contains("10 AU probabilities, expected 11"),
                       value_error);
  std::vector<double> six(6, 0.1);
  CHECK_THROWS_WITH_AS(metrics::compound_scores(six, a), doctest::Contains("6 emotion probabilities"), value_error);
  a[3] = 1.5;
  CHECK_THROWS_WITH_AS(metrics::compound_scores(e, a), doctest::Contains("1.5 is outside"), value_error);
}
