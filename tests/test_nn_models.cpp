// Residual block (both shortcuts), ResNet-CIFAR, VGG-16, heads, run-time model
// specs: shapes, names, parameter counts, and finite-difference gradient checks
// of basic blocks, of whole ResNet-8s (options A and B) and of a whole VGG-16.

#include <doctest/doctest.h>

#include <memory>
#include <tuple>
#include <vector>

#include <sjmt/labels.hpp>
#include <sjmt/nn.hpp>

#include "gradient_check.hpp"

using sjmt::cpu_backend;
using sjmt::mode;
using sjmt_test::check_gradients;
using sjmt_test::check_layer_gradients;
using sjmt_test::random_tensor;
using B = cpu_backend;
static B be;  // the backend instance every layer here runs on

namespace {
using emotion = sjmt::label_space<"emotion", sjmt::kind::exclusive, "neutral", "anger", "disgust", "fear",
                                  "happiness", "sadness", "surprise">;
using aus = sjmt::label_space<"au", sjmt::kind::multilabel, "AU1", "AU2", "AU4", "AU6">;
using layout = sjmt::joint_layout<emotion, aus>;
using sfew = sjmt::dataset<"sfew", emotion>;
using emotionet = sjmt::dataset<"emotionet", aus>;
using domains = sjmt::dataset_union<layout, sfew, emotionet>;

/// Trainable values (parameters with a gradient) of anything with collect().
template <class Net>
std::size_t trainable_values(Net& net) {
  sjmt::parameter_list<B, typename Net::value_type> ps;
  net.collect(ps, "");
  std::size_t n = 0;
  for (const auto& p : ps)
    if (p.grad) n += p.value->size();
  return n;
}

/// The paper's Table 2 layout: 7 emotions and EmotioNet's 11 AUs.
using table2_layout = sjmt::joint_layout<sjmt::spaces::emotion, sjmt::spaces::emotionet_aus>;
}  // namespace

TEST_CASE("basic_block: gradients match finite differences, identity and projection shortcuts") {
  std::mt19937_64 rng(11);
  sjmt::basic_block<B, double> identity(be, 3, 3, 1, rng);
  CHECK_FALSE(identity.has_projection());
  auto x = random_tensor({2, 4, 4, 3}, rng);
  CHECK(check_layer_gradients(identity, x, {.samples = 12}) > 0);

  sjmt::basic_block<B, double> projection(be, 3, 5, 2, rng);
  CHECK(projection.has_projection());
  CHECK(projection.forward(x, mode::train).shape() == sjmt::shape4{2, 2, 2, 5});
  CHECK(check_layer_gradients(projection, x, {.samples = 12}) > 0);
}

TEST_CASE("basic_block: inference on the stage's scratch (batch norm in the convolutions' epilogue) equals the composed layers") {
  // Two blocks with the same weights, one on a stage scratch (its inference
  // runs ops::conv2d_bn_add_relu_forward_infer), one without (the composed
  // convolution, batch norm, residual and ReLU). Three training forwards move
  // the running statistics away from 0 and 1 first, in both alike.
  for (const auto& [in, out, stride] : {std::tuple{16, 16, 1}, {16, 32, 2}}) {
    CAPTURE(out);
    std::mt19937_64 rng_a(5), rng_b(5), rng_x(6);
    sjmt::block_scratch<B, double> scratch;
    sjmt::basic_block<B, double> fused(be, in, out, stride, rng_a, &scratch);
    sjmt::basic_block<B, double> composed(be, in, out, stride, rng_b);
    const auto x = random_tensor({2, 8, 8, static_cast<std::size_t>(in)}, rng_x);
    for (int step = 0; step < 3; ++step) {
      const auto xs = random_tensor(x.shape(), rng_x, 2.0);
      const auto& ya = fused.forward(xs, mode::train);
      const auto& yb = composed.forward(xs, mode::train);
      REQUIRE(ya.size() == yb.size());
    }
    const auto& ya = fused.forward(x, mode::infer);
    const auto& yb = composed.forward(x, mode::infer);
    REQUIRE(ya.shape() == yb.shape());
    std::size_t positive = 0;
    for (std::size_t i = 0; i < ya.size(); ++i) {
      CHECK(ya.data()[i] == doctest::Approx(yb.data()[i]).epsilon(1e-12));
      positive += yb.data()[i] > 0;
    }
    CHECK(positive > ya.size() / 8);  // the ReLU left enough values to compare
    CHECK(positive < ya.size());      // and cut some
    CHECK_THROWS_AS(fused.backward(ya), sjmt::value_error);  // inference has no backward
  }
}

TEST_CASE("basic_block: the zero-padded shortcut (option A) has no parameters and passes finite differences") {
  std::mt19937_64 rng(21);
  using block_a = sjmt::basic_block<B, double, sjmt::zero_pad_shortcut>;
  block_a identity(be, 3, 3, 1, rng);
  CHECK_FALSE(identity.changes_shape());
  block_a pad(be, 3, 5, 2, rng);
  CHECK(pad.changes_shape());
  CHECK_FALSE(pad.has_projection());
  sjmt_test::params ps;
  pad.collect(ps, "");
  for (const auto& p : ps) CHECK_FALSE(p.name.starts_with("shortcut."));
  CHECK(ps.size() == 1 + 4 + 1 + 4);  // conv1 (no bias), bn1 (gamma, beta, 2 running), conv2, bn2
  auto x = random_tensor({2, 5, 5, 3}, rng);  // odd: conv and subsampling must agree on ceil(5 / 2) = 3
  CHECK(pad.forward(x, mode::train).shape() == sjmt::shape4{2, 3, 3, 5});
  CHECK(check_layer_gradients(pad, x, {.samples = 16}) > 16);
  CHECK(check_layer_gradients(identity, x, {.samples = 12}) > 12);
  // Channels can only grow: option A cannot narrow a block.
  CHECK_THROWS_AS(block_a(be, 5, 3, 2, rng), sjmt::value_error);
}

TEST_CASE("resnet_cifar: ResNet-8 parameter counts, options A and B; the issue's 78,339 and 75,587") {
  // Option A drops the two projections (16x32 and 32x64 1x1 filters) and their
  // batch norms: 512 + 64 + 2,048 + 128 = 2,752 trainable values, at any depth.
  // Trunk (option A), 3-channel input: stem 432 + 32; stage 1: 2 x 2,304 + 64;
  // stage 2: 4,608 + 9,216 + 128; stage 3: 18,432 + 36,864 + 256 = 74,640.
  std::mt19937_64 rng(22);
  sjmt::resnet_cifar<B, float, 8, sjmt::zero_pad_shortcut> trunk_a(be, rng);
  CHECK(trainable_values(trunk_a) == 74'640);
  sjmt::resnet_cifar<B, float, 8> trunk_b(be, rng);
  CHECK(trainable_values(trunk_b) == 74'640 + 2'752);

  // The paper trainer's Table 2 network: RGB 32x32 input, one joint head of
  // 7 emotions + 11 AUs (18 x 64 + 18 = 1,170).
  using t2_b = sjmt::network<sjmt::resnet_cifar<B, float, 8>, sjmt::joint_head<B, float, table2_layout>>;
  using t2_a = sjmt::network<sjmt::resnet_cifar<B, float, 8, sjmt::zero_pad_shortcut>,
                             sjmt::joint_head<B, float, table2_layout>>;
  t2_b b(be, rng);
  t2_a a(be, rng);
  CHECK(trainable_values(b) == 78'562);
  CHECK(trainable_values(a) == 75'810);

  // Issue 14's figures, 78,339 and 75,587, are 2,752 apart too, but belong to
  // no RGB network: they are those of a grey (1-channel, stem 144 + 32) input
  // with a joint head of 19 outputs, 19 x 64 + 19 = 1,235: Table 4's SJMT
  // layout (8 compound emotions + 11 AUs).
  using t4_layout = sjmt::joint_layout<sjmt::spaces::compound_emotion, sjmt::spaces::emotionet_aus>;
  using t4_b = sjmt::network<sjmt::resnet_cifar<B, float, 8>, sjmt::joint_head<B, float, t4_layout>>;
  using t4_a = sjmt::network<sjmt::resnet_cifar<B, float, 8, sjmt::zero_pad_shortcut>,
                             sjmt::joint_head<B, float, t4_layout>>;
  t4_b grey_b(be, rng, {.in_channels = 1});
  t4_a grey_a(be, rng, {.in_channels = 1});
  CHECK(trainable_values(grey_b) == 78'339);
  CHECK(trainable_values(grey_a) == 75'587);
}

/// A whole network (trunk and head) against finite differences, 6 samples per tensor, no input
/// gradient (the head's backward returns none); the number of coordinates compared.
template <class Net>
std::size_t check_whole_network(Net& net, sjmt_test::tensor& x, sjmt_test::params& ps) {
  return sjmt_test::check_gradients(
      [&](const sjmt_test::tensor& in) -> const sjmt_test::tensor& { return net.forward(in, mode::train); },
      [&](const sjmt_test::tensor& dy) -> const sjmt_test::tensor& {
        net.backward(dy);
        return dy;
      },
      x, ps, {.samples = 6, .check_input = false});
}

TEST_CASE("network: ResNet-8 with option-A shortcuts and a joint head passes a whole-model finite-difference check") {
  std::mt19937_64 rng(23);
  sjmt::network<sjmt::resnet_cifar<B, double, 8, sjmt::zero_pad_shortcut>, sjmt::joint_head<B, double, layout>> net(
      be, rng);
  sjmt_test::params ps;
  net.collect(ps);
  for (const auto& p : ps) CHECK(p.name.find("shortcut") == std::string::npos);
  auto x = random_tensor({2, 8, 8, 3}, rng);
  CHECK(net.forward(x, mode::train).shape() == sjmt::shape4{2, 1, 1, 11});
  CHECK(check_whole_network(net, x, ps) >= 6 * 20);
  // And the input gradient through both subsampling shortcuts (ResNet-14: blocks that share scratch).
  sjmt::resnet_cifar<B, double, 14, sjmt::zero_pad_shortcut> trunk(be, rng, 3, true);
  sjmt_test::params tps;
  trunk.collect(tps, "");
  CHECK(check_gradients([&](const sjmt_test::tensor& in) -> const sjmt_test::tensor& { return trunk.forward(in, mode::train); },
                        [&](const sjmt_test::tensor& dy) -> const sjmt_test::tensor& { return trunk.backward(dy); }, x,
                        tps, {.samples = 4}) >= 16 + 4 * 26);
}

TEST_CASE("resnet_cifar: depth 6n+2 has n blocks per stage and 64 features") {
  std::mt19937_64 rng(12);
  sjmt::resnet_cifar<B, float, 20> r20(be, rng);
  CHECK(r20.blocks_per_stage == 3);
  sjmt::parameter_list<B, float> ps;
  r20.collect(ps, "");
  std::size_t weights = 0, convs = 0;
  for (const auto& p : ps)
    if (p.grad) {
      weights += p.value->size();
      convs += p.name.ends_with("conv1.weight") || p.name.ends_with("conv2.weight");
    }
  CHECK(convs == 1 + 2 * 9);  // stem + two per block
  // Trainable values, counted by hand: stem 432 + 32; stage 1: 3 x (2 x 2304 + 64);
  // stage 2: (4608 + 9216 + 128 + 512 + 64) + 2 x (2 x 9216 + 128);
  // stage 3: (18432 + 36864 + 256 + 2048 + 128) + 2 x (2 x 36864 + 256).
  CHECK(weights == 464 + 14'016 + 51'648 + 205'696);
  const auto x = sjmt::make_host_tensor<float>({2, 32, 32, 3}, 0.5f);
  CHECK(r20.forward(x, mode::train).shape() == sjmt::shape4{2, 1, 1, 64});
  CHECK(ps.front().name == "conv1.weight");
  CHECK(ps.back().name == "layer3.2.bn2.running_var");
}

TEST_CASE("network: ResNet-8 with a joint head passes a whole-model finite-difference check") {
  std::mt19937_64 rng(13);
  sjmt::network<sjmt::resnet_cifar<B, double, 8>, sjmt::joint_head<B, double, layout>> net(be, rng);
  sjmt_test::params ps;
  net.collect(ps);
  CHECK(ps.front().name == "trunk.conv1.weight");
  CHECK(ps.back().name == "head.fc.bias");
  auto x = random_tensor({2, 8, 8, 3}, rng);
  CHECK(net.forward(x, mode::train).shape() == sjmt::shape4{2, 1, 1, 11});
  CHECK(check_whole_network(net, x, ps) >= 6 * 20);
}

TEST_CASE("resnet_cifar: the input gradient is available on request") {
  std::mt19937_64 rng(14);
  sjmt::resnet_cifar<B, double, 8> trunk(be, rng, 3, true);
  auto x = random_tensor({2, 8, 8, 3}, rng);
  sjmt_test::params none;
  CHECK(check_gradients([&](const sjmt_test::tensor& in) -> const sjmt_test::tensor& { return trunk.forward(in, mode::train); },
                        [&](const sjmt_test::tensor& dy) -> const sjmt_test::tensor& { return trunk.backward(dy); }, x,
                        none, {.samples = 16}) == 16);
}

TEST_CASE("dataset_heads: one head per dataset, sized by what it annotates, writing its columns of layout rows") {
  using heads_t = sjmt::dataset_heads<B, double, domains>;
  std::mt19937_64 rng(15);
  heads_t heads(be, 64, rng);
  REQUIRE(heads.partition().groups.size() == 2);
  CHECK(heads.partition().groups[0].columns.size() == 7);
  CHECK(heads.partition().groups[1].columns.size() == 4);
  CHECK(heads.partition().groups[1].columns.front() == 7);
  auto f = random_tensor({3, 1, 1, 64}, rng);
  CHECK(heads.forward(f, mode::train).shape() == sjmt::shape4{3, 1, 1, 11});
  sjmt_test::params ps;
  heads.collect(ps, "");
  REQUIRE(ps.size() == 4);
  CHECK(ps[0].name == "sfew.weight");
  CHECK(ps[0].group == 0);
  CHECK(ps[3].name == "emotionet.bias");
  CHECK(ps[3].group == 1);
  // Datasets that annotate the same output cannot have heads that are slices of one output.
  using both = sjmt::dataset<"both", emotion>;
  using overlapping = sjmt::dataset_union<layout, sfew, both>;
  CHECK_THROWS_WITH_AS(sjmt::dataset_head_layout<overlapping>(), doctest::Contains("both annotate output emotion/"),
                       sjmt::value_error);
  CHECK(sjmt_test::check_gradients(
            [&](const sjmt_test::tensor& in) -> const sjmt_test::tensor& { return heads.forward(in, mode::train); },
            [&](const sjmt_test::tensor& dy) -> const sjmt_test::tensor& { return heads.backward(dy); }, f, ps) ==
        24 + 24 + 7 + 24 + 4);
  // A backward that reaches only head 1 leaves head 0's gradients as they were.
  const sjmt_test::tensor g0 = *ps[0].grad;
  auto dy = random_tensor({3, 1, 1, 11}, rng);
  heads.backward(dy, [](int group) { return group == 1; });
  CHECK(*ps[0].grad == g0);
}

TEST_CASE("vgg16: 13 convolutions and two fully connected layers (the head is the third), 32x32 -> 4096 features") {
  std::mt19937_64 rng(16);
  sjmt::vgg16<B, float> vgg(be, rng);  // the original's width, 4096
  static_assert(sjmt::vgg16<B, float>::features == 4096);
  sjmt::parameter_list<B, float> ps;
  vgg.collect(ps, "");
  std::size_t convs = 0, fcs = 0, weights = 0;
  for (const auto& p : ps) {
    convs += p.name.ends_with("conv.weight");
    fcs += p.name.starts_with("classifier.") && p.name.ends_with(".weight");
    if (p.grad) weights += p.value->size();
  }
  CHECK(convs == 13);
  CHECK(fcs == 2);
  CHECK(ps.back().name == "classifier.3.bias");
  // conv weights (no bias) + BN gamma/beta + 512 -> 4096 + 4096 -> 4096 (weights and biases)
  CHECK(weights == 14'710'464 + 2 * 4224 + (512 * 4096 + 4096) + (4096 * 4096 + 4096));
  const auto x = sjmt::make_host_tensor<float>({2, 32, 32, 3}, 0.25f);
  CHECK(vgg.forward(x, mode::train).shape() == sjmt::shape4{2, 1, 1, 4096});
  vgg.backward(sjmt::make_host_tensor<float>({2, 1, 1, 4096}, 1.0f));
  double first = 0;
  for (float g : *ps.front().grad) first += std::abs(g);
  CHECK(first > 0);
  // Dropout: about half of the 4096 features are 0 in training, none in inference.
  const auto& train = vgg.forward(x, mode::train);
  std::size_t zeros = 0;
  for (float v : train) zeros += v == 0.f;
  CHECK(zeros > 1500);
  const auto& infer = vgg.forward(x, mode::infer);
  std::size_t zeros_infer = 0;
  for (float v : infer) zeros_infer += v == 0.f;
  CHECK(zeros_infer < zeros);
  // The paper trainer's width: 512 (nn/vgg16.hpp says why).
  sjmt::vgg16<B, float, 512> narrow(be, rng);
  CHECK(trainable_values(narrow) == 14'710'464 + 2 * 4224 + 2 * (512 * 512 + 512));
}

TEST_CASE("network: VGG-16 with a joint head passes a whole-model finite-difference check, dropout masks fixed") {
  // The real 13 convolutions at 32x32 (five poolings), the hidden fully
  // connected layers narrowed to 8 so that the check stays short; both
  // dropouts (p = 0.5) draw their masks from a fixed seed before every forward.
  // A forward in double costs a few tenths of a second here, so the probes are
  // the tensors at both ends and in the new classifier: the first
  // convolution's gradient has passed back through every layer.
  std::mt19937_64 rng(24);
  sjmt::network<sjmt::vgg16<B, double, 8>, sjmt::joint_head<B, double, layout>> net(be, rng);
  sjmt_test::params all, probed;
  net.collect(all);
  for (const auto& p : all)
    for (const char* name : {"trunk.features.0.conv.weight", "trunk.features.0.bn.weight", "trunk.features.12.conv.weight",
                             "trunk.features.12.bn.bias", "trunk.classifier.0.weight", "trunk.classifier.0.bias",
                             "trunk.classifier.3.weight", "head.fc.weight", "head.fc.bias"})
      if (p.name == name) probed.push_back(p);
  REQUIRE(probed.size() == 9);
  auto x = random_tensor({2, 32, 32, 3}, rng);
  const auto forward = [&](const sjmt_test::tensor& in) -> const sjmt_test::tensor& {
    net.trunk().reseed_dropout(7);
    return net.forward(in, mode::train);
  };
  CHECK(forward(x).shape() == sjmt::shape4{2, 1, 1, 11});
  const auto compared = sjmt_test::check_gradients(
      forward,
      [&](const sjmt_test::tensor& dy) -> const sjmt_test::tensor& {
        net.backward(dy);
        return dy;
      },
      x, probed, {.samples = 2, .check_input = false});
  CHECK(compared == 9 * 2);
}

TEST_CASE("vgg16: the dropout masks are those of the training step (begin_step), whatever ran before") {
  // What makes a resumed VGG run draw the masks of an uninterrupted one: the
  // trainer calls begin_step(step) before every step (train/trainer.hpp).
  std::mt19937_64 rng_a(26), rng_b(26);
  sjmt::model<B, float> a(be, {.arch = "vgg16", .fc_width = 512}, sjmt::joint_head_layout<layout>(), rng_a);
  sjmt::model<B, float> b(be, {.arch = "vgg16", .fc_width = 512}, sjmt::joint_head_layout<layout>(), rng_b);
  const auto x = sjmt::make_host_tensor<float>({2, 32, 32, 3}, 0.5f);
  for (std::uint64_t step = 0; step < 5; ++step) {  // a: steps 0..4 run; b: none
    a.begin_step(step);
    a.forward(x, mode::train);
  }
  a.begin_step(5);
  b.begin_step(5);
  const sjmt::host_tensor<float> ya = a.forward(x, mode::train);
  CHECK(ya == b.forward(x, mode::train));
  b.begin_step(6);
  CHECK_FALSE(ya == b.forward(x, mode::train));  // another step, other masks
}

TEST_CASE("model_spec: names tell the shortcut and the width apart, and parse back") {
  sjmt::model_spec b{.arch = "resnet", .depth = 32};
  sjmt::model_spec a{.arch = "resnet", .depth = 32, .shortcut = sjmt::shortcut_kind::zero_pad};
  sjmt::model_spec v{.arch = "vgg16", .fc_width = 512};
  CHECK(b.name() == "resnet_cifar-32");  // unchanged: existing checkpoints keep loading
  CHECK(a.name() == "resnet_cifar-32a");
  CHECK(v.name() == "vgg16-fc512");
  CHECK(sjmt::model_spec{.arch = "vgg16"}.name() == "vgg16-fc4096");
  for (const auto& s : {a, b, v}) {
    const auto parsed = sjmt::parse_model_spec(s.name());
    REQUIRE(parsed);
    CHECK(parsed->name() == s.name());
  }
  CHECK_FALSE(sjmt::parse_model_spec("vgg16"));  // the VGG without fully connected layers is gone
  CHECK_FALSE(sjmt::parse_model_spec("resnet_cifar-"));
  CHECK_FALSE(sjmt::parse_model_spec("resnet_cifar-32b"));
  // A run-time model of each kind draws the same weights as the network type of the same seed.
  std::mt19937_64 rng_m(25), rng_n(25);
  sjmt::model<B, float> m(be, a, sjmt::joint_head_layout<layout>(), rng_m);
  sjmt::network<sjmt::resnet_cifar<B, float, 32, sjmt::zero_pad_shortcut>, sjmt::joint_head<B, float, layout>> n(be,
                                                                                                             rng_n);
  sjmt::parameter_list<B, float> pm, pn;
  m.collect(pm);
  n.collect(pn);
  REQUIRE(pm.size() == pn.size());
  for (std::size_t i = 0; i < pm.size(); ++i) {
    CHECK(pm[i].name == pn[i].name);
    CHECK(*pm[i].value == *pn[i].value);
  }
  CHECK(m.name() == "resnet_cifar-32a");
  const auto uncompiled_width = [&] {
    sjmt::model<B, float>(be, sjmt::model_spec{.arch = "vgg16", .fc_width = 100}, sjmt::joint_head_layout<layout>(),
                          rng_m);
  };
  CHECK_THROWS_AS(uncompiled_width(), sjmt::value_error);
}

TEST_CASE("resnet_cifar: blocks of a stage share gradient scratch and still pass finite differences") {
  // ResNet-14: two blocks per stage, so the second block's backward reuses the
  // scratch buffers the first one wrote (nn/basic_block.hpp, block_scratch).
  std::mt19937_64 rng(15);
  sjmt::resnet_cifar<B, double, 14> trunk(be, rng, 3, true);
  sjmt_test::params ps;
  trunk.collect(ps, "");
  auto x = random_tensor({2, 8, 8, 3}, rng);
  CHECK(check_gradients([&](const sjmt_test::tensor& in) -> const sjmt_test::tensor& { return trunk.forward(in, mode::train); },
                        [&](const sjmt_test::tensor& dy) -> const sjmt_test::tensor& { return trunk.backward(dy); }, x,
                        ps, {.samples = 4}) >= 4 * 30);
}

TEST_CASE("basic_block: backward through shared stage scratch equals backward with own buffers") {
  // Four identity blocks and then a projection block on one scratch: the identity
  // blocks' input gradients take turns in out[0] and out[1] (the third and fourth
  // write the buffers the first two wrote); each must match blocks with buffers of
  // their own, input gradient and every parameter gradient, bit for bit (a dx in
  // s.a or s.b, which the block's own backward uses, fails here).
  std::mt19937_64 rng_a(19), rng_b(19), rng(20);
  sjmt::block_scratch<B, double> scratch;
  std::vector<std::unique_ptr<sjmt::basic_block<B, double>>> shared, own;
  for (int i = 0; i < 4; ++i) {
    shared.push_back(std::make_unique<sjmt::basic_block<B, double>>(be, 4, 4, 1, rng_a, &scratch));
    own.push_back(std::make_unique<sjmt::basic_block<B, double>>(be, 4, 4, 1, rng_b));
  }
  sjmt::block_scratch<B, double> next;  // the projection block's own stage
  shared.push_back(std::make_unique<sjmt::basic_block<B, double>>(be, 4, 8, 2, rng_a, &next));
  own.push_back(std::make_unique<sjmt::basic_block<B, double>>(be, 4, 8, 2, rng_b));
  const auto x = random_tensor({2, 6, 6, 4}, rng);
  const auto dy = random_tensor({2, 3, 3, 8}, rng);
  const auto run = [&](auto& blocks) {
    const sjmt_test::tensor* h = &x;
    for (auto& b : blocks) h = &b->forward(*h, mode::train);
    const sjmt_test::tensor* g = &dy;
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) g = &(*it)->backward(*g);
    return *g;  // a copy: the shared one lives in the scratch
  };
  const auto dx_shared = run(shared), dx_own = run(own);
  REQUIRE(dx_shared.shape() == x.shape());
  CHECK(std::equal(dx_shared.begin(), dx_shared.end(), dx_own.begin()));
  for (std::size_t i = 0; i < shared.size(); ++i) {
    sjmt_test::params ps, po;
    shared[i]->collect(ps, "");
    own[i]->collect(po, "");
    REQUIRE(ps.size() == po.size());
    for (std::size_t j = 0; j < ps.size(); ++j) {
      if (!ps[j].grad) continue;
      CAPTURE(i);
      CAPTURE(ps[j].name);
      CHECK(std::equal(ps[j].grad->begin(), ps[j].grad->end(), po[j].grad->begin()));
    }
  }
}

TEST_CASE("basic_block: inference through shared stage scratch equals inference with own buffers") {
  // Two identity blocks and a projection block chained on one scratch: outputs
  // alternate between out[0] and out[1] and must match blocks without scratch.
  sjmt::block_scratch<B, double> scratch;
  std::mt19937_64 rng_a(16), rng_b(16);
  sjmt::basic_block<B, double> a1(be, 4, 4, 1, rng_a, &scratch), a2(be, 4, 4, 1, rng_a, &scratch), a3(be, 4, 4, 1, rng_a, &scratch);
  sjmt::basic_block<B, double> b1(be, 4, 4, 1, rng_b), b2(be, 4, 4, 1, rng_b), b3(be, 4, 4, 1, rng_b);
  std::mt19937_64 rng(17);
  auto x = random_tensor({2, 6, 6, 4}, rng);
  for (auto* blk : {&a1, &a2, &a3, &b1, &b2, &b3}) blk->forward(x, mode::train);  // running statistics move off 0/1
  const auto& ya = a3.forward(a2.forward(a1.forward(x, mode::infer), mode::infer), mode::infer);
  const auto& yb = b3.forward(b2.forward(b1.forward(x, mode::infer), mode::infer), mode::infer);
  REQUIRE(ya.shape() == yb.shape());
  for (std::size_t i = 0; i < ya.size(); ++i) CHECK(ya.data()[i] == doctest::Approx(yb.data()[i]).epsilon(1e-14));
  sjmt::block_scratch<B, double> scratch2;
  std::mt19937_64 rng_c(18), rng_d(18);
  sjmt::basic_block<B, double> pc(be, 4, 8, 2, rng_c, &scratch2), pd(be, 4, 8, 2, rng_d);
  pc.forward(x, mode::train);
  pd.forward(x, mode::train);
  const auto& yc = pc.forward(x, mode::infer);
  const auto& yd = pd.forward(x, mode::infer);
  REQUIRE(yc.shape() == yd.shape());
  for (std::size_t i = 0; i < yc.size(); ++i) CHECK(yc.data()[i] == doctest::Approx(yd.data()[i]).epsilon(1e-14));
}
