// Against the reference: PyTorch builds the same ResNet-32, loads sjmt's
// safetensors weights and compares logits (inference and training mode) and
// every tensor after one SGD step with the selective sigmoid loss (relative
// error at most 1e-4), on 4 images of 16x16 to keep the test short. Skipped,
// visibly, where /usr/bin/python3 has no torch.
//
// The step is compared in double: in float, a batch-norm bias gradient is a
// sum of hundreds of terms that nearly cancel, and its relative error then depends on
// summation order (we measured 4e-6 to 4e-3 between -O3 and -O1 builds), which
// would test rounding rather than the maths. Float is compared on the logits.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sjmt/backend.hpp>
#include <sjmt/labels.hpp>
#include <sjmt/nn.hpp>
#include <sjmt/optim.hpp>
#include <sjmt/train.hpp>
#include <string>
#include <unistd.h>

#include "temp_path.hpp"

using B = sjmt::cpu_backend;
static B be;  // the backend instance the models here run on
namespace fs = std::filesystem;

namespace {
using layout = sjmt::joint_layout<sjmt::spaces::emotion, sjmt::spaces::emotionet_aus>;
constexpr std::size_t depth = 32;
template <class T>
using model = sjmt::network<sjmt::resnet_cifar<B, T, depth>, sjmt::joint_head<B, T, layout>>;

template <class T>
int run_reference(bool logits_only) {
  using tensor = sjmt::host_tensor<T>;
  const fs::path dir = fs::temp_directory_path() /
                       ("sjmt_pytorch_reference_" + std::to_string(::getpid()) + "_" + std::to_string(sizeof(T)));
  fs::create_directories(dir);
  std::mt19937_64 rng(2024);
  model<T> net(be, rng);
  sjmt::parameter_list<B, T> ps;
  net.collect(ps);
  sjmt::sgd<B, T> opt(be, ps, {.momentum = 0.9, .weight_decay = 5e-4});
  const sjmt::checkpoint_metadata meta{"resnet_cifar-32", sjmt::layout_fingerprint<layout>(), 0};
  sjmt::save_checkpoint(be, dir / "before.safetensors", ps, meta);

  constexpr std::size_t N = 4, K = layout::size;
  std::normal_distribution<T> normal;
  tensor x({N, 16, 16, 3}), targets({1, 1, 1, N * K}), masks({1, 1, 1, N * K});
  for (auto& v : x) v = normal(rng);
  // Even samples come from an emotion-only dataset, odd ones from an AU-only one.
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t k = 0; k < K; ++k) {
      masks.data()[n * K + k] = (n % 2 == 0) == (k < 7) ? T(1) : T(0);
      targets.data()[n * K + k] = static_cast<T>(rng() % 2);
    }
  const tensor logits_infer = net.forward(x, sjmt::mode::infer);
  const tensor logits_train = net.forward(x, sjmt::mode::train);
  tensor grad(logits_train.shape());
  for (std::size_t i = 0; i < grad.size(); ++i) {
    const T s = T(1) / (T(1) + std::exp(-logits_train.data()[i]));
    grad.data()[i] = masks.data()[i] * (s - targets.data()[i]) / static_cast<T>(N);
  }
  net.backward(grad);
  opt.step(0.05);
  sjmt::save_checkpoint(be, dir / "after.safetensors", ps, meta);

  tensor shape({1, 1, 1, 4}), input = x, li = logits_infer, lt = logits_train;
  for (std::size_t i = 0; i < 4; ++i) shape.data()[i] = static_cast<T>(x.shape()[i]);
  sjmt::parameter_list<B, T> io{{"shape", &shape}, {"input", &input}, {"targets", &targets},
                                    {"masks", &masks}, {"logits_infer", &li}, {"logits_train", &lt}};
  sjmt::save_checkpoint(be, dir / "io.safetensors", io, meta);

  const fs::path script = fs::path(__FILE__).parent_path() / "pytorch" / "resnet_reference.py";
  const std::string command = "/usr/bin/python3 " + script.string() + " " + dir.string() + " " +
                              std::to_string(depth) + (logits_only ? " --logits-only" : "");
  const int status = std::system(command.c_str());
  fs::remove_all(dir);
  return status;
}

/// PyTorch initialises and writes a ResNet-32 (tests/pytorch/torch_to_sjmt.py); sjmt loads the
/// file (F32 weights, I64 num_batches_tracked counters, no sjmt metadata) and must give
/// PyTorch's inference logits.
double torch_to_sjmt_error() {
  const fs::path dir = sjmt::test::unique_temp("sjmt_torch_to_sjmt");
  fs::create_directories(dir);
  const fs::path script = fs::path(__FILE__).parent_path() / "pytorch" / "torch_to_sjmt.py";
  const std::string command =
      "/usr/bin/python3 " + script.string() + " " + dir.string() + " " + std::to_string(depth) + " " + std::to_string(layout::size);
  REQUIRE(std::system(command.c_str()) == 0);
  std::mt19937_64 rng(5);
  model<float> net(be, rng);
  sjmt::parameter_list<B, float> ps;
  net.collect(ps);
  const sjmt::checkpoint_metadata any{"", "", 0};  // a PyTorch file names no sjmt model or layout
  sjmt::load_checkpoint(be, dir / "torch.safetensors", ps, any);
  const sjmt::io::safetensors_contents io = sjmt::io::read_safetensors(dir / "torch_io.safetensors");
  const sjmt::io::safetensor* input = io.find("input");
  const sjmt::io::safetensor* logits = io.find("logits");
  REQUIRE(input != nullptr);
  REQUIRE(logits != nullptr);
  REQUIRE(input->shape.size() == 4);
  sjmt::host_tensor<float> x({input->shape[0], input->shape[1], input->shape[2], input->shape[3]});
  const std::vector<float> xv = sjmt::io::float_values<float>(*input, dir / "torch_io.safetensors");
  std::copy(xv.begin(), xv.end(), x.data());
  const sjmt::host_tensor<float> z = net.forward(x, sjmt::mode::infer);
  const std::vector<float> want = sjmt::io::float_values<float>(*logits, dir / "torch_io.safetensors");
  REQUIRE(z.size() == want.size());
  double largest = 0, worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    largest = std::max(largest, std::fabs(double(want[i])));
    worst = std::max(worst, std::fabs(double(z.data()[i]) - double(want[i])));
  }
  fs::remove_all(dir);
  return worst / std::max(largest, 1e-12);
}

bool torch_available() {
  if (std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") == 0) return true;
  MESSAGE("SKIPPED: /usr/bin/python3 cannot import torch (apt-get install python3-torch)");
  return false;
}

}  // namespace

TEST_CASE("pytorch reference: ResNet-32 float logits match PyTorch 1.13") {
  if (torch_available()) CHECK(run_reference<float>(true) == 0);
}

TEST_CASE("pytorch reference: a ResNet-32 that PyTorch initialised and wrote loads into sjmt with PyTorch's logits") {
  if (!torch_available()) return;
  const double e = torch_to_sjmt_error();
  MESSAGE("PyTorch -> sjmt inference logits: relative error ", e);
  CHECK(e <= 1e-4);
}

TEST_CASE("pytorch reference: ResNet-32 double logits and one selective-loss SGD step match PyTorch 1.13") {
  if (torch_available()) CHECK(run_reference<double>(false) == 0);
}
