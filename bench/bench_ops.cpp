// CPU backend ops at ResNet-32's shapes (batch 128): GFLOP/s of each
// convolution pass and time of the memory-bound ops, to see what limits a step.
//
//   cmake --build build -j2 --target bench_ops
//   OMP_NUM_THREADS=2 ./build/bench/bench_ops

#include <benchmark/benchmark.h>

#include <random>
#include <sjmt/backend.hpp>

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

}  // namespace

#define SJMT_CONV_ARGS ->Args({32, 16, 16, 1, 3})->Args({32, 144, 16, 1, 1})->Args({16, 32, 32, 1, 3})->Args({8, 64, 64, 1, 3})->Args({32, 16, 32, 2, 3})->Args({32, 16, 32, 2, 1})->Unit(benchmark::kMillisecond)->UseRealTime()
BENCHMARK_CAPTURE(conv_pass, forward, 0) SJMT_CONV_ARGS;
BENCHMARK_CAPTURE(conv_pass, backward_data, 1) SJMT_CONV_ARGS;
BENCHMARK_CAPTURE(conv_pass, backward_filter, 2) SJMT_CONV_ARGS;
BENCHMARK(batch_norm_train)->Args({32, 16})->Args({8, 64})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
