// The cost of task weighting per training step (train/weighting.hpp): one
// trainer step of ResNet-8 and ResNet-32 on a mixed batch of 64 (sfew-like
// emotion + emotionet-like AUs, both spaces present), for each method.
// Static weights, uncertainty and DWA do one backward pass; PCGrad and GradNorm
// one per present space (two here), plus the host-side combination.
//
//   cmake --build build -j2 --target bench_weighting
//   OMP_NUM_THREADS=2 ./build/bench/bench_weighting --benchmark_min_time=2
//
// The batch is sampled once (rendering is not timed); the same batch is
// stepped on repeatedly. Compare the methods' times in one run, as ratios to
// static_weights.

#include <benchmark/benchmark.h>

#include <random>
#include <sjmt/sjmt.hpp>

namespace {

using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
using B = cpu_backend;
using net_type = model<B, float>;

const data::union_batch<domains>& batch() {
  static const data::union_batch<domains> b = [] {
    data::union_sampler<domains> s({data::source(data::sfew_like(data::split::train, 1)),
                                    data::source(data::emotionet_like(data::split::train, 1))},
                                   {.batch_size = 64, .proportions = {0.5, 0.5}, .seed = 3});
    return s.next();
  }();
  return b;
}

void step(benchmark::State& state) {
  const auto method = static_cast<task_weighting>(state.range(0));
  const auto depth = static_cast<std::size_t>(state.range(1));
  B be;
  std::mt19937_64 rng(1);
  net_type net(be, {.arch = "resnet", .depth = depth}, joint_head_layout<layout>(), rng);
  weighting_options w{.method = method};
  if (method == task_weighting::static_weights) w.weights = {};  // the plain step
  trainer<domains, net_type> t(be, net, selective_loss<domains>(), {.learning_rate = [](std::size_t) { return 0.01; },
                                                                    .weighting = w});
  const data::union_batch<domains>& b = batch();
  t.step(b);  // first-step allocations are not timed
  for (auto _ : state) benchmark::DoNotOptimize(t.step(b));
  state.SetLabel(std::string(to_string(method)));
  state.counters["img/s"] = benchmark::Counter(64.0, benchmark::Counter::kIsIterationInvariantRate);
}

void methods(benchmark::internal::Benchmark* b) {
  for (long depth : {8, 32})
    for (task_weighting m : {task_weighting::static_weights, task_weighting::uncertainty, task_weighting::dwa,
                             task_weighting::gradnorm, task_weighting::pcgrad})
      b->Args({static_cast<long>(m), depth});
}

}  // namespace

BENCHMARK(step)->Name("weighted_step")->ArgNames({"method", "depth"})->Apply(methods)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
