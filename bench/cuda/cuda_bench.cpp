// The CUDA backend's benchmark, run by scripts/gpu-check on a machine with a
// GPU: training and inference images/s of ResNet-32 and ResNet-110 (the
// paper's SJMT step: joint head, selective loss, SGD with momentum) at batch
// 128 and 512, peak device memory, and the selective loss kernel's bandwidth
// at large N. One JSON object per line on stdout; medians of timed rounds.
//
//   cuda_bench [--quick]
#include <sjmt/backend/cuda_backend.hpp>
#include <sjmt/sjmt.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

namespace {

using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using paper = dataset_union<layout, datasets::sfew, datasets::emotionet>;
using clock_type = std::chrono::steady_clock;

/// A host batch of random images (side x side x 3) and valid labels, half of each domain.
data::union_batch<paper> random_batch(std::size_t n, std::mt19937_64& rng, std::size_t side = 32) {
  data::union_batch<paper> b;
  b.size = n, b.channels = 3, b.height = side, b.width = side;
  std::normal_distribution<float> g;
  b.images.resize(n * side * side * 3);
  for (float& v : b.images) v = g(rng);
  b.domain.resize(n);
  b.targets.assign(n * layout::size, 0.f);
  b.known.assign(n * layout::size, 1);
  b.index.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    b.domain[i] = static_cast<std::int32_t>(i % 2);
    b.index[i] = i;
    if (i % 2 == 0)
      b.targets[i * layout::size + i % 7] = 1.f;
    else
      for (std::size_t a = 7; a < layout::size; ++a) b.targets[i * layout::size + a] = float((i + a) % 3 == 0);
  }
  return b;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void train_and_infer(std::size_t depth, std::size_t batch, bool capture, int rounds, int steps) {
  cuda_backend be;
  std::mt19937_64 rng(1);
  using net_type = model<cuda_backend, float>;
  net_type net(be, {.arch = "resnet", .depth = depth}, joint_head_layout<layout>(), rng);
  trainer<paper, net_type> t(be, net, selective_loss<paper>(),
                             {.optimizer = {.momentum = 0.9, .weight_decay = 5e-4},
                              .learning_rate = [](std::size_t) { return 0.05; },
                              .model_name = net.name(),
                              .capture_steps = capture});
  const data::union_batch<paper> b = random_batch(batch, rng);
  for (int i = 0; i < 5; ++i) t.step(b);  // first runs: algorithms, plans, capture
  be.synchronize();
  std::vector<double> train, infer;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = clock_type::now();
    for (int i = 0; i < steps; ++i) t.step(b);  // each step reads its loss back: synchronised
    train.push_back(double(batch * steps) / std::chrono::duration<double>(clock_type::now() - t0).count());
  }
  cuda_backend::tensor<float> x;
  host_tensor<float> hx({batch, 32, 32, 3});
  std::copy(b.images.begin(), b.images.end(), hx.data());
  be.upload(x, hx);
  for (int i = 0; i < 3; ++i) net.forward(x, mode::infer);
  for (int r = 0; r < rounds; ++r) {
    be.synchronize();
    const auto t0 = clock_type::now();
    for (int i = 0; i < steps; ++i) net.forward(x, mode::infer);
    be.synchronize();
    infer.push_back(double(batch * steps) / std::chrono::duration<double>(clock_type::now() - t0).count());
  }
  std::printf("{\"bench\": \"resnet\", \"depth\": %zu, \"batch\": %zu, \"graphs\": %s, \"train_img_s\": %.1f, "
              "\"infer_img_s\": %.1f, \"peak_mib\": %.1f}\n",
              depth, batch, capture ? "true" : "false", median(train), median(infer),
              double(be.peak_bytes()) / (1 << 20));
  std::fflush(stdout);
}

void loss_bandwidth(std::size_t rows, int rounds) {
  cuda_backend be;
  std::mt19937_64 rng(2);
  const data::union_batch<paper> b = random_batch(rows, rng, 1);  // the loss reads no image
  const selective_loss<paper> loss;
  device_batch<paper, cuda_backend, float> batch;
  upload_batch<paper>(be, b, loss, batch);
  host_tensor<float> hz({rows, 1, 1, layout::size});
  std::normal_distribution<float> g;
  for (float& v : hz) v = g(rng);
  cuda_backend::tensor<float> z, grad, value;
  be.upload(z, hz);
  be.resize(value, {1, 1, 1, 1});
  for (int i = 0; i < 3; ++i) loss.forward_backward(be, z, batch, &grad, value);
  std::vector<double> gbs;
  // logits and targets read, gradient written, domains read (no known-mask: every label known)
  const double bytes = double(rows) * (3.0 * layout::size * sizeof(float) + sizeof(std::int32_t));
  for (int r = 0; r < rounds; ++r) {
    be.synchronize();
    const auto t0 = clock_type::now();
    for (int i = 0; i < 20; ++i) loss.forward_backward(be, z, batch, &grad, value);
    be.synchronize();
    gbs.push_back(20 * bytes / std::chrono::duration<double>(clock_type::now() - t0).count() / 1e9);
  }
  std::printf("{\"bench\": \"loss\", \"rows\": %zu, \"width\": %zu, \"gb_s\": %.1f}\n", rows, layout::size,
              median(gbs));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (cuda_backend::device_count() == 0) {
    std::printf("{\"skipped\": \"no CUDA device\"}\n");
    return 0;
  }
  try {
    std::printf("{\"device\": \"%s\"}\n", cuda_backend().device().c_str());
    const int rounds = quick ? 3 : 5, steps = quick ? 10 : 20;
    for (const std::size_t depth : {32, 110})
      for (const std::size_t batch : {128, 512}) train_and_infer(depth, batch, true, rounds, steps);
    train_and_infer(32, 128, false, rounds, steps);  // the same without graphs: what capture buys
    loss_bandwidth(std::size_t(1) << 22, rounds);
  } catch (const sjmt::error& e) {
    std::fprintf(stderr, "cuda_bench: %s\n", e.what());
    return 1;
  }
}
