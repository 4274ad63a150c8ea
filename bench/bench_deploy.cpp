// A trained network in use: sjmt::predictor on one image (latency) and on 64
// (throughput), and OpenCV's DNN module running the same network exported by
// sjmt::export_onnx, where the build found OpenCV. ResNet-32 (option B), the
// layout emotion (7) + EmotioNet AUs (11), 32x32 RGB images.
//
//   cmake --build build -j2 --target bench_deploy
//   OMP_NUM_THREADS=2 ./build/bench/bench_deploy --benchmark_min_time=2
//   bench/deploy_vs_pytorch.py --rounds 3      # beside PyTorch, alternating, as ratios
//
// The checkpoint and its ONNX file are written once into $SJMT_DEPLOY_DIR (a
// temporary folder when unset), where bench/pytorch_deploy.py reads the same
// weights. Weights are random (timing does not depend on them), the batch
// norms' statistics those of a few training-mode forwards.
//
// What is timed: predictor: predict() on images already decoded at the model
// input's size (its preprocessing is then a copy), the forward and the
// sigmoids of all 18 outputs into named answers. OpenCV: the (N, 3, 32, 32)
// blob built from the same images, setInput, forward of both outputs (the
// sigmoids are in the graph). "img/s" is the throughput counter.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <sjmt/sjmt.hpp>
#include <string>
#include <vector>

#if SJMT_BENCH_OPENCV_DNN
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#endif

namespace {

namespace fs = std::filesystem;
using B = sjmt::cpu_backend;
using layout = sjmt::joint_layout<sjmt::spaces::emotion, sjmt::spaces::emotionet_aus>;

/// The folder holding resnet32.safetensors and resnet32.onnx, written on first use.
const fs::path& files() {
  static const fs::path dir = [] {
    const char* env = std::getenv("SJMT_DEPLOY_DIR");
    fs::path d = env && *env ? fs::path(env) : fs::temp_directory_path() / "sjmt-bench-deploy";
    fs::create_directories(d);
    if (!fs::exists(d / "resnet32.onnx")) {
      B be;
      std::mt19937_64 rng(7);
      sjmt::model<B, float> net(be, {.arch = "resnet", .depth = 32}, sjmt::joint_head_layout<layout>(), rng);
      std::normal_distribution<float> normal(0.5f, 0.25f);
      sjmt::host_tensor<float> x({16, 32, 32, 3});
      for (auto& v : x) v = normal(rng);
      for (int i = 0; i < 3; ++i) net.forward(x, sjmt::mode::train);  // running statistics away from 0 and 1
      sjmt::parameter_list<B, float> ps;
      net.collect(ps);
      sjmt::save_checkpoint(be, d / "resnet32.safetensors", ps,
                            {.model = net.name(), .layout = sjmt::layout_fingerprint<layout>(), .input = "32x32x3"});
      sjmt::export_onnx<layout>(d / "resnet32.safetensors", d / "resnet32.onnx");
    }
    return d;
  }();
  return dir;
}

std::vector<sjmt::data::image> images(std::size_t n) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<sjmt::data::image> out;
  for (std::size_t i = 0; i < n; ++i) {
    sjmt::data::image img(32, 32, 3);
    for (float& v : img.pixels()) v = u(rng);
    out.push_back(std::move(img));
  }
  return out;
}

void predictor(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  sjmt::predictor<layout> p(files() / "resnet32.safetensors", {.batch = n});
  const std::vector<sjmt::data::image> x = images(n);
  for (auto _ : state) benchmark::DoNotOptimize(p.predict(std::span<const sjmt::data::image>(x)));
  state.counters["img/s"] = benchmark::Counter(double(state.iterations() * n), benchmark::Counter::kIsRate);
}
BENCHMARK(predictor)->Name("predictor/resnet32")->ArgName("batch")->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

#if SJMT_BENCH_OPENCV_DNN
void opencv_dnn(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const char* threads = std::getenv("OMP_NUM_THREADS");
  cv::setNumThreads(threads ? std::atoi(threads) : 2);
  cv::dnn::Net net = cv::dnn::readNetFromONNX((files() / "resnet32.onnx").string());
  const std::vector<sjmt::data::image> x = images(n);
  const std::vector<cv::String> names = {"emotion", "aus"};
  std::vector<float> blob(n * 3 * 32 * 32);
  const int dims[] = {static_cast<int>(n), 3, 32, 32};
  std::vector<cv::Mat> outs;
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i)  // channels-last pixels to the channels-first blob
      for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t j = 0; j < 32 * 32; ++j) blob[((i * 3 + c) * 32 * 32) + j] = x[i].pixels()[j * 3 + c];
    net.setInput(cv::Mat(4, dims, CV_32F, blob.data()), "input");
    net.forward(outs, names);
    benchmark::DoNotOptimize(outs[0].data);
  }
  state.counters["img/s"] = benchmark::Counter(double(state.iterations() * n), benchmark::Counter::kIsRate);
}
BENCHMARK(opencv_dnn)->Name("opencv_dnn/resnet32")->ArgName("batch")->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

}  // namespace

BENCHMARK_MAIN();
