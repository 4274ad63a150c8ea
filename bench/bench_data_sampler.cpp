// Sampler throughput: 64-image mixed batches of sfew-like and emotionet-like faces
// (rendered on demand, pad-4 crop and flip), on 1 and 2 threads, and through the
// background prefetcher, against the baseline of copying pre-rendered faces.
//   ./build/bench/bench_data_sampler --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <sjmt/data/pipeline/prefetch.hpp>
#include <sjmt/data/pipeline/sampler.hpp>
#include <sjmt/labels.hpp>

namespace {

using namespace sjmt::data;
using layout = sjmt::joint_layout<sjmt::spaces::emotion, sjmt::spaces::emotionet_aus>;
using domains = sjmt::dataset_union<layout, sjmt::datasets::sfew, sjmt::datasets::emotionet>;

sampler_options options(int threads) {
  return {.batch_size = 64, .proportions = {0.5, 0.5}, .seed = 1, .threads = threads};
}

std::vector<labelled_face> rendered(const synthetic_domain& d, std::size_t n) {
  std::vector<labelled_face> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(d[i]);
  return v;
}

void render_on_demand(benchmark::State& state) {
  union_sampler<domains> s({source(sfew_like(split::train, 1)), source(emotionet_like(split::train, 1))},
                           options(static_cast<int>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(s.next().images.data());
  state.counters["images/s"] = benchmark::Counter(64.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void pre_rendered(benchmark::State& state) {
  union_sampler<domains> s({source(rendered(sfew_like(split::train, 1), 256)),
                            source(rendered(emotionet_like(split::train, 1), 256))},
                           options(1));
  for (auto _ : state) benchmark::DoNotOptimize(s.next().images.data());
  state.counters["images/s"] = benchmark::Counter(64.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void prefetched(benchmark::State& state) {
  union_sampler<domains> s({source(sfew_like(split::train, 1)), source(emotionet_like(split::train, 1))}, options(1));
  prefetcher p([&s] { return s.next(); }, 4);
  for (auto _ : state) benchmark::DoNotOptimize(p.next().images.data());
  state.counters["images/s"] = benchmark::Counter(64.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(pre_rendered)->UseRealTime();
BENCHMARK(render_on_demand)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(prefetched)->UseRealTime();

BENCHMARK_MAIN();
