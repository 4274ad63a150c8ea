// Per-space metrics and the Figure-2 means: small batches whose every number
// was computed by hand (written beside each check), selection by dataset and
// known-mask, batch-by-batch feeding, and the errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <sjmt/labels.hpp>
#include <sjmt/metrics/au_by_emotion.hpp>
#include <sjmt/metrics/evaluator.hpp>
#include <vector>
#include <xtensor/xtensor.hpp>

namespace {

using namespace sjmt;
using metrics::score_kind;

using emo = label_space<"emo", kind::exclusive, "a", "b", "c">;
using aus = au_space<"aus", 6, 12>;
using pts = coordinate_space<"pts", 2>;
using layout = joint_layout<emo, aus, pts>;  // 3 + 2 + 4 = 9
using de = dataset<"de", emo>;
using da = dataset<"da", aus>;
using dp = dataset<"dp", pts>;
using both = dataset<"both", emo, aus>;
using domains = dataset_union<layout, de, da, dp, both>;
constexpr std::size_t W = layout::size;

/// A batch being written row by row; unset values are 0, every label known.
struct batch {
  std::vector<float> z, y;
  std::vector<std::int32_t> d;
  std::vector<std::uint8_t> k;
  std::size_t row(std::int32_t domain) {
    z.resize(z.size() + W, 0.f);
    y.resize(y.size() + W, 0.f);
    k.resize(k.size() + W, 1);
    d.push_back(domain);
    return d.size() - 1;
  }
  void set(std::size_t r, std::size_t offset, std::vector<float> zs, std::vector<float> ys,
           std::vector<std::uint8_t> ks = {}) {
    for (std::size_t i = 0; i < zs.size(); ++i) {
      z[r * W + offset + i] = zs[i];
      y[r * W + offset + i] = ys[i];
      if (!ks.empty()) k[r * W + offset + i] = ks[i];
    }
  }
};

constexpr std::size_t E = layout::offset<emo>, A = layout::offset<aus>, P = layout::offset<pts>;

batch emotion_batch() {
  batch b;
  b.set(b.row(0), E, {2, 1, 0}, {1, 0, 0});  // true a, predicted a
  b.set(b.row(0), E, {0, 3, 1}, {1, 0, 0});  // true a, predicted b
  b.set(b.row(0), E, {0, 1, 0}, {0, 1, 0});  // true b, predicted b
  b.set(b.row(0), E, {0, 0, 5}, {0, 0, 1});  // true c, predicted c
  b.set(b.row(0), E, {1, 0, 0}, {0, 0, 1});  // true c, predicted a
  b.set(b.row(0), E, {0, 0, 5}, {0, 0, 1}, {1, 0, 1});  // one output unknown: skipped
  b.set(b.row(1), E, {9, 0, 0}, {1, 1, 1});  // dataset da does not annotate emo: skipped
  return b;
}

batch au_batch() {
  batch b;
  b.set(b.row(1), A, {1, -1}, {1, 0});          // AU6 TP, AU12 TN
  b.set(b.row(1), A, {1, 1}, {0, 1});           // AU6 FP, AU12 TP
  b.set(b.row(1), A, {-1, -1}, {1, 1});         // AU6 FN, AU12 FN
  b.set(b.row(1), A, {-2, 3}, {0, 1}, {1, 0});  // AU6 TN, AU12 unknown
  const std::size_t r = b.row(0);               // de does not annotate AUs: skipped
  b.set(r, A, {5, 5}, {0, 0});
  b.set(r, E, {1, 0, 0}, {1, 0, 0});
  return b;
}

}  // namespace

TEST_CASE("exclusive space: accuracy, per-class accuracy and confusion by hand") {
  metrics::evaluator<domains> eval;
  const batch b = emotion_batch();
  eval.update(b.z, b.y, b.d, b.k);
  const metrics::evaluation_result res = eval.result();
  CHECK(res.samples == 7);
  const auto* r = res.find<metrics::exclusive_result>("emo");
  REQUIRE(r != nullptr);
  CHECK(r->classes == std::vector<std::string>{"a", "b", "c"});
  CHECK(r->confusion == std::vector<std::vector<std::uint64_t>>{{1, 1, 0}, {0, 1, 0}, {1, 0, 1}});
  CHECK(r->count == 5);
  CHECK(r->correct == 3);
  CHECK(r->accuracy == doctest::Approx(0.6));
  CHECK(r->support == std::vector<std::uint64_t>{2, 1, 2});
  CHECK(r->recall[0] == doctest::Approx(0.5));
  CHECK(r->recall[1] == doctest::Approx(1.0));
  CHECK(r->recall[2] == doctest::Approx(0.5));
  CHECK(r->mean_per_class_accuracy == doctest::Approx(2.0 / 3));
  CHECK(r->precision[0] == doctest::Approx(0.5));  // column a: 2 predictions, 1 right
  CHECK(r->precision[1] == doctest::Approx(0.5));
  CHECK(r->precision[2] == doctest::Approx(1.0));
  CHECK(r->f1[0] == doctest::Approx(0.5));      // 2*1 / (2 + 2)
  CHECK(r->f1[1] == doctest::Approx(2.0 / 3));  // 2*1 / (1 + 2)
  CHECK(r->f1[2] == doctest::Approx(2.0 / 3));  // 2*1 / (2 + 1)
  CHECK(r->macro_f1 == doctest::Approx((0.5 + 2.0 / 3 + 2.0 / 3) / 3));
}

TEST_CASE("multilabel space: per-AU accuracy (Eq. 3), precision, recall, F1 by hand") {
  metrics::evaluator<domains> eval;
  const batch b = au_batch();
  eval.update(b.z, b.y, b.d, b.k);
  const metrics::evaluation_result res = eval.result();
  const auto* r = res.find<metrics::multilabel_result>("aus");
  REQUIRE(r != nullptr);
  CHECK(r->labels == std::vector<std::string>{"AU6", "AU12"});
  CHECK(r->counts[0] == metrics::binary_counts{1, 1, 1, 1});
  CHECK(r->counts[1] == metrics::binary_counts{1, 0, 1, 1});
  CHECK(r->accuracy[0] == doctest::Approx(0.5));
  CHECK(r->accuracy[1] == doctest::Approx(2.0 / 3));
  CHECK(r->precision[0] == doctest::Approx(0.5));
  CHECK(r->precision[1] == doctest::Approx(1.0));
  CHECK(r->recall[0] == doctest::Approx(0.5));
  CHECK(r->recall[1] == doctest::Approx(0.5));
  CHECK(r->f1[0] == doctest::Approx(0.5));
  CHECK(r->f1[1] == doctest::Approx(2.0 / 3));  // 2*1 / (2 + 0 + 1)
  CHECK(r->mean_accuracy == doctest::Approx((0.5 + 2.0 / 3) / 2));
  CHECK(r->pooled_accuracy == doctest::Approx(4.0 / 7));
  CHECK(r->macro_precision == doctest::Approx(0.75));
  CHECK(r->macro_recall == doctest::Approx(0.5));
  CHECK(r->macro_f1 == doctest::Approx((0.5 + 2.0 / 3) / 2));
}

TEST_CASE("multilabel space: probabilities and logits give the same counts; threshold option") {
  batch b = au_batch();
  std::vector<float> p(b.z.size());
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = float(metrics::probability(b.z[i], score_kind::logits));
  metrics::evaluator<domains> from_logits, from_probs({score_kind::probabilities});
  from_logits.update(b.z, b.y, b.d, b.k);
  from_probs.update(p, b.y, b.d, b.k);
  const metrics::evaluation_result rl = from_logits.result(), rp = from_probs.result();
  CHECK(rl.find<metrics::multilabel_result>("aus")->counts ==
        rp.find<metrics::multilabel_result>("aus")->counts);
  // At threshold 0.8 (logit 1.386), the logit-1 rows become negatives.
  metrics::evaluator<domains> strict({score_kind::logits, 0.8});
  strict.update(b.z, b.y, b.d, b.k);
  const metrics::evaluation_result res = strict.result();
  const auto* r = res.find<metrics::multilabel_result>("aus");
  CHECK(r->counts[0] == metrics::binary_counts{0, 0, 2, 2});  // AU6: TN r2,r4; FN r1,r3
  CHECK(r->counts[1] == metrics::binary_counts{0, 0, 1, 2});  // AU12: TN r1; FN r2,r3
  CHECK(std::isnan(r->precision[0]));                         // no predicted positive
  CHECK(r->f1[0] == doctest::Approx(0.0));
  CHECK(metrics::probability(0.0, score_kind::logits) == doctest::Approx(0.5));
  CHECK(metrics::probability(-800.0, score_kind::logits) == doctest::Approx(0.0));
}

TEST_CASE("regression space: RMSE, MAE and NME by hand") {
  batch b;
  b.set(b.row(2), P, {0, 0, 3, 4}, {0, 0, 0, 0});                // point errors 0 and 5
  b.set(b.row(2), P, {1, 1, 1, 1}, {1, 1, 2, 1}, {1, 1, 0, 1});  // point 1 unknown; error 0
  const std::size_t other = b.row(0);                            // de: not annotated
  b.set(other, P, {9, 9, 9, 9}, {0, 0, 0, 0});
  b.set(other, E, {1, 0, 0}, {1, 0, 0});
  metrics::evaluator<domains> eval;
  eval.update(b.z, b.y, b.d, b.k);
  const metrics::evaluation_result res = eval.result();
  const auto* r = res.find<metrics::regression_result>("pts");
  REQUIRE(r != nullptr);
  CHECK(r->count == 7);
  CHECK(r->rmse == doctest::Approx(std::sqrt(25.0 / 7)));  // squared errors 9 + 16 over 7 values
  CHECK(r->mae == doctest::Approx(1.0));                    // |3| + |4| over 7 values
  CHECK(r->count_per_output == std::vector<std::uint64_t>{2, 2, 1, 2});
  CHECK(r->rmse_per_output[2] == doctest::Approx(3.0));             // one known x1: error 3
  CHECK(r->rmse_per_output[3] == doctest::Approx(std::sqrt(8.0)));  // y1: errors 4 and 0
  CHECK(r->has_nme);
  CHECK(r->nme_samples == 2);
  CHECK(r->nme == doctest::Approx((2.5 + 0.0) / 2));  // mean point error per sample, then mean
}

TEST_CASE("regression NME with a normalising pair of points") {
  metrics::regression_accumulator acc("pts", {"x0", "y0", "x1", "y1"}, {true, 0, 1});
  const std::vector<std::uint8_t> all{1, 1, 1, 1};
  acc.add(std::vector<double>{0, 3, 4, 0}, std::vector<double>{0, 0, 4, 0}, all);  // (3+0)/2 / 4
  acc.add(std::vector<double>{0, 0, 0, 0}, std::vector<double>{1, 1, 1, 1}, all);  // d = 0: skipped
  const metrics::regression_result r = acc.result();
  CHECK(r.nme == doctest::Approx(0.375));
  CHECK(r.nme_samples == 1);
  CHECK(r.nme_skipped == 1);
  CHECK_THROWS_AS(metrics::regression_accumulator("pts", {"x0", "y0"}, {true, 0, 3}), value_error);
  metrics::regression_accumulator plain("pose", {"yaw", "pitch", "roll"});  // odd size: no NME
  plain.add(std::vector<double>{1, 2, 3}, std::vector<double>{1, 2, 5}, std::vector<std::uint8_t>{1, 1, 1});
  CHECK_FALSE(plain.result().has_nme);
  CHECK(plain.result().rmse == doctest::Approx(2.0 / std::sqrt(3.0)));
}

TEST_CASE("feeding batch by batch equals one batch; reset starts over") {
  const batch b = emotion_batch();
  metrics::evaluator<domains> whole, parts;
  whole.update(b.z, b.y, b.d, b.k);
  for (std::size_t r = 0; r < b.d.size(); ++r) {
    const auto row = [&](const auto& v) {
      using V = typename std::decay_t<decltype(v)>::value_type;
      return std::vector<V>(v.begin() + long(r * W), v.begin() + long((r + 1) * W));
    };
    parts.update(row(b.z), row(b.y), std::vector<std::int32_t>{b.d[r]}, row(b.k));
  }
  const metrics::evaluation_result x = whole.result(), y = parts.result();
  CHECK(x.find<metrics::exclusive_result>("emo")->confusion ==
        y.find<metrics::exclusive_result>("emo")->confusion);
  CHECK(x.samples == y.samples);
  parts.reset();
  const metrics::evaluation_result z = parts.result();
  CHECK(z.find<metrics::exclusive_result>("emo")->count == 0);
  CHECK(std::isnan(z.find<metrics::exclusive_result>("emo")->accuracy));
  CHECK(z.samples == 0);
}

TEST_CASE("without a known-mask every annotated label counts; double scores work") {
  batch b = au_batch();
  metrics::evaluator<domains, double> eval;
  const std::vector<double> z(b.z.begin(), b.z.end()), y(b.y.begin(), b.y.end());
  eval.update(z, y, b.d);
  const metrics::evaluation_result res = eval.result();
  CHECK(res.find<metrics::multilabel_result>("aus")->counts[1] ==
        metrics::binary_counts{2, 0, 1, 1});  // row 4's AU12 (z 3, y 1) is now a TP
}

TEST_CASE("errors: shapes, domain indices, one-hot targets") {
  metrics::evaluator<domains> eval;
  batch b = emotion_batch();
  std::vector<float> short_z(b.z.begin(), b.z.end() - 1);
  CHECK_THROWS_AS(eval.update(short_z, b.y, b.d, b.k), shape_error);
  CHECK_THROWS_WITH_AS(eval.update(b.z, b.y, b.d, std::vector<std::uint8_t>(3, 1)),
                       doctest::Contains("known-mask has 3 values"), shape_error);
  b.d[2] = 4;
  CHECK_THROWS_WITH_AS(eval.update(b.z, b.y, b.d, b.k), doctest::Contains("domain index 4 of sample 2"),
                       value_error);
  batch two;
  two.set(two.row(0), E, {1, 0, 0}, {1, 1, 0});
  CHECK_THROWS_WITH_AS(eval.update(two.z, two.y, two.d), doctest::Contains("exactly one"), value_error);
  xt::xtensor<float, 2> wrong = xt::zeros<float>({std::size_t{1}, W + 1});
  xt::xtensor<float, 2> right = xt::zeros<float>({std::size_t{1}, W});
  CHECK_THROWS_AS(eval.update(wrong, right, std::vector<std::int32_t>{0}), shape_error);
  CHECK_THROWS_AS(metrics::exclusive_accumulator("e", {"a"}).add(0, 1), value_error);
  CHECK_THROWS_AS(metrics::multilabel_accumulator("m", {"a"}, 1.0), value_error);
}

TEST_CASE("Figure 2: mean AU probability by predicted emotion, on emotion-only images") {
  batch b;
  auto image = [&](std::int32_t domain, std::vector<float> e, std::vector<float> a) {
    const std::size_t r = b.row(domain);
    b.set(r, E, e, {1, 0, 0});  // the emotion truth is not used: rows group by prediction
    b.set(r, A, a, {0, 0});
  };
  image(0, {0.9f, 0.1f, 0.0f}, {0.2f, 0.8f});  // predicted a
  image(0, {0.1f, 0.8f, 0.1f}, {0.6f, 0.4f});  // predicted b
  image(0, {0.7f, 0.2f, 0.1f}, {0.4f, 0.6f});  // predicted a
  image(1, {0.0f, 0.0f, 0.9f}, {1.0f, 1.0f});  // AU dataset: skipped
  image(3, {0.0f, 0.0f, 0.9f}, {1.0f, 1.0f});  // annotates AUs too: skipped
  image(2, {0.0f, 0.0f, 0.9f}, {1.0f, 1.0f});  // annotates no emotion: skipped
  metrics::au_by_emotion<domains, emo, aus> fig2(score_kind::probabilities);
  fig2.update(b.z, b.d);
  const metrics::au_by_emotion_result m = fig2.result();
  CHECK(m.emotions == std::vector<std::string>{"a", "b", "c"});
  CHECK(m.aus == std::vector<std::string>{"AU6", "AU12"});
  CHECK(m.counts == std::vector<std::uint64_t>{2, 1, 0});
  CHECK(m.mean[0][0] == doctest::Approx(0.3));  // (0.2 + 0.4) / 2
  CHECK(m.mean[0][1] == doctest::Approx(0.7));  // (0.8 + 0.6) / 2
  CHECK(m.mean[1][0] == doctest::Approx(0.6));
  CHECK(m.mean[1][1] == doctest::Approx(0.4));
  CHECK(std::isnan(m.mean[2][0]));
  // Table 3: the top AUs per emotion.
  CHECK(m.top_aus(1) == std::vector<std::vector<std::size_t>>{{1}, {0}, {}});
  CHECK(m.top_aus(5) == std::vector<std::vector<std::size_t>>{{1, 0}, {0, 1}, {}});

  metrics::au_by_emotion<domains, emo, aus> from_logits;  // logit 0 -> 0.5, logit ln 3 -> 0.75
  batch l;
  const std::size_t r = l.row(0);
  l.set(r, E, {0, 0, 1}, {0, 0, 1});
  l.set(r, A, {0.f, float(std::log(3.0))}, {0, 0});
  from_logits.update(l.z, l.d);
  const auto ml = from_logits.result();
  CHECK(ml.mean[2][0] == doctest::Approx(0.5));
  CHECK(ml.mean[2][1] == doctest::Approx(0.75));
  from_logits.reset();
  CHECK(from_logits.result().counts == std::vector<std::uint64_t>{0, 0, 0});
  CHECK_THROWS_AS(from_logits.update(std::vector<float>(W + 2), std::vector<std::int32_t>{0}), shape_error);
}

TEST_CASE("regression readings per space: inter-ocular NME for the landmarks beside a 2-value gaze space") {
  using gaze = sjmt::label_space<"gaze", sjmt::kind::regression, "gx", "gy">;
  using layout2 = sjmt::joint_layout<sjmt::spaces::landmarks68, gaze>;  // 136 + 2
  using both = sjmt::dataset<"both", sjmt::spaces::landmarks68, gaze>;
  using u = sjmt::dataset_union<layout2, both>;
  // One face: every point true at (i, 0) but the outer eye corners 36 and 45 at x = 0 and 10
  // (inter-ocular distance 10); predicted one unit right everywhere: NME 1 / 10.
  std::vector<float> truth(138, 0.f), pred(138, 0.f);
  for (std::size_t i = 0; i < 68; ++i) truth[2 * i] = float(i);
  truth[2 * 36] = 0.f, truth[2 * 45] = 10.f;
  for (std::size_t i = 0; i < 68; ++i) pred[2 * i] = truth[2 * i] + 1.f, pred[2 * i + 1] = truth[2 * i + 1];
  pred[136] = 0.5f, truth[136] = 0.25f, pred[137] = truth[137] = 0.f;  // gaze
  const std::vector<std::int32_t> d{0};

  // One reading for both spaces: the gaze space has 1 point, so points 36 and 45 do not exist in it.
  CHECK_THROWS_AS(metrics::evaluator<u>({.regression = metrics::inter_ocular_68}), sjmt::value_error);

  metrics::evaluator<u> eval({.regression_spaces = {{"landmarks", metrics::inter_ocular_68},
                                                    {"gaze", {.points = false}}}});
  eval.update(pred, truth, d);
  const metrics::evaluation_result res = eval.result();
  const auto* lm = res.find<metrics::regression_result>("landmarks");
  const auto* gz = res.find<metrics::regression_result>("gaze");
  REQUIRE(lm != nullptr);
  REQUIRE(gz != nullptr);
  CHECK(lm->has_nme);
  CHECK(lm->nme == doctest::Approx(0.1));
  CHECK_FALSE(gz->has_nme);
  CHECK(gz->rmse == doctest::Approx(0.25 / std::sqrt(2.0)));

  CHECK_THROWS_AS(metrics::evaluator<u>({.regression_spaces = {{"pose", {}}}}), sjmt::value_error);
  CHECK_THROWS_AS(metrics::evaluator<u>({.regression_spaces = {{"gaze", {}}, {"gaze", {}}}}), sjmt::value_error);
}

TEST_CASE("landmark metrics: NME by the box diagonal, per-point error, the cumulative error distribution") {
  using u = sjmt::dataset_union<sjmt::joint_layout<sjmt::spaces::landmarks68>,
                                sjmt::dataset<"w300", sjmt::spaces::landmarks68>>;
  // Two faces: points at (i, 0) but the outer eye corners 36 and 45 at x = 0 and 10 (inter-ocular
  // distance 10; the true points' box is 67 wide, 0 high: diagonal 67). Predicted 1 (first face)
  // and 0.5 (second) to the right: nme_i 0.1 and 0.05; box NME 1/67 and 0.5/67.
  std::vector<float> truth(2 * 136, 0.f), pred(2 * 136, 0.f);
  for (std::size_t f = 0; f < 2; ++f)
    for (std::size_t i = 0; i < 68; ++i) {
      float x = float(i);
      if (i == 36) x = 0.f;
      if (i == 45) x = 10.f;
      truth[f * 136 + 2 * i] = x;
      pred[f * 136 + 2 * i] = x + (f == 0 ? 1.f : 0.5f);
    }
  std::vector<std::uint8_t> known(2 * 136, 1);
  known[136 + 2 * 7] = 0;  // the second face's point 7 is unknown: left out of its error
  const std::vector<std::int32_t> d{0, 0};
  metrics::evaluator<u> eval({.regression = metrics::inter_ocular_68});
  eval.update(pred, truth, d, known);
  const metrics::evaluation_result res = eval.result();
  const auto* r = res.find<metrics::regression_result>("landmarks");
  REQUIRE(r != nullptr);
  CHECK(r->nme == doctest::Approx(0.075));
  CHECK(r->nme_box == doctest::Approx((1.0 / 67 + 0.5 / 67) / 2));
  CHECK(r->nme_box_samples == 2);
  REQUIRE(r->point_error.size() == 68);
  CHECK(r->point_error[0] == doctest::Approx(0.075));
  CHECK(r->point_error[7] == doctest::Approx(0.1));  // known on the first face only
  CHECK(r->nme_per_sample == std::vector<double>{0.05, 0.1});
  CHECK(r->fraction_within(0.08) == doctest::Approx(0.5));
  CHECK(r->fraction_within(0.10) == doctest::Approx(1.0));
  CHECK(r->fraction_within(0.01) == 0.0);
  metrics::regression_result empty;
  CHECK(std::isnan(empty.fraction_within(0.08)));
}
