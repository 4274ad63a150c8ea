// The per-element rules of backend/rules.hpp, which the CUDA kernels run:
// known values, and the CPU backend's results recomputed from them.
#include <doctest/doctest.h>
#include <sjmt/sjmt.hpp>

#include <cmath>
#include <random>
#include <vector>

namespace {

using namespace sjmt;
using sjmt::detail::loss_term;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using paper = dataset_union<layout, datasets::sfew, datasets::emotionet>;
constexpr std::size_t W = layout::size;
cpu_backend cpu;  // the span losses run on a host-memory backend

struct rows {
  std::size_t n;
  std::vector<double> z, y;
  std::vector<std::int32_t> d;
};

rows random_rows(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-6, 6);
  std::uniform_int_distribution<int> dom(0, 1), cls(0, 6), bit(0, 1);
  rows r{n, std::vector<double>(n * W), std::vector<double>(n * W, 0.0), std::vector<std::int32_t>(n)};
  for (std::size_t i = 0; i < n; ++i) {
    r.d[i] = dom(rng);
    const int e = cls(rng);
    for (std::size_t c = 0; c < W; ++c) {
      r.z[i * W + c] = u(rng);
      if (paper::masks[static_cast<std::size_t>(r.d[i])][c]) r.y[i * W + c] = c < 7 ? double(int(c) == e) : bit(rng);
    }
  }
  return r;
}

}  // namespace

TEST_CASE("rules: sigmoid cross-entropy, known values and the limit forms") {
  // l(0, y) = log 2 for any y; dl/dz(0, y) = 1/2 - y.
  const loss_term<double> t0 = detail::sigmoid_bce_term(0.0, 1.0, 1.0);
  CHECK(t0.loss == doctest::Approx(std::log(2.0)).epsilon(1e-15));
  CHECK(t0.grad == doctest::Approx(-0.5).epsilon(1e-15));
  for (const double z : {-30.0, -2.5, -1e-3, 0.7, 12.0})
    for (const double y : {0.0, 0.3, 1.0})
      for (const double p : {1.0, 3.0}) {
        const double s = 1 / (1 + std::exp(-z));
        const double loss = -(p * y * std::log(s) + (1 - y) * std::log1p(-s));
        const loss_term<double> t = detail::sigmoid_bce_term(z, y, p);
        INFO("z ", z, " y ", y, " p ", p);
        CHECK(t.loss == doctest::Approx(loss).epsilon(1e-9));
        CHECK(t.grad == doctest::Approx(s * (p * y + 1 - y) - p * y).epsilon(1e-9));
      }
  // Far in the tails the stable form stays finite.
  CHECK(std::isfinite(detail::sigmoid_bce_term(-1000.f, 1.f, 1.f).loss));
  CHECK(detail::sigmoid_bce_term(-1000.f, 1.f, 1.f).loss == doctest::Approx(1000.f));
}

TEST_CASE("rules: L2 and wing terms") {
  CHECK(detail::regression_term(3.0, false, 10.0, 2.0).loss == 4.5);
  CHECK(detail::regression_term(3.0, false, 10.0, 2.0).grad == 3.0);
  // Inside the width: w ln(1 + |x|/eps); outside: |x| - C, continuous at |x| = w.
  CHECK(detail::regression_term(-0.5, true, 1.0, 0.5).loss == doctest::Approx(std::log1p(1.0)));
  CHECK(detail::regression_term(-0.5, true, 1.0, 0.5).grad == doctest::Approx(-1.0 / 1.0));
  const double inside = detail::regression_term(1.0 - 1e-12, true, 1.0, 0.5).loss;
  const double outside = detail::regression_term(1.0 + 1e-12, true, 1.0, 0.5).loss;
  CHECK(inside == doctest::Approx(outside).epsilon(1e-9));
}

TEST_CASE("rules: the CPU backend's selective loss is the sum of the rule's terms") {
  const rows r = random_rows(97, 4);
  std::vector<double> grad(r.n * W);
  const double value = selective_loss<paper, double>().forward_backward(cpu, r.z, r.y, r.d, grad);
  double want = 0;
  for (std::size_t i = 0; i < r.n; ++i)
    for (std::size_t c = 0; c < W; ++c) {
      const bool on = paper::masks[static_cast<std::size_t>(r.d[i])][c];
      const loss_term<double> t = detail::sigmoid_bce_term(r.z[i * W + c], r.y[i * W + c], 1.0);
      if (on) want += t.loss;
      CHECK(grad[i * W + c] == doctest::Approx(on ? t.grad / double(r.n) : 0.0).epsilon(1e-12));
    }
  CHECK(value == doctest::Approx(want / double(r.n)).epsilon(1e-12));
}

TEST_CASE("rules: the CPU backend's selective softmax loss is one softmax segment per row") {
  const rows r = random_rows(61, 5);
  std::vector<double> grad(r.n * W), want_grad(r.n * W, 0.0);
  const double value = selective_softmax_loss<paper, double>().forward_backward(cpu, r.z, r.y, r.d, grad);
  double want = 0;
  const double scale = 1.0 / double(r.n);
  for (std::size_t i = 0; i < r.n; ++i) {  // one softmax over the outputs the row's dataset annotates
    const auto& annotated = paper::masks[static_cast<std::size_t>(r.d[i])];
    want += detail::softmax_segment(r.z.data() + i * W, r.y.data() + i * W,
                                    [&annotated](std::size_t c) { return annotated[c]; }, want_grad.data() + i * W, W,
                                    scale);
  }
  CHECK(value == doctest::Approx(want * scale).epsilon(1e-12));
  for (std::size_t i = 0; i < grad.size(); ++i) CHECK(grad[i] == doctest::Approx(want_grad[i]).epsilon(1e-12));
}

TEST_CASE("rules: batch-norm channel statistics, known values") {
  // x = {1, 2, 3, 4} about shift0 = 1: sums of (x - 1) = 6 and (x - 1)^2 = 14.
  double rm = 0, rv = 1;
  const auto k = detail::batch_norm_train_channel<double>(6, 14, 1, 4, 2.0, 0.5, 0.1, 0.0, rm, rv);
  CHECK(k.mean == 2.5);
  CHECK(k.invstd == doctest::Approx(1 / std::sqrt(1.25)));
  CHECK(k.scale == doctest::Approx(2 / std::sqrt(1.25)));
  CHECK(k.shift == doctest::Approx(0.5 - 2.5 * 2 / std::sqrt(1.25)));
  CHECK(rm == doctest::Approx(0.25));
  CHECK(rv == doctest::Approx(0.9 + 0.1 * 5.0 / 3.0));  // unbiased: 5 / (4 - 1)
  const auto inf = detail::batch_norm_infer_channel<double>(2.0, 0.5, 2.5, 1.25, 0.0);
  CHECK(inf.scale == doctest::Approx(k.scale));
  CHECK(inf.shift == doctest::Approx(k.shift));
  // dx of g = (1, 0, 0, 0): sum g = 1, sum g x = 1; dx = k_dy g + k_x x + k_0 sums to 0.
  const auto g = detail::batch_norm_backward_channel<double>(1, 1, 2.5, 1 / std::sqrt(1.25), 2.0, 4);
  CHECK(g.dbeta == 1);
  CHECK(g.dgamma == doctest::Approx((1 - 2.5) / std::sqrt(1.25)));
  double sum_dx = 0;
  for (const double x : {1.0, 2.0, 3.0, 4.0}) sum_dx += g.k_dy * (x == 1.0) + g.k_x * x + g.k_0;
  CHECK(sum_dx == doctest::Approx(0).scale(1));
}

TEST_CASE("rules: the dropout mask is the CPU backend's, and SGD is PyTorch's momentum form") {
  cpu_backend be;
  host_tensor<float> x = make_host_tensor<float>({1, 1, 1, 1000}, 1.f), mask, y;
  ops::dropout_forward(be, x, 0.25, 42, mask, y);
  const auto threshold = static_cast<std::uint64_t>(0.25 * 18446744073709551616.0);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    CHECK(mask.data()[i] == detail::dropout_mask(detail::mix64(42), i, threshold, 1.f / 0.75f));
    kept += mask.data()[i] != 0.f;
  }
  CHECK(kept > 700);
  CHECK(kept < 800);
  double w = 1.0, v = 0.5;
  detail::sgd_element(w, 0.2, v, 0.1, 0.9, 0.01);
  CHECK(v == doctest::Approx(0.9 * 0.5 + 0.2 + 0.01));
  CHECK(w == doctest::Approx(1.0 - 0.1 * v));
}
