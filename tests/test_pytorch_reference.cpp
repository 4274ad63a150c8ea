// Against the reference: PyTorch builds the same ResNet-32, loads sjmt's
// safetensors weights and compares logits (inference and training mode) and
// every tensor after one SGD step with the selective sigmoid loss (relative
// error at most 1e-4). Skipped, visibly, where /usr/bin/python3 has no torch.

#include <doctest/doctest.h>

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

using B = sjmt::cpu_backend;
namespace fs = std::filesystem;

namespace {
using layout = sjmt::joint_layout<sjmt::spaces::emotion, sjmt::spaces::emotionet_aus>;
constexpr std::size_t depth = 32;
using model = sjmt::network<sjmt::resnet_cifar<B, float, depth>, sjmt::joint_head<B, float, layout>>;
}  // namespace

TEST_CASE("pytorch reference: ResNet-32 logits and one SGD step match PyTorch 1.13") {
  if (std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") != 0) {
    MESSAGE("SKIPPED: /usr/bin/python3 cannot import torch (apt-get install python3-torch)");
    return;
  }
  const fs::path dir = fs::temp_directory_path() / ("sjmt_pytorch_reference_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::mt19937_64 rng(2024);
  model net(rng);
  sjmt::parameter_list<B, float> ps;
  net.collect(ps);
  sjmt::sgd<B, float> opt(ps, {.momentum = 0.9, .weight_decay = 5e-4});
  const sjmt::checkpoint_metadata meta{"resnet_cifar-32", sjmt::layout_fingerprint<layout>(), 0};
  sjmt::save_checkpoint(dir / "before.safetensors", ps, meta);

  constexpr std::size_t N = 8, K = layout::size;
  std::normal_distribution<float> normal;
  sjmt::host_tensor<float> x({N, 32, 32, 3}), targets({1, 1, 1, N * K}), masks({1, 1, 1, N * K});
  for (auto& v : x) v = normal(rng);
  // Even samples come from an emotion-only dataset, odd ones from an AU-only one.
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t k = 0; k < K; ++k) {
      masks.data()[n * K + k] = (n % 2 == 0) == (k < 7) ? 1.0f : 0.0f;
      targets.data()[n * K + k] = static_cast<float>(rng() % 2);
    }
  const sjmt::host_tensor<float> logits_infer = net.forward(x, sjmt::mode::infer);
  const sjmt::host_tensor<float> logits_train = net.forward(x, sjmt::mode::train);
  sjmt::host_tensor<float> grad(logits_train.shape());
  for (std::size_t i = 0; i < grad.size(); ++i) {
    const float s = 1.0f / (1.0f + std::exp(-logits_train.data()[i]));
    grad.data()[i] = masks.data()[i] * (s - targets.data()[i]) / static_cast<float>(N);
  }
  net.backward(grad);
  opt.step(0.05);
  sjmt::save_checkpoint(dir / "after.safetensors", ps, meta);

  sjmt::host_tensor<float> shape({1, 1, 1, 4}), input = x, li = logits_infer, lt = logits_train;
  for (std::size_t i = 0; i < 4; ++i) shape.data()[i] = static_cast<float>(x.shape()[i]);
  sjmt::parameter_list<B, float> io{{"shape", &shape}, {"input", &input}, {"targets", &targets},
                                    {"masks", &masks}, {"logits_infer", &li}, {"logits_train", &lt}};
  sjmt::save_checkpoint(dir / "io.safetensors", io, meta);

  const fs::path script = fs::path(__FILE__).parent_path() / "pytorch" / "resnet_reference.py";
  const std::string command = "/usr/bin/python3 " + script.string() + " " + dir.string() + " " + std::to_string(depth);
  const int status = std::system(command.c_str());
  fs::remove_all(dir);
  CHECK(status == 0);
}
