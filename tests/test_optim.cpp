// SGD and schedules: known values; a ResNet-8 overfits 64 random images; the
// same seed gives the same weights.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sjmt/backend.hpp>
#include <sjmt/labels.hpp>
#include <sjmt/nn.hpp>
#include <sjmt/optim.hpp>

using sjmt::cpu_backend;
using sjmt::mode;
using B = cpu_backend;
static B be;  // the backend instance every layer here runs on

namespace {

using digits = sjmt::label_space<"digit", sjmt::kind::exclusive, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9">;
using layout = sjmt::joint_layout<digits>;
using resnet8 = sjmt::network<sjmt::resnet_cifar<B, float, 8>, sjmt::joint_head<B, float, layout>>;

/// Mean softmax cross-entropy of logits (N, 1, 1, K); writes its gradient.
double softmax_cross_entropy(const sjmt::host_tensor<float>& logits, const std::vector<std::size_t>& labels,
                             sjmt::host_tensor<float>& grad) {
  const std::size_t N = logits.shape()[0], K = logits.shape()[3];
  grad.resize(logits.shape());
  double loss = 0;
  for (std::size_t n = 0; n < N; ++n) {
    const float* z = logits.data() + n * K;
    const float zmax = *std::max_element(z, z + K);
    double sum = 0;
    for (std::size_t k = 0; k < K; ++k) sum += std::exp(static_cast<double>(z[k] - zmax));
    loss += std::log(sum) - (z[labels[n]] - zmax);
    for (std::size_t k = 0; k < K; ++k)
      grad.data()[n * K + k] =
          static_cast<float>((std::exp(static_cast<double>(z[k] - zmax)) / sum - (k == labels[n])) / double(N));
  }
  return loss / static_cast<double>(N);
}

double accuracy(const sjmt::host_tensor<float>& logits, const std::vector<std::size_t>& labels) {
  const std::size_t N = logits.shape()[0], K = logits.shape()[3];
  std::size_t right = 0;
  for (std::size_t n = 0; n < N; ++n) {
    const float* z = logits.data() + n * K;
    right += static_cast<std::size_t>(std::max_element(z, z + K) - z) == labels[n];
  }
  return static_cast<double>(right) / static_cast<double>(N);
}

struct problem {
  sjmt::host_tensor<float> images;
  std::vector<std::size_t> labels;
};

problem random_problem(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  problem p{sjmt::host_tensor<float>({n, 8, 8, 3}), std::vector<std::size_t>(n)};
  for (auto& v : p.images) v = normal(rng);
  for (auto& l : p.labels) l = std::uniform_int_distribution<std::size_t>(0, 9)(rng);
  return p;
}

/// Trains a ResNet-8 for `steps` full-batch steps; returns the model's parameters.
std::vector<sjmt::host_tensor<float>> train(resnet8& net, const problem& p, std::size_t steps, double* last_loss) {
  sjmt::parameter_list<B, float> ps;
  net.collect(ps);
  sjmt::sgd<B, float> opt(be, ps, {.momentum = 0.9, .weight_decay = 5e-4});
  sjmt::host_tensor<float> grad;
  for (std::size_t s = 0; s < steps; ++s) {
    *last_loss = softmax_cross_entropy(net.forward(p.images, mode::train), p.labels, grad);
    net.backward(grad);
    opt.step(sjmt::cosine_decay{.base = 0.05, .minimum = 0.005, .total = steps}(s));
  }
  std::vector<sjmt::host_tensor<float>> out;
  for (const auto& q : ps) out.push_back(*q.value);
  return out;
}

}  // namespace

TEST_CASE("sgd: weight decay on weights only by default; momentum accumulates") {
  sjmt::host_tensor<double> w = sjmt::make_host_tensor<double>({1, 1, 1, 1}, 1.0), dw = w, b = w, db = w, rm = w;
  dw.fill(0.5);
  db.fill(0.5);
  sjmt::parameter_list<B, double> ps{{"w", &w, &dw, true}, {"b", &b, &db, false}, {"running", &rm, nullptr, false}};
  sjmt::sgd<B, double> opt(be, ps, {.momentum = 0.9, .weight_decay = 0.1});
  CHECK(opt.parameters().size() == 2);
  opt.step(0.1);
  CHECK(w(0, 0, 0, 0) == doctest::Approx(1.0 - 0.1 * (0.5 + 0.1)));
  CHECK(b(0, 0, 0, 0) == doctest::Approx(1.0 - 0.1 * 0.5));
  CHECK(rm(0, 0, 0, 0) == 1.0);
  opt.step(0.1);  // v_b = 0.9 * 0.5 + 0.5 = 0.95
  CHECK(b(0, 0, 0, 0) == doctest::Approx(0.95 - 0.1 * 0.95));
  CHECK(opt.steps() == 2);
  CHECK_THROWS_AS(opt.step(-1.0), sjmt::value_error);
  CHECK_THROWS_AS((sjmt::sgd<B, double>(be, ps, {.momentum = 1.0})), sjmt::value_error);

  sjmt::host_tensor<double> b2 = sjmt::make_host_tensor<double>({1, 1, 1, 1}, 1.0);
  sjmt::parameter_list<B, double> only_bias{{"b", &b2, &db, false}};
  sjmt::sgd<B, double> all(be, only_bias, {.momentum = 0.0, .weight_decay = 0.1, .decay_all = true});
  all.step(0.1);
  CHECK(b2(0, 0, 0, 0) == doctest::Approx(1.0 - 0.1 * (0.5 + 0.1)));
}

TEST_CASE("sgd: a parameter whose group a step does not reach gets no update, no decay, no momentum") {
  // Classical multi-task: a shared trunk (group shared), one head per dataset
  // (groups 0 and 1), batches alternating. The idle head must stay exactly as
  // it is, as in PyTorch, where its gradient is None; a stale gradient left
  // in its buffer must not be applied again.
  auto one = [](double v) { return sjmt::make_host_tensor<double>({1, 1, 1, 1}, v); };
  sjmt::host_tensor<double> trunk = one(1.0), head0 = one(1.0), head1 = one(1.0);
  sjmt::host_tensor<double> g_trunk = one(0.5), g0 = one(0.5), g1 = one(0.25);  // g1: stale from an earlier step
  sjmt::parameter_list<B, double> ps{{"trunk", &trunk, &g_trunk, true},
                                     {"head.a.weight", &head0, &g0, true, sjmt::tensor_role::vector, 0},
                                     {"head.b.weight", &head1, &g1, true, sjmt::tensor_role::vector, 1}};
  sjmt::sgd<B, double> opt(be, ps, {.momentum = 0.9, .weight_decay = 0.1});
  const auto only = [](int domain) { return [domain](int g) { return g == sjmt::shared_group || g == domain; }; };
  opt.step(0.1, only(0));
  opt.step(0.1, only(0));
  CHECK(head1(0, 0, 0, 0) == 1.0);          // not decayed, not moved
  CHECK(opt.velocity()[2](0, 0, 0, 0) == 0.0);  // no momentum built up
  // v = 0.5 + 0.1 w: step 1 w = 1 - 0.1 * 0.6 = 0.94; step 2 v = 0.9 * 0.6 + 0.5 + 0.094 = 1.134
  CHECK(head0(0, 0, 0, 0) == doctest::Approx(0.94 - 0.1 * 1.134));
  CHECK(trunk(0, 0, 0, 0) == doctest::Approx(0.94 - 0.1 * 1.134));
  opt.step(0.1, only(1));  // head b's first update: v = 0.25 + 0.1 * 1
  CHECK(head1(0, 0, 0, 0) == doctest::Approx(1.0 - 0.1 * 0.35));
  CHECK(head0(0, 0, 0, 0) == doctest::Approx(0.94 - 0.1 * 1.134));  // now head a rests
  CHECK(opt.steps() == 3);
}

TEST_CASE("schedules: the paper's exponential step decay, multi-step and cosine") {
  const sjmt::exponential_step_decay paper{};
  CHECK(paper(0) == doctest::Approx(0.05));
  CHECK(paper(9'999) == doctest::Approx(0.05));
  CHECK(paper(10'000) == doctest::Approx(0.025));
  CHECK(paper(79'999) == doctest::Approx(0.05 * std::pow(0.5, 7)));
  const sjmt::multi_step_decay steps{.base = 0.1, .factor = 0.1, .milestones = {100, 150}};
  CHECK(steps(99) == doctest::Approx(0.1));
  CHECK(steps(100) == doctest::Approx(0.01));
  CHECK(steps(150) == doctest::Approx(0.001));
  const sjmt::cosine_decay cosine{.base = 0.1, .minimum = 0.0, .total = 100};
  CHECK(cosine(0) == doctest::Approx(0.1));
  CHECK(cosine(50) == doctest::Approx(0.05));
  CHECK(cosine(100) == doctest::Approx(0.0));
  CHECK_THROWS_AS(sjmt::exponential_step_decay{.every = 0}(1), sjmt::value_error);
}

TEST_CASE("training: a ResNet-8 overfits 64 random images to 100% training accuracy") {
  const problem p = random_problem(64, 21);
  std::mt19937_64 rng(22);
  resnet8 net(be, rng);
  double loss = 0;
  sjmt::host_tensor<float> grad;
  const double initial = softmax_cross_entropy(net.forward(p.images, mode::train), p.labels, grad);
  train(net, p, 60, &loss);
  INFO("loss ", initial, " -> ", loss);
  CHECK(loss < 0.1 * initial);
  CHECK(accuracy(net.forward(p.images, mode::train), p.labels) == 1.0);
  // With momentum-0.1 running averages, inference sees nearly the batch statistics.
  CHECK(accuracy(net.forward(p.images, mode::infer), p.labels) >= 0.9);
}

TEST_CASE("training: the same seed gives the same weights after N steps") {
  const problem p = random_problem(16, 31);
  double loss_a = 0, loss_b = 0;
  std::mt19937_64 rng_a(5), rng_b(5);
  resnet8 a(be, rng_a), b(be, rng_b);
  const auto wa = train(a, p, 5, &loss_a);
  const auto wb = train(b, p, 5, &loss_b);
  REQUIRE(wa.size() == wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) CHECK(wa[i] == wb[i]);
  CHECK(loss_a == loss_b);
}
