// Selective loss, value and gradient in one pass, on the paper's 18-wide layout
// (7 emotions + 11 AUs), half the samples from each dataset. Bytes counted: the
// logits and targets read, the gradient written, the domain indices (and the
// known-mask, in the _known variant) read. `selective` is the loss of a
// training step (tensors of a batch checked when it was formed);
// `selective_checked` the host-buffer overload, which checks the labels on
// every call.
//   build/bench/bench_loss --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <sjmt/sjmt.hpp>
#include <vector>

namespace {

using layout = sjmt::joint_layout<sjmt::spaces::emotion, sjmt::spaces::emotionet_aus>;
using domains = sjmt::dataset_union<layout, sjmt::datasets::sfew, sjmt::datasets::emotionet>;
constexpr std::size_t W = layout::size;

struct batch {
  std::vector<float> logits, targets, grad;
  std::vector<std::int32_t> domain;
  std::vector<std::uint8_t> known;

  explicit batch(std::size_t n) : logits(n * W), targets(n * W), grad(n * W), domain(n), known(n * W, 1) {
    std::mt19937 rng(42);
    std::normal_distribution<float> z(0.f, 3.f);
    for (auto& v : logits) v = z(rng);
    for (std::size_t i = 0; i < n; ++i) {
      domain[i] = std::int32_t(i % 2);
      targets[i * W + rng() % W] = 1.f;
      if (i % 7 == 0) known[i * W + 7 + rng() % 11] = 0;
    }
  }
};

/// The loss on the CPU backend's tensors of a batch whose labels were checked
/// when it was formed (as a training step runs it), or, `checked`, on host
/// buffers through the overload that checks the labels on every call.
template <class Loss>
void run(benchmark::State& state, bool with_known, bool checked = false) {
  const auto n = static_cast<std::size_t>(state.range(0));
  batch b(n);
  Loss loss;
  sjmt::cpu_backend be;
  sjmt::device_batch<domains, sjmt::cpu_backend> db;
  db.rows = n, db.has_known = with_known;
  db.targets = sjmt::host_tensor<float>({n, 1, 1, W});
  std::copy(b.targets.begin(), b.targets.end(), db.targets.begin());
  db.known = sjmt::host_tensor<std::uint8_t>({n, 1, 1, W});
  std::copy(b.known.begin(), b.known.end(), db.known.begin());
  db.domains = sjmt::host_tensor<std::int32_t>({n, 1, 1, 1});
  std::copy(b.domain.begin(), b.domain.end(), db.domains.begin());
  sjmt::host_tensor<float> z({n, 1, 1, W}), g({n, 1, 1, W}), value({1, 1, 1, 1});
  std::copy(b.logits.begin(), b.logits.end(), z.begin());
  loss.validate(b.targets, b.domain, b.known);
  for (auto _ : state) {
    if (checked) {
      float v = with_known ? loss.forward_backward(be, b.logits, b.targets, b.domain, b.known, b.grad)
                           : loss.forward_backward(be, b.logits, b.targets, b.domain, b.grad);
      benchmark::DoNotOptimize(v);
    } else {
      loss.forward_backward(be, z, db, &g, value);
      benchmark::DoNotOptimize(value.data()[0]);
    }
    benchmark::ClobberMemory();
  }
  const std::size_t bytes = n * W * 3 * sizeof(float) + n * sizeof(std::int32_t) + (with_known ? n * W : 0);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["samples/s"] = benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
}

void selective(benchmark::State& s) { run<sjmt::selective_loss<domains>>(s, false); }
void selective_known(benchmark::State& s) { run<sjmt::selective_loss<domains>>(s, true); }
void selective_checked(benchmark::State& s) { run<sjmt::selective_loss<domains>>(s, false, true); }
void naive_joint(benchmark::State& s) { run<sjmt::naive_joint_loss<domains>>(s, false); }
void selective_softmax(benchmark::State& s) { run<sjmt::selective_softmax_loss<domains>>(s, false); }

}  // namespace

BENCHMARK(selective)->Arg(128)->Arg(4096)->Arg(262144)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(selective_known)->Arg(128)->Arg(4096)->Arg(262144)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(selective_checked)->Arg(128)->Arg(4096)->Arg(262144)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(naive_joint)->Arg(262144)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(selective_softmax)->Arg(262144)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
