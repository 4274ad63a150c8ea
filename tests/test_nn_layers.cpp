// Layers of nn/: finite-difference gradient checks in double, known values,
// and the batch-norm training/inference semantics.

#include <doctest/doctest.h>

#include <sjmt/nn/activation.hpp>
#include <sjmt/nn/batch_norm.hpp>
#include <sjmt/nn/batch_norm_relu.hpp>
#include <sjmt/nn/conv2d.hpp>
#include <sjmt/nn/linear.hpp>
#include <sjmt/nn/shortcut.hpp>

#include "gradient_check.hpp"

using sjmt::conv2d_geometry;
using sjmt::cpu_backend;
using sjmt::mode;
using sjmt_test::check_layer_gradients;
using sjmt_test::random_tensor;
using B = cpu_backend;
static B be;  // the backend instance every layer here runs on
using conv_f = sjmt::conv2d<B, float>;
using dropout_f = sjmt::dropout<B, float>;

TEST_CASE("conv2d: gradients match finite differences for 3x3/1x1, stride 1/2") {
  std::mt19937_64 rng(3);
  for (const conv2d_geometry g : {conv2d_geometry{3, 1, 1}, conv2d_geometry{3, 2, 1}, conv2d_geometry{1, 1, 0},
                                  conv2d_geometry{1, 2, 0}}) {
    CAPTURE(g.kernel);
    CAPTURE(g.stride);
    sjmt::conv2d<B, double> conv(be, 3, 4, g, rng);
    auto x = random_tensor({2, 6, 6, 3}, rng);
    CHECK(check_layer_gradients(conv, x) == 24 + std::min<std::size_t>(24, g.kernel * g.kernel * 12));
  }
}

TEST_CASE("conv2d: a layer built without input gradient still gives the filter gradient") {
  std::mt19937_64 rng(4);
  sjmt::conv2d<B, double> conv(be, 2, 2, conv2d_geometry{3, 1, 1}, rng, false);
  auto x = random_tensor({1, 4, 4, 2}, rng);
  CHECK(check_layer_gradients(conv, x, {.check_input = false}) == 24);
  CHECK_THROWS_AS(conv_f(be, 0, 2, conv2d_geometry{}, rng), sjmt::value_error);
}

TEST_CASE("conv2d: He initialisation has variance 2 / fan-in") {
  std::mt19937_64 rng(5);
  sjmt::conv2d<B, double> conv(be, 64, 64, conv2d_geometry{3, 1, 1}, rng);
  double s = 0, s2 = 0;
  for (double v : conv.weight()) {
    s += v;
    s2 += v * v;
  }
  const double n = static_cast<double>(conv.weight().size());
  CHECK(s / n == doctest::Approx(0.0).epsilon(0.01));
  CHECK(s2 / n == doctest::Approx(2.0 / (9 * 64)).epsilon(0.05));
}

TEST_CASE("batch_norm: gradients match finite differences in training mode") {
  std::mt19937_64 rng(6);
  sjmt::batch_norm<B, double> bn(be, 3);
  // Non-trivial gamma and beta so that their gradients are tested at a generic point.
  bn.gamma() = random_tensor({1, 1, 1, 3}, rng);
  bn.beta() = random_tensor({1, 1, 1, 3}, rng);
  auto x = random_tensor({2, 3, 3, 3}, rng, 2.0);
  CHECK(check_layer_gradients(bn, x) == 24 + 3 + 3);
}

TEST_CASE("batch_norm: training uses batch statistics, inference the running averages") {
  std::mt19937_64 rng(7);
  sjmt::batch_norm<B, double> bn(be, 2, 1.0);  // momentum 1: running = last batch
  auto x = random_tensor({4, 3, 3, 2}, rng, 3.0);
  for (auto& v : x) v += 5.0;
  const auto train = bn.forward(x, mode::train);
  for (std::size_t c = 0; c < 2; ++c) {
    double s = 0, s2 = 0;
    for (std::size_t m = 0; m < 36; ++m) {
      s += train.data()[m * 2 + c];
      s2 += train.data()[m * 2 + c] * train.data()[m * 2 + c];
    }
    CHECK(s / 36 == doctest::Approx(0.0).epsilon(1e-9));
    CHECK(s2 / 36 == doctest::Approx(1.0).epsilon(1e-4));
  }
  // Inference with running var = unbiased var differs from training by sqrt(35/36).
  const auto infer = bn.forward(x, mode::infer);
  for (std::size_t i = 0; i < x.size(); ++i)
    CHECK(infer.data()[i] == doctest::Approx(train.data()[i] * std::sqrt(35.0 / 36.0)).epsilon(1e-4));
  CHECK_THROWS_AS(bn.backward(x), sjmt::value_error);
  // Inference on one image works; training on a single value per channel does not.
  auto one = random_tensor({1, 1, 1, 2}, rng);
  CHECK_NOTHROW(bn.forward(one, mode::infer));
  CHECK_THROWS_AS(bn.forward(one, mode::train), sjmt::shape_error);
}

TEST_CASE("linear: gradients match finite differences; known output") {
  std::mt19937_64 rng(8);
  sjmt::linear<B, double> fc(be, 12, 5, rng);
  auto x = random_tensor({3, 2, 2, 3}, rng);
  CHECK(check_layer_gradients(fc, x) == 24 + 24 + 5);
  CHECK(fc.in_features() == 12);
  CHECK(fc.out_features() == 5);
}

TEST_CASE("relu, max_pool2, global_avg_pool: gradients match finite differences") {
  std::mt19937_64 rng(9);
  auto x = random_tensor({2, 4, 4, 3}, rng);
  sjmt::relu<B, double> r(be);
  CHECK(check_layer_gradients(r, x) == 24);
  sjmt::max_pool2<B, double> mp(be);
  CHECK(check_layer_gradients(mp, x) == 24);
  CHECK(mp.forward(x, mode::train).shape() == sjmt::shape4{2, 2, 2, 3});
  sjmt::global_avg_pool<B, double> gap(be);
  CHECK(check_layer_gradients(gap, x) == 24);
}

TEST_CASE("dropout: gradients match finite differences for a fixed mask; identity in inference") {
  std::mt19937_64 rng(10);
  auto x = random_tensor({2, 4, 4, 3}, rng);
  sjmt::dropout<B, double> drop(be, 0.5, 99);
  sjmt_test::params none;
  const auto n = sjmt_test::check_gradients(
      [&](const sjmt_test::tensor& in) -> const sjmt_test::tensor& {
        drop.reseed(99);
        return drop.forward(in, mode::train);
      },
      [&](const sjmt_test::tensor& dy) -> const sjmt_test::tensor& { return drop.backward(dy); }, x, none);
  CHECK(n == 24);
  CHECK(&drop.forward(x, mode::infer) == &x);
  CHECK_THROWS_AS(dropout_f(be, 1.0), sjmt::value_error);
}

TEST_CASE("subsample_pad (option-A shortcut): every stride-th pixel, zeros after its channels; finite differences") {
  std::mt19937_64 rng(21);
  auto x = random_tensor({2, 5, 4, 3}, rng);  // odd height: the last row of samples is a partial one
  sjmt::subsample_pad<B, double> pad(be, 2, 7);
  const auto& y = pad.forward(x, mode::train);
  REQUIRE(y.shape() == sjmt::shape4{2, 3, 2, 7});
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t p = 0; p < 3; ++p)
      for (std::size_t q = 0; q < 2; ++q)
        for (std::size_t c = 0; c < 7; ++c) {
          const double want = c < 3 ? x(n, 2 * p, 2 * q, c) : 0.0;
          CHECK(y(n, p, q, c) == want);
        }
  CHECK(check_layer_gradients(pad, x, {.samples = 40}) == 40);  // every input, sampled pixels or not
  sjmt::subsample_pad<B, double> same(be, 1, 3);  // stride 1, no padding: the identity
  CHECK(same.forward(x, mode::train) == x);
  CHECK(check_layer_gradients(same, x) == 24);
  sjmt::subsample_pad<B, double> fewer(be, 2, 2);
  CHECK_THROWS_AS(fewer.forward(x, mode::train), sjmt::shape_error);
}

TEST_CASE("batch_norm_relu: gradients match finite differences, with and without a residual") {
  std::mt19937_64 rng(11);
  sjmt::batch_norm_relu<B, double> bn(be, 3);
  bn.gamma() = random_tensor({1, 1, 1, 3}, rng);
  bn.beta() = random_tensor({1, 1, 1, 3}, rng);
  auto x = random_tensor({2, 3, 3, 3}, rng, 2.0);
  CHECK(check_layer_gradients(bn, x) == 24 + 3 + 3);
  // With a residual z: gradients with respect to x and the parameters, then to z.
  auto z = random_tensor({2, 3, 3, 3}, rng);
  sjmt_test::params ps;
  bn.collect(ps, "");
  CHECK(sjmt_test::check_gradients([&](const sjmt_test::tensor& in) -> const sjmt_test::tensor& { return bn.forward(in, &z, sjmt::mode::train); },
                                   [&](const sjmt_test::tensor& dy) -> const sjmt_test::tensor& { return bn.backward(dy); }, x, ps) ==
        24 + 3 + 3);
  CHECK(sjmt_test::check_gradients([&](const sjmt_test::tensor& in) -> const sjmt_test::tensor& { return bn.forward(x, &in, sjmt::mode::train); },
                                   [&](const sjmt_test::tensor& dy) -> const sjmt_test::tensor& {
                                     bn.backward(dy);
                                     return bn.residual_gradient();
                                   },
                                   z, {}) == 24);
}

TEST_CASE("batch_norm_relu: equals batch_norm, add and relu composed, in training and inference") {
  std::mt19937_64 rng(12);
  sjmt::batch_norm<B, double> bn(be, 4);
  sjmt::batch_norm_relu<B, double> fused(be, 4);
  sjmt::relu<B, double> r(be);
  const auto g = random_tensor({1, 1, 1, 4}, rng), b = random_tensor({1, 1, 1, 4}, rng);
  bn.gamma() = g;
  bn.beta() = b;
  fused.gamma() = g;
  fused.beta() = b;
  const auto x = random_tensor({2, 3, 5, 4}, rng, 3.0), z = random_tensor({2, 3, 5, 4}, rng);
  for (const auto m : {sjmt::mode::train, sjmt::mode::infer}) {
    sjmt_test::tensor sum;
    sjmt::ops::add(be, bn.forward(x, m), z, sum);
    const sjmt_test::tensor& expected = r.forward(sum, m);
    const sjmt_test::tensor& got = fused.forward(x, &z, m);
    REQUIRE(got.shape() == expected.shape());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got.data()[i] == doctest::Approx(expected.data()[i]).epsilon(1e-12));
    for (std::size_t c = 0; c < 4; ++c) {
      CHECK(fused.running_mean().data()[c] == doctest::Approx(bn.running_mean().data()[c]).epsilon(1e-12));
      CHECK(fused.running_var().data()[c] == doctest::Approx(bn.running_var().data()[c]).epsilon(1e-12));
    }
  }
}
