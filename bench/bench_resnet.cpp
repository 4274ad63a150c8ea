// ResNet-CIFAR training step (forward, backward, SGD) and inference on the CPU
// backend, batch 128, 3x32x32 input, 18 outputs (7 emotions + 11 AUs).
//
//   cmake --build build -j2 --target bench_resnet
//   OMP_NUM_THREADS=2 ./build/bench/bench_resnet --benchmark_min_time=3 --benchmark_repetitions=3
//
// The loss here is a plain sum of squares (gradient = logits / N): its cost is
// negligible next to the network; the selective loss replaces it in training.
// "img/s" is the throughput counter; compare with PyTorch's figures in
// BENCHMARKING.md (same machine, 2 threads).

#include <benchmark/benchmark.h>

#include <optional>
#include <random>
#include <sys/resource.h>
#include <sjmt/backend.hpp>
#include <sjmt/labels.hpp>
#include <sjmt/nn.hpp>
#include <sjmt/optim.hpp>

namespace {

using B = sjmt::cpu_backend;
using layout = sjmt::joint_layout<sjmt::spaces::emotion, sjmt::spaces::emotionet_aus>;
constexpr std::size_t batch = 128;

template <std::size_t Depth>
using model = sjmt::network<sjmt::resnet_cifar<B, float, Depth>, sjmt::joint_head<B, float, layout>>;

/// Peak resident memory of the process so far, MiB (a high-water mark: run one
/// benchmark per process, with --benchmark_filter, to read it per workload).
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

/// ResNet-<Depth> on a batch of n images of size x size x channels: a training
/// step (forward, backward, SGD) or an inference per iteration. "Mpx/s" (input
/// pixels per second) is comparable across sizes: a layer's work grows with its
/// pixels, so a shape that takes a slower path shows as a lower Mpx/s than 32x32.
template <std::size_t Depth, bool Train>
void run_resnet(benchmark::State& state, std::size_t size, std::size_t channels, std::size_t n) {
  B be;
  std::mt19937_64 rng(1);
  model<Depth> net(be, rng, {.in_channels = channels});
  sjmt::parameter_list<B, float> ps;
  std::optional<sjmt::sgd<B, float>> opt;  // training only: inference's peak memory holds no momentum
  if constexpr (Train) {
    net.collect(ps);
    opt.emplace(be, ps);
  }
  std::normal_distribution<float> normal;
  sjmt::host_tensor<float> x({n, size, size, channels});
  for (auto& v : x) v = normal(rng);
  sjmt::host_tensor<float> grad({n, 1, 1, layout::size});
  const auto step = [&] {
    if constexpr (Train) {
      const auto& logits = net.forward(x, sjmt::mode::train);
      for (std::size_t i = 0; i < logits.size(); ++i) grad.data()[i] = logits.data()[i] / float(n);
      net.backward(grad);
      opt->step(0.05);
    } else {
      benchmark::DoNotOptimize(net.forward(x, sjmt::mode::infer).data());
    }
  };
  step();  // warm-up: first-step allocations are not timed
  for (auto _ : state) {
    step();
    benchmark::ClobberMemory();
  }
  state.counters["img/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["Mpx/s"] = benchmark::Counter(static_cast<double>(n * size * size) / 1e6,
                                               benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_MiB"] = peak_rss_mib();
}

template <std::size_t Depth, std::size_t Channels = 3>
void train_step(benchmark::State& state) {
  run_resnet<Depth, true>(state, 32, Channels, batch);
}

template <std::size_t Depth, std::size_t Channels = 3>
void inference(benchmark::State& state) {
  run_resnet<Depth, false>(state, 32, Channels, batch);
}

/// Any input shape (issue 16, item 3): ResNet-32 at {size, channels, batch} (state.range 0, 1, 2).
template <bool Train>
void resnet32_shape(benchmark::State& state) {
  run_resnet<32, Train>(state, static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)),
                        static_cast<std::size_t>(state.range(2)));
}

}  // namespace

// {size, channels, batch}: FER2013's 48x48 grey, 64x64, and batches 1 (deployment) to 512.
BENCHMARK(resnet32_shape<false>)
    ->Name("resnet32/inference/shape")
    ->ArgNames({"size", "ch", "batch"})
    ->Args({32, 3, 128})->Args({32, 1, 128})->Args({48, 1, 128})->Args({64, 1, 128})->Args({64, 3, 128})
    ->Args({32, 3, 1})->Args({32, 3, 8})->Args({32, 3, 512})->Args({48, 1, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(resnet32_shape<true>)
    ->Name("resnet32/train_step/shape")
    ->ArgNames({"size", "ch", "batch"})
    ->Args({32, 3, 128})->Args({48, 1, 128})->Args({64, 1, 128})->Args({32, 3, 8})->Args({32, 3, 512})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK(train_step<32>)->Name("resnet32/train_step/b128")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(inference<32>)->Name("resnet32/inference/b128")->Unit(benchmark::kMillisecond)->UseRealTime();
// Grey input (FER2013's): the first convolution has one input channel (issue 16, item 3).
BENCHMARK(train_step<8, 3>)->Name("resnet8/train_step/b128/rgb")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(train_step<8, 1>)->Name("resnet8/train_step/b128/grey")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(inference<8, 3>)->Name("resnet8/inference/b128/rgb")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(inference<8, 1>)->Name("resnet8/inference/b128/grey")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(train_step<110>)->Name("resnet110/train_step/b128")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(inference<110>)->Name("resnet110/inference/b128")->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
