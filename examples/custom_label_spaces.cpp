// Brief: declares its own label spaces (head pose, a regression; gender, one
// of two) and two datasets that each annotate only one of them, then trains one
// linear joint head on both with sjmt::selective_loss. Each sample's loss and
// gradient touch only the outputs its dataset annotates.
//
//   build/examples/custom_label_spaces [--check]
//
// Prints the loss as it trains, the final gender accuracy and pose error on
// held-out samples, and Passed/Failed (accuracy > 0.9, pose RMSE < 0.15).
// docs/getting-started.md walks through this file.
#include <sjmt/sjmt.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

// 1. Label spaces: a name, a kind, class names.
using head_pose = sjmt::label_space<"pose", sjmt::kind::regression, "yaw", "pitch", "roll">;
using gender = sjmt::label_space<"gender", sjmt::kind::exclusive, "female", "male">;

// 2. The joint output of the network: the spaces side by side (5 outputs).
using layout = sjmt::joint_layout<head_pose, gender>;
static_assert(layout::size == 5 && layout::offset<gender> == 3);

// 3. Datasets: which spaces each one's samples are annotated with.
using pose_db = sjmt::dataset<"pose_db", head_pose>;
using gender_db = sjmt::dataset<"gender_db", gender>;

// 4. The union trained together; its masks are computed at compile time.
using domains = sjmt::dataset_union<layout, pose_db, gender_db>;
static_assert(domains::mask<gender_db>()[3] && !domains::mask<gender_db>()[0]);

namespace {

constexpr std::size_t features = 8;

/// A synthetic world: pose and gender are linear in a hidden feature vector.
struct sample {
  std::vector<float> x, y;  // x: features; y: layout-shaped targets
  std::int32_t domain;
};

sample draw(std::mt19937& rng, std::int32_t domain) {
  std::normal_distribution<float> n(0.f, 1.f);
  sample s{std::vector<float>(features), std::vector<float>(layout::size, 0.f), domain};
  for (float& v : s.x) v = n(rng);
  s.y[0] = 0.3f * s.x[0] - 0.2f * s.x[1] + 0.02f * n(rng);  // yaw, with label noise
  s.y[1] = 0.25f * s.x[2];                                 // pitch
  s.y[2] = 0.1f * s.x[3] + 0.1f * s.x[0];                  // roll
  const bool male = s.x[4] + 0.5f * s.x[5] + 0.1f * n(rng) > 0;
  s.y[layout::offset<gender> + (male ? 1 : 0)] = 1.f;
  return s;
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  // Train the exclusive space by softmax (an option; the paper uses sigmoids).
  sjmt::loss_options<float> options;
  options.exclusive = sjmt::exclusive_rule::softmax;
  sjmt::selective_loss<domains> loss(options);
  sjmt::cpu_backend cpu;  // host buffers are the CPU backend's memory

  std::vector<float> w(layout::size * features, 0.f), b(layout::size, 0.f);
  constexpr std::size_t batch = 32;
  std::vector<float> logits(batch * layout::size), targets(batch * layout::size), grad(batch * layout::size);
  std::vector<std::int32_t> domain(batch);
  std::vector<sample> samples(batch);
  float first = 0, last = 0;
  for (int step = 0; step < 400; ++step) {
    for (std::size_t i = 0; i < batch; ++i) {  // mixed batches: half pose_db, half gender_db
      samples[i] = draw(rng, std::int32_t(i % 2));
      domain[i] = samples[i].domain;
      for (std::size_t o = 0; o < layout::size; ++o) {
        float z = b[o];
        for (std::size_t f = 0; f < features; ++f) z += w[o * features + f] * samples[i].x[f];
        logits[i * layout::size + o] = z;
        targets[i * layout::size + o] = samples[i].y[o];
      }
    }
    const float value = loss.forward_backward(cpu, logits, targets, domain, grad);  // grad: (batch, 5)
    if (step == 0) first = value;
    last = value;
    if (step % 100 == 0) std::printf("step %3d  loss %.4f\n", step, value);
    for (std::size_t i = 0; i < batch; ++i)  // SGD on the linear head
      for (std::size_t o = 0; o < layout::size; ++o) {
        const float g = grad[i * layout::size + o];
        b[o] -= 0.5f * g;
        for (std::size_t f = 0; f < features; ++f) w[o * features + f] -= 0.5f * g * samples[i].x[f];
      }
  }

  // Held-out evaluation: gender accuracy on gender_db samples, pose RMSE on pose_db samples.
  std::size_t correct = 0, tests = 2000;
  double squared = 0;
  for (std::size_t i = 0; i < tests; ++i) {
    const sample s = draw(rng, std::int32_t(i % 2));
    float z[layout::size];
    for (std::size_t o = 0; o < layout::size; ++o) {
      z[o] = b[o];
      for (std::size_t f = 0; f < features; ++f) z[o] += w[o * features + f] * s.x[f];
    }
    if (s.domain == domains::domain_index<gender_db>) {
      const std::size_t g = layout::offset<gender>;
      correct += (z[g + 1] > z[g]) == (s.y[g + 1] > 0.5f);
    } else {
      for (std::size_t o = 0; o < head_pose::size; ++o) squared += (z[o] - s.y[o]) * (z[o] - s.y[o]);
    }
  }
  const double accuracy = double(correct) / double(tests / 2);
  const double rmse = std::sqrt(squared / double(tests / 2 * head_pose::size));
  std::printf("loss %.4f -> %.4f; gender accuracy %.3f; pose RMSE %.4f\n", first, last, accuracy, rmse);
  const bool passed = accuracy > 0.9 && rmse < 0.15 && last < first;
  std::printf("%s\n", passed ? "Passed" : "Failed");
  return passed ? 0 : 1;
}
