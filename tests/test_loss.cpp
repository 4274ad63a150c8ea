// The selective loss and its baselines: hand-computed values, finite-difference
// gradient checks in double for every loss and option, the selection property,
// the naive joint failure of the paper, extremes, and errors.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <cstdint>
#include <functional>
#include <random>
#include <sjmt/backend.hpp>
#include <sjmt/labels.hpp>
#include <sjmt/loss.hpp>
#include <string>
#include <vector>
#include <xtensor/xtensor.hpp>

namespace {

using namespace sjmt;
cpu_backend cpu;  // the losses run on the CPU backend; host buffers are its memory
using spaces::emotion;
using spaces::emotionet_aus;
using pose = label_space<"pose", kind::regression, "yaw", "pitch", "roll">;
using layout = joint_layout<emotion, emotionet_aus, pose>;  // 7 + 11 + 3 = 21
using sfew = datasets::sfew;
using emotionet = datasets::emotionet;
using posed = dataset<"posed", emotion, pose>;
using both = dataset<"both", emotion, emotionet_aus>;
using domains = dataset_union<layout, sfew, emotionet, posed, both>;
constexpr std::size_t W = layout::size;

// The classification-only layout of the paper (emotion + AUs), for the baselines.
using paper_layout = joint_layout<emotion, emotionet_aus>;
using paper = dataset_union<paper_layout, sfew, emotionet>;

template <class T>
struct batch {
  std::size_t n;
  std::vector<T> logits, targets;
  std::vector<std::int32_t> domains;
  std::vector<std::uint8_t> known;
};

/// Random batch over `width` outputs: exclusive spaces one-hot, multilabel 0/1,
/// regression in [-1, 1]; about one known-mask entry in 5 unknown.
template <class T, class Layout>
batch<T> random_batch(std::size_t n, std::size_t num_domains, unsigned seed, T logit_scale = T(2)) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  batch<T> b{n, std::vector<T>(n * Layout::size), std::vector<T>(n * Layout::size),
             std::vector<std::int32_t>(n), std::vector<std::uint8_t>(n * Layout::size)};
  for (auto& z : b.logits) z = T(logit_scale * normal(rng));
  for (std::size_t r = 0; r < n; ++r) {
    b.domains[r] = std::int32_t(rng() % num_domains);
    for (const space_info& s : Layout::space_infos) {
      T* y = b.targets.data() + r * Layout::size + s.outputs.offset;
      if (s.kind == kind::exclusive) y[rng() % s.outputs.size] = T(1);
      if (s.kind == kind::multilabel)
        for (std::size_t c = 0; c < s.outputs.size; ++c) y[c] = T(rng() % 3 == 0);
      if (s.kind == kind::regression)
        for (std::size_t c = 0; c < s.outputs.size; ++c) y[c] = T(uniform(rng));
    }
    for (std::size_t c = 0; c < Layout::size; ++c) b.known[r * Layout::size + c] = rng() % 5 != 0;
  }
  return b;
}

/// Central differences of f at x, compared with the analytic gradient g.
/// Returns the largest |numeric - analytic| / max(1, |numeric|).
double max_gradient_error(const std::function<double(const std::vector<double>&)>& f,
                          std::vector<double> x, const std::vector<double>& g, double h = 1e-6) {
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double x0 = x[i];
    x[i] = x0 + h;
    const double up = f(x);
    x[i] = x0 - h;
    const double down = f(x);
    x[i] = x0;
    const double numeric = (up - down) / (2 * h);
    worst = std::max(worst, std::abs(numeric - g[i]) / std::max(1.0, std::abs(numeric)));
  }
  return worst;
}

template <class Loss, class Layout, std::size_t NumDomains>
void check_gradient(const Loss& loss, bool with_known, unsigned seed) {
  batch<double> b = random_batch<double, Layout>(6, NumDomains, seed);
  std::vector<double> grad(b.logits.size());
  const double value = with_known ? loss.forward_backward(cpu, b.logits, b.targets, b.domains, b.known, grad)
                                  : loss.forward_backward(cpu, b.logits, b.targets, b.domains, grad);
  auto f = [&](const std::vector<double>& z) {
    return with_known ? loss.value(cpu, z, b.targets, b.domains, b.known) : loss.value(cpu, z, b.targets, b.domains);
  };
  CHECK(value == doctest::Approx(f(b.logits)).epsilon(1e-12));
  CHECK(max_gradient_error(f, b.logits, grad) < 1e-7);
}

template <class E, class F>
std::string thrown_message(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

double bce(double z, double y) { return std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z))); }

}  // namespace

TEST_CASE("selective_loss: values computed by hand") {
  // One emotionet sample: AU1 = 1 (logit 2), AU2 = 0 (logit -1), other AUs 0 at logit 0.
  // Its emotion logits are large and wrong, but emotionet does not annotate them.
  selective_loss<paper, double> loss;
  std::vector<double> z(18, 0.0), y(18, 0.0), g(18);
  for (std::size_t c = 0; c < 7; ++c) z[c] = 50.0;
  z[7] = 2.0, y[7] = 1.0;
  z[8] = -1.0;
  const std::vector<std::int32_t> d{1};
  const double expected = std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-1.0)) + 9 * std::log(2.0);
  CHECK(loss.forward_backward(cpu, z, y, d, g) == doctest::Approx(expected).epsilon(1e-14));
  CHECK(g[7] == doctest::Approx(1.0 / (1.0 + std::exp(-2.0)) - 1.0));
  CHECK(g[8] == doctest::Approx(1.0 / (1.0 + std::exp(1.0))));
  CHECK(g[9] == doctest::Approx(0.5));
  for (std::size_t c = 0; c < 7; ++c) CHECK(g[c] == 0.0);

  // Two samples, one per dataset: the mean over samples halves the sum.
  std::vector<double> z2(36, 0.0), y2(36, 0.0), g2(36);
  y2[3] = 1.0;  // sfew sample: happy
  const std::vector<std::int32_t> d2{0, 1};
  CHECK(loss.forward_backward(cpu, z2, y2, d2, g2) == doctest::Approx((7 + 11) * std::log(2.0) / 2));
  CHECK(g2[3] == doctest::Approx(-0.25));  // (0.5 - 1) / 2
  CHECK(g2[0] == doctest::Approx(0.25));
  CHECK(g2[7] == 0.0);        // sfew does not annotate AUs
  CHECK(g2[18 + 0] == 0.0);   // emotionet does not annotate emotions
  CHECK(g2[18 + 7] == doctest::Approx(0.25));
}

TEST_CASE("reductions: mean over samples (default), mean over selected entries, sum") {
  batch<double> b = random_batch<double, paper_layout>(9, 2, 7);
  loss_options<double> o;
  const double mean_samples = selective_loss<paper, double>(o).value(cpu, b.logits, b.targets, b.domains, b.known);
  o.reduction = reduction::sum;
  const double sum = selective_loss<paper, double>(o).value(cpu, b.logits, b.targets, b.domains, b.known);
  o.reduction = reduction::mean_over_selected;
  const double mean_selected = selective_loss<paper, double>(o).value(cpu, b.logits, b.targets, b.domains, b.known);
  std::size_t selected = 0;
  for (std::size_t r = 0; r < b.n; ++r)
    for (std::size_t c = 0; c < 18; ++c) selected += paper::masks[std::size_t(b.domains[r])][c] && b.known[r * 18 + c];
  CHECK(selective_loss<paper, double>().reduction() == reduction::mean_over_samples);
  CHECK(mean_samples == doctest::Approx(sum / 9));
  CHECK(mean_selected == doctest::Approx(sum / double(selected)));
  double by_hand = 0;
  for (std::size_t r = 0; r < b.n; ++r)
    for (std::size_t c = 0; c < 18; ++c)
      if (paper::masks[std::size_t(b.domains[r])][c] && b.known[r * 18 + c])
        by_hand += bce(b.logits[r * 18 + c], b.targets[r * 18 + c]);
  CHECK(sum == doctest::Approx(by_hand).epsilon(1e-12));
}

TEST_CASE("finite-difference gradient checks in double, every loss and option") {
  loss_options<double> o;
  SUBCASE("selective, sigmoid everywhere, L2 regression") {
    check_gradient<selective_loss<domains, double>, layout, 4>(selective_loss<domains, double>(o), false, 1);
    check_gradient<selective_loss<domains, double>, layout, 4>(selective_loss<domains, double>(o), true, 2);
  }
  SUBCASE("selective, mean over selected entries") {
    o.reduction = reduction::mean_over_selected;
    check_gradient<selective_loss<domains, double>, layout, 4>(selective_loss<domains, double>(o), true, 3);
  }
  SUBCASE("selective, sum") {
    o.reduction = reduction::sum;
    check_gradient<selective_loss<domains, double>, layout, 4>(selective_loss<domains, double>(o), true, 4);
  }
  SUBCASE("selective, positive weights") {
    o.pos_weight.assign(W, 1.0);
    for (std::size_t c = 0; c < W; ++c) o.pos_weight[c] = 0.5 + 0.25 * double(c % 7);
    check_gradient<selective_loss<domains, double>, layout, 4>(selective_loss<domains, double>(o), true, 5);
  }
  SUBCASE("selective, softmax on the exclusive space") {
    o.exclusive = exclusive_rule::softmax;
    check_gradient<selective_loss<domains, double>, layout, 4>(selective_loss<domains, double>(o), true, 6);
    check_gradient<selective_loss<domains, double>, layout, 4>(selective_loss<domains, double>(o), false, 7);
  }
  SUBCASE("selective, wing loss on the regression space") {
    o.regression = regression_rule::wing;
    o.wing_width = 0.5;  // targets and logits straddle |x| = w
    o.wing_epsilon = 0.1;
    check_gradient<selective_loss<domains, double>, layout, 4>(selective_loss<domains, double>(o), true, 8);
  }
  SUBCASE("naive joint") {
    check_gradient<naive_joint_loss<paper, double>, paper_layout, 2>(naive_joint_loss<paper, double>(o), true, 9);
    check_gradient<naive_joint_loss<paper, double>, paper_layout, 2>(naive_joint_loss<paper, double>(o), false, 10);
  }
  SUBCASE("selective softmax") {
    check_gradient<selective_softmax_loss<paper, double>, paper_layout, 2>(selective_softmax_loss<paper, double>(o),
                                                                           true, 11);
    o.reduction = reduction::mean_over_selected;
    check_gradient<selective_softmax_loss<paper, double>, paper_layout, 2>(selective_softmax_loss<paper, double>(o),
                                                                           false, 12);
  }
  SUBCASE("per-task loss") {
    check_gradient<task_loss<emotionet, double>, task_layout_t<emotionet>, 1>(task_loss<emotionet, double>(o), true,
                                                                              13);
  }
}

TEST_CASE("selection: an output the sample's dataset does not annotate changes neither the loss nor any gradient") {
  selective_loss<domains, double> loss;
  batch<double> b = random_batch<double, layout>(8, 4, 21);
  std::vector<double> g0(b.logits.size()), g1(b.logits.size());
  const double v0 = loss.forward_backward(cpu, b.logits, b.targets, b.domains, b.known, g0);
  std::vector<double> z = b.logits, y = b.targets;
  std::mt19937 rng(3);
  for (std::size_t r = 0; r < b.n; ++r)
    for (std::size_t c = 0; c < W; ++c)
      if (!domains::masks[std::size_t(b.domains[r])][c]) {
        z[r * W + c] = double(rng() % 200) - 100.0;  // any logit
        y[r * W + c] = 0.37;                         // any target
      }
  const double v1 = loss.forward_backward(cpu, z, y, b.domains, b.known, g1);
  CHECK(v1 == v0);
  CHECK(g1 == g0);
  for (std::size_t r = 0; r < b.n; ++r)
    for (std::size_t c = 0; c < W; ++c)
      if (!domains::masks[std::size_t(b.domains[r])][c] || !b.known[r * W + c]) CHECK(g0[r * W + c] == 0.0);
}

TEST_CASE("the naive joint failure of the paper: an emotion-only Happy image pushes AU6 and AU12 down") {
  // Logits that already say "AU6 and AU12 on" for a Happy face from SFEW.
  std::vector<float> z(18, 0.f), y(18, 0.f), g_naive(18), g_selective(18);
  const std::size_t au6 = paper_layout::offset<emotionet_aus> + emotionet_aus::index_of_au(6);
  const std::size_t au12 = paper_layout::offset<emotionet_aus> + emotionet_aus::index_of_au(12);
  z[au6] = z[au12] = 3.f;
  y[emotion::index_of("happy")] = 1.f;
  const std::vector<std::int32_t> d{paper::domain_index<sfew>};
  naive_joint_loss<paper>().forward_backward(cpu, z, y, d, g_naive);
  selective_loss<paper>().forward_backward(cpu, z, y, d, g_selective);
  // Gradient descent moves z by -lr * g: a positive gradient pushes the AU down.
  CHECK(g_naive[au6] > 0.9f);
  CHECK(g_naive[au12] > 0.9f);
  CHECK(g_selective[au6] == 0.f);
  CHECK(g_selective[au12] == 0.f);
  // Both push the Happy logit up.
  CHECK(g_naive[3] < 0.f);
  CHECK(g_selective[3] < 0.f);
}

TEST_CASE("selective softmax: softmax over the sample's dataset's outputs, targets normalised") {
  selective_softmax_loss<paper, double> loss;
  std::vector<double> z(18, 0.0), y(18, 0.0), g(18);
  z[7] = 1.0;
  y[7] = y[8] = 1.0;  // two active AUs: target 1/2 each
  const std::vector<std::int32_t> d{1};
  const double lse = std::log(std::exp(1.0) + 10.0);  // over the 11 AU outputs only
  CHECK(loss.forward_backward(cpu, z, y, d, g) == doctest::Approx(lse - 0.5 * 1.0));
  CHECK(g[7] == doctest::Approx(std::exp(1.0 - lse) - 0.5));
  CHECK(g[9] == doctest::Approx(std::exp(-lse)));
  CHECK(g[0] == 0.0);
  // No active AU: the sample adds nothing.
  std::fill(y.begin(), y.end(), 0.0);
  CHECK(loss.forward_backward(cpu, z, y, d, g) == 0.0);
  CHECK(g[7] == 0.0);
}

TEST_CASE("softmax option on an exclusive space and regression rules: values by hand") {
  loss_options<double> o;
  o.exclusive = exclusive_rule::softmax;
  o.reduction = reduction::sum;
  selective_loss<domains, double> loss(o);
  std::vector<double> z(W, 0.0), y(W, 0.0), g(W);
  z[3] = 2.0;
  y[3] = 1.0;
  z[18] = 0.5, y[18] = -0.25;  // yaw
  const std::vector<std::int32_t> d{domains::domain_index<posed>};
  const double ce = std::log(std::exp(2.0) + 6.0) - 2.0;
  CHECK(loss.forward_backward(cpu, z, y, d, g) == doctest::Approx(ce + 0.5 * 0.75 * 0.75));
  CHECK(g[18] == doctest::Approx(0.75));
  CHECK(g[3] == doctest::Approx(std::exp(2.0) / (std::exp(2.0) + 6.0) - 1.0));

  o.regression = regression_rule::wing;
  o.wing_width = 1.0;
  o.wing_epsilon = 0.5;
  selective_loss<domains, double> wing(o);
  CHECK(wing.forward_backward(cpu, z, y, d, g) == doctest::Approx(ce + 1.0 * std::log1p(0.75 / 0.5)));
  z[18] = 3.0;  // |x| = 3.25 >= w: linear part, continuous at w
  CHECK(wing.forward_backward(cpu, z, y, d, g) == doctest::Approx(ce + 3.25 - (1.0 - std::log1p(1.0 / 0.5))));
  CHECK(g[18] == doctest::Approx(1.0));
}

TEST_CASE("logits of +-100 and empty batches give finite, defined results") {
  selective_loss<paper> loss;
  std::vector<float> z(36), y(36, 0.f), g(36);
  for (std::size_t i = 0; i < 36; ++i) z[i] = i % 2 ? 100.f : -100.f;
  for (std::size_t i = 0; i < 36; i += 3) y[i] = 1.f;
  const std::vector<std::int32_t> d{0, 1};
  const float v = loss.forward_backward(cpu, z, y, d, g);
  CHECK(std::isfinite(v));
  for (float gi : g) CHECK(std::isfinite(gi));
  double expected = 0;
  for (std::size_t i = 0; i < 36; ++i)
    if (paper::masks[i / 18][i % 18]) expected += bce(z[i], y[i]);
  CHECK(v == doctest::Approx(expected / 2).epsilon(1e-6));
  // A confident right answer costs ~0 and a confident wrong one ~100.
  CHECK(bce(100, 1) < 1e-40);

  const std::vector<float> none;
  std::vector<float> no_grad;
  const std::vector<std::int32_t> no_domains;
  CHECK(loss.forward_backward(cpu, none, none, no_domains, no_grad) == 0.f);
  loss_options<float> o;
  o.reduction = reduction::mean_over_selected;
  CHECK(selective_loss<paper>(o).value(cpu, none, none, no_domains) == 0.f);
  // A batch where every label is unknown: nothing selected, loss 0, gradient 0.
  const std::vector<std::uint8_t> unknown(36, 0);
  CHECK(selective_loss<paper>(o).forward_backward(cpu, z, y, d, unknown, g) == 0.f);
  for (float gi : g) CHECK(gi == 0.f);
}

TEST_CASE("float fast path agrees with the double reference, at every size and logit range") {
  for (std::size_t n : {1u, 3u, 17u, 1000u, 4000u}) {  // 4000 x 18 takes the threaded path
    for (float scale : {0.5f, 4.f, 40.f}) {
      batch<float> f = random_batch<float, paper_layout>(n, 2, unsigned(n), scale);
      batch<double> d{n, {f.logits.begin(), f.logits.end()}, {f.targets.begin(), f.targets.end()}, f.domains, f.known};
      std::vector<float> gf(f.logits.size());
      std::vector<double> gd(d.logits.size());
      loss_options<float> of;
      of.pos_weight.assign(18, 2.f);
      loss_options<double> od;
      od.pos_weight.assign(18, 2.0);
      for (bool weighted : {false, true}) {
        const float vf = weighted ? selective_loss<paper>(of).forward_backward(cpu, f.logits, f.targets, f.domains, f.known, gf)
                                  : selective_loss<paper>().forward_backward(cpu, f.logits, f.targets, f.domains, f.known, gf);
        const double vd = weighted
                              ? selective_loss<paper, double>(od).forward_backward(cpu, d.logits, d.targets, d.domains, d.known, gd)
                              : selective_loss<paper, double>().forward_backward(cpu, d.logits, d.targets, d.domains, d.known, gd);
        CHECK(vf == doctest::Approx(vd).epsilon(2e-6));
        double worst = 0;
        for (std::size_t i = 0; i < gf.size(); ++i) worst = std::max(worst, std::abs(double(gf[i]) - gd[i]));
        CHECK(worst < 1e-6);
      }
    }
  }
}

TEST_CASE("xtensor containers are accepted, with their shape checked") {
  selective_loss<paper> loss;
  xt::xtensor<float, 2> z = xt::zeros<float>({2, 18}), y = xt::zeros<float>({2, 18}), g = xt::zeros<float>({2, 18});
  y(0, 3) = 1.f;
  const std::vector<std::int32_t> d{0, 1};
  CHECK(loss.forward_backward(cpu, z, y, d, g) == doctest::Approx((7 + 11) * std::log(2.0) / 2));
  CHECK(g(0, 3) == doctest::Approx(-0.25f));
  xt::xtensor<float, 2> transposed = xt::zeros<float>({18, 2});
  CHECK(thrown_message<shape_error>([&] { (void)loss.value(cpu, transposed, y, d); }).find("shape (N, 18)") !=
        std::string::npos);
}

TEST_CASE("bad input throws an exception that says which") {
  selective_loss<paper> loss;
  std::vector<float> z(36, 0.f), y(36, 0.f), g(36);
  std::vector<std::int32_t> d{0, 1};
  SUBCASE("wrong logits size") {
    std::vector<float> short_z(35);
    const std::string m = thrown_message<shape_error>([&] { (void)loss.forward_backward(cpu, short_z, y, d, g); });
    CHECK(m.find("logits has 35 values, expected N x layout size = 2 x 18 = 36") != std::string::npos);
    CHECK(m.find("selective_loss") != std::string::npos);
  }
  SUBCASE("wrong grad and known-mask sizes") {
    std::vector<float> g_short(18);
    CHECK(thrown_message<shape_error>([&] { (void)loss.forward_backward(cpu, z, y, d, g_short); }).find("grad has 18") !=
          std::string::npos);
    std::vector<std::uint8_t> k(17, 1);
    CHECK(thrown_message<shape_error>([&] { (void)loss.value(cpu, z, y, d, k); }).find("known-mask has 17") !=
          std::string::npos);
  }
  SUBCASE("domain index out of range") {
    d[1] = 2;
    const std::string m = thrown_message<value_error>([&] { (void)loss.forward_backward(cpu, z, y, d, g); });
    CHECK(m.find("domain index 2 of sample 1 is out of range [0, 2)") != std::string::npos);
    d[1] = -1;
    CHECK(thrown_message<value_error>([&] { (void)loss.value(cpu, z, y, d); }).find("domain index -1") != std::string::npos);
  }
  SUBCASE("a selected target outside [0, 1] is named; an unselected one is ignored") {
    y[18 + 9] = 2.f;  // emotionet sample, AU4
    const std::string m = thrown_message<value_error>([&] { (void)loss.forward_backward(cpu, z, y, d, g); });
    CHECK(m.find("target[1, 9] (aus/AU4) is 2") != std::string::npos);
    y[18 + 9] = 0.f;
    y[10] = 999.f;  // sfew sample, AU column: not annotated, so not read as a label
    CHECK_NOTHROW((void)loss.value(cpu, z, y, d));
  }
  SUBCASE("negative pos_weight, wrong pos_weight size") {
    loss_options<float> o;
    o.pos_weight.assign(17, 1.f);
    CHECK(thrown_message<shape_error>([&] { selective_loss<paper> l(o); }).find("pos_weight has 17") != std::string::npos);
    o.pos_weight.assign(18, 1.f);
    o.pos_weight[8] = -1.f;
    CHECK(thrown_message<value_error>([&] { selective_loss<paper> l(o); }).find("pos_weight[8] (aus/AU2)") !=
          std::string::npos);
  }
}

TEST_CASE("per-task losses: the head of one dataset, and its targets gathered from a joint batch") {
  using task = task_layout_t<both>;
  static_assert(task::size == 18 && task::offset<emotionet_aus> == 7);
  static_assert(task_layout_t<posed>::size == 10);
  batch<double> b = random_batch<double, layout>(3, 1, 5);
  std::vector<double> own(3 * 10);
  gather_task_columns<domains, posed, double>(b.targets, 3, own);
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 7; ++c) CHECK(own[r * 10 + c] == b.targets[r * W + c]);
    for (std::size_t c = 0; c < 3; ++c) CHECK(own[r * 10 + 7 + c] == b.targets[r * W + 18 + c]);
  }
  // Every output of a task head is annotated: the task loss is the plain sum over it.
  loss_options<double> o;
  o.reduction = reduction::sum;
  std::vector<double> z(11, 0.0), y(11, 0.0);
  const std::vector<std::int32_t> d{0};
  CHECK(task_loss<emotionet, double>(o).value(cpu, z, y, d) == doctest::Approx(11 * std::log(2.0)));
  std::vector<double> wrong(3 * 9);
  CHECK_THROWS_AS((gather_task_columns<domains, posed, double>(b.targets, 3, wrong)), shape_error);
}

TEST_CASE("outputs a sample does not train are selected out, not multiplied by 0: NaN and infinities there change nothing") {
  // Unannotated outputs and outputs whose label is unknown, of every rule of the
  // family (sigmoid, softmax, regression), hold garbage; value and gradient must
  // equal those of the same batch with zeros there.
  const auto b = random_batch<double, layout>(24, domains::num_domains, 7);
  for (int rule = 0; rule < 3; ++rule) {
    loss_options<double> o;
    if (rule == 1) o.exclusive = exclusive_rule::softmax;
    if (rule == 2) o.regression = regression_rule::wing;
    selective_loss<domains, double> loss(o);
    auto dirty = b;
    auto clean = b;
    for (std::size_t r = 0; r < b.n; ++r)
      for (std::size_t c = 0; c < W; ++c) {
        const std::size_t i = r * W + c;
        const bool trained = domains::masks[std::size_t(b.domains[r])][c] && b.known[i];
        if (trained) continue;
        clean.targets[i] = 0, clean.logits[i] = 0;
        dirty.targets[i] = (c % 3 == 0) ? std::nan("") : 1e30;
        dirty.logits[i] = (c % 2 == 0) ? std::numeric_limits<double>::infinity() : std::nan("");
      }
    std::vector<double> g_dirty(b.n * W), g_clean(b.n * W);
    const double v_dirty = loss.forward_backward(cpu, dirty.logits, dirty.targets, dirty.domains, dirty.known, g_dirty);
    const double v_clean = loss.forward_backward(cpu, clean.logits, clean.targets, clean.domains, clean.known, g_clean);
    INFO("rule ", rule);
    CHECK(std::isfinite(v_dirty));
    CHECK(v_dirty == v_clean);
    CHECK(g_dirty == g_clean);
  }
}

TEST_CASE("a NaN regression target where it is trained is an error that names it") {
  selective_loss<domains, double> loss;
  std::vector<double> z(W, 0.0), y(W, 0.0), g(W);
  y[0] = 1.0;                                  // emotion one-hot
  y[18] = std::nan("");                        // pose/yaw
  const std::vector<std::int32_t> d{2};        // "posed": emotion + pose
  CHECK(thrown_message<value_error>([&] { (void)loss.forward_backward(cpu, z, y, d, g); }).find("(pose/yaw) is nan") !=
        std::string::npos);
}

TEST_CASE("regression options per space: wing for one space, L2 for another, by name; values, gradient and errors") {
  using gaze = label_space<"gaze", kind::regression, "gx", "gy">;
  using two = joint_layout<gaze, pose>;  // gaze 0-1, pose 2-4
  using gazer = dataset<"gazer", gaze, pose>;
  using u = dataset_union<two, gazer>;
  loss_options<double> o;
  o.reduction = reduction::sum;
  o.regression_spaces = {{"gaze", regression_rule::wing, 1.0, 0.5}};
  selective_loss<u, double> loss(o);
  std::vector<double> z{0.5, 0.0, 0.5, 0.0, 0.0}, y{-0.25, 0.0, -0.25, 0.0, 0.0}, g(5);
  const std::vector<std::int32_t> d{0};
  // gaze: wing at |x| = 0.75 < w = 1; pose: 0.5 x^2 (the default rule).
  CHECK(loss.forward_backward(cpu, z, y, d, g) == doctest::Approx(std::log1p(0.75 / 0.5) + 0.5 * 0.75 * 0.75));
  CHECK(g[0] == doctest::Approx(1.0 / (0.5 + 0.75)));  // d/dx w ln(1 + x / eps) = w / (eps + x)
  CHECK(g[2] == doctest::Approx(0.75));

  // The gradient by central differences, every output, with both rules at work.
  std::mt19937_64 rng(4);
  std::normal_distribution<double> normal(0.0, 1.5);
  for (double& v : z) v = normal(rng);
  for (double& v : y) v = normal(rng);
  (void)loss.forward_backward(cpu, z, y, d, g);
  for (std::size_t i = 0; i < z.size(); ++i) {
    const double h = 1e-6, at = z[i];
    std::vector<double> unused(5);
    z[i] = at + h;
    const double up = loss.forward_backward(cpu, z, y, d, unused);
    z[i] = at - h;
    const double down = loss.forward_backward(cpu, z, y, d, unused);
    z[i] = at;
    CHECK(g[i] == doctest::Approx((up - down) / (2 * h)).epsilon(1e-6));
  }

  // Names that are not a regression space, twice the same, wing parameters <= 0.
  loss_options<double> bad;
  bad.regression_spaces = {{"landmarks", regression_rule::wing, 1.0, 0.5}};
  CHECK(thrown_message<value_error>([&] { selective_loss<u, double>{bad}; }).find("'landmarks', which is not a regression "
                                                                                   "space of the layout (its regression "
                                                                                   "spaces: gaze, pose)") != std::string::npos);
  bad.regression_spaces = {{"emotion", regression_rule::wing, 1.0, 0.5}};
  CHECK_THROWS_AS((selective_loss<domains, double>{bad}), value_error);  // an exclusive space
  bad.regression_spaces = {{"gaze", regression_rule::l2, 1.0, 0.5}, {"gaze", regression_rule::wing, 1.0, 0.5}};
  CHECK(thrown_message<value_error>([&] { selective_loss<u, double>{bad}; }).find("'gaze' twice") != std::string::npos);
  bad.regression_spaces = {{"pose", regression_rule::wing, 0.0, 0.5}};
  CHECK(thrown_message<value_error>([&] { selective_loss<u, double>{bad}; }).find("space 'pose' has width 0") !=
        std::string::npos);
}
