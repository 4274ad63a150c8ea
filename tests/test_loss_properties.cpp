// Property tests of the selective loss family: for random batches of several
// unions, with NaN, infinities and +-1e30 in every entry the loss does not
// train, the value and the gradient are exactly those of the same batch with
// those entries set to 0; and a non-finite target in an entry it trains
// throws, naming the sample and the output.
#include <doctest/doctest.h>
#include <sjmt/backend.hpp>
#include <sjmt/labels.hpp>
#include <sjmt/loss.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace sjmt;
cpu_backend cpu;  // the span losses run on a host-memory backend
using pose = label_space<"pose", kind::regression, "yaw", "pitch", "roll">;
using wide_layout = joint_layout<spaces::emotion, spaces::emotionet_aus, pose>;
using posed = dataset<"posed", spaces::emotion, pose>;
using both = dataset<"both", spaces::emotion, spaces::emotionet_aus>;
using wide = dataset_union<wide_layout, datasets::sfew, datasets::emotionet, posed, both>;
using paper_layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using paper = dataset_union<paper_layout, datasets::sfew, datasets::emotionet>;

template <class Union>
struct random_batch {
  std::size_t n = 0;
  std::vector<double> z, y;
  std::vector<std::int32_t> d;
  std::vector<std::uint8_t> known;
};

/// Valid targets where annotated (one-hot emotion, 0/1 AUs, normal regression), 0 elsewhere.
template <class Union>
random_batch<Union> make_batch(std::mt19937_64& rng) {
  constexpr std::size_t W = Union::size;
  std::uniform_int_distribution<std::size_t> rows(1, 40);
  std::uniform_int_distribution<int> dom(0, int(Union::num_domains) - 1), cls(0, 6), bit(0, 1), ten(0, 9);
  std::uniform_real_distribution<double> logit(-8, 8);
  std::normal_distribution<double> normal;
  random_batch<Union> b;
  b.n = rows(rng);
  b.z.resize(b.n * W);
  b.y.assign(b.n * W, 0.0);
  b.d.resize(b.n);
  b.known.resize(b.n * W);
  for (std::size_t r = 0; r < b.n; ++r) {
    b.d[r] = dom(rng);
    const int e = cls(rng);
    for (std::size_t c = 0; c < W; ++c) {
      b.z[r * W + c] = logit(rng);
      b.known[r * W + c] = ten(rng) != 0;
      if (Union::masks[std::size_t(b.d[r])][c]) b.y[r * W + c] = c < 7 ? double(int(c) == e) : c < 18 ? bit(rng) : normal(rng);
    }
  }
  return b;
}

constexpr double garbage[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                              -std::numeric_limits<double>::infinity(), 1e30, -1e30};

/// Runs `loss` on the clean batch and on one with garbage in every entry it does not train
/// (targets always; logits too unless the loss reads every logit, as naive joint does).
template <class Union>
void check_ignores_garbage(const union_loss<Union, double>& loss, bool reads_every_logit, std::uint64_t seed) {
  constexpr std::size_t W = Union::size;
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < 25; ++trial) {
    const random_batch<Union> b = make_batch<Union>(rng);
    for (const bool with_known : {false, true}) {
      std::vector<double> zg = b.z, yg = b.y, g_clean(b.n * W), g_garbage(b.n * W);
      std::uniform_int_distribution<int> pick(0, 4);
      for (std::size_t r = 0; r < b.n; ++r)
        for (std::size_t c = 0; c < W; ++c) {
          const bool trained = Union::masks[std::size_t(b.d[r])][c] && (!with_known || b.known[r * W + c]);
          if (trained) continue;
          yg[r * W + c] = garbage[pick(rng)];
          if (!reads_every_logit) zg[r * W + c] = garbage[pick(rng)];
        }
      double clean, dirty;
      if (with_known) {
        clean = loss.forward_backward(cpu, b.z, b.y, b.d, b.known, g_clean);
        dirty = loss.forward_backward(cpu, zg, yg, b.d, b.known, g_garbage);
      } else {
        clean = loss.forward_backward(cpu, b.z, b.y, b.d, g_clean);
        dirty = loss.forward_backward(cpu, zg, yg, b.d, g_garbage);
      }
      INFO("trial ", trial, ", ", b.n, " rows, known-mask ", with_known);
      REQUIRE(std::isfinite(clean));
      CHECK(dirty == clean);
      CHECK(g_garbage == g_clean);
    }
  }
}

}  // namespace

TEST_CASE("loss properties: entries a loss does not train change nothing, whatever they hold") {
  loss_options<double> wing, mean_selected, summed;
  wing.regression = regression_rule::wing;
  mean_selected.reduction = reduction::mean_over_selected;
  summed.reduction = reduction::sum;
  SUBCASE("selective") { check_ignores_garbage<wide>(selective_loss<wide, double>(), false, 1); }
  SUBCASE("selective, wing") { check_ignores_garbage<wide>(selective_loss<wide, double>(wing), false, 2); }
  SUBCASE("selective, mean over selected") {
    check_ignores_garbage<wide>(selective_loss<wide, double>(mean_selected), false, 3);
  }
  SUBCASE("selective, sum") { check_ignores_garbage<paper>(selective_loss<paper, double>(summed), false, 4); }
  SUBCASE("selective softmax") { check_ignores_garbage<paper>(selective_softmax_loss<paper, double>(), false, 5); }
  SUBCASE("naive joint: targets only (it reads every logit)") {
    check_ignores_garbage<paper>(naive_joint_loss<paper, double>(), true, 6);
  }
}

TEST_CASE("loss properties: a non-finite target in a trained entry throws, naming the sample and the output") {
  constexpr std::size_t W = wide::size;
  std::mt19937_64 rng(7);
  const selective_loss<wide, double> loss;
  for (int trial = 0; trial < 20; ++trial) {
    random_batch<wide> b = make_batch<wide>(rng);
    std::uniform_int_distribution<std::size_t> row(0, b.n - 1);
    const std::size_t r = row(rng);
    std::size_t c = 0;
    while (!wide::masks[std::size_t(b.d[r])][c]) ++c;  // the row's first trained output
    b.y[r * W + c] = garbage[trial % 5 == 4 ? 0 : trial % 3];  // NaN or an infinity
    std::vector<double> g(b.n * W);
    const std::string where = "target[" + std::to_string(r) + ", " + std::to_string(c) + "]";
    INFO("trial ", trial, ": ", where);
    CHECK_THROWS_WITH_AS(loss.forward_backward(cpu, b.z, b.y, b.d, g),
                         doctest::Contains(where.c_str()), value_error);
  }
}
