// Renderer throughput: synthetic FACS faces per second on one core.
//   ./build/bench/bench_data_render --benchmark_counters_tabular=true
// Issue 4 asks for >= 5,000 32x32 RGB images/s. The baseline beside it is the cost
// of drawing the random parameters alone (identity, expression, nuisance) without
// rasterising, so the ratio shows where the time goes.
#include <benchmark/benchmark.h>

#include <sjmt/data/world/render.hpp>

namespace {

using namespace sjmt::data;

void render(benchmark::State& state, int size, int channels, float amount) {
  std::uint64_t i = 0;
  for (auto _ : state) {
    rng r(derive_seed(42, i++));
    const identity id = random_identity(r);
    const expression e = sample_expression(basic_prototypes[i % 7], r);
    const nuisance n = random_nuisance(r, {.amount = amount});
    rendered_face f = render_face(id, e, n, {.width = size, .height = size, .channels = channels}, r);
    benchmark::DoNotOptimize(f.picture.pixels().data());
  }
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void parameters_only(benchmark::State& state) {
  std::uint64_t i = 0;
  for (auto _ : state) {
    rng r(derive_seed(42, i++));
    identity id = random_identity(r);
    expression e = sample_expression(basic_prototypes[i % 7], r);
    nuisance n = random_nuisance(r, {});
    shape68 s = apply_aus(neutral_shape(id), e);
    benchmark::DoNotOptimize(id);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(s);
  }
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(parameters_only);
BENCHMARK_CAPTURE(render, rgb32_wild, 32, 3, 1.0f);
BENCHMARK_CAPTURE(render, rgb32_lab, 32, 3, 0.0f);
BENCHMARK_CAPTURE(render, grey48_wild, 48, 1, 1.0f);
BENCHMARK_CAPTURE(render, rgb128_wild, 128, 3, 1.0f);

BENCHMARK_MAIN();
