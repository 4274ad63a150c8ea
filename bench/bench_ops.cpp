// CPU backend ops at ResNet-32's shapes (batch 128): GFLOP/s of each
// convolution pass and time of the memory-bound ops, to see what limits a step;
// beside them the machine's ceilings: Eigen's SGEMM (1024^3, all threads) and
// the FMA units' peak with operands in registers (one thread), for the
// roofline of docs/performance.md, and the same with a broadcast load per FMA.
//
//   cmake --build build -j2 --target bench_ops
//   OMP_NUM_THREADS=2 ./build/bench/bench_ops

#include <benchmark/benchmark.h>

#include <random>
#include <vector>
#include <sjmt/backend.hpp>
#include <sjmt/backend/cpu/intrinsics.hpp>  // before Eigen/Core
#include <Eigen/Core>

namespace {

using B = sjmt::cpu_backend;
B be;  // the backend instance the ops run on, through sjmt::ops

sjmt::host_tensor<float> random_tensor(const sjmt::shape4& s) {
  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal;
  sjmt::host_tensor<float> t(s);
  for (auto& v : t) v = normal(rng);
  return t;
}

// args: H (= W), C, K, stride, kernel
void conv_pass(benchmark::State& state, int pass) {
  const auto H = static_cast<std::size_t>(state.range(0)), C = static_cast<std::size_t>(state.range(1)),
             K = static_cast<std::size_t>(state.range(2)), stride = static_cast<std::size_t>(state.range(3)),
             R = static_cast<std::size_t>(state.range(4));
  const sjmt::conv2d_geometry g{R, stride, R / 2};
  const auto x = random_tensor({128, H, H, C});
  auto w = random_tensor({R, R, C, K});
  sjmt::host_tensor<float> y, dx;
  sjmt::ops::conv2d_forward(be, g, x, w, y);
  const auto dy = random_tensor(y.shape());
  for (auto _ : state) {
    if (pass == 0) sjmt::ops::conv2d_forward(be, g, x, w, y);
    if (pass == 1) sjmt::ops::conv2d_backward_data(be, g, dy, w, x.shape(), dx);
    if (pass == 2) sjmt::ops::conv2d_backward_filter(be, g, x, dy, w.shape(), w);
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(y.size() * R * R * C);
  state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// Inference's convolution: 3x3 stride 1 with its batch norm folded in and the ReLU, and with
// the residual added before the ReLU when residual is 1 (a block's second convolution).
// args: H (= W), C (= K), residual
void conv_infer(benchmark::State& state) {
  const auto H = static_cast<std::size_t>(state.range(0)), C = static_cast<std::size_t>(state.range(1));
  const bool residual = state.range(2) != 0;
  const sjmt::conv2d_geometry g{3, 1, 1};
  const auto x = random_tensor({128, H, H, C}), w = random_tensor({3, 3, C, C}), z = random_tensor({128, H, H, C});
  auto gamma = sjmt::make_host_tensor<float>({1, 1, 1, C}, 1.0f), beta = gamma, mean = gamma, var = gamma;
  sjmt::host_tensor<float> y;
  const auto pass = [&] {
    sjmt::ops::conv2d_bn_add_relu_forward_infer(be, g, x, w, gamma, beta, mean, var, 1e-5f, residual ? &z : nullptr,
                                                true, y);
  };
  pass();  // y allocated and touched outside the timing
  for (auto _ : state) {
    pass();
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(y.size() * 9 * C);
  state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

void batch_norm_train(benchmark::State& state) {
  const auto H = static_cast<std::size_t>(state.range(0)), C = static_cast<std::size_t>(state.range(1));
  const auto x = random_tensor({128, H, H, C});
  auto g = sjmt::make_host_tensor<float>({1, 1, 1, C}, 1.0f), b = g, rm = g, rv = g;
  sjmt::host_tensor<float> mean, invstd, y, dx, dg, db;
  for (auto _ : state) {
    sjmt::ops::batch_norm_forward_train(be, x, g, b, 0.1f, 1e-5f, rm, rv, mean, invstd, y);
    sjmt::ops::batch_norm_backward(be, x, x, g, mean, invstd, dx, dg, db);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * x.size() * sizeof(float) * 5));
}

// A residual block's second batch norm in training: y = max(bn(x) + z, 0) forward, and its
// backward with the residual's gradient dz.
void batch_norm_relu_residual(benchmark::State& state) {
  const auto H = static_cast<std::size_t>(state.range(0)), C = static_cast<std::size_t>(state.range(1));
  const auto x = random_tensor({128, H, H, C}), z = random_tensor({128, H, H, C}), dy = random_tensor({128, H, H, C});
  auto g = sjmt::make_host_tensor<float>({1, 1, 1, C}, 1.0f), b = g, rm = g, rv = g;
  sjmt::host_tensor<float> mean, invstd, y, dx, dg, db, dz;
  for (auto _ : state) {
    sjmt::ops::batch_norm_add_relu_forward_train(be, x, &z, g, b, 0.1f, 1e-5f, rm, rv, mean, invstd, y);
    sjmt::ops::batch_norm_relu_backward(be, x, y, dy, g, mean, invstd, dx, dg, db, &dz);
  }
  // forward: statistics 1, affine 2 reads 1 write; backward: 3 reads, 3 reads 2 writes (before)
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * x.size() * sizeof(float) * 12));
}

// C = A B, 1024 x 1024 floats, through Eigen (threaded by OpenMP): the SGEMM ceiling.
void sgemm(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  const Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// One thread's FMA peak: 12 independent chains of vector FMAs on registers (the
// target's widest vectors), enough to cover the FMA latency on both machine kinds.
void fma_peak(benchmark::State& state) {
  using vec = sjmt::detail::cpu::simd_vector<float>::type;
  constexpr std::size_t lanes = sjmt::detail::cpu::vector_lanes<float>;
  constexpr long steps = 1 << 20;
  vec b, c;
  for (std::size_t l = 0; l < lanes; ++l) b[l] = 0.999f, c[l] = 1e-7f;
  float sink = 0;
  for (auto _ : state) {
    // Named registers (an array whose address escapes would live in memory),
    // each started at a different value: twelve identical chains were folded
    // by GCC into one, which measured one FMA's latency, times 12 (before
    // 2026-12-07 this bench reported 334 GFLOP/s per thread on the Zen 5 kind
    // where the FMA units give 227).
    vec a0 = b, a1 = b + c, a2 = b + 2 * c, a3 = b + 3 * c, a4 = b + 4 * c, a5 = b + 5 * c,
        a6 = b + 6 * c, a7 = b + 7 * c, a8 = b + 8 * c, a9 = b + 9 * c, a10 = b + 10 * c,
        a11 = b + 11 * c;
    for (long k = 0; k < steps; ++k) {
      a0 = a0 * b + c, a1 = a1 * b + c, a2 = a2 * b + c, a3 = a3 * b + c;
      a4 = a4 * b + c, a5 = a5 * b + c, a6 = a6 * b + c, a7 = a7 * b + c;
      a8 = a8 * b + c, a9 = a9 * b + c, a10 = a10 * b + c, a11 = a11 * b + c;
    }
    sink += (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11)[0];
  }
  benchmark::DoNotOptimize(sink);
  const double flops = 2.0 * 12.0 * static_cast<double>(lanes) * static_cast<double>(steps);
  state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// The same twelve chains with one broadcast load per FMA (the multiplier read
// from memory, its address moving each step so that it is not hoisted): the
// direct kernels' inner loop. On the Zen 5 kind it runs at fma_peak's rate; on
// the Intel and Zen 3 kinds it was measured near half (docs/design.md).
void fma_broadcast(benchmark::State& state) {
  using vec = sjmt::detail::cpu::simd_vector<float>::type;
  constexpr std::size_t lanes = sjmt::detail::cpu::vector_lanes<float>;
  constexpr long steps = 1 << 20;
  std::vector<float> m(32);
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = 1e-7f * static_cast<float>(i + 1);
  vec c;
  for (std::size_t l = 0; l < lanes; ++l) c[l] = 1e-3f * static_cast<float>(l + 1);  // not a splat: a splat c became scalar multiplies
  float sink = 0;
  for (auto _ : state) {
    vec a0 = c, a1 = 2 * c, a2 = 3 * c, a3 = 4 * c, a4 = 5 * c, a5 = 6 * c, a6 = 7 * c, a7 = 8 * c,
        a8 = 9 * c, a9 = 10 * c, a10 = 11 * c, a11 = 12 * c;
    for (long k = 0; k < steps; ++k) {
      const float* p = m.data() + (k & 15);
      a0 += p[0] * c, a1 += p[1] * c, a2 += p[2] * c, a3 += p[3] * c;
      a4 += p[4] * c, a5 += p[5] * c, a6 += p[6] * c, a7 += p[7] * c;
      a8 += p[8] * c, a9 += p[9] * c, a10 += p[10] * c, a11 += p[11] * c;
    }
    sink += (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11)[0];
  }
  benchmark::DoNotOptimize(sink);
  const double flops = 2.0 * 12.0 * static_cast<double>(lanes) * static_cast<double>(steps);
  state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

}  // namespace

#define SJMT_CONV_ARGS ->Args({32, 3, 16, 1, 3})->Args({32, 1, 16, 1, 3})->Args({32, 16, 16, 1, 3})->Args({32, 144, 16, 1, 1})->Args({16, 32, 32, 1, 3})->Args({8, 64, 64, 1, 3})->Args({32, 16, 32, 2, 3})->Args({32, 16, 32, 2, 1})->Args({16, 32, 64, 2, 3})->Args({16, 32, 64, 2, 1})->Args({12, 64, 64, 1, 3})->Args({24, 32, 32, 1, 3})->Args({48, 16, 16, 1, 3})->Unit(benchmark::kMillisecond)->UseRealTime()
BENCHMARK_CAPTURE(conv_pass, forward, 0) SJMT_CONV_ARGS;
BENCHMARK_CAPTURE(conv_pass, backward_data, 1) SJMT_CONV_ARGS;
BENCHMARK_CAPTURE(conv_pass, backward_filter, 2) SJMT_CONV_ARGS;
BENCHMARK(sgemm)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(fma_peak)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(fma_broadcast)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(conv_infer)->Args({32, 16, 0})->Args({32, 16, 1})->Args({16, 32, 0})->Args({16, 32, 1})->Args({8, 64, 0})->Args({8, 64, 1})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(batch_norm_train)->Args({32, 16})->Args({8, 64})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(batch_norm_relu_residual)->Args({32, 16})->Args({8, 64})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
