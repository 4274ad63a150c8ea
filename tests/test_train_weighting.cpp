// Task weighting per label space (train/weighting.hpp and the trainer's
// weighting option): each method's defining property, with known values and
// finite differences in double; a space absent from a batch weighs nothing
// and keeps its state; every method trains end to end on the synthetic
// domains, and static weights of 1 give the plain trainer's step bit for bit.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>
#include <sjmt/sjmt.hpp>
#include <string>
#include <vector>

#include "temp_path.hpp"

namespace {

using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
using B = cpu_backend;
using net_type = model<B, float>;
constexpr std::size_t emotion = 0, aus = 1;

data::union_sampler<domains> sampler(data::batch_mode mode, std::uint64_t seed = 3) {
  return data::union_sampler<domains>(
      {data::source(data::sfew_like(data::split::train, 1)),
       data::source(data::emotionet_like(data::split::train, 1))},
      {.batch_size = 8, .mode = mode, .proportions = {0.5, 0.5}, .seed = seed});
}

std::vector<host_tensor<float>> snapshot(B& be, const parameter_list<B, float>& ps) {
  std::vector<host_tensor<float>> out;
  for (const auto& p : ps) out.push_back(be.download(*p.value));
  return out;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

/// The trunk's gradient ("trunk.*") as one vector.
std::vector<double> trunk_gradient(B& be, const parameter_list<B, float>& ps) {
  std::vector<double> g;
  for (const auto& p : ps)
    if (p.grad && p.name.starts_with("trunk.")) {
      const host_tensor<float> h = be.download(*p.grad);
      g.insert(g.end(), h.begin(), h.end());
    }
  return g;
}

}  // namespace

TEST_CASE(
    "weighting: the per-space losses add up to the loss; their gradients match finite differences "
    "in double") {
  B be;
  const selective_loss<domains, double> loss;
  REQUIRE(loss.splits_by_space());
  auto s = sampler(data::batch_mode::mixed);
  const data::union_batch<domains> b = s.next();
  device_batch<domains, B, double> batch;
  upload_batch<domains>(be, b, loss, batch);
  std::mt19937_64 rng(2);
  std::normal_distribution<double> normal(0.0, 1.5);
  host_tensor<double> z(rows_shape(b.size, layout::size));
  for (double& v : z) v = normal(rng);
  host_tensor<double> value({1, 1, 1, 1}), full_grad;
  loss.forward_backward(be, z, batch, &full_grad, value);
  const double full = value.data()[0];

  double sum = 0;
  host_tensor<double> summed = make_host_tensor<double>(rows_shape(b.size, layout::size));
  for (std::size_t sp = 0; sp < layout::num_spaces; ++sp) {
    CHECK(loss.space_present(sp, b.domain, b.known));
    host_tensor<double> g;
    loss.space_forward_backward(be, sp, z, batch, &g, value);
    const double v = value.data()[0];
    sum += v;
    summed += g;
    const slice out = layout::space_infos[sp].outputs;
    for (std::size_t r = 0; r < b.size; ++r)
      for (std::size_t c = 0; c < layout::size; ++c) {
        const std::size_t i = r * layout::size + c;
        if (!out.contains(c)) {
          CHECK(g.data()[i] == 0.0);
          continue;
        }
        const double h = 1e-6, keep = z.data()[i];
        host_tensor<double> v1({1, 1, 1, 1}), v2({1, 1, 1, 1});
        z.data()[i] = keep + h;
        loss.space_forward_backward(be, sp, z, batch, nullptr, v1);
        z.data()[i] = keep - h;
        loss.space_forward_backward(be, sp, z, batch, nullptr, v2);
        z.data()[i] = keep;
        CHECK(g.data()[i] ==
              doctest::Approx((v1.data()[0] - v2.data()[0]) / (2 * h)).epsilon(1e-6).scale(1e-9));
      }
  }
  CHECK(sum == doctest::Approx(full).epsilon(1e-12));
  for (std::size_t i = 0; i < summed.size(); ++i) CHECK(summed.data()[i] == full_grad.data()[i]);

  // A batch of sfew alone does not hold the AU space.
  const std::vector<std::int32_t> only_sfew(4, 0);
  CHECK(loss.space_present(emotion, only_sfew));
  CHECK_FALSE(loss.space_present(aus, only_sfew));
  // Known-mask all zero: nothing present.
  const std::vector<std::uint8_t> unknown(4 * layout::size, 0);
  CHECK_FALSE(loss.space_present(emotion, only_sfew, unknown));
}

TEST_CASE("weighting: losses that do not split into spaces are refused, naming the loss") {
  CHECK_FALSE(naive_joint_loss<domains>().splits_by_space());
  CHECK_FALSE(selective_softmax_loss<domains>().splits_by_space());
  B be;
  std::mt19937_64 rng(1);
  net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng);
  CHECK_THROWS_WITH_AS(
      (trainer<domains, net_type>(be, net, naive_joint_loss<domains>(),
                                  {.weighting = {.method = task_weighting::uncertainty}})),
      doctest::Contains("naive_joint_loss does not split"), value_error);
  // The plain step needs no split.
  CHECK_NOTHROW((trainer<domains, net_type>(be, net, naive_joint_loss<domains>())));
}

TEST_CASE("weighting: bad options are clear errors naming the field") {
  const std::vector<space_info> sp(layout::space_infos.begin(), layout::space_infos.end());
  CHECK_THROWS_WITH_AS(
      task_weights({.weights = {{"landmarks", 2.0}}}, sp),
      doctest::Contains(
          "weighting_options.weights: no space named 'landmarks'; the layout's spaces "
          "are emotion, aus"),
      value_error);
  CHECK_THROWS_WITH_AS(task_weights({.weights = {{"aus", -1.0}}}, sp),
                       doctest::Contains("weights['aus'] is -1"), value_error);
  CHECK_THROWS_WITH_AS(task_weights({.dwa_temperature = 0}, sp),
                       doctest::Contains("dwa_temperature"), value_error);
  CHECK_THROWS_WITH_AS(task_weights({.dwa_window = 0}, sp), doctest::Contains("dwa_window"),
                       value_error);
  CHECK_THROWS_WITH_AS(task_weights({.gradnorm_rate = 0}, sp), doctest::Contains("gradnorm_rate"),
                       value_error);
  CHECK_THROWS_WITH_AS(task_weights({.uncertainty_rate = -1}, sp),
                       doctest::Contains("uncertainty_rate"), value_error);
  task_weights w({}, sp);
  CHECK(w.plain());
  const std::array<bool, 3> three{};
  CHECK_THROWS_AS(w.weights(three), shape_error);
}

TEST_CASE(
    "weighting: uncertainty's log-variance gradient is the formula's, by finite differences in "
    "double") {
  // Known values: sigma = 1 weighs classification 1, regression 1/2.
  CHECK(uncertainty_weight(kind::exclusive, 0.0) == 1.0);
  CHECK(uncertainty_weight(kind::multilabel, 0.0) == 1.0);
  CHECK(uncertainty_weight(kind::regression, 0.0) == 0.5);
  // s = log 4 (sigma = 2): classification L / 4 + log 2, regression L / 8 + log 2.
  CHECK(uncertainty_objective(kind::exclusive, 2.0, std::log(4.0)) ==
        doctest::Approx(0.5 + std::log(2.0)));
  CHECK(uncertainty_objective(kind::regression, 2.0, std::log(4.0)) ==
        doctest::Approx(0.25 + std::log(2.0)));
  for (kind k : {kind::exclusive, kind::multilabel, kind::regression})
    for (double loss : {0.05, 0.7, 3.0})
      for (double s : {-2.0, -0.3, 0.0, 0.4, 1.7}) {
        const double h = 1e-5;
        const double fd =
            (uncertainty_objective(k, loss, s + h) - uncertainty_objective(k, loss, s - h)) /
            (2 * h);
        CHECK(uncertainty_log_variance_gradient(k, loss, s) ==
              doctest::Approx(fd).epsilon(1e-8).scale(1e-9));
        // and the weight is the objective's derivative with respect to L
        const double fl =
            (uncertainty_objective(k, loss + h, s) - uncertainty_objective(k, loss - h, s)) /
            (2 * h);
        CHECK(uncertainty_weight(k, s) == doctest::Approx(fl).epsilon(1e-8));
      }
  // At the optimum s* = log(2 factor L) the gradient vanishes.
  CHECK(uncertainty_log_variance_gradient(kind::exclusive, 0.7, std::log(1.4)) ==
        doctest::Approx(0.0).scale(1e-12));
  CHECK(uncertainty_log_variance_gradient(kind::regression, 0.7, std::log(0.7)) ==
        doctest::Approx(0.0).scale(1e-12));

  // The state: one SGD step on each present log-variance, none on an absent one.
  const std::vector<space_info> sp(layout::space_infos.begin(), layout::space_infos.end());
  task_weights w({.method = task_weighting::uncertainty, .uncertainty_rate = 0.1}, sp);
  const std::array<bool, 2> only_emotion{true, false};
  const std::array<double, 2> losses{2.0, 5.0};
  CHECK(w.weights(only_emotion) == std::vector<double>{1.0, 0.0});
  w.update(only_emotion, losses);
  CHECK(w.log_variances()[emotion] == doctest::Approx(-0.1 * (-2.0 + 0.5)));
  CHECK(w.log_variances()[aus] == 0.0);
  CHECK(w.weights(only_emotion)[emotion] == doctest::Approx(std::exp(-0.15)));

  // A regression space takes the regression form: 1/2 exp(-s).
  using with_landmarks = joint_layout<spaces::emotion, spaces::landmarks68>;
  task_weights r({.method = task_weighting::uncertainty, .uncertainty_initial = std::log(2.0)},
                 std::vector<space_info>(with_landmarks::space_infos.begin(),
                                         with_landmarks::space_infos.end()));
  CHECK(r.weights(std::array<bool, 2>{true, true}) == std::vector<double>{0.5, 0.25});
}

TEST_CASE("weighting: DWA's weights from a given loss history") {
  // Known values: ratios 1.2 and 0.8 at T = 2 -> 2 e^0.6 / (e^0.6 + e^0.4), 2 e^0.4 / (...).
  const std::array<double, 2> ratio{1.2, 0.8};
  const std::array<bool, 2> both{true, true}, first{true, false};
  const std::vector<double> w = dwa_weights(ratio, both, 2.0);
  const double e6 = std::exp(0.6), e4 = std::exp(0.4);
  CHECK(w[0] == doctest::Approx(2 * e6 / (e6 + e4)));
  CHECK(w[1] == doctest::Approx(2 * e4 / (e6 + e4)));
  CHECK(w[0] + w[1] == doctest::Approx(2.0));
  CHECK(dwa_weights(ratio, first, 2.0) == std::vector<double>{1.0, 0.0});

  // The state, with windows of 2 steps: averages (1, 2) then (0.5, 3) give
  // ratios 0.5 and 1.5; before two windows every weight is 1.
  const std::vector<space_info> sp(layout::space_infos.begin(), layout::space_infos.end());
  task_weights t({.method = task_weighting::dwa, .dwa_temperature = 2.0, .dwa_window = 2}, sp);
  const auto step = [&](double a, double b, const std::array<bool, 2>& present) {
    t.update(present, std::array<double, 2>{a, b});
  };
  step(1.5, 1.0, both), step(0.5, 3.0, both);  // window 1: (1, 2)
  CHECK(t.weights(both) == std::vector<double>{1.0, 1.0});
  step(0.5, 3.0, both),
      step(0.5, 1e9, first);  // window 2: (0.5, 3): the absent AU loss is not counted
  CHECK(t.loss_averages(emotion) == std::vector<double>{1.0, 0.5});
  CHECK(t.loss_averages(aus) == std::vector<double>{2.0, 3.0});
  const std::vector<double> got = t.weights(both);
  const double a = std::exp(0.25), b = std::exp(0.75);
  CHECK(got[emotion] == doctest::Approx(2 * a / (a + b)));
  CHECK(got[aus] == doctest::Approx(2 * b / (a + b)));
  // A window in which the AU space never appears leaves its averages alone.
  step(2.0, 0.0, first), step(2.0, 0.0, first);
  CHECK(t.loss_averages(aus) == std::vector<double>{2.0, 3.0});
  CHECK(t.loss_averages(emotion) == std::vector<double>{0.5, 2.0});
  CHECK(t.weights(first) == std::vector<double>{1.0, 0.0});
}

TEST_CASE(
    "weighting: GradNorm's loss gradient matches finite differences; the norm ratios move to their "
    "targets") {
  const std::array<double, 3> norms{1.0, 4.0, 0.5}, ratio{1.0, 0.5, 0.8};
  const std::array<bool, 3> all{true, true, true};
  std::vector<double> w{1.2, 0.7, 1.1};
  const std::vector<double> t = gradnorm_targets(w, norms, ratio, all, 1.5);
  const std::vector<double> g = gradnorm_gradient(w, norms, t, all);
  for (std::size_t k = 0; k < w.size(); ++k) {
    std::vector<double> up = w, down = w;
    const double h = 1e-6;
    up[k] += h, down[k] -= h;
    CHECK(g[k] ==
          doctest::Approx((gradnorm_loss(up, norms, t, all) - gradnorm_loss(down, norms, t, all)) /
                          (2 * h))
              .epsilon(1e-7));
  }
  // Fixed per-space gradient norms and loss ratios: the relative norms
  // G_k / G_bar approach r_k^alpha, and the weights keep their sum.
  const auto error = [&](const std::vector<double>& ws) {
    double gbar = 0, rbar = 0;
    for (std::size_t k = 0; k < 3; ++k) gbar += ws[k] * norms[k] / 3, rbar += ratio[k] / 3;
    double e = 0;
    for (std::size_t k = 0; k < 3; ++k)
      e += std::abs(ws[k] * norms[k] / gbar - std::pow(ratio[k] / rbar, 1.5));
    return e;
  };
  // (GradNorm's loss is an L1 distance: its fixed-size sign steps overshoot
  // and come back, so the error falls every two updates, not every one.)
  w = {1.0, 1.0, 1.0};
  std::vector<double> e{error(w)};
  for (int i = 0; i < 40; ++i) {
    gradnorm_update(w, norms, ratio, all, 1.5, 0.02, 1e-3);
    CHECK(w[0] + w[1] + w[2] == doctest::Approx(3.0));
    e.push_back(error(w));
  }
  for (std::size_t i = 1; i <= 10; ++i) CHECK(e[i] < e[i - 1]);
  for (std::size_t i = 2; i < e.size(); ++i) CHECK(e[i] < e[i - 2]);
  CHECK(e.back() < 0.1 * e.front());
  // An absent space's weight is not touched.
  std::vector<double> v{1.0, 1.0, 1.0};
  const std::array<bool, 3> two{true, false, true};
  gradnorm_update(v, norms, ratio, two, 1.5, 0.02, 1e-3);
  CHECK(v[1] == 1.0);
  CHECK(v[0] + v[2] == doctest::Approx(2.0));
}

TEST_CASE("weighting: after PCGrad no pair of per-space gradients conflicts") {
  // Constructed: g1 = (1, 0), g2 = (-1, 1) conflict (dot -1).
  std::mt19937_64 rng(4);
  std::vector<std::vector<double>> g{{1, 0}, {-1, 1}};
  const auto original = g;
  pcgrad_project(g, rng);
  CHECK(g[0][0] == doctest::Approx(0.5));  // (1, 0) - (-1 / 2)(-1, 1)
  CHECK(g[0][1] == doctest::Approx(0.5));
  CHECK(g[1][0] == doctest::Approx(0.0));  // (-1, 1) - (-1 / 1)(1, 0)
  CHECK(g[1][1] == doctest::Approx(1.0));
  CHECK(dot(g[0], g[1]) >= 0);
  CHECK(dot(g[0], original[1]) == doctest::Approx(0.0));
  // Agreeing gradients are left alone.
  std::vector<std::vector<double>> same{{1, 2}, {2, 1}};
  pcgrad_project(same, rng);
  CHECK(same == std::vector<std::vector<double>>{{1, 2}, {2, 1}});

  // Random pairs in 20 dimensions, most of them conflicting.
  std::normal_distribution<double> normal(0.0, 1.0);
  std::size_t conflicting = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::vector<double>> p(2, std::vector<double>(20));
    for (auto& v : p)
      for (double& x : v) x = normal(rng);
    for (std::size_t e = 0; e < 20; ++e) p[1][e] -= 0.8 * p[0][e];
    const auto before = p;
    conflicting += dot(before[0], before[1]) < 0;
    pcgrad_project(p, rng);
    CHECK(dot(p[0], p[1]) >= -1e-12);
    CHECK(dot(p[0], before[1]) >= -1e-9);
    CHECK(dot(p[1], before[0]) >= -1e-9);
  }
  CHECK(conflicting > 100);

  // From a real network: the per-space trunk gradients of emotion and AUs.
  // Backward runs once per space after one forward; the per-space gradients
  // add up to the full one (what the trainer's per-space steps rely on).
  B be;
  std::mt19937_64 init(5);
  net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), init);
  parameter_list<B, float> ps;
  net.collect(ps);
  const selective_loss<domains> loss;
  auto s = sampler(data::batch_mode::mixed);
  std::size_t real_conflicts = 0;
  for (int batch_no = 0; batch_no < 3; ++batch_no) {
    const data::union_batch<domains> b = s.next();
    device_batch<domains, B, float> batch;
    upload_batch<domains>(be, b, loss, batch);
    const auto& z = net.forward(batch.images, mode::train);
    host_tensor<float> value({1, 1, 1, 1}), grad;
    loss.forward_backward(be, z, batch, &grad, value);
    net.backward(grad);
    const std::vector<double> full = trunk_gradient(be, ps);
    std::vector<std::vector<double>> per;
    for (std::size_t sp = 0; sp < layout::num_spaces; ++sp) {
      host_tensor<float> gs;
      loss.space_forward_backward(be, sp, z, batch, &gs, value);
      net.backward(gs);
      per.push_back(trunk_gradient(be, ps));
    }
    double worst = 0, scale = 0;
    for (std::size_t e = 0; e < full.size(); ++e) {
      worst = std::max(worst, std::abs(per[0][e] + per[1][e] - full[e]));
      scale = std::max(scale, std::abs(full[e]));
    }
    CHECK(worst <= 1e-4 * scale);
    real_conflicts += dot(per[0], per[1]) < 0;
    const auto before = per;
    pcgrad_project(per, rng);
    CHECK(dot(per[0], per[1]) >=
          -1e-9 * std::sqrt(dot(before[0], before[0]) * dot(before[1], before[1])));
    CHECK(dot(per[0], before[1]) >= -1e-9 * dot(before[1], before[1]));
  }
  MESSAGE(real_conflicts, " of 3 real batches had conflicting emotion and AU trunk gradients");
}

TEST_CASE(
    "weighting: explicit static weights of 1 are the plain step bit for bit; a weight of 2 doubles "
    "a space") {
  const auto run = [](const weighting_options& w, std::size_t steps) {
    B be;
    std::mt19937_64 rng(5);
    net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng);
    trainer<domains, net_type> t(be, net, selective_loss<domains>(), {.weighting = w});
    auto s = sampler(data::batch_mode::mixed);
    std::vector<float> losses;
    for (std::size_t i = 0; i < steps; ++i) losses.push_back(t.step(s.next()));
    return std::pair{losses, snapshot(be, t.parameters())};
  };
  const auto plain = run({}, 3);
  const auto ones = run({.weights = {{"emotion", 1.0}, {"aus", 1.0}}}, 3);
  CHECK(plain.first == ones.first);
  REQUIRE(plain.second.size() == ones.second.size());
  for (std::size_t i = 0; i < plain.second.size(); ++i) CHECK(plain.second[i] == ones.second[i]);

  // Weight 2 on the AUs: the step equals the hand-written one with the AU logit gradient doubled.
  B be;
  std::mt19937_64 rng_a(5), rng_b(5);
  net_type a(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng_a);
  net_type b(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng_b);
  trainer<domains, net_type> t(be, a, selective_loss<domains>(),
                               {.weighting = {.weights = {{"aus", 2.0}}}});
  auto s = sampler(data::batch_mode::mixed);
  const data::union_batch<domains> hb = s.next();
  t.step(hb);
  CHECK(t.last_weights() == std::vector<double>{1.0, 2.0});

  parameter_list<B, float> pb;
  b.collect(pb);
  sgd<B, float> opt(be, pb);
  const selective_loss<domains> loss;
  device_batch<domains, B, float> batch;
  upload_batch<domains>(be, hb, loss, batch);
  const auto& z = b.forward(batch.images, mode::train);
  host_tensor<float> g({hb.size, 1, 1, layout::size}), v({1, 1, 1, 1}), ge, ga;
  loss.space_forward_backward(be, emotion, z, batch, &ge, v);
  loss.space_forward_backward(be, aus, z, batch, &ga, v);
  for (std::size_t i = 0; i < g.size(); ++i) g.data()[i] = ge.data()[i] + 2.0f * ga.data()[i];
  b.backward(g);
  opt.step(0.05);
  const auto wa = snapshot(be, t.parameters()), wb = snapshot(be, pb);
  for (std::size_t i = 0; i < wa.size(); ++i) CHECK(wa[i] == wb[i]);
}

TEST_CASE(
    "weighting: a space absent from a batch weighs nothing and keeps its state, with every "
    "method") {
  for (task_weighting m : {task_weighting::static_weights, task_weighting::uncertainty,
                           task_weighting::dwa, task_weighting::gradnorm, task_weighting::pcgrad}) {
    CAPTURE(to_string(m));
    B be;
    std::mt19937_64 rng(7);
    net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng);
    trainer<domains, net_type> t(
        be, net, selective_loss<domains>(),
        {.weighting = {.method = m, .weights = {{"aus", 1.5}}, .dwa_window = 1}});
    auto mixed = sampler(data::batch_mode::mixed);
    t.step(mixed.next()), t.step(mixed.next());  // both spaces present: every state moves
    const task_weights before = t.weighting();
    auto single = data::union_sampler<domains>(
        {data::source(data::sfew_like(data::split::train, 1)),
         data::source(data::emotionet_like(data::split::train, 1))},
        {.batch_size = 8, .mode = data::batch_mode::single, .single_domain = 0});
    const float value = t.step(single.next());  // sfew alone: no AU label
    CHECK(std::isfinite(value));
    CHECK(t.last_weights()[aus] == 0.0);
    CHECK(t.last_weights()[emotion] > 0.0);
    const task_weights& after = t.weighting();
    CHECK(after.log_variances()[aus] == before.log_variances()[aus]);
    CHECK(after.learned_weights()[aus] == before.learned_weights()[aus]);
    CHECK(after.loss_averages(aus) == before.loss_averages(aus));
    CHECK(after.initial_losses()[aus] == before.initial_losses()[aus]);
    if (m == task_weighting::uncertainty)
      CHECK(after.log_variances()[emotion] != before.log_variances()[emotion]);
    if (m == task_weighting::dwa)
      CHECK(after.loss_averages(emotion) != before.loss_averages(emotion));
    if (m == task_weighting::gradnorm) {
      CHECK(t.last_shared_layer() == "trunk.layer3.0.conv2.weight");
      CHECK(before.learned_weights()[emotion] != 1.0);  // it moved while both were present
      CHECK(after.learned_weights()[emotion] ==
            before.learned_weights()[emotion]);  // alone: nothing to balance
    }
    for (const auto& p : t.parameters()) {
      const host_tensor<float> w = be.download(*p.value);
      CHECK(std::all_of(w.begin(), w.end(), [](float x) { return std::isfinite(x); }));
    }
  }
}

TEST_CASE("weighting: every method trains a few steps end to end, the loss finite") {
  for (task_weighting m : {task_weighting::uncertainty, task_weighting::dwa,
                           task_weighting::gradnorm, task_weighting::pcgrad}) {
    CAPTURE(to_string(m));
    B be;
    std::mt19937_64 rng(9);
    net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng);
    trainer<domains, net_type> t(be, net, selective_loss<domains>(),
                                 {.weighting = {.method = m, .dwa_window = 2}});
    auto s = sampler(data::batch_mode::mixed, 13);
    const fit_result r = t.fit(s, {.steps = 6, .progress = false});
    CHECK(r.steps_done == 6);
    CHECK(std::isfinite(r.mean_loss));
    const std::vector<double>& w = t.last_weights();
    REQUIRE(w.size() == 2);
    CHECK(std::isfinite(w[0]));
    CHECK(std::isfinite(w[1]));
    if (m == task_weighting::gradnorm) CHECK(w[0] + w[1] == doctest::Approx(2.0));
    if (m == task_weighting::dwa) CHECK(w[0] + w[1] == doctest::Approx(2.0));
  }
  // Classical multi-task (a head per dataset) with PCGrad: the idle head is
  // not reached, per-space backward passes included.
  B be;
  std::mt19937_64 rng(7);
  net_type net(be, {.arch = "resnet", .depth = 8}, dataset_head_layout<domains>(), rng);
  trainer<domains, net_type> t(be, net, selective_loss<domains>(),
                               {.weighting = {.method = task_weighting::pcgrad}});
  auto s = sampler(data::batch_mode::alternating);
  CHECK(std::isfinite(t.step(s.next())));
  CHECK(std::isfinite(t.step(s.next())));
}

TEST_CASE("weighting: the trainer's PCGrad and uncertainty steps are the hand-written ones") {
  B be;
  std::mt19937_64 rng_a(5), rng_b(5);
  net_type a(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng_a);
  net_type b(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng_b);
  trainer<domains, net_type> t(
      be, a, selective_loss<domains>(),
      {.weighting = {
           .method = task_weighting::pcgrad, .weights = {{"aus", 0.5}}, .pcgrad_seed = 21}});
  const selective_loss<domains> loss;
  // A batch whose emotion and AU trunk gradients conflict, so that PCGrad projects.
  auto s = sampler(data::batch_mode::mixed, 17);
  data::union_batch<domains> hb = s.next();
  for (int tries = 0; tries < 20; ++tries, hb = s.next()) {
    std::mt19937_64 rng_e(5);
    net_type probe(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng_e);
    parameter_list<B, float> pe;
    probe.collect(pe);
    device_batch<domains, B, float> db;
    upload_batch<domains>(be, hb, loss, db);
    const auto& ze = probe.forward(db.images, mode::train);
    std::vector<std::vector<double>> g;
    for (std::size_t sp = 0; sp < 2; ++sp) {
      host_tensor<float> gs, v({1, 1, 1, 1});
      loss.space_forward_backward(be, sp, ze, db, &gs, v);
      probe.backward(gs);
      g.push_back(trunk_gradient(be, pe));
    }
    if (dot(g[0], g[1]) < 0) break;
  }
  t.step(hb);

  // By hand: one backward per space of w_s L_s, the trunk's gradients
  // projected (the same seed), everything summed, one SGD step.
  parameter_list<B, float> pb;
  b.collect(pb);
  sgd<B, float> opt(be, pb);
  device_batch<domains, B, float> batch;
  upload_batch<domains>(be, hb, loss, batch);
  const auto& z = b.forward(batch.images, mode::train);
  const std::array<double, 2> w{1.0, 0.5};
  std::vector<std::vector<double>> trunk, head;
  for (std::size_t sp = 0; sp < 2; ++sp) {
    host_tensor<float> gs, v({1, 1, 1, 1});
    loss.space_forward_backward(be, sp, z, batch, &gs, v);
    b.backward(gs);
    std::vector<double>& tr = trunk.emplace_back();
    std::vector<double>& hd = head.emplace_back();
    for (const auto& p : pb) {
      if (!p.grad) continue;
      const host_tensor<float> g = be.download(*p.grad);
      for (float x : g) (p.name.starts_with("trunk.") ? tr : hd).push_back(w[sp] * double(x));
    }
  }
  REQUIRE(dot(trunk[0], trunk[1]) < 0);
  std::mt19937_64 order(21);
  pcgrad_project(trunk, order);
  std::size_t at_trunk = 0, at_head = 0;
  for (auto& p : pb) {
    if (!p.grad) continue;
    host_tensor<float> g = be.download(*p.grad);
    const bool in_trunk = p.name.starts_with("trunk.");
    std::size_t& at = in_trunk ? at_trunk : at_head;
    const auto& src = in_trunk ? trunk : head;
    for (float& x : g) {
      x = static_cast<float>(src[0][at] + src[1][at]);
      ++at;
    }
    be.upload(*p.grad, g);
  }
  opt.step(0.05);
  const auto wa = snapshot(be, t.parameters()), wb = snapshot(be, pb);
  for (std::size_t i = 0; i < wa.size(); ++i) CHECK(wa[i] == wb[i]);

  // Uncertainty: one step from s = 0 moves s_k by -rate (-L_k + 1/2), L_k the step's space loss.
  std::mt19937_64 rng_c(5);
  net_type c(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng_c);
  trainer<domains, net_type> u(
      be, c, selective_loss<domains>(),
      {.weighting = {.method = task_weighting::uncertainty, .uncertainty_rate = 0.1}});
  std::mt19937_64 rng_d(5);
  net_type d(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng_d);
  const auto& zd = d.forward(batch.images, mode::train);
  u.step(hb);
  for (std::size_t sp = 0; sp < 2; ++sp) {
    host_tensor<float> v({1, 1, 1, 1});
    loss.space_forward_backward(be, sp, zd, batch, nullptr, v);
    CHECK(u.weighting().log_variances()[sp] ==
          doctest::Approx(-0.1 * (-double(v.data()[0]) + 0.5)).epsilon(1e-6));
  }
}

TEST_CASE("weighting: a run stopped and resumed ends as one run straight through (the state is in the checkpoint)") {
  const std::filesystem::path dir = test::unique_temp("weighting-resume");
  std::filesystem::create_directories(dir);
  for (task_weighting m : {task_weighting::uncertainty, task_weighting::dwa, task_weighting::gradnorm,
                           task_weighting::pcgrad}) {
    CAPTURE(to_string(m));
    const weighting_options w{.method = m, .dwa_window = 2};
    const auto run = [&](std::size_t stop_after, bool resume, const std::filesystem::path& file) {
      B be;
      std::mt19937_64 rng(9);
      net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng);
      trainer<domains, net_type> t(be, net, selective_loss<domains>(), {.model_name = net.name(), .weighting = w});
      if (resume) t.resume(file);
      auto s = sampler(data::batch_mode::mixed, 13);
      try {
        t.fit(s, {.steps = 6, .checkpoint = file, .stop_after = stop_after, .progress = false});
      } catch (const training_interrupted&) {
      }
      return std::pair{snapshot(be, t.parameters()), t.weighting().state()};
    };
    const auto straight = run(0, false, dir / "straight.safetensors");
    const std::filesystem::path file = dir / (std::string(to_string(m)) + ".safetensors");
    run(3, false, file);
    const auto resumed = run(0, true, file);
    CHECK(resumed.second == straight.second);
    REQUIRE(resumed.first.size() == straight.first.size());
    bool same = true;
    for (std::size_t i = 0; i < straight.first.size(); ++i)
      same = same && std::equal(straight.first[i].begin(), straight.first[i].end(), resumed.first[i].begin());
    CHECK(same);
  }

  // A checkpoint of a weighted run is refused by a trainer with static weights, and the reverse,
  // before anything is loaded.
  B be;
  std::mt19937_64 rng(9);
  net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng);
  trainer<domains, net_type> plain(be, net, selective_loss<domains>(), {.model_name = net.name()});
  const auto before = snapshot(be, plain.parameters());
  CHECK_THROWS_AS(plain.resume(dir / "uncertainty.safetensors"), value_error);
  CHECK(plain.steps_done() == 0);
  const auto after = snapshot(be, plain.parameters());
  bool unchanged = true;
  for (std::size_t i = 0; i < before.size(); ++i)
    unchanged = unchanged && std::equal(before[i].begin(), before[i].end(), after[i].begin());
  CHECK(unchanged);
  auto s = sampler(data::batch_mode::mixed, 13);
  plain.step(s.next());
  plain.save(dir / "plain.safetensors");
  trainer<domains, net_type> weighted(be, net, selective_loss<domains>(),
                                      {.model_name = net.name(), .weighting = {.method = task_weighting::dwa}});
  CHECK_THROWS_AS(weighted.resume(dir / "plain.safetensors"), value_error);
  trainer<domains, net_type> other(be, net, selective_loss<domains>(),
                                   {.model_name = net.name(), .weighting = {.method = task_weighting::pcgrad}});
  CHECK_THROWS_AS(other.resume(dir / "uncertainty.safetensors"), value_error);  // another method
  std::filesystem::remove_all(dir);
}
