// Residual block, ResNet-CIFAR, VGG-16, heads: shapes, names, and
// finite-difference gradient checks of a basic block and of a whole ResNet-8.

#include <doctest/doctest.h>

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
  const auto compared = sjmt_test::check_gradients(
      [&](const sjmt_test::tensor& in) -> const sjmt_test::tensor& { return net.forward(in, mode::train); },
      [&](const sjmt_test::tensor& dy) -> const sjmt_test::tensor& {
        net.backward(dy);
        return dy;
      },
      x, ps, {.samples = 6, .check_input = false});
  CHECK(compared >= 6 * 20);
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

TEST_CASE("vgg16: 13 convolutions, 32x32 -> 512 features, gradients reach the first layer") {
  std::mt19937_64 rng(16);
  sjmt::vgg16<B, float> vgg(be, rng);
  sjmt::parameter_list<B, float> ps;
  vgg.collect(ps, "");
  std::size_t convs = 0, weights = 0;
  for (const auto& p : ps) {
    convs += p.name.ends_with("conv.weight");
    if (p.grad) weights += p.value->size();
  }
  CHECK(convs == 13);
  CHECK(weights == 14'710'464 + 2 * 4224);  // conv weights (no bias) + BN gamma/beta
  const auto x = sjmt::make_host_tensor<float>({2, 32, 32, 3}, 0.25f);
  CHECK(vgg.forward(x, mode::train).shape() == sjmt::shape4{2, 1, 1, 512});
  vgg.backward(sjmt::make_host_tensor<float>({2, 1, 1, 512}, 1.0f));
  double first = 0;
  for (float g : *ps.front().grad) first += std::abs(g);
  CHECK(first > 0);
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
