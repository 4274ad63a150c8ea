// The backend-parity harness: every op of the backend concept, and whole
// ResNet-8 training steps, on the CUDA backend against the CPU backend, on
// the same inputs (float32, no TF32). Tolerances (relative to the largest
// magnitude of the CPU result): losses and gradients 1e-5, convolution and
// batch norm 1e-4, the loss after 50 training steps 1e-3.
//
// On a machine without a CUDA device every case prints one line
// "SKIPPED (no CUDA device): <case>" and passes; the cases that need no
// device (errors when there is none) still run.
#include <doctest/doctest.h>
#include <sjmt/backend/cuda_backend.hpp>  // the kernels: sjmt_cuda_kernels (CMake)
#include <sjmt/sjmt.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using namespace sjmt;
using tensors = std::vector<host_tensor<float>>;
template <class B>
using tensor_of = typename B::template tensor<float>;

bool have_device() {
  static const bool present = cuda_backend::device_count() > 0;
  return present;
}

/// Prints the skip line and returns true when there is no device.
bool skipped(const std::string& what) {
  if (have_device()) return false;
  std::printf("SKIPPED (no CUDA device): %s\n", what.c_str());
  return true;
}

host_tensor<float> random_tensor(const shape4& s, std::mt19937_64& rng, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> u(lo, hi);
  host_tensor<float> t(s);
  for (auto& v : t) v = u(rng);
  return t;
}

template <class B, class U>
typename B::template tensor<U> on(B& be, const host_tensor<U>& h) {
  typename B::template tensor<U> t;
  be.upload(t, h);
  return t;
}

/// max |a - b| / max(max |b|, 1e-30), the two the same shape.
double relative_error(const host_tensor<float>& got, const host_tensor<float>& want) {
  REQUIRE(got.shape() == want.shape());
  double err = 0, mag = 1e-30;
  for (std::size_t i = 0; i < want.size(); ++i) {
    err = std::max(err, std::abs(double(got.data()[i]) - double(want.data()[i])));
    mag = std::max(mag, std::abs(double(want.data()[i])));
  }
  return err / mag;
}

/// Runs `run` on both backends and compares every tensor it returns.
template <class Case>
void parity(const std::string& name, double tolerance, Case run) {
  if (skipped(name)) return;
  cpu_backend cpu;
  cuda_backend gpu;
  const tensors want = run(cpu);
  const tensors got = run(gpu);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO(name, ": output ", i, " of shape ", to_string(want[i].shape()));
    CHECK(relative_error(got[i], want[i]) <= tolerance);
  }
}

}  // namespace

TEST_CASE("cuda: without a device the backend says so in a typed error") {
  if (have_device()) {
    cuda_backend be;
    CHECK(!be.device().empty());
    std::printf("cuda: %s\n", be.device().c_str());
    CHECK_THROWS_AS(cuda_backend({.device = cuda_backend::device_count()}), cuda_error);
    return;
  }
  CHECK(cuda_backend::device_count() == 0);
  try {
    cuda_backend be;
    FAIL("a cuda_backend was made without a device");
  } catch (const cuda_error& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("cudaGetDeviceCount") != std::string::npos);
    CHECK(e.status() != 0);
  }
}

TEST_CASE("cuda: the pool's size classes") {
  using detail::cuda::rounded_size;
  CHECK(rounded_size(0) == 0);
  CHECK(rounded_size(1) == 512);
  CHECK(rounded_size(512) == 512);
  CHECK(rounded_size(513) == 1024);
  CHECK(rounded_size((1u << 20) + 1) == (std::size_t(2) << 20));
  CHECK(rounded_size(std::size_t(5) << 20) == (std::size_t(6) << 20));
}

TEST_CASE("cuda parity: convolution forward, backward-data and backward-filter") {
  struct geometry_case {
    conv2d_geometry g;
    shape4 x, w;
  };
  const geometry_case cases[] = {{{3, 1, 1}, {4, 8, 8, 3}, {3, 3, 3, 16}},
                                 {{3, 1, 1}, {2, 8, 8, 16}, {3, 3, 16, 16}},
                                 {{3, 2, 1}, {2, 8, 8, 16}, {3, 3, 16, 32}},
                                 {{1, 2, 0}, {2, 8, 8, 16}, {1, 1, 16, 32}},
                                 {{3, 1, 1}, {3, 5, 7, 1}, {3, 3, 1, 8}}};
  for (const geometry_case& c : cases) {
    std::mt19937_64 rng(7);
    const host_tensor<float> hx = random_tensor(c.x, rng), hw = random_tensor(c.w, rng);
    const host_tensor<float> hdy = random_tensor(c.g.output_shape(c.x, c.w), rng);
    parity("conv2d " + to_string(c.x) + " * " + to_string(c.w) + " stride " + std::to_string(c.g.stride), 1e-4,
           [&](auto& be) {
             auto x = on(be, hx), w = on(be, hw), dy = on(be, hdy);
             tensor_of<std::remove_cvref_t<decltype(be)>> y, dx, dw;
             ops::conv2d_forward(be, c.g, x, w, y);
             ops::conv2d_backward_data(be, c.g, dy, w, c.x, dx);
             ops::conv2d_backward_filter(be, c.g, x, dy, c.w, dw);
             return tensors{be.download(y), be.download(dx), be.download(dw)};
           });
  }
}

TEST_CASE("cuda parity: batch norm, plain and fused with the residual and ReLU") {
  for (const shape4 s : {shape4{4, 8, 8, 16}, shape4{2, 3, 5, 300}, shape4{64, 1, 1, 10}}) {
    std::mt19937_64 rng(11);
    const std::size_t C = s[3];
    const host_tensor<float> hx = random_tensor(s, rng, 2.f, 5.f), hz = random_tensor(s, rng),
                             hdy = random_tensor(s, rng);
    const host_tensor<float> gamma = random_tensor(channel_shape(C), rng, 0.5f, 1.5f),
                             beta = random_tensor(channel_shape(C), rng), rm = random_tensor(channel_shape(C), rng),
                             rv = random_tensor(channel_shape(C), rng, 0.5f, 2.f);
    for (const bool fused : {false, true})
      parity(std::string(fused ? "batch_norm_add_relu " : "batch_norm ") + to_string(s), 1e-4, [&](auto& be) {
        using B = std::remove_cvref_t<decltype(be)>;
        auto x = on(be, hx), z = on(be, hz), dy = on(be, hdy), g = on(be, gamma), b = on(be, beta);
        auto mean = on(be, rm), var = on(be, rv);
        tensor_of<B> sm, si, y, yi, dx, dg, db, dz;
        if (fused) {
          ops::batch_norm_add_relu_forward_train(be, x, &z, g, b, 0.1f, 1e-5f, mean, var, sm, si, y);
          ops::batch_norm_relu_backward(be, x, y, dy, g, sm, si, dx, dg, db, &dz);
          ops::batch_norm_add_relu_forward_infer(be, x, &z, g, b, mean, var, 1e-5f, yi);
          return tensors{be.download(y), be.download(sm), be.download(si), be.download(mean), be.download(var),
                         be.download(dx), be.download(dg), be.download(db), be.download(dz), be.download(yi)};
        }
        ops::batch_norm_forward_train(be, x, g, b, 0.1f, 1e-5f, mean, var, sm, si, y);
        ops::batch_norm_backward(be, x, dy, g, sm, si, dx, dg, db);
        ops::batch_norm_forward_infer(be, x, g, b, mean, var, 1e-5f, yi);
        return tensors{be.download(y), be.download(sm), be.download(si), be.download(mean), be.download(var),
                       be.download(dx), be.download(dg), be.download(db), be.download(yi)};
      });
  }
}

TEST_CASE("cuda parity: elementwise, pooling, the zero-padded shortcut, linear, columns and dropout") {
  std::mt19937_64 rng(5);
  const shape4 s{3, 6, 4, 5};
  const host_tensor<float> hx = random_tensor(s, rng), hb = random_tensor(s, rng);
  parity("relu, add", 1e-6, [&](auto& be) {
    using B = std::remove_cvref_t<decltype(be)>;
    auto x = on(be, hx), b = on(be, hb);
    tensor_of<B> y, dx, sum;
    ops::relu_forward(be, x, y);
    ops::relu_backward(be, y, b, dx);
    ops::add(be, x, b, sum);
    ops::add(be, sum, b, sum);  // y aliasing a
    return tensors{be.download(y), be.download(dx), be.download(sum)};
  });
  parity("global_avg_pool, max_pool2", 1e-5, [&](auto& be) {
    using B = std::remove_cvref_t<decltype(be)>;
    auto x = on(be, hx);
    tensor_of<B> g, dg, m, dm, dy_m;
    ops::global_avg_pool_forward(be, x, g);
    ops::global_avg_pool_backward(be, g, s, dg);
    ops::max_pool2_forward(be, x, m);
    be.copy(m, dy_m);
    ops::max_pool2_backward(be, x, m, dy_m, dm);
    return tensors{be.download(g), be.download(dg), be.download(m), be.download(dm)};
  });
  // Soft-argmax over 8x8 maps of 68 points (the spatial landmark head), logits spread wide
  // enough that the softmax is peaked and its max subtraction matters.
  const host_tensor<float> hz = random_tensor({3, 8, 8, 68}, rng, -6.f, 6.f),
                           hdpoints = random_tensor({3, 1, 1, 136}, rng);
  parity("soft_argmax forward and backward", 1e-5, [&](auto& be) {
    using B = std::remove_cvref_t<decltype(be)>;
    auto z = on(be, hz), dy = on(be, hdpoints);
    tensor_of<B> p, y, dz;
    ops::soft_argmax_forward(be, z, p, y);
    ops::soft_argmax_backward(be, p, y, dy, dz);
    return tensors{be.download(p), be.download(y), be.download(dz)};
  });
  // Odd sizes (7x5) so that the last row and column of samples are the partial ones.
  const shape4 odd{2, 7, 5, 3};
  const host_tensor<float> hodd = random_tensor(odd, rng), hdodd = random_tensor({2, 4, 3, 8}, rng);
  parity("subsample_pad (option-A shortcut), stride 2 and 1", 0, [&](auto& be) {
    using B = std::remove_cvref_t<decltype(be)>;
    auto x = on(be, hodd), dy = on(be, hdodd);
    tensor_of<B> y, dx, y1, dx1;
    ops::subsample_pad_forward(be, x, 2, 8, y);
    ops::subsample_pad_backward(be, dy, 2, odd, dx);
    ops::subsample_pad_forward(be, x, 1, 5, y1);
    ops::subsample_pad_backward(be, y1, 1, odd, dx1);
    return tensors{be.download(y), be.download(dx), be.download(y1), be.download(dx1)};
  });
  const host_tensor<float> hw = random_tensor({1, 1, 6 * 4 * 5, 9}, rng), hbias = random_tensor(channel_shape(9), rng),
                           hdy = random_tensor(rows_shape(3, 9), rng);
  parity("linear", 1e-5, [&](auto& be) {
    using B = std::remove_cvref_t<decltype(be)>;
    auto x = on(be, hx), w = on(be, hw), b = on(be, hbias), dy = on(be, hdy);
    tensor_of<B> y, dx, dw, db;
    ops::linear_forward(be, x, w, b, y);
    ops::linear_backward(be, x, w, dy, dx, dw, db);
    return tensors{be.download(y), be.download(dx), be.download(dw), be.download(db)};
  });
  host_tensor<std::int32_t> index({1, 1, 1, 3});
  index.data()[0] = 4, index.data()[1] = 0, index.data()[2] = 7;
  const host_tensor<float> rows = random_tensor(rows_shape(5, 9), rng), few = random_tensor(rows_shape(5, 3), rng);
  parity("gather_columns, scatter_columns", 0, [&](auto& be) {
    using B = std::remove_cvref_t<decltype(be)>;
    auto x = on(be, rows), part = on(be, few), y = on(be, rows);
    auto idx = on(be, index);
    tensor_of<B> g;
    ops::gather_columns(be, x, idx, g);
    ops::scatter_columns(be, part, idx, y);
    return tensors{be.download(g), be.download(y)};
  });
  parity("dropout (the same mask for the same seed)", 0, [&](auto& be) {
    using B = std::remove_cvref_t<decltype(be)>;
    auto x = on(be, hx), dy = on(be, hb);
    tensor_of<B> mask, y, dx;
    ops::dropout_forward(be, x, 0.3, 1234, mask, y);
    ops::dropout_backward(be, mask, dy, dx);
    return tensors{be.download(mask), be.download(y), be.download(dx)};
  });
}

namespace {

using spaces::emotion;
using spaces::emotionet_aus;
using pose = label_space<"pose", kind::regression, "yaw", "pitch", "roll">;
using layout = joint_layout<emotion, emotionet_aus, pose>;  // 7 + 11 + 3
using posed = dataset<"posed", emotion, pose>;
using both = dataset<"both", emotion, emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet, posed, both>;
using paper_layout = joint_layout<emotion, emotionet_aus>;
using paper_union = dataset_union<paper_layout, datasets::sfew, datasets::emotionet>;

struct host_labels {
  host_tensor<float> logits, targets;
  host_tensor<std::uint8_t> known;
  host_tensor<std::int32_t> domains;
};

/// Valid labels where each row's dataset annotates, NaN elsewhere (which the
/// loss must ignore), about 1 in 10 annotated labels unknown.
host_labels random_labels(std::size_t n, std::mt19937_64& rng) {
  constexpr std::size_t W = layout::size;
  host_labels h{random_tensor(rows_shape(n, W), rng, -4.f, 4.f), host_tensor<float>(rows_shape(n, W)),
                host_tensor<std::uint8_t>(rows_shape(n, W)), host_tensor<std::int32_t>(rows_shape(n, 1))};
  std::uniform_int_distribution<int> dom(0, domains::num_domains - 1), cls(0, 6), bit(0, 1), ten(0, 9);
  std::normal_distribution<float> normal;
  for (std::size_t r = 0; r < n; ++r) {
    const int d = dom(rng);
    h.domains.data()[r] = d;
    const int e = cls(rng);
    for (std::size_t c = 0; c < W; ++c) {
      float y = NAN;
      if (domains::masks[d][c]) y = c < 7 ? float(int(c) == e) : c < 18 ? float(bit(rng)) : normal(rng);
      h.targets.data()[r * W + c] = y;
      h.known.data()[r * W + c] = ten(rng) != 0;
    }
  }
  return h;
}

}  // namespace

namespace {

template <class Union>
void loss_parity(const std::string& name, const union_loss<Union, float>& loss, const host_labels& h) {
  for (const bool with_known : {false, true})
    parity("loss " + name + (with_known ? ", known-mask" : ""), 1e-5, [&](auto& be) {
      using B = std::remove_cvref_t<decltype(be)>;
      const std::size_t n = h.logits.shape()[0];
      // The first Union::size columns: the paper's union is the first two spaces of the layout.
      host_tensor<float> z(rows_shape(n, Union::size)), y(rows_shape(n, Union::size));
      host_tensor<std::uint8_t> k(rows_shape(n, Union::size));
      host_tensor<std::int32_t> d(rows_shape(n, 1));
      for (std::size_t r = 0; r < n; ++r) {
        d.data()[r] = h.domains.data()[r] % static_cast<std::int32_t>(Union::num_domains);
        for (std::size_t c = 0; c < Union::size; ++c) {
          const std::size_t at = r * layout::size + c;
          z.data()[r * Union::size + c] = h.logits.data()[at];
          k.data()[r * Union::size + c] = h.known.data()[at];
          // A domain folded onto another keeps its labels valid where the new one annotates.
          const bool annotated = Union::masks[static_cast<std::size_t>(d.data()[r])][c];
          const float v = h.targets.data()[at];
          y.data()[r * Union::size + c] = annotated ? (std::isnan(v) ? 0.f : v) : NAN;
        }
      }
      device_batch<Union, B, float> batch;
      batch.rows = n;
      be.upload(batch.targets, y);
      be.upload(batch.domains, d);
      if (with_known) be.upload(batch.known, k);
      batch.has_known = with_known;
      auto logits = on(be, z);
      tensor_of<B> grad, value;
      be.resize(value, {1, 1, 1, 1});
      loss.forward_backward(be, logits, batch, &grad, value);
      return tensors{be.download(value), be.download(grad)};
    });
}

}  // namespace

TEST_CASE("cuda parity: the selective loss family (value and gradient)") {
  std::mt19937_64 rng(3);
  const host_labels h = random_labels(777, rng);
  loss_options<float> mean_selected;
  mean_selected.reduction = reduction::mean_over_selected;
  loss_options<float> wing;
  wing.regression = regression_rule::wing;
  wing.wing_width = 1.0f;
  wing.wing_epsilon = 0.5f;
  loss_parity<domains>("selective", selective_loss<domains>(), h);
  loss_parity<domains>("selective, mean over selected", selective_loss<domains>(mean_selected), h);
  loss_parity<domains>("selective, wing", selective_loss<domains>(wing), h);
  loss_options<float> pose_wing;  // per space: the pose takes its own wing parameters (the plan's per-segment table)
  pose_wing.regression_spaces = {{"pose", regression_rule::wing, 0.7f, 0.3f}};
  loss_parity<domains>("selective, wing for the pose space alone", selective_loss<domains>(pose_wing), h);
  loss_parity<paper_union>("naive joint", naive_joint_loss<paper_union>(), h);
  loss_parity<paper_union>("selective softmax", selective_softmax_loss<paper_union>(), h);
}

TEST_CASE("cuda parity: the multi-tensor SGD update") {
  std::mt19937_64 rng(9);
  std::vector<host_tensor<float>> w, g, v;
  for (const std::size_t n : {1, 100, 4097, 70000}) {
    w.push_back(random_tensor({1, 1, 1, n}, rng));
    g.push_back(random_tensor({1, 1, 1, n}, rng));
    v.push_back(random_tensor({1, 1, 1, n}, rng));
  }
  parity("sgd_update", 1e-6, [&](auto& be) {
    using B = std::remove_cvref_t<decltype(be)>;
    std::vector<tensor_of<B>> tw, tg, tv;
    for (std::size_t i = 0; i < w.size(); ++i) {
      tw.push_back(on(be, w[i]));
      tg.push_back(on(be, g[i]));
      tv.push_back(on(be, v[i]));
    }
    std::vector<sgd_slot<B, float>> slots;
    for (std::size_t i = 0; i < w.size(); ++i) slots.push_back({&tw[i], &tg[i], &tv[i], i % 2 ? 5e-4f : 0.f});
    tensor_of<B> lr;
    be.resize(lr, {1, 1, 1, 1});
    be.fill(lr, 0.05f);
    for (int step = 0; step < 3; ++step) ops::sgd_update<B, float>(be, slots, lr, 0.9f);
    tensors out;
    for (std::size_t i = 0; i < w.size(); ++i) out.push_back(be.download(tw[i])), out.push_back(be.download(tv[i]));
    return out;
  });
}

namespace {

/// Losses of `steps` ResNet-8 training steps on synthetic faces, the same
/// weights (seed 1) and batches on every backend.
template <class B>
std::vector<float> train_resnet8(B& be, std::size_t steps, bool per_dataset_heads, bool capture) {
  std::mt19937_64 rng(1);
  using net_type = model<B, float>;
  net_type net(be, {.arch = "resnet", .depth = 8},
               per_dataset_heads ? dataset_head_layout<paper_union>() : joint_head_layout<paper_layout>(), rng);
  trainer<paper_union, net_type> t(be, net, selective_loss<paper_union>(),
                                   {.optimizer = {.momentum = 0.9, .weight_decay = 5e-4},
                                    .learning_rate = [](std::size_t) { return 0.02; },
                                    .model_name = net.name(),
                                    .capture_steps = capture});
  data::union_sampler<paper_union> sampler(
      {data::source(data::sfew_like(data::split::train, 1)), data::source(data::emotionet_like(data::split::train, 1))},
      {.batch_size = 16,
       .mode = per_dataset_heads ? data::batch_mode::alternating : data::batch_mode::mixed,
       .proportions = {0.5, 0.5},
       .seed = 1});
  std::vector<float> losses;
  for (std::size_t s = 0; s < steps; ++s) losses.push_back(t.step(sampler.next()));
  return losses;
}

}  // namespace

TEST_CASE("cuda parity: 50 ResNet-8 training steps follow the CPU's losses") {
  for (const bool heads : {false, true}) {
    const std::string name = std::string("ResNet-8, 50 steps, ") + (heads ? "per-dataset heads, alternating" : "joint");
    if (skipped(name)) continue;
    cpu_backend cpu;
    cuda_backend gpu;
    const std::vector<float> want = train_resnet8(cpu, 50, heads, false);
    const std::vector<float> captured = train_resnet8(gpu, 50, heads, true);
    const std::vector<float> plain = train_resnet8(gpu, 50, heads, false);
    INFO(name, ": CPU loss ", want.front(), " -> ", want.back(), ", CUDA ", captured.front(), " -> ", captured.back());
    CHECK(std::abs(captured.back() - want.back()) <= 1e-3 * std::abs(want.back()));
    CHECK(std::abs(captured.front() - want.front()) <= 1e-5 * std::abs(want.front()));
    // Replaying the recorded steps computes what running them does.
    CHECK(captured == plain);
  }
}
