// Known values of the CPU backend's ops, against hand-computed results and a
// direct (loop) reference convolution.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <tuple>
#include <utility>
#include <vector>
#include <omp.h>
#include <sjmt/backend.hpp>

using sjmt::conv2d_geometry;
using sjmt::cpu_backend;
using sjmt::host_tensor;
using sjmt::shape4;

namespace {

cpu_backend be;  // every op below runs through the door, sjmt::ops, on this instance

template <class T>
host_tensor<T> random_tensor(const shape4& s, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  host_tensor<T> t(s);
  for (auto& v : t) v = static_cast<T>(normal(rng));
  return t;
}

/// Calls f(n, p, q, k, r, s, c, h, w) for every product of a direct
/// convolution: output (n, p, q, k) gets x(n, h, w, c) * W(r, s, c, k).
template <class F>
void for_each_product(const conv2d_geometry& g, const shape4& xs, const shape4& ys, F f) {
  const auto H = static_cast<long>(xs[1]), W = static_cast<long>(xs[2]);
  for (std::size_t n = 0; n < ys[0]; ++n)
    for (std::size_t p = 0; p < ys[1]; ++p)
      for (std::size_t q = 0; q < ys[2]; ++q)
        for (std::size_t k = 0; k < ys[3]; ++k)
          for (std::size_t r = 0; r < g.kernel; ++r)
            for (std::size_t s = 0; s < g.kernel; ++s)
              for (std::size_t c = 0; c < xs[3]; ++c) {
                const long ih = static_cast<long>(p * g.stride + r) - static_cast<long>(g.pad);
                const long iw = static_cast<long>(q * g.stride + s) - static_cast<long>(g.pad);
                if (ih < 0 || iw < 0 || ih >= H || iw >= W) continue;
                f(n, p, q, k, r, s, c, static_cast<std::size_t>(ih), static_cast<std::size_t>(iw));
              }
}

/// Direct convolution, NHWC input, RSCK filter.
host_tensor<double> reference_conv(const conv2d_geometry& g, const host_tensor<double>& x,
                                   const host_tensor<double>& w) {
  host_tensor<double> y = sjmt::make_host_tensor<double>(g.output_shape(x.shape(), w.shape()));
  for_each_product(g, x.shape(), y.shape(), [&](auto n, auto p, auto q, auto k, auto r, auto s, auto c, auto h, auto v) {
    y(n, p, q, k) += x(n, h, v, c) * w(r, s, c, k);
  });
  return y;
}

/// The two backward passes of reference_conv by the same loops: dx and dw of
/// y = conv(x, w) for the output gradient dy.
std::pair<host_tensor<double>, host_tensor<double>> reference_conv_backward(
    const conv2d_geometry& g, const host_tensor<double>& x, const host_tensor<double>& w,
    const host_tensor<double>& dy) {
  host_tensor<double> dx = sjmt::make_host_tensor<double>(x.shape());
  host_tensor<double> dw = sjmt::make_host_tensor<double>(w.shape());
  for_each_product(g, x.shape(), dy.shape(), [&](auto n, auto p, auto q, auto k, auto r, auto s, auto c, auto h, auto v) {
    dx(n, h, v, c) += dy(n, p, q, k) * w(r, s, c, k);
    dw(r, s, c, k) += dy(n, p, q, k) * x(n, h, v, c);
  });
  return {std::move(dx), std::move(dw)};
}

double dot(const host_tensor<double>& a, const host_tensor<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a.data()[i] * b.data()[i];
  return s;
}

}  // namespace

TEST_CASE("conv2d: 3x3 box filter with padding sums each neighbourhood") {
  // x = 1..9 on a 3x3 single-channel image; the centre sees all nine values.
  host_tensor<float> x({1, 3, 3, 1});
  for (std::size_t i = 0; i < 9; ++i) x.data()[i] = static_cast<float>(i + 1);
  auto w = sjmt::make_host_tensor<float>({3, 3, 1, 1}, 1.0f);
  host_tensor<float> y;
  sjmt::ops::conv2d_forward(be, conv2d_geometry{3, 1, 1}, x, w, y);
  CHECK(y.shape() == shape4{1, 3, 3, 1});
  CHECK(y(0, 1, 1, 0) == doctest::Approx(45));
  CHECK(y(0, 0, 0, 0) == doctest::Approx(1 + 2 + 4 + 5));
  CHECK(y(0, 2, 2, 0) == doctest::Approx(5 + 6 + 8 + 9));
  sjmt::ops::conv2d_forward(be, conv2d_geometry{3, 2, 1}, x, w, y);
  CHECK(y.shape() == shape4{1, 2, 2, 1});
  CHECK(y(0, 1, 1, 0) == doctest::Approx(5 + 6 + 8 + 9));
}

TEST_CASE("conv2d: forward, backward-data and backward-filter match a direct convolution") {
  std::mt19937_64 rng(7);
  // 4 -> 5 channels take the Eigen path; 8 -> 16 and 16 -> 24 the narrow GEMM
  // (columns a multiple of 8 doubles), with row tiles that do not divide.
  for (const auto& [C, K] : {std::pair<std::size_t, std::size_t>{4, 5}, {8, 16}, {16, 24}})
  for (const conv2d_geometry g : {conv2d_geometry{3, 1, 1}, conv2d_geometry{3, 2, 1}, conv2d_geometry{1, 1, 0},
                                  conv2d_geometry{1, 2, 0}, conv2d_geometry{3, 1, 0}}) {
    CAPTURE(C);
    CAPTURE(K);
    CAPTURE(g.kernel);
    CAPTURE(g.stride);
    CAPTURE(g.pad);
    const auto x = random_tensor<double>({3, 6, 5, C}, rng);
    const auto w = random_tensor<double>({g.kernel, g.kernel, C, K}, rng);
    host_tensor<double> y;
    sjmt::ops::conv2d_forward(be, g, x, w, y);
    const auto ref = reference_conv(g, x, w);
    REQUIRE(y.shape() == ref.shape());
    for (std::size_t i = 0; i < y.size(); ++i) CHECK(y.data()[i] == doctest::Approx(ref.data()[i]).epsilon(1e-12));
    // Adjoint identities: <conv(x), dy> = <x, dX(dy)> = <w, dW(x, dy)>.
    const auto dy = random_tensor<double>(y.shape(), rng);
    host_tensor<double> dx, dw(w.shape());
    sjmt::ops::conv2d_backward_data(be, g, dy, w, x.shape(), dx);
    sjmt::ops::conv2d_backward_filter(be, g, x, dy, dw.shape(), dw);
    CHECK(dot(dx, x) == doctest::Approx(dot(y, dy)).epsilon(1e-12));
    CHECK(dot(dw, w) == doctest::Approx(dot(y, dy)).epsilon(1e-12));
  }
}

TEST_CASE("conv2d: the float narrow-GEMM path matches the double reference") {
  std::mt19937_64 rng(8);
  const conv2d_geometry g{3, 1, 1};
  const auto xd = random_tensor<double>({2, 7, 7, 16}, rng);
  const auto wd = random_tensor<double>({3, 3, 16, 48}, rng);
  const host_tensor<float> xf = xd, wf = wd;
  host_tensor<float> y;
  sjmt::ops::conv2d_forward(be, g, xf, wf, y);
  const auto ref = reference_conv(g, xd, wd);
  for (std::size_t i = 0; i < y.size(); ++i) CHECK(y.data()[i] == doctest::Approx(ref.data()[i]).epsilon(1e-4));
}

TEST_CASE("conv2d: strided backward-data (a sub-convolution per pixel class) matches the loops") {
  // Stride 2 and 3, kernels 1 to 5, with and without padding; sides the stride does
  // not divide (rows of x no output reads get zero) and sides below the stride; one
  // image (the threads split its classes, 32x32: above the threading grain) and more;
  // 8 to 32 channels of dx (float takes 8 only where it is whole vectors, AVX2);
  // K of 5 (odd), 16, 32 and 64; rows of 12 and 16 pixels per class (the regular
  // tiles) and segments of 2 x 64 values (the one-segment-at-a-time walk). Every pixel
  // of dx is written (the buffer starts as NaN).
  namespace cpu = sjmt::detail::cpu;
  std::mt19937_64 rng(12);
  cpu::scratch ws;
  for (const conv2d_geometry g : {conv2d_geometry{3, 2, 1}, conv2d_geometry{1, 2, 0}, conv2d_geometry{3, 2, 0},
                                  conv2d_geometry{2, 2, 0}, conv2d_geometry{5, 2, 2}, conv2d_geometry{3, 3, 1},
                                  conv2d_geometry{4, 3, 2}, conv2d_geometry{1, 3, 0}})
    for (const auto& [N, H, W, C, K] : {std::tuple<std::size_t, std::size_t, std::size_t, std::size_t, std::size_t>{
                                            1, 8, 8, 16, 16},
                                        {3, 7, 9, 8, 5}, {2, 6, 5, 32, 16}, {1, 2, 5, 16, 16},
                                        {1, 32, 32, 16, 32}, {2, 16, 24, 16, 16}, {2, 32, 32, 32, 64}}) {
      CAPTURE(g.kernel);
      CAPTURE(g.stride);
      CAPTURE(g.pad);
      CAPTURE(N);
      CAPTURE(H);
      CAPTURE(W);
      CAPTURE(C);
      REQUIRE(cpu::strided_data_fits<double>(g, C));
      if (H + 2 * g.pad < g.kernel || W + 2 * g.pad < g.kernel) continue;  // no output (the door throws)
      const auto xd = random_tensor<double>({N, H, W, C}, rng);
      const auto wd = random_tensor<double>({g.kernel, g.kernel, C, K}, rng);
      const auto dyd = random_tensor<double>(g.output_shape(xd.shape(), wd.shape()), rng);
      const auto ref = reference_conv_backward(g, xd, wd, dyd).first;
      host_tensor<double> dxd;
      sjmt::ops::conv2d_backward_data(be, g, dyd, wd, xd.shape(), dxd);
      for (std::size_t i = 0; i < ref.size(); ++i) CHECK(dxd.data()[i] == doctest::Approx(ref.data()[i]).epsilon(1e-12));
      // the door took this kernel: the same bits, into a buffer of NaN
      host_tensor<double> direct(xd.shape());
      std::fill(direct.begin(), direct.end(), std::numeric_limits<double>::quiet_NaN());
      cpu::conv2d_backward_data_strided(ws, g.pad, g.kernel, g.stride, dyd.data(), dyd.shape(), wd.data(),
                                        xd.shape(), direct.data());
      CHECK(std::equal(direct.begin(), direct.end(), dxd.begin()));
      if (!cpu::strided_data_fits<float>(g, C)) continue;
      const host_tensor<float> wf = wd, dyf = dyd;
      host_tensor<float> dxf;
      sjmt::ops::conv2d_backward_data(be, g, dyf, wf, xd.shape(), dxf);
      for (std::size_t i = 0; i < ref.size(); ++i) CHECK(dxf.data()[i] == doctest::Approx(ref.data()[i]).epsilon(1e-4));
      // the thread count does not change a bit
      const int before = omp_get_max_threads();
      omp_set_num_threads(1);
      host_tensor<float> one(xd.shape());
      cpu::conv2d_backward_data_strided(ws, g.pad, g.kernel, g.stride, dyf.data(), dyf.shape(), wf.data(),
                                        xd.shape(), one.data());
      omp_set_num_threads(4);
      host_tensor<float> four(xd.shape());
      cpu::conv2d_backward_data_strided(ws, g.pad, g.kernel, g.stride, dyf.data(), dyf.shape(), wf.data(),
                                        xd.shape(), four.data());
      omp_set_num_threads(before);
      CHECK(std::equal(one.begin(), one.end(), dxf.begin()));
      CHECK(std::equal(four.begin(), four.end(), dxf.begin()));
    }
  CHECK_FALSE(cpu::strided_data_fits<float>(conv2d_geometry{3, 1, 1}, 16));  // stride 1: the flipped forward
  CHECK_FALSE(cpu::strided_data_fits<float>(conv2d_geometry{3, 2, 1}, 3));   // 3 channels: im2col
  CHECK_FALSE(cpu::strided_data_fits<float>(conv2d_geometry{3, 2, 3}, 16));  // padding >= kernel
}

TEST_CASE("conv2d: the float direct stride-1 path agrees with double in all three passes") {
  // 64 -> 64 channels walk the filter one segment at a time (conv2d_direct.hpp);
  // 24 -> 40 ends on a one-vector column slice; 5x5 with padding 2 and 1.
  std::mt19937_64 rng(9);
  for (const auto& [C, K, R, pad] : {std::tuple<std::size_t, std::size_t, std::size_t, std::size_t>{64, 64, 3, 1},
                                     {24, 40, 5, 2}, {16, 16, 5, 1}}) {
    CAPTURE(C);
    CAPTURE(K);
    CAPTURE(R);
    const conv2d_geometry g{R, 1, pad};
    const auto xd = random_tensor<double>({3, 7, 6, C}, rng);
    const auto wd = random_tensor<double>({R, R, C, K}, rng);
    host_tensor<double> yd, dxd, dwd(wd.shape());
    sjmt::ops::conv2d_forward(be, g, xd, wd, yd);
    const auto dyd = random_tensor<double>(yd.shape(), rng);
    sjmt::ops::conv2d_backward_data(be, g, dyd, wd, xd.shape(), dxd);
    sjmt::ops::conv2d_backward_filter(be, g, xd, dyd, dwd.shape(), dwd);
    const host_tensor<float> xf = xd, wf = wd, dyf = dyd;
    host_tensor<float> yf, dxf, dwf(wf.shape());
    sjmt::ops::conv2d_forward(be, g, xf, wf, yf);
    sjmt::ops::conv2d_backward_data(be, g, dyf, wf, xf.shape(), dxf);
    sjmt::ops::conv2d_backward_filter(be, g, xf, dyf, dwf.shape(), dwf);
    const auto ref = reference_conv(g, xd, wd);
    for (std::size_t i = 0; i < yd.size(); ++i) CHECK(yd.data()[i] == doctest::Approx(ref.data()[i]).epsilon(1e-12));
    CHECK(dot(dxd, xd) == doctest::Approx(dot(yd, dyd)).epsilon(1e-12));
    CHECK(dot(dwd, wd) == doctest::Approx(dot(yd, dyd)).epsilon(1e-12));
    for (std::size_t i = 0; i < yd.size(); ++i) CHECK(yf.data()[i] == doctest::Approx(yd.data()[i]).epsilon(1e-4));
    for (std::size_t i = 0; i < dxd.size(); ++i) CHECK(dxf.data()[i] == doctest::Approx(dxd.data()[i]).epsilon(1e-4));
    for (std::size_t i = 0; i < dwd.size(); ++i) CHECK(dwf.data()[i] == doctest::Approx(dwd.data()[i]).epsilon(1e-4));
  }
}

TEST_CASE("conv2d: ResNet-CIFAR layer shapes (the tap and regular-row kernels) match the loops") {
  // Widths 32, 16 and 8 with 16, 32 and 64 channels are the shapes whose rows
  // the direct kernels tile exactly (tap tiles of 16 or 8 pixels, regular row
  // runs with the spacing known at compile time); width 24 takes 8-pixel
  // tiles. Float and double take different tiles (a
  // double vector holds half the lanes), so both are checked against the loops.
  // K = 8 gives double its one-vector tiles; widths 48 and 24 give middle
  // tiles (neither edge); 9 images of 7 rows run on several threads and
  // several partial-sum blocks of backward-filter (7 rows, and 2,016 pixels,
  // keep the forward off F(4x4), which has its own tests).
  std::mt19937_64 rng(10);
  // A team of 4 whatever the machine, so that images and rows are shared on a
  // one-core runner too; restored when the case ends, however it ends.
  struct team_of_four {
    int before = omp_get_max_threads();
    team_of_four() { omp_set_num_threads(4); }
    ~team_of_four() { omp_set_num_threads(before); }
  } const team;
  using shape = std::tuple<std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t>;
  for (const auto& [C, K, W, stride, N, H] :
       {shape{16, 16, 32, 1, 2, 3}, shape{16, 32, 32, 2, 2, 3}, shape{32, 32, 16, 1, 2, 3},
        shape{32, 64, 16, 2, 2, 3}, shape{64, 64, 8, 1, 2, 3}, shape{16, 16, 8, 1, 2, 3},
        shape{64, 64, 24, 1, 2, 3}, shape{32, 16, 12, 1, 2, 3}, shape{16, 48, 16, 1, 2, 3},
        shape{16, 8, 16, 1, 2, 3}, shape{16, 8, 24, 1, 2, 3}, shape{32, 16, 32, 1, 2, 3},
        shape{64, 16, 8, 1, 2, 3}, shape{16, 16, 48, 1, 2, 3}, shape{16, 16, 24, 1, 2, 3},
        shape{16, 16, 32, 1, 9, 7},
        // other widths: 12 and 36 (48x48 input at the third stage; AVX-512's
        // 12-pixel tiles, 36 with left, middle and right tiles), 31 (a last tile
        // overlapping the one before), 9, 14 and 7 (the walk); K = 48, three
        // float vectors on AVX-512 (one-vector tiles)
        shape{64, 64, 12, 1, 2, 3}, shape{16, 16, 12, 1, 2, 3}, shape{16, 16, 36, 1, 2, 3},
        shape{64, 64, 36, 1, 2, 3}, shape{32, 32, 31, 1, 2, 3},
        shape{16, 16, 31, 1, 2, 3}, shape{32, 32, 9, 1, 2, 3}, shape{64, 16, 14, 1, 2, 3},
        shape{16, 16, 7, 1, 2, 3}, shape{16, 48, 12, 1, 2, 3}, shape{16, 48, 31, 1, 2, 3},
        // one image on a team of threads (enough work to be threaded; the team is
        // set to 4 below): the rows are shared (tap tiles, and the walk of a
        // stride-2 layer and of a first layer of 3 channels); 2 output rows for 4
        // threads leave two of them without rows
        shape{16, 16, 32, 1, 1, 40}, shape{16, 32, 64, 2, 1, 64}, shape{3, 16, 64, 1, 1, 64},
        shape{16, 32, 768, 2, 1, 3},
        // first layers, whose backward-filter keeps 9 C filter rows in registers
        // (narrow_filter_image): colour and grey, several blocks of images, K of
        // two and three vectors, 2 channels, one row, and K = 8 (one double
        // vector; float's walk)
        shape{3, 16, 32, 1, 10, 8}, shape{1, 16, 48, 1, 2, 3}, shape{3, 32, 9, 1, 2, 5},
        shape{2, 48, 7, 1, 3, 4}, shape{1, 16, 5, 1, 2, 1}, shape{3, 8, 6, 1, 2, 3}}) {
    CAPTURE(C);
    CAPTURE(K);
    CAPTURE(W);
    CAPTURE(stride);
    CAPTURE(N);
    CAPTURE(H);
    const conv2d_geometry g{3, stride, 1};
    const auto xd = random_tensor<double>({N, H, W, C}, rng);
    const auto wd = random_tensor<double>({3, 3, C, K}, rng);
    const auto ref = reference_conv(g, xd, wd);
    const auto dyd = random_tensor<double>(ref.shape(), rng);
    const auto [dx_ref, dw_ref] = reference_conv_backward(g, xd, wd, dyd);

    host_tensor<double> yd, dxd, dwd(wd.shape());
    sjmt::ops::conv2d_forward(be, g, xd, wd, yd);
    sjmt::ops::conv2d_backward_data(be, g, dyd, wd, xd.shape(), dxd);
    sjmt::ops::conv2d_backward_filter(be, g, xd, dyd, dwd.shape(), dwd);
    const host_tensor<float> xf = xd, wf = wd, dyf = dyd;
    host_tensor<float> yf, dxf, dwf(wf.shape());
    sjmt::ops::conv2d_forward(be, g, xf, wf, yf);
    sjmt::ops::conv2d_backward_data(be, g, dyf, wf, xf.shape(), dxf);
    sjmt::ops::conv2d_backward_filter(be, g, xf, dyf, dwf.shape(), dwf);

    REQUIRE(yd.shape() == ref.shape());
    REQUIRE(dxd.shape() == dx_ref.shape());
    for (std::size_t i = 0; i < ref.size(); ++i) {
      CHECK(yd.data()[i] == doctest::Approx(ref.data()[i]).epsilon(1e-12));
      CHECK(yf.data()[i] == doctest::Approx(ref.data()[i]).epsilon(1e-4));
    }
    for (std::size_t i = 0; i < dx_ref.size(); ++i) {
      CHECK(dxd.data()[i] == doctest::Approx(dx_ref.data()[i]).epsilon(1e-12));
      CHECK(dxf.data()[i] == doctest::Approx(dx_ref.data()[i]).epsilon(1e-4));
    }
    for (std::size_t i = 0; i < dw_ref.size(); ++i) {
      CHECK(dwd.data()[i] == doctest::Approx(dw_ref.data()[i]).epsilon(1e-12));
      CHECK(dwf.data()[i] == doctest::Approx(dw_ref.data()[i]).epsilon(1e-4));
    }
  }
}

#if defined(__AVX512F__)
TEST_CASE("conv2d: with AVX-512, ResNet-CIFAR's 3x3 layers get the tap tiles") {
  // Guards the shape tests above: a plan that silently fell back to the
  // segment walk would still compute the right numbers there.
  namespace cpu = sjmt::detail::cpu;
  const auto fwd = [](std::size_t C, std::size_t K, std::size_t W) {
    const auto p = cpu::plan_tap_tiles<float>(3, 1, C, K, W);
    return std::pair{p.vectors, p.tile};
  };
  CHECK(fwd(16, 16, 32) == std::pair{1, 16});
  CHECK(fwd(32, 32, 16) == std::pair{2, 8});
  CHECK(fwd(64, 64, 8) == std::pair{2, 8});
  CHECK(fwd(16, 16, 8) == std::pair{1, 8});
  CHECK(fwd(3, 16, 32).first == 0);   // the first layer: 3 input channels
  CHECK(fwd(16, 16, 12) == std::pair{1, 12});  // 48x48 input, third stage: 12-pixel tiles
  CHECK(fwd(64, 64, 12) == std::pair{2, 12});
  CHECK(fwd(64, 64, 24) == std::pair{2, 8});   // 8 divides: 8-pixel tiles
  CHECK(fwd(32, 32, 31) == std::pair{2, 8});   // the last tile overlaps: 1 pixel of 31 recomputed
  CHECK(fwd(32, 32, 14).first == 0);           // 2 of 14 recomputed: the walk is faster
  CHECK(fwd(16, 48, 32) == std::pair{1, 16});  // three vectors: one-vector tiles
  CHECK(fwd(16, 16, 7).first == 0);            // narrower than a tile: the walk
  CHECK(cpu::plan_tap_tiles<float>(3, 0, 16, 16, 32).vectors == 0);  // padding 0
  CHECK(cpu::plan_tap_tiles<float>(5, 2, 16, 16, 32).vectors == 0);  // 5x5
  CHECK(cpu::plan_tap_tiles<double>(3, 1, 16, 8, 16).vectors == 1);
  const auto bwd = cpu::plan_tap_filter_tiles<float>(3, 1, 16, 16);
  CHECK(bwd.vectors == 1);
  CHECK(bwd.tile == 8);
  CHECK(cpu::plan_tap_filter_tiles<float>(3, 1, 32, 64).vectors == 2);
  CHECK(cpu::plan_tap_filter_tiles<float>(3, 1, 16, 24).vectors == 0);  // K not whole vectors
  CHECK(cpu::plan_tap_filter_tiles<float>(3, 1, 3, 16).vectors == 0);  // so it reaches the narrow kernel
  CHECK(cpu::plan_narrow_filter<float>(3, 1, 3, 16));   // the first layer: colour
  CHECK(cpu::plan_narrow_filter<double>(3, 1, 3, 16));  // two double vectors of K
  CHECK(cpu::plan_narrow_filter<float>(3, 1, 1, 32));   // grey
  CHECK(!cpu::plan_narrow_filter<float>(3, 1, 4, 16));  // 36 accumulators would not fit
  CHECK(!cpu::plan_narrow_filter<float>(3, 1, 3, 24));  // K not whole vectors
  CHECK(!cpu::plan_narrow_filter<float>(3, 0, 3, 16));  // padding 0
  CHECK(cpu::regular_rows<1>(32) == 16);
  CHECK(cpu::regular_rows<2>(16) == 8);
  CHECK(cpu::regular_rows<2>(48) == 12);
  CHECK(cpu::regular_rows<2>(10) == 0);
}
#else
TEST_CASE("conv2d: with AVX2, ResNet-CIFAR's 3x3 forward layers get 8-pixel tap tiles") {
  // As above for the 16-register build: forward (and backward-data, a forward
  // with the flipped filter) takes 8 x 1 tap tiles; backward-filter keeps the walk.
  namespace cpu = sjmt::detail::cpu;
  for (const auto& [C, K, W] : {std::tuple{16, 16, 32}, {32, 32, 16}, {64, 64, 8}, {16, 32, 24}}) {
    const auto p = cpu::plan_tap_tiles<float>(3, 1, C, K, W);
    CHECK(p.vectors == 1);
    CHECK(p.tile == 8);
  }
  CHECK(cpu::plan_tap_tiles<float>(3, 1, 3, 16, 32).vectors == 0);   // 3 input channels
  CHECK(cpu::plan_tap_tiles<float>(3, 1, 16, 16, 12).vectors == 0);  // 4 of 12 recomputed: the walk is faster
  CHECK(cpu::plan_tap_tiles<float>(3, 1, 16, 16, 31).tile == 8);     // 1 of 31 recomputed: overlapping tiles
  CHECK(cpu::plan_tap_tiles<float>(3, 1, 16, 16, 7).vectors == 0);   // narrower than a tile
  CHECK(cpu::plan_tap_tiles<float>(3, 0, 16, 16, 32).vectors == 0);  // padding 0
  CHECK(cpu::plan_tap_tiles<double>(3, 1, 16, 8, 16).vectors == 1);
  CHECK(cpu::plan_tap_filter_tiles<float>(3, 1, 16, 16).vectors == 0);
  CHECK(!cpu::plan_narrow_filter<float>(3, 1, 3, 16));  // backward-filter of the first layer keeps the walk
}
#endif

namespace {

/// |t| elementwise.
host_tensor<double> absolute(host_tensor<double> t) {
  for (auto& v : t) v = std::abs(v);
  return t;
}

/// |y_ij| of reference_conv with |x| and |w|: the scale of each output's rounding error.
host_tensor<double> absolute_conv(const conv2d_geometry& g, const host_tensor<double>& x,
                                  const host_tensor<double>& w) {
  return reference_conv(g, absolute(x), absolute(w));
}

/// The error bound of Winograd F(2x2, 3x3) stated in conv2d_winograd.hpp:
/// |y - y_exact| <= 8 (C + 16) eps sum |x| |w| per output, eps the unit roundoff of T.
template <class T>
double winograd_bound(std::size_t C) {
  return 8.0 * static_cast<double>(C + 16) * std::numeric_limits<T>::epsilon() / 2;
}

/// y = conv3x3(x, w) through `forward` (a fused Winograd entry:
/// conv2d_forward_winograd or conv2d_forward_winograd4x4) whatever the plan says,
/// on `ws` (reused across calls, so that stale buffers would show); every output
/// row must be handed to the block callback exactly once.
template <class T, class Forward>
host_tensor<T> winograd_forward_by(Forward&& forward, sjmt::detail::cpu::scratch& ws, const host_tensor<T>& x,
                                   const host_tensor<T>& w) {
  const shape4 xs = x.shape();
  host_tensor<T> y({xs[0], xs[1], xs[2], w.shape()[3]});
  std::vector<int> seen(xs[0] * xs[1], 0);
  forward(ws, x.data(), xs, w.data(), w.shape()[3], y.data(), [&](std::size_t row0, std::size_t rows) {
    for (std::size_t r = row0; r < row0 + rows; ++r) {
#pragma omp atomic
      ++seen[r];
    }
  });
  for (std::size_t r = 0; r < seen.size(); ++r) {
    CAPTURE(r);
    CHECK(seen[r] == 1);
  }
  return y;
}

/// y = conv3x3(x, w) through Winograd F(2x2, 3x3) whatever the plan says.
template <class T>
host_tensor<T> winograd_forward(sjmt::detail::cpu::scratch& ws, const host_tensor<T>& x, const host_tensor<T>& w) {
  return winograd_forward_by(
      [](auto&&... a) { sjmt::detail::cpu::conv2d_forward_winograd(std::forward<decltype(a)>(a)...); }, ws, x, w);
}

/// y = conv3x3(x, w) through Winograd F(4x4, 3x3) whatever the plan says.
template <class T>
host_tensor<T> winograd4x4_forward(sjmt::detail::cpu::scratch& ws, const host_tensor<T>& x, const host_tensor<T>& w) {
  return winograd_forward_by(
      [](auto&&... a) { sjmt::detail::cpu::conv2d_forward_winograd4x4(std::forward<decltype(a)>(a)...); }, ws, x, w);
}

/// The error bound of Winograd F(4x4, 3x3) stated in conv2d_winograd4x4.hpp:
/// |y - y_exact| <= 16 (C + 36) u sum |x| |w| per output.
template <class T>
double winograd4x4_bound(std::size_t C) {
  return 16.0 * static_cast<double>(C + 36) * std::numeric_limits<T>::epsilon() / 2;
}

/// dw of conv3x3(x, w) for dy through Winograd F(2x2, 3x3) whatever the plan says.
template <class T>
host_tensor<T> winograd_backward_filter(sjmt::detail::cpu::scratch& ws, const host_tensor<T>& x,
                                        const host_tensor<T>& dy) {
  host_tensor<T> dw({3, 3, x.shape()[3], dy.shape()[3]});
  sjmt::detail::cpu::conv2d_backward_filter_winograd(ws, x.data(), x.shape(), dy.data(), dy.shape()[3], dw.data());
  return dw;
}

/// dw of conv3x3(x, w) for dy through Winograd F(4x4, 3x3) whatever the plan says.
template <class T>
host_tensor<T> winograd4x4_backward_filter(sjmt::detail::cpu::scratch& ws, const host_tensor<T>& x,
                                           const host_tensor<T>& dy) {
  host_tensor<T> dw({3, 3, x.shape()[3], dy.shape()[3]});
  sjmt::detail::cpu::conv2d_backward_filter_winograd4x4(ws, x.data(), x.shape(), dy.data(), dy.shape()[3],
                                                        dw.data());
  return dw;
}

/// The largest error of got against want, each divided by its scale.
template <class T>
double worst_scaled(const host_tensor<T>& got, const host_tensor<double>& want, const host_tensor<double>& scale) {
  double worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(got.data()[i]) - want.data()[i]) / scale.data()[i]);
  return worst;
}

/// The backward-filter error scale: per (c, k) the sum over the 9 taps of sum |x| |dy|
/// (each transformed product mixes the taps: a corner tap of a 2x2 image sums one
/// pixel per image, while its error is that of all four).
host_tensor<double> backward_filter_scale(const conv2d_geometry& g, const host_tensor<double>& x,
                                          const host_tensor<double>& w, const host_tensor<double>& dy) {
  auto scale = reference_conv_backward(g, absolute(x), w, absolute(dy)).second;
  const std::size_t CK = w.shape()[2] * w.shape()[3];
  for (std::size_t ck = 0; ck < CK; ++ck) {
    double taps = 0;
    for (std::size_t rs = 0; rs < 9; ++rs) taps += scale.data()[rs * CK + ck];
    for (std::size_t rs = 0; rs < 9; ++rs) scale.data()[rs * CK + ck] = taps;
  }
  return scale;
}

}  // namespace

TEST_CASE("conv2d: Winograd F(2x2, 3x3) matches the loops within its stated bound, float and double") {
  // Odd and even sizes (a last tile row or column half outside the image), one
  // row or column, 32 to 128 input channels (chunks of 32 and 64), output
  // channels of 1, 2, 3 and 4 vectors, blocks that span images and start inside
  // one (3 x 5 x 20: blocks of 4 tile rows of 3), on a team of 4, one scratch
  // for all shapes.
  struct team_of_four {
    int before = omp_get_max_threads();
    team_of_four() { omp_set_num_threads(4); }
    ~team_of_four() { omp_set_num_threads(before); }
  } const team;
  std::mt19937_64 rng(31);
  sjmt::detail::cpu::scratch ws;
  const conv2d_geometry g{3, 1, 1};
  using shape = std::tuple<std::size_t, std::size_t, std::size_t, std::size_t, std::size_t>;
  for (const auto& [N, H, W, C, K] :
       {shape{1, 12, 12, 128, 64}, shape{2, 8, 8, 64, 64}, shape{3, 7, 5, 32, 16}, shape{1, 1, 9, 32, 48},
        shape{2, 6, 1, 64, 32}, shape{5, 3, 4, 96, 16}, shape{4, 2, 2, 32, 128}, shape{2, 11, 13, 32, 32},
        shape{3, 5, 20, 32, 32}}) {
    CAPTURE(N);
    CAPTURE(H);
    CAPTURE(W);
    CAPTURE(C);
    CAPTURE(K);
    const auto x = random_tensor<double>({N, H, W, C}, rng), w = random_tensor<double>({3, 3, C, K}, rng);
    const auto ref = reference_conv(g, x, w), scale = absolute_conv(g, x, w);
    // float is checked against the exact result of its rounded inputs (the
    // double reference of xf, wf), so that the bound measures Winograd's own error
    const host_tensor<float> xf = x, wf = w;
    const host_tensor<double> xr = xf, wr = wf;
    const auto worst_d = worst_scaled(winograd_forward(ws, x, w), ref, scale);
    const auto worst_f = worst_scaled(winograd_forward(ws, xf, wf), reference_conv(g, xr, wr), scale);
    CHECK(worst_d <= winograd_bound<double>(C));
    CHECK(worst_f <= winograd_bound<float>(C));
    CHECK(worst_f > 1e3 * worst_d);  // the float run computed in float
    MESSAGE("forward error / (u sum|x||w|): double ", worst_d / (std::numeric_limits<double>::epsilon() / 2),
            ", float ", worst_f / (std::numeric_limits<float>::epsilon() / 2), " (bound ", 8 * (C + 16), ")");

    // backward-filter: the sum runs over the N H W output pixels, about N H W / 4
    // tiles, so the bound's depth is that: 8 (N H W / 4 + 16) u backward_filter_scale
    const auto dy = random_tensor<double>(ref.shape(), rng);
    const host_tensor<float> dyf = dy;
    const host_tensor<double> dyr = dyf;
    const auto dw_scale = backward_filter_scale(g, x, w, dy);
    const auto dworst_d = worst_scaled(winograd_backward_filter(ws, x, dy), reference_conv_backward(g, x, w, dy).second,
                                       dw_scale);
    const auto dworst_f = worst_scaled(winograd_backward_filter(ws, xf, dyf),
                                       reference_conv_backward(g, xr, wr, dyr).second, dw_scale);
    const std::size_t depth = N * H * W / 4;
    CHECK(dworst_d <= winograd_bound<double>(depth));
    CHECK(dworst_f <= winograd_bound<float>(depth));
    CHECK(dworst_f > 1e3 * dworst_d);
    MESSAGE("backward-filter error / (u sum|x||dy|): double ", dworst_d / (std::numeric_limits<double>::epsilon() / 2),
            ", float ", dworst_f / (std::numeric_limits<float>::epsilon() / 2), " (bound ", 8 * (depth + 16), ")");
  }
  // double alone: 1 and 3 vectors of 8 output channels (float needs 16)
  for (const std::size_t K : {std::size_t(8), std::size_t(24)}) {
    CAPTURE(K);
    const auto x = random_tensor<double>({2, 5, 6, 32}, rng), w = random_tensor<double>({3, 3, 32, K}, rng);
    const auto ref = reference_conv(g, x, w);
    CHECK(worst_scaled(winograd_forward(ws, x, w), ref, absolute_conv(g, x, w)) <= winograd_bound<double>(32));
    const auto dy = random_tensor<double>(ref.shape(), rng);
    CHECK(worst_scaled(winograd_backward_filter(ws, x, dy), reference_conv_backward(g, x, w, dy).second,
                       backward_filter_scale(g, x, w, dy)) <= winograd_bound<double>(2 * 5 * 6 / 4));
  }
}

TEST_CASE("conv2d: Winograd F(4x4, 3x3) matches the loops within its stated bound, float and double") {
  // Sizes that 4 does not divide (last tiles partly outside the image; the plan
  // never gives them F(4x4), the kernel must still be right), one row or
  // column, 16 to 128 input channels (chunks of 16, 32 and 64), output channels
  // of 1, 2, 3 and 4 vectors, on a team of 4, one scratch for all shapes.
  // Forward blocks span images and start inside one; backward-filter's image
  // blocks hold 1 to 10 images (9 of 28x28: blocks of 2, a last of 1, steps of 6
  // tile rows starting inside an image and spanning two; 40 of 4x4: blocks of 10).
  struct team_of_four {
    int before = omp_get_max_threads();
    team_of_four() { omp_set_num_threads(4); }
    ~team_of_four() { omp_set_num_threads(before); }
  } const team;
  std::mt19937_64 rng(34);
  sjmt::detail::cpu::scratch ws;
  const conv2d_geometry g{3, 1, 1};
  using shape = std::tuple<std::size_t, std::size_t, std::size_t, std::size_t, std::size_t>;
  for (const auto& [N, H, W, C, K] :
       {shape{2, 8, 8, 16, 16}, shape{3, 7, 9, 16, 32}, shape{1, 12, 12, 128, 64}, shape{2, 8, 8, 64, 64},
        shape{3, 5, 6, 32, 16}, shape{1, 1, 9, 48, 48}, shape{2, 6, 1, 64, 32}, shape{4, 2, 2, 32, 128},
        shape{2, 11, 13, 16, 16}, shape{5, 12, 40, 16, 16}, shape{9, 28, 28, 16, 16}, shape{40, 4, 4, 16, 32},
        shape{2, 8, 8, 64, 16}}) {
    CAPTURE(N);
    CAPTURE(H);
    CAPTURE(W);
    CAPTURE(C);
    CAPTURE(K);
    const auto x = random_tensor<double>({N, H, W, C}, rng), w = random_tensor<double>({3, 3, C, K}, rng);
    const auto ref = reference_conv(g, x, w), scale = absolute_conv(g, x, w);
    const host_tensor<float> xf = x, wf = w;
    const host_tensor<double> xr = xf, wr = wf;
    const auto worst_d = worst_scaled(winograd4x4_forward(ws, x, w), ref, scale);
    const auto worst_f = worst_scaled(winograd4x4_forward(ws, xf, wf), reference_conv(g, xr, wr), scale);
    CHECK(worst_d <= winograd4x4_bound<double>(C));
    CHECK(worst_f <= winograd4x4_bound<float>(C));
    CHECK(worst_f > 1e3 * worst_d);  // the float run computed in float
    MESSAGE("F(4x4) forward error / (u sum|x||w|): double ", worst_d / (std::numeric_limits<double>::epsilon() / 2),
            ", float ", worst_f / (std::numeric_limits<float>::epsilon() / 2), " (bound ", 16 * (C + 36), ")");

    // backward-filter: the sum runs over about N H W / 16 tiles
    const auto dy = random_tensor<double>(ref.shape(), rng);
    const host_tensor<float> dyf = dy;
    const host_tensor<double> dyr = dyf;
    const auto dw_scale = backward_filter_scale(g, x, w, dy);
    const auto dworst_d = worst_scaled(winograd4x4_backward_filter(ws, x, dy),
                                       reference_conv_backward(g, x, w, dy).second, dw_scale);
    const auto dworst_f = worst_scaled(winograd4x4_backward_filter(ws, xf, dyf),
                                       reference_conv_backward(g, xr, wr, dyr).second, dw_scale);
    const std::size_t depth = N * ((H + 3) / 4) * ((W + 3) / 4);
    CHECK(dworst_d <= winograd4x4_bound<double>(depth));
    CHECK(dworst_f <= winograd4x4_bound<float>(depth));
    CHECK(dworst_f > 1e3 * dworst_d);
    MESSAGE("F(4x4) backward-filter error / (u sum|x||dy|): double ",
            dworst_d / (std::numeric_limits<double>::epsilon() / 2), ", float ",
            dworst_f / (std::numeric_limits<float>::epsilon() / 2), " (bound ", 16 * (depth + 36), ")");
  }
  // double alone: 1 and 3 vectors of 8 output channels
  for (const std::size_t K : {std::size_t(8), std::size_t(24)}) {
    CAPTURE(K);
    const auto x = random_tensor<double>({2, 5, 6, 16}, rng), w = random_tensor<double>({3, 3, 16, K}, rng);
    CHECK(worst_scaled(winograd4x4_forward(ws, x, w), reference_conv(g, x, w), absolute_conv(g, x, w)) <=
          winograd4x4_bound<double>(16));
    const auto dy = random_tensor<double>({2, 5, 6, K}, rng);
    CHECK(worst_scaled(winograd4x4_backward_filter(ws, x, dy), reference_conv_backward(g, x, w, dy).second,
                       backward_filter_scale(g, x, w, dy)) <= winograd4x4_bound<double>(2 * 2 * 2));
  }
}

TEST_CASE("conv2d: Winograd's results do not depend on the thread count") {
  std::mt19937_64 rng(33);
  sjmt::detail::cpu::scratch ws;
  // forward: 2 images of 6 tile rows make blocks of 8 tile rows on one thread
  // and of 3 on four; backward-filter: 9 images make fixed blocks of 2 (the last of 1)
  const auto x2 = random_tensor<float>({2, 12, 12, 64}, rng), x = random_tensor<float>({9, 12, 12, 64}, rng),
             w = random_tensor<float>({3, 3, 64, 32}, rng), dy = random_tensor<float>({9, 12, 12, 32}, rng);
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto y1 = winograd_forward(ws, x2, w);
  const auto dw1 = winograd_backward_filter(ws, x, dy);
  const auto f1 = winograd4x4_forward(ws, x2, w);  // F(4x4): 2 images of 3 tile rows
  const auto g1 = winograd4x4_backward_filter(ws, x, dy);  // F(4x4): the same blocks
  omp_set_num_threads(4);
  const auto y4 = winograd_forward(ws, x2, w);
  const auto dw4 = winograd_backward_filter(ws, x, dy);
  const auto f4 = winograd4x4_forward(ws, x2, w);
  const auto g4 = winograd4x4_backward_filter(ws, x, dy);
  omp_set_num_threads(before);
  CHECK(std::equal(y1.begin(), y1.end(), y4.begin()));
  CHECK(std::equal(dw1.begin(), dw1.end(), dw4.begin()));
  CHECK(std::equal(f1.begin(), f1.end(), f4.begin()));
  CHECK(std::equal(g1.begin(), g1.end(), g4.begin()));
}

TEST_CASE("conv2d: layers the plan gives Winograd match the loops in all three passes and the epilogue") {
  // Through the door: 3 images of 28x28 (2,352 pixels) with 32 channels take
  // Winograd forward, backward-data (a forward of dy with the flipped filter)
  // and backward-filter; the batch norm, residual and ReLU of inference run in
  // its block epilogue.
  namespace cpu = sjmt::detail::cpu;
  REQUIRE(cpu::plan_winograd<float>(3, 1, 32, 32, 3 * 28 * 28));
  REQUIRE(cpu::plan_winograd<double>(3, 1, 32, 32, 3 * 28 * 28));
  REQUIRE_FALSE(cpu::plan_winograd4x4<float>(3, 1, 32, 32, 3, 28, 28));  // 2,352 pixels: F(2x2) it is
  REQUIRE_FALSE(cpu::plan_winograd4x4_filter<float>(3, 1, 32, 32, 3, 28, 28));
  std::mt19937_64 rng(32);
  const conv2d_geometry g{3, 1, 1};
  const std::size_t N = 3, H = 28, W = 28, C = 32, K = 32;
  const auto x = random_tensor<double>({N, H, W, C}, rng), w = random_tensor<double>({3, 3, C, K}, rng);
  const auto ref = reference_conv(g, x, w);
  const auto dy = random_tensor<double>(ref.shape(), rng);
  const auto [dx_ref, dw_ref] = reference_conv_backward(g, x, w, dy);
  const auto tolerance = [](std::size_t channels) { return 1e-4 * std::sqrt(static_cast<double>(channels)); };
  const auto close = [](const auto& got, const host_tensor<double>& want, double scale) {
    REQUIRE(got.shape() == want.shape());
    double worst = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
      worst = std::max(worst, std::abs(static_cast<double>(got.data()[i]) - want.data()[i]));
    return worst / scale;
  };
  host_tensor<double> yd, dxd, dwd(w.shape());
  sjmt::ops::conv2d_forward(be, g, x, w, yd);
  sjmt::ops::conv2d_backward_data(be, g, dy, w, x.shape(), dxd);
  sjmt::ops::conv2d_backward_filter(be, g, x, dy, w.shape(), dwd);
  CHECK(close(yd, ref, 1.0) < 1e-11);
  CHECK(close(dxd, dx_ref, 1.0) < 1e-11);
  CHECK(close(dwd, dw_ref, 1.0) < 1e-9);
  const host_tensor<float> xf = x, wf = w, dyf = dy;
  host_tensor<float> yf, dxf, dwf(wf.shape());
  sjmt::ops::conv2d_forward(be, g, xf, wf, yf);
  sjmt::ops::conv2d_backward_data(be, g, dyf, wf, xf.shape(), dxf);
  sjmt::ops::conv2d_backward_filter(be, g, xf, dyf, wf.shape(), dwf);
  CHECK(close(yf, ref, 1.0) < tolerance(9 * C));
  CHECK(close(dxf, dx_ref, 1.0) < tolerance(9 * K));
  CHECK(close(dwf, dw_ref, 1.0) < tolerance(N * H * W));
  // and they did take Winograd: the direct kernels round differently
  cpu::scratch ws;
  host_tensor<float> y_direct(yf.shape()), dw_direct(dwf.shape());
  cpu::conv2d_forward_direct<float>(ws, 1, 3, 1, xf.data(), xf.shape(), wf.data(), K, y_direct.data(), nullptr,
                                    cpu::conv_algorithm::direct);
  cpu::conv2d_backward_filter_direct<float>(ws, 1, 3, 1, xf.data(), xf.shape(), dyf.data(), K, dw_direct.data(),
                                            cpu::conv_algorithm::direct);
  CHECK_FALSE(std::equal(yf.begin(), yf.end(), y_direct.begin()));
  CHECK_FALSE(std::equal(dwf.begin(), dwf.end(), dw_direct.begin()));
  CHECK(close(y_direct, ref, 1.0) < tolerance(9 * C));

  const auto gamma = random_tensor<double>({1, 1, 1, K}, rng), beta = random_tensor<double>({1, 1, 1, K}, rng),
             mean = random_tensor<double>({1, 1, 1, K}, rng), z = random_tensor<double>(ref.shape(), rng);
  auto var = random_tensor<double>({1, 1, 1, K}, rng);
  for (auto& v : var) v = v * v + 0.1;
  host_tensor<double> composed, fused;
  sjmt::ops::batch_norm_add_relu_forward_infer(be, ref, &z, gamma, beta, mean, var, 1e-5, composed);
  sjmt::ops::conv2d_bn_add_relu_forward_infer(be, g, x, w, gamma, beta, mean, var, 1e-5, &z, true, fused);
  CHECK(close(fused, composed, 1.0) < 1e-9);
}

TEST_CASE("conv2d: 16-channel layers the plan gives F(4x4, 3x3) match the loops in all three passes and the epilogue") {
  // Through the door: 6 images of 28x28 with 16 channels take F(4x4) forward,
  // backward-data (a forward of dy with the flipped filter) and backward-filter
  // (its adjoint). Float checked against the double loops within 1e-3, a fifth
  // of F(4x4)'s bound for these outputs (16 (C + 36) u sum |x||w|, with sum
  // |x||w| about 9 C 2 / pi = 92: 4.6e-3), backward-filter within 1e-6 of
  // the scale of its 9 taps' 4,704 terms each, 9 4,704 2 / pi (measured 4e-8;
  // the unit test above checks the stated bound per weight), and against the
  // direct kernels bitwise (so the path is proven taken).
  namespace cpu = sjmt::detail::cpu;
  const std::size_t N = 6, H = 28, W = 28, C = 16, K = 16;
  REQUIRE(cpu::plan_winograd4x4<float>(3, 1, C, K, N, H, W));
  REQUIRE(cpu::plan_winograd4x4_filter<float>(3, 1, C, K, N, H, W));
  REQUIRE_FALSE(cpu::plan_winograd<float>(3, 1, C, K, N * H * W));
  std::mt19937_64 rng(35);
  const conv2d_geometry g{3, 1, 1};
  const auto x = random_tensor<double>({N, H, W, C}, rng), w = random_tensor<double>({3, 3, C, K}, rng);
  const auto ref = reference_conv(g, x, w);
  const auto dy = random_tensor<double>(ref.shape(), rng);
  const auto [dx_ref, dw_ref] = reference_conv_backward(g, x, w, dy);
  const auto worst = [](const auto& got, const host_tensor<double>& want) {
    REQUIRE(got.shape() == want.shape());
    double e = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
      e = std::max(e, std::abs(static_cast<double>(got.data()[i]) - want.data()[i]));
    return e;
  };
  host_tensor<double> yd, dxd, dwd(w.shape());
  sjmt::ops::conv2d_forward(be, g, x, w, yd);
  sjmt::ops::conv2d_backward_data(be, g, dy, w, x.shape(), dxd);
  sjmt::ops::conv2d_backward_filter(be, g, x, dy, w.shape(), dwd);
  CHECK(worst(yd, ref) < 1e-11);
  CHECK(worst(dxd, dx_ref) < 1e-11);
  CHECK(worst(dwd, dw_ref) < 1e-9);
  const host_tensor<float> xf = x, wf = w, dyf = dy;
  host_tensor<float> yf, dxf, dwf(wf.shape());
  sjmt::ops::conv2d_forward(be, g, xf, wf, yf);
  sjmt::ops::conv2d_backward_data(be, g, dyf, wf, xf.shape(), dxf);
  sjmt::ops::conv2d_backward_filter(be, g, xf, dyf, wf.shape(), dwf);
  const double tolerance = 1e-3;  // F(4x4) measured about 2e-4 at this size
  CHECK(worst(yf, ref) < tolerance);
  CHECK(worst(dxf, dx_ref) < tolerance);
  const double dw_scale = 9.0 * static_cast<double>(N * H * W) * 2 / 3.141592653589793;
  CHECK(worst(dwf, dw_ref) < 1e-6 * dw_scale);
  MESSAGE("F(4x4) through the door: forward ", worst(yf, ref), ", backward-data ", worst(dxf, dx_ref),
          ", backward-filter ", worst(dwf, dw_ref) / dw_scale, " of its scale");
  cpu::scratch ws;
  host_tensor<float> y_direct(yf.shape()), dw_direct(dwf.shape());
  cpu::conv2d_forward_direct<float>(ws, 1, 3, 1, xf.data(), xf.shape(), wf.data(), K, y_direct.data(), nullptr,
                                    cpu::conv_algorithm::direct);
  cpu::conv2d_backward_filter_direct<float>(ws, 1, 3, 1, xf.data(), xf.shape(), dyf.data(), K, dw_direct.data(),
                                            cpu::conv_algorithm::direct);
  CHECK_FALSE(std::equal(yf.begin(), yf.end(), y_direct.begin()));
  CHECK_FALSE(std::equal(dwf.begin(), dwf.end(), dw_direct.begin()));
  const auto dw_f44 = winograd4x4_backward_filter(ws, xf, dyf);  // the path itself, bit for bit
  CHECK(std::equal(dwf.begin(), dwf.end(), dw_f44.begin()));
  // the inference epilogue (batch norm, residual, ReLU) in F(4x4)'s blocks
  const auto gamma = random_tensor<double>({1, 1, 1, K}, rng), beta = random_tensor<double>({1, 1, 1, K}, rng),
             mean = random_tensor<double>({1, 1, 1, K}, rng), z = random_tensor<double>(ref.shape(), rng);
  auto var = random_tensor<double>({1, 1, 1, K}, rng);
  for (auto& v : var) v = v * v + 0.1;
  host_tensor<double> composed, fused;
  sjmt::ops::batch_norm_add_relu_forward_infer(be, ref, &z, gamma, beta, mean, var, 1e-5, composed);
  sjmt::ops::conv2d_bn_add_relu_forward_infer(be, g, x, w, gamma, beta, mean, var, 1e-5, &z, true, fused);
  CHECK(worst(fused, composed) < 1e-9);
}

TEST_CASE("conv2d: Winograd forward blocks leave no thread the larger share") {
  namespace cpu = sjmt::detail::cpu;
  const auto busiest = [](std::size_t tile_rows, std::size_t per_block, std::size_t team) {
    const std::size_t blocks = (tile_rows + per_block - 1) / per_block;
    return std::min(tile_rows, (blocks + team - 1) / team * per_block);
  };
  // F(4x4) at 8x8, batch 128: 256 tile rows of 2 tiles, products of 6 tiles (64 channels,
  // AVX-512). Blocks of 24 gave one of 2 threads 144 tile rows; now at most 136.
  const std::size_t r8 = cpu::winograd_balanced_rows(256, 2, 48, 6, 2);
  CHECK(r8 < 24);
  CHECK(busiest(256, r8, 2) <= 136);
  CHECK(cpu::winograd_balanced_rows(256, 2, 48, 6, 1) == 24);    // one thread: the largest block
  CHECK(cpu::winograd_balanced_rows(1024, 8, 48, 24, 2) == 6);   // 32x32, 16 channels: 171 blocks, kept
  CHECK(cpu::winograd_balanced_rows(512, 4, 48, 12, 2) == 12);   // 16x16, 32 channels: 43 blocks, kept
  CHECK(cpu::winograd_balanced_rows(8, 8, 48, 24, 2) == 4);      // one image: a share each
}

TEST_CASE("conv2d: the Winograd plan") {
  namespace cpu = sjmt::detail::cpu;
  CHECK(cpu::plan_winograd<float>(3, 1, 32, 32, 128 * 16 * 16));   // ResNet-CIFAR's second stage
  CHECK(cpu::plan_winograd<float>(3, 1, 64, 64, 128 * 8 * 8));     // third stage
  CHECK(cpu::plan_winograd<float>(3, 1, 64, 48, 2048));            // K three vectors
  CHECK_FALSE(cpu::plan_winograd<float>(3, 1, 16, 16, 128 * 32 * 32));  // 16 channels: the tap tiles win
  CHECK_FALSE(cpu::plan_winograd<float>(3, 1, 64, 16, 4096));  // 16 outputs: one-vector products
  CHECK_FALSE(cpu::plan_winograd<float>(3, 1, 16, 32, 4096));  // and so the backward-data of a 32 -> 16 layer
  CHECK_FALSE(cpu::plan_winograd<float>(3, 1, 48, 48, 4096));      // C not a multiple of 32
  CHECK_FALSE(cpu::plan_winograd<float>(3, 1, 64, 64, 8 * 8 * 8));  // a few images: the filter transform dominates
  CHECK_FALSE(cpu::plan_winograd<float>(3, 0, 64, 64, 4096));      // padding 0
  CHECK_FALSE(cpu::plan_winograd<float>(5, 2, 64, 64, 4096));      // 5x5
  CHECK_FALSE(cpu::plan_winograd<float>(3, 1, 64, 36, 4096));      // K not whole vectors
  // F(4x4, 3x3): forward and backward-data of ResNet-CIFAR's stride-1 layers at batch 128,
  // and of FER2013's 48x48 grey input
  CHECK(cpu::plan_winograd4x4<float>(3, 1, 16, 16, 128, 32, 32));
  CHECK(cpu::plan_winograd4x4<float>(3, 1, 32, 32, 128, 16, 16));
  CHECK(cpu::plan_winograd4x4<float>(3, 1, 64, 64, 128, 8, 8));
  CHECK(cpu::plan_winograd4x4<float>(3, 1, 16, 16, 128, 48, 48));
  CHECK(cpu::plan_winograd4x4<float>(3, 1, 64, 64, 128, 12, 12));
  CHECK(cpu::plan_winograd4x4<float>(3, 1, 32, 16, 128, 32, 32));  // backward-data of a 16 -> 32 layer
  CHECK(cpu::plan_winograd4x4<double>(3, 1, 16, 16, 128, 8, 8));    // two double vectors
  // backward-filter: ResNet's three stages and FER2013's 48x48 first stage, not the first layer
  CHECK(cpu::plan_winograd4x4_filter<float>(3, 1, 16, 16, 128, 32, 32));
  CHECK(cpu::plan_winograd4x4_filter<float>(3, 1, 32, 32, 128, 16, 16));
  CHECK(cpu::plan_winograd4x4_filter<float>(3, 1, 64, 64, 128, 8, 8));
  CHECK(cpu::plan_winograd4x4_filter<float>(3, 1, 16, 16, 128, 48, 48));
  CHECK_FALSE(cpu::plan_winograd4x4_filter<float>(3, 1, 3, 16, 128, 32, 32));
  CHECK_FALSE(cpu::plan_winograd4x4_filter<float>(3, 1, 1, 16, 128, 48, 48));
  CHECK_FALSE(cpu::plan_winograd4x4_filter<float>(3, 1, 16, 16, 1, 32, 32));  // one image
  CHECK_FALSE(cpu::plan_winograd4x4<double>(3, 1, 16, 8, 128, 8, 8));  // fewer than 16 outputs
  CHECK_FALSE(cpu::plan_winograd4x4<float>(3, 1, 16, 16, 128, 14, 14));  // sides not multiples of 4
  CHECK_FALSE(cpu::plan_winograd4x4<float>(3, 1, 16, 16, 1, 32, 32));    // one image: 1,024 pixels
  CHECK_FALSE(cpu::plan_winograd4x4<float>(3, 1, 16, 16, 1, 48, 48));    // 2,304: measured 0.98x
  CHECK(cpu::plan_winograd4x4<float>(3, 1, 16, 16, 4, 32, 32));          // 4,096
  CHECK_FALSE(cpu::plan_winograd4x4<float>(3, 1, 24, 16, 128, 32, 32));  // C not a multiple of 16
  CHECK_FALSE(cpu::plan_winograd4x4<float>(3, 1, 3, 16, 128, 32, 32));   // the first layer
  CHECK_FALSE(cpu::plan_winograd4x4<float>(3, 1, 16, 20, 128, 32, 32));  // K not whole vectors
  CHECK_FALSE(cpu::plan_winograd4x4<float>(3, 0, 16, 16, 128, 32, 32));  // padding 0
  CHECK_FALSE(cpu::plan_winograd4x4<float>(5, 2, 16, 16, 128, 32, 32));  // 5x5
}

TEST_CASE("conv2d: bad shapes throw shape_error naming the argument") {
  host_tensor<float> x({1, 4, 4, 3}), w({3, 3, 2, 8}), y;
  CHECK_THROWS_AS(sjmt::ops::conv2d_forward(be, conv2d_geometry{3, 1, 1}, x, w, y), sjmt::shape_error);
  host_tensor<float> w1({1, 1, 3, 8});
  CHECK_THROWS_WITH_AS(sjmt::ops::conv2d_forward(be, conv2d_geometry{3, 1, 1}, x, w1, y),
                       doctest::Contains("filter is 1x1"), sjmt::shape_error);
  CHECK_THROWS_AS(sjmt::ops::conv2d_forward(be, conv2d_geometry{3, 0, 1}, x, host_tensor<float>({3, 3, 3, 8}), y),
                  sjmt::value_error);
}

TEST_CASE("batch_norm: training normalises with batch statistics, inference with running ones") {
  // One channel, values 1, 2, 3, 4: mean 2.5, biased variance 1.25, unbiased 5/3.
  host_tensor<double> x({1, 2, 2, 1});
  for (std::size_t i = 0; i < 4; ++i) x.data()[i] = static_cast<double>(i + 1);
  auto gamma = sjmt::make_host_tensor<double>({1, 1, 1, 1}, 2.0);
  auto beta = sjmt::make_host_tensor<double>({1, 1, 1, 1}, 0.5);
  auto rmean = sjmt::make_host_tensor<double>({1, 1, 1, 1}, 0.0);
  auto rvar = sjmt::make_host_tensor<double>({1, 1, 1, 1}, 1.0);
  host_tensor<double> mean, invstd, y;
  const double eps = 1e-5;
  sjmt::ops::batch_norm_forward_train(be, x, gamma, beta, 0.1, eps, rmean, rvar, mean, invstd, y);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(y.data()[i] == doctest::Approx(2.0 * (static_cast<double>(i + 1) - 2.5) / std::sqrt(1.25 + eps) + 0.5));
  CHECK(rmean(0, 0, 0, 0) == doctest::Approx(0.25));
  CHECK(rvar(0, 0, 0, 0) == doctest::Approx(0.9 + 0.1 * 5.0 / 3.0));
  sjmt::ops::batch_norm_forward_infer(be, x, gamma, beta, rmean, rvar, eps, y);
  const double inv = 1.0 / std::sqrt(rvar(0, 0, 0, 0) + eps);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(y.data()[i] == doctest::Approx(2.0 * (static_cast<double>(i + 1) - 0.25) * inv + 0.5));
  host_tensor<double> bad({1, 1, 1, 2});
  CHECK_THROWS_WITH_AS(sjmt::ops::batch_norm_forward_infer(be, x, bad, beta, rmean, rvar, eps, y),
                       doctest::Contains("gamma"), sjmt::shape_error);
}

TEST_CASE("batch_norm: float statistics stay exact when the mean dwarfs the spread") {
  // Mean 1000, standard deviation 1, and a first row 5 standard deviations out
  // (the statistics are moments about x's first row): the saved mean and
  // 1/std must match a two-pass double computation on the same float values.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  const std::size_t M = 4096, C = 16;
  host_tensor<float> x({M / 64, 8, 8, C});
  for (auto& v : x) v = static_cast<float>(1000.0 + normal(rng));
  for (std::size_t c = 0; c < C; ++c) x.data()[c] = 1005.0f;
  auto gamma = sjmt::make_host_tensor<float>({1, 1, 1, C}, 1.0f);
  auto beta = sjmt::make_host_tensor<float>({1, 1, 1, C}, 0.0f);
  auto rmean = sjmt::make_host_tensor<float>({1, 1, 1, C}, 0.0f);
  auto rvar = sjmt::make_host_tensor<float>({1, 1, 1, C}, 1.0f);
  host_tensor<float> mean, invstd, y;
  sjmt::ops::batch_norm_forward_train(be, x, gamma, beta, 0.1f, 1e-5f, rmean, rvar, mean, invstd, y);
  for (std::size_t c = 0; c < C; ++c) {
    double m = 0, v = 0;
    for (std::size_t i = 0; i < M; ++i) m += x.data()[i * C + c];
    m /= static_cast<double>(M);
    for (std::size_t i = 0; i < M; ++i) v += (x.data()[i * C + c] - m) * (x.data()[i * C + c] - m);
    v /= static_cast<double>(M);
    CAPTURE(c);
    CHECK(mean.data()[c] == doctest::Approx(m).epsilon(1e-7));
    CHECK(invstd.data()[c] == doctest::Approx(1.0 / std::sqrt(v + 1e-5)).epsilon(1e-5));
  }
}

TEST_CASE("relu, add, pooling and linear: known values") {
  host_tensor<float> x({1, 2, 2, 2}), y, dx;
  const float v[8] = {-1, 2, 3, -4, 5, -6, -7, 8};
  std::copy(v, v + 8, x.begin());
  sjmt::ops::relu_forward(be, x, y);
  CHECK(y.data()[0] == 0.0f);
  CHECK(y.data()[1] == 2.0f);
  sjmt::ops::relu_backward(be, y, sjmt::make_host_tensor<float>(x.shape(), 1.0f), dx);
  CHECK(dx.data()[0] == 0.0f);
  CHECK(dx.data()[7] == 1.0f);

  sjmt::ops::add(be, x, x, y);
  CHECK(y.data()[3] == -8.0f);
  CHECK_THROWS_AS(sjmt::ops::add(be, x, host_tensor<float>({1, 2, 2, 3}), y), sjmt::shape_error);

  // Channel 0 holds -1, 3, 5, -7; channel 1 holds 2, -4, -6, 8.
  sjmt::ops::global_avg_pool_forward(be, x, y);
  CHECK(y.shape() == shape4{1, 1, 1, 2});
  CHECK(y.data()[0] == doctest::Approx(0.0));
  CHECK(y.data()[1] == doctest::Approx(0.0));
  sjmt::ops::global_avg_pool_backward(be, sjmt::make_host_tensor<float>({1, 1, 1, 2}, 4.0f), x.shape(), dx);
  CHECK(dx.data()[5] == doctest::Approx(1.0));

  host_tensor<float> pooled;
  sjmt::ops::max_pool2_forward(be, x, pooled);
  CHECK(pooled.shape() == shape4{1, 1, 1, 2});
  CHECK(pooled.data()[0] == 5.0f);
  CHECK(pooled.data()[1] == 8.0f);
  sjmt::ops::max_pool2_backward(be, x, pooled, sjmt::make_host_tensor<float>(pooled.shape(), 3.0f), dx);
  CHECK(dx.data()[4] == 3.0f);
  CHECK(dx.data()[7] == 3.0f);
  CHECK(dx.data()[0] == 0.0f);
  CHECK_THROWS_AS(sjmt::ops::max_pool2_forward(be, host_tensor<float>({1, 3, 2, 1}), pooled), sjmt::shape_error);

  // y = x W + b with x = (1, 2), W = [[1, 2, 3], [4, 5, 6]], b = (1, 1, 1).
  host_tensor<float> xl({1, 1, 1, 2}), w({1, 1, 2, 3}), dw, db;
  xl.data()[0] = 1;
  xl.data()[1] = 2;
  for (std::size_t i = 0; i < 6; ++i) w.data()[i] = static_cast<float>(i + 1);
  const auto b = sjmt::make_host_tensor<float>({1, 1, 1, 3}, 1.0f);
  sjmt::ops::linear_forward(be, xl, w, b, y);
  CHECK(y.shape() == shape4{1, 1, 1, 3});
  CHECK(y.data()[0] == 10.0f);
  CHECK(y.data()[2] == 16.0f);
  sjmt::ops::linear_backward(be, xl, w, sjmt::make_host_tensor<float>({1, 1, 1, 3}, 1.0f), dx, dw, db);
  CHECK(dx.data()[0] == 6.0f);
  CHECK(dx.data()[1] == 15.0f);
  CHECK(dw.data()[4] == 2.0f);
  CHECK(db.data()[1] == 1.0f);
  CHECK_THROWS_WITH_AS(sjmt::ops::linear_forward(be, x, w, b, y), doctest::Contains("8 features"), sjmt::shape_error);
}

TEST_CASE("dropout: masks are 0 or 1/(1-p), keep about 1-p, and depend only on the seed") {
  const auto x = sjmt::make_host_tensor<float>({4, 16, 16, 8}, 1.0f);
  host_tensor<float> mask, y, mask2, y2;
  sjmt::ops::dropout_forward(be, x, 0.25, 42, mask, y);
  std::size_t kept = 0;
  for (float m : mask) {
    CHECK((m == 0.0f || m == doctest::Approx(1.0f / 0.75f)));
    kept += m != 0.0f;
  }
  CHECK(static_cast<double>(kept) / static_cast<double>(mask.size()) == doctest::Approx(0.75).epsilon(0.03));
  sjmt::ops::dropout_forward(be, x, 0.25, 42, mask2, y2);
  CHECK(mask == mask2);
  sjmt::ops::dropout_forward(be, x, 0.25, 43, mask2, y2);
  CHECK(mask != mask2);
  CHECK_THROWS_AS(sjmt::ops::dropout_forward(be, x, 1.0, 1, mask, y), sjmt::value_error);
}

TEST_CASE("subsample_pad: the option-A shortcut's shapes, its transpose, and its errors") {
  // x (1, 3, 3, 2) = 0..17; stride 2 keeps pixels (0,0), (0,2), (2,0), (2,2).
  host_tensor<float> x({1, 3, 3, 2});
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i);
  host_tensor<float> y, dx;
  sjmt::ops::subsample_pad_forward(be, x, 2, 4, y);
  REQUIRE(y.shape() == shape4{1, 2, 2, 4});
  const float want[16] = {0, 1, 0, 0, 4, 5, 0, 0, 12, 13, 0, 0, 16, 17, 0, 0};
  for (std::size_t i = 0; i < 16; ++i) CHECK(y.data()[i] == want[i]);
  // The transpose: <y, y> = <x, dx> for dy = y.
  sjmt::ops::subsample_pad_backward(be, y, 2, x.shape(), dx);
  REQUIRE(dx.shape() == x.shape());
  double yy = 0, xdx = 0;
  for (float v : y) yy += double(v) * v;
  for (std::size_t i = 0; i < x.size(); ++i) xdx += double(x.data()[i]) * dx.data()[i];
  CHECK(yy == xdx);
  CHECK(dx.data()[2] == 0.0f);  // pixel (0, 1) is not sampled
  CHECK_THROWS_WITH_AS(sjmt::ops::subsample_pad_forward(be, x, 2, 1, y), doctest::Contains("never drops them"),
                       sjmt::shape_error);
  CHECK_THROWS_AS(sjmt::ops::subsample_pad_forward(be, x, 0, 4, y), sjmt::value_error);
  const auto wrong = sjmt::make_host_tensor<float>({1, 3, 3, 4}, 1.0f);
  CHECK_THROWS_AS(sjmt::ops::subsample_pad_backward(be, wrong, 2, x.shape(), dx), sjmt::shape_error);
}

TEST_CASE("sgd_update: PyTorch's momentum and weight decay") {
  auto w = sjmt::make_host_tensor<double>({1, 1, 1, 1}, 2.0);
  auto g = sjmt::make_host_tensor<double>({1, 1, 1, 1}, 0.5);
  auto v = sjmt::make_host_tensor<double>({1, 1, 1, 1}, 1.0);
  const sjmt::sgd_slot<cpu_backend, double> slot{&w, &g, &v, 0.01};
  sjmt::ops::sgd_update<cpu_backend, double>(be, std::span(&slot, 1), sjmt::make_host_tensor<double>({1, 1, 1, 1}, 0.1),
                                             0.9);
  // v = 0.9 * 1 + (0.5 + 0.01 * 2) = 1.42; w = 2 - 0.142.
  CHECK(v(0, 0, 0, 0) == doctest::Approx(1.42));
  CHECK(w(0, 0, 0, 0) == doctest::Approx(1.858));
}

TEST_CASE("batch_norm_add_relu: float agrees with double forward and backward; y is relu(bn(x) + z)") {
  std::mt19937_64 rng(13);
  const shape4 s{3, 4, 5, 16}, v{1, 1, 1, 16};
  const auto xd = random_tensor<double>(s, rng), zd = random_tensor<double>(s, rng), dyd = random_tensor<double>(s, rng);
  const auto gd = random_tensor<double>(v, rng), bd = random_tensor<double>(v, rng);
  const host_tensor<float> xf = xd, zf = zd, dyf = dyd, gf = gd, bf = bd;
  auto rmd = sjmt::make_host_tensor<double>(v, 0.0), rvd = sjmt::make_host_tensor<double>(v, 1.0);
  auto rmf = sjmt::make_host_tensor<float>(v, 0.0f), rvf = sjmt::make_host_tensor<float>(v, 1.0f);
  host_tensor<double> md, sd, yd, dxd, dgd, dbd, dzd, plain;
  host_tensor<float> mf, sf, yf, dxf, dgf, dbf, dzf;
  sjmt::ops::batch_norm_add_relu_forward_train(be, xd, &zd, gd, bd, 0.1, 1e-5, rmd, rvd, md, sd, yd);
  sjmt::ops::batch_norm_add_relu_forward_train(be, xf, &zf, gf, bf, 0.1f, 1e-5f, rmf, rvf, mf, sf, yf);
  sjmt::ops::batch_norm_relu_backward(be, xd, yd, dyd, gd, md, sd, dxd, dgd, dbd, &dzd);
  sjmt::ops::batch_norm_relu_backward(be, xf, yf, dyf, gf, mf, sf, dxf, dgf, dbf, &dzf);
  // Known value: y = max(bn(x) + z, 0) with bn from the unfused op.
  auto rm2 = sjmt::make_host_tensor<double>(v, 0.0), rv2 = sjmt::make_host_tensor<double>(v, 1.0);
  host_tensor<double> m2, s2;
  sjmt::ops::batch_norm_forward_train(be, xd, gd, bd, 0.1, 1e-5, rm2, rv2, m2, s2, plain);
  for (std::size_t i = 0; i < yd.size(); ++i) {
    CHECK(yd.data()[i] == doctest::Approx(std::max(plain.data()[i] + zd.data()[i], 0.0)).epsilon(1e-12));
    CHECK(dzd.data()[i] == (yd.data()[i] > 0 ? dyd.data()[i] : 0.0));
  }
  // Without the residual's gradient (the second pass then reads y and dy, not dz): the same
  // dx, dgamma and dbeta, bit for bit.
  host_tensor<double> dx_alone, dg_alone, db_alone;
  sjmt::ops::batch_norm_relu_backward(be, xd, yd, dyd, gd, md, sd, dx_alone, dg_alone, db_alone,
                                      static_cast<host_tensor<double>*>(nullptr));
  CHECK(std::equal(dx_alone.begin(), dx_alone.end(), dxd.begin()));
  CHECK(std::equal(dg_alone.begin(), dg_alone.end(), dgd.begin()));
  CHECK(std::equal(db_alone.begin(), db_alone.end(), dbd.begin()));
  const auto close = [](const auto& f, const auto& d) {
    REQUIRE(f.size() == d.size());
    for (std::size_t i = 0; i < f.size(); ++i) CHECK(f.data()[i] == doctest::Approx(d.data()[i]).epsilon(1e-4).scale(1.0));
  };
  close(yf, yd);
  close(dxf, dxd);
  close(dgf, dgd);
  close(dbf, dbd);
  close(rmf, rmd);
  close(rvf, rvd);
}

TEST_CASE("conv2d_bn_add_relu_forward_infer: known values by hand") {
  // A 1x1 convolution of one channel: conv = 2 * 3 = 6; batch norm with gamma
  // 2, beta 1, running mean 1, running variance 3, epsilon 1: 2 (6 - 1) / 2 + 1 = 6.
  const conv2d_geometry g{1, 1, 0};
  const host_tensor<float> x = sjmt::make_host_tensor<float>({1, 1, 1, 1}, 2.0f),
                          w = sjmt::make_host_tensor<float>({1, 1, 1, 1}, 3.0f),
                          gamma = sjmt::make_host_tensor<float>({1, 1, 1, 1}, 2.0f),
                          beta = sjmt::make_host_tensor<float>({1, 1, 1, 1}, 1.0f),
                          mean = sjmt::make_host_tensor<float>({1, 1, 1, 1}, 1.0f),
                          var = sjmt::make_host_tensor<float>({1, 1, 1, 1}, 3.0f);
  host_tensor<float> y;
  sjmt::ops::conv2d_bn_add_relu_forward_infer(be, g, x, w, gamma, beta, mean, var, 1.0f, nullptr, true, y);
  CHECK(y.data()[0] == doctest::Approx(6.0f));
  const host_tensor<float> z = sjmt::make_host_tensor<float>({1, 1, 1, 1}, -10.0f);
  sjmt::ops::conv2d_bn_add_relu_forward_infer(be, g, x, w, gamma, beta, mean, var, 1.0f, &z, true, y);
  CHECK(y.data()[0] == 0.0f);  // 6 - 10 < 0: the ReLU
  sjmt::ops::conv2d_bn_add_relu_forward_infer(be, g, x, w, gamma, beta, mean, var, 1.0f, &z, false, y);
  CHECK(y.data()[0] == doctest::Approx(-4.0f));
}

TEST_CASE("conv2d_bn_add_relu_forward_infer: equals the convolution and the inference batch norm composed") {
  // Every path of conv2d_forward applies the epilogue: the tap tiles (3x3
  // stride 1, 16/32 channels, W a multiple of 8), the segment walk (stride 2;
  // width 12; 3 input channels), im2col + GEMM (K not whole vectors) and the
  // plain GEMM of a 1x1 stride-1 layer; with and without residual and ReLU.
  std::mt19937_64 rng(21);
  using shape = std::tuple<std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t>;
  for (const auto& [R, stride, C, K, H, W] :
       {shape{3, 1, 16, 16, 8, 32}, shape{3, 1, 32, 32, 4, 16}, shape{3, 2, 16, 32, 8, 16}, shape{3, 1, 16, 16, 6, 12},
        shape{3, 1, 3, 16, 8, 8}, shape{3, 1, 8, 12, 5, 5}, shape{1, 1, 16, 32, 4, 8}, shape{1, 2, 16, 32, 8, 8}}) {
    CAPTURE(R);
    CAPTURE(stride);
    CAPTURE(C);
    CAPTURE(K);
    CAPTURE(W);
    const conv2d_geometry g{R, stride, R / 2};
    const auto x = random_tensor<double>({3, H, W, C}, rng), w = random_tensor<double>({R, R, C, K}, rng);
    const auto gamma = random_tensor<double>({1, 1, 1, K}, rng), beta = random_tensor<double>({1, 1, 1, K}, rng),
               mean = random_tensor<double>({1, 1, 1, K}, rng);
    auto var = random_tensor<double>({1, 1, 1, K}, rng);
    for (auto& v : var) v = v * v + 0.1;
    host_tensor<double> conv;
    sjmt::ops::conv2d_forward(be, g, x, w, conv);
    const auto z = random_tensor<double>(conv.shape(), rng);
    for (const bool relu : {true, false})
      for (const host_tensor<double>* residual : {static_cast<const host_tensor<double>*>(nullptr), &z}) {
        CAPTURE(relu);
        CAPTURE(residual != nullptr);
        host_tensor<double> ref, yd;
        if (relu) {
          sjmt::ops::batch_norm_add_relu_forward_infer(be, conv, residual, gamma, beta, mean, var, 1e-5, ref);
        } else {
          sjmt::ops::batch_norm_forward_infer(be, conv, gamma, beta, mean, var, 1e-5, ref);
          if (residual) sjmt::ops::add(be, ref, *residual, ref);
        }
        sjmt::ops::conv2d_bn_add_relu_forward_infer(be, g, x, w, gamma, beta, mean, var, 1e-5, residual, relu, yd);
        const host_tensor<float> xf = x, wf = w, gf = gamma, bf = beta, mf = mean, vf = var, zf = z;
        host_tensor<float> yf;
        sjmt::ops::conv2d_bn_add_relu_forward_infer(be, g, xf, wf, gf, bf, mf, vf, 1e-5f, residual ? &zf : nullptr,
                                                    relu, yf);
        REQUIRE(yd.shape() == ref.shape());
        REQUIRE(yf.shape() == ref.shape());
        for (std::size_t i = 0; i < ref.size(); ++i) {
          CHECK(yd.data()[i] == doctest::Approx(ref.data()[i]).epsilon(1e-12));
          CHECK(yf.data()[i] == doctest::Approx(ref.data()[i]).epsilon(1e-4));
        }
      }
  }
}

TEST_CASE("conv2d_bn_add_relu_forward_infer: bad arguments throw, naming what is wrong") {
  const conv2d_geometry g{3, 1, 1};
  host_tensor<float> x({1, 4, 4, 8}), w({3, 3, 8, 16}), y;
  const host_tensor<float> k16 = sjmt::make_host_tensor<float>({1, 1, 1, 16}, 1.0f),
                          k8 = sjmt::make_host_tensor<float>({1, 1, 1, 8}, 1.0f);
  const auto message = [&](auto&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // the batch norm's vectors must have the output's channels (16), not the input's (8)
  CHECK(message([&] {
          sjmt::ops::conv2d_bn_add_relu_forward_infer(be, g, x, w, k8, k16, k16, k16, 1e-5f, nullptr, true, y);
        }).find("gamma") != std::string::npos);
  host_tensor<float> z({1, 4, 4, 8});
  CHECK_THROWS_AS(sjmt::ops::conv2d_bn_add_relu_forward_infer(be, g, x, w, k16, k16, k16, k16, 1e-5f, &z, true, y),
                  sjmt::shape_error);
  host_tensor<float> same({1, 4, 4, 16});
  CHECK_THROWS_AS(
      sjmt::ops::conv2d_bn_add_relu_forward_infer(be, g, x, w, k16, k16, k16, k16, 1e-5f, &same, true, same),
      sjmt::value_error);
}
