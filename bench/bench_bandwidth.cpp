// STREAM-like memory bandwidth with all threads (OpenMP): copy (16 B per
// element moved) and triad (a = b + s c, 24 B), 256 MiB arrays, so caches do not
// help. The ceiling for memory-bound kernels such as the selective loss.
//   build/bench/bench_bandwidth
#include <benchmark/benchmark.h>

#include <cstddef>
#include <memory>

namespace {

constexpr std::size_t n = (256u << 20) / sizeof(float);

struct arrays {
  std::unique_ptr<float[]> a{new float[n]}, b{new float[n]}, c{new float[n]};
  arrays() {
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) a[i] = 0.f, b[i] = 1.f, c[i] = 2.f;
  }
};

void copy(benchmark::State& state) {
  arrays x;
  float *a = x.a.get(), *b = x.b.get();
  for (auto _ : state) {
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) a[i] = b[i];
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(std::int64_t(state.iterations() * n * 2 * sizeof(float)));
}

void triad(benchmark::State& state) {
  arrays x;
  float *a = x.a.get(), *b = x.b.get(), *c = x.c.get();
  for (auto _ : state) {
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + 3.f * c[i];
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(std::int64_t(state.iterations() * n * 3 * sizeof(float)));
}

}  // namespace

BENCHMARK(copy)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(triad)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK_MAIN();
