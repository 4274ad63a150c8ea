// Points read from the trunk's feature map: the soft-argmax op (known values,
// stability, finite differences), the soft_argmax_points layer, head layouts
// that move coordinate columns to the map (with_spatial_points), and whole
// ResNet-8 models with such heads against finite differences in double.

#include <doctest/doctest.h>

#include <cmath>

#include <sjmt/labels.hpp>
#include <sjmt/nn.hpp>

#include "gradient_check.hpp"

using sjmt::cpu_backend;
using sjmt::mode;
using sjmt_test::random_tensor;
using B = cpu_backend;

namespace {
B be;

using emotion = sjmt::label_space<"emotion", sjmt::kind::exclusive, "neutral", "happiness", "surprise">;
using pts = sjmt::coordinate_space<"pts", 3>;
using layout = sjmt::joint_layout<emotion, pts>;
using faces = sjmt::dataset<"faces", emotion>;
using points_only = sjmt::dataset<"points", pts>;
using domains = sjmt::dataset_union<layout, faces, points_only>;

/// A whole model against finite differences (6 samples per tensor, no input gradient).
std::size_t check_model(sjmt::model<B, double>& net, sjmt_test::tensor& x) {
  sjmt_test::params ps;
  net.collect(ps);
  return sjmt_test::check_gradients(
      [&](const sjmt_test::tensor& in) -> const sjmt_test::tensor& { return net.forward(in, mode::train); },
      [&](const sjmt_test::tensor& dy) -> const sjmt_test::tensor& {
        net.backward(dy);
        return dy;
      },
      x, ps, {.samples = 6, .check_input = false});
}
}  // namespace

TEST_CASE("soft_argmax: known values on a 2x2 map, the cell centres' expectation") {
  // Map 0: logits (0, ln 3; 0, 0) -> p = (1/6, 1/2; 1/6, 1/6); map 1 flat -> the centre.
  sjmt::host_tensor<double> z({1, 2, 2, 2});
  z.fill(0.0);
  z(0, 0, 1, 0) = std::log(3.0);
  sjmt::host_tensor<double> p, y;
  sjmt::ops::soft_argmax_forward(be, z, p, y);
  REQUIRE(y.shape() == sjmt::shape4{1, 1, 1, 4});
  CHECK(p(0, 0, 0, 0) == doctest::Approx(1.0 / 6).epsilon(1e-14));
  CHECK(p(0, 0, 1, 0) == doctest::Approx(0.5).epsilon(1e-14));
  CHECK(p(0, 1, 1, 1) == doctest::Approx(0.25).epsilon(1e-14));
  // x = 0.25 (1/6 + 1/6) + 0.75 (1/2 + 1/6) = 7/12; y = 0.25 (1/6 + 1/2) + 0.75 (1/6 + 1/6) = 5/12.
  CHECK(y(0, 0, 0, 0) == doctest::Approx(7.0 / 12).epsilon(1e-14));
  CHECK(y(0, 0, 0, 1) == doctest::Approx(5.0 / 12).epsilon(1e-14));
  CHECK(y(0, 0, 0, 2) == doctest::Approx(0.5).epsilon(1e-14));
  CHECK(y(0, 0, 0, 3) == doctest::Approx(0.5).epsilon(1e-14));

  // dy = (1, 0) on map 0: dz = p (gx - x); at cell (0, 0): (1/6)(1/4 - 7/12) = -1/18.
  sjmt::host_tensor<double> dy({1, 1, 1, 4}), dz;
  dy.fill(0.0);
  dy(0, 0, 0, 0) = 1.0;
  sjmt::ops::soft_argmax_backward(be, p, y, dy, dz);
  CHECK(dz(0, 0, 0, 0) == doctest::Approx(-1.0 / 18).epsilon(1e-14));
  CHECK(dz(0, 0, 1, 0) == doctest::Approx(0.5 * (0.75 - 7.0 / 12)).epsilon(1e-14));
  CHECK(dz(0, 1, 1, 1) == 0.0);  // map 1 got no gradient
}

TEST_CASE("soft_argmax: a peaked map gives its cell's centre without overflow, in float too") {
  sjmt::host_tensor<float> z({2, 4, 8, 1});
  z.fill(0.0f);
  z(0, 3, 5, 0) = 1000.0f;   // image 0: one cell far above the rest
  z(1, 0, 0, 0) = -1000.0f;  // image 1: one cell far below the rest
  sjmt::host_tensor<float> p, y;
  sjmt::ops::soft_argmax_forward(be, z, p, y);
  CHECK(y(0, 0, 0, 0) == doctest::Approx(5.5 / 8));
  CHECK(y(0, 0, 0, 1) == doctest::Approx(3.5 / 4));
  CHECK(std::isfinite(y(1, 0, 0, 0)));
  CHECK(p(1, 0, 0, 0) == 0.0f);
}

TEST_CASE("soft_argmax: shapes are checked") {
  sjmt::host_tensor<double> z({1, 0, 3, 2}), p, y;
  CHECK_THROWS_AS(sjmt::ops::soft_argmax_forward(be, z, p, y), sjmt::shape_error);
  sjmt::host_tensor<double> good({1, 2, 2, 2});
  good.fill(0.0);
  sjmt::ops::soft_argmax_forward(be, good, p, y);
  sjmt::host_tensor<double> wrong({1, 1, 1, 3}), dz;
  CHECK_THROWS_WITH_AS(sjmt::ops::soft_argmax_backward(be, p, y, wrong, dz), doctest::Contains("dy"),
                       sjmt::shape_error);
}

TEST_CASE("soft_argmax_points: gradients match finite differences (map and heat-map filter)") {
  std::mt19937_64 rng(41);
  sjmt::soft_argmax_points<B, double> points(be, 5, 3, rng);
  auto map = random_tensor({2, 4, 3, 5}, rng);
  CHECK(points.forward(map, mode::train).shape() == sjmt::shape4{2, 1, 1, 6});
  sjmt_test::params ps;
  points.collect(ps, "head.", 4);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].name == "head.weight");
  CHECK(ps[0].group == 4);
  CHECK(ps[0].value->shape() == sjmt::shape4{1, 1, 5, 3});
  CHECK(sjmt_test::check_layer_gradients(points, map) == 24 + 15);
}

TEST_CASE("with_spatial_points: coordinate columns move to '<group>.points', other columns stay") {
  const sjmt::head_layout joint = sjmt::with_spatial_points<layout>(sjmt::joint_head_layout<layout>());
  REQUIRE(joint.groups.size() == 2);
  CHECK(joint.groups[0].name == "fc");
  CHECK(joint.groups[0].source == sjmt::head_source::features);
  CHECK(joint.groups[0].columns == std::vector<std::int32_t>{0, 1, 2});
  CHECK(joint.groups[1].name == "fc.points");
  CHECK(joint.groups[1].source == sjmt::head_source::map);
  CHECK(joint.groups[1].columns == std::vector<std::int32_t>{3, 4, 5, 6, 7, 8});
  CHECK(sjmt::reads_map(joint));
  CHECK_FALSE(sjmt::per_dataset(joint));

  const sjmt::head_layout per = sjmt::with_spatial_points<layout>(sjmt::dataset_head_layout<domains>());
  REQUIRE(per.groups.size() == 2);
  CHECK(per.groups[0].name == "faces");
  CHECK(per.groups[1].name == "points.points");  // the dataset "points", all of it read from the map
  CHECK(per.groups[1].group == 1);
  CHECK(sjmt::per_dataset(per));
  CHECK_THROWS_AS(sjmt::with_spatial_points<layout>(per), sjmt::value_error);  // already moved

  // A head of another layout, or an output outside it, is refused rather than read out of bounds.
  using other = sjmt::joint_layout<emotion>;
  CHECK_THROWS_WITH_AS(sjmt::with_spatial_points<layout>(sjmt::joint_head_layout<other>()),
                       doctest::Contains("a head of 3 outputs for a layout of 9"), sjmt::value_error);
  sjmt::head_layout wild = sjmt::joint_head_layout<layout>();
  wild.groups[0].columns.back() = 9;
  CHECK_THROWS_WITH_AS(sjmt::with_spatial_points<layout>(wild), doctest::Contains("writes output 9 of a layout of 9"),
                       sjmt::value_error);
}

TEST_CASE("sliced_head: a map group's outputs must be adjacent (x, y) pairs") {
  std::mt19937_64 rng(45);
  sjmt::head_layout h = sjmt::with_spatial_points<layout>(sjmt::joint_head_layout<layout>());
  std::swap(h.groups[1].columns[1], h.groups[1].columns[2]);  // x0, x1, y0, ...
  const auto build = [&] { sjmt::sliced_head<B, float> head(be, 64, h, rng, {}, 64); };
  CHECK_THROWS_WITH_AS(build(), doctest::Contains("expected the adjacent x, y of one point"), sjmt::value_error);
}

TEST_CASE("model: ResNet-8 with points read from the map passes a whole-model finite-difference check") {
  std::mt19937_64 rng(42);
  sjmt::model<B, double> net(be, {.arch = "resnet", .depth = 8},
                             sjmt::with_spatial_points<layout>(sjmt::joint_head_layout<layout>()), rng);
  CHECK(net.name() == "resnet_cifar-8+points");
  sjmt_test::params ps;
  net.collect(ps);
  CHECK(ps.back().name == "head.fc.points.weight");
  auto x = random_tensor({2, 8, 8, 3}, rng);
  const auto& y = net.forward(x, mode::train);
  REQUIRE(y.shape() == sjmt::shape4{2, 1, 1, 9});
  for (std::size_t c = 3; c < 9; ++c) {  // points lie inside the map
    CHECK(y(0, 0, 0, c) > 0.0);
    CHECK(y(0, 0, 0, c) < 1.0);
  }
  CHECK(check_model(net, x) >= 6 * 21);
}

TEST_CASE("model: per-dataset heads with points; an idle dataset's points get no gradient and send none") {
  std::mt19937_64 rng(43);
  sjmt::model<B, double> net(be, {.arch = "resnet", .depth = 8, .shortcut = sjmt::shortcut_kind::zero_pad},
                             sjmt::with_spatial_points<layout>(sjmt::dataset_head_layout<domains>()), rng);
  CHECK(net.name() == "resnet_cifar-8a+heads+points");
  auto x = random_tensor({2, 8, 8, 3}, rng);
  CHECK(check_model(net, x) >= 6 * 15);

  sjmt_test::params ps;
  net.collect(ps);
  const auto points = std::find_if(ps.begin(), ps.end(), [](const auto& p) { return p.name == "head.points.points.weight"; });
  REQUIRE(points != ps.end());
  CHECK(points->group == 1);
  net.forward(x, mode::train);
  sjmt_test::tensor dy = random_tensor({2, 1, 1, 9}, rng);
  points->grad->fill(0.0);
  net.backward(dy, [](int group) { return group == 0; });  // only "faces" is in the batch
  for (double g : *points->grad) CHECK(g == 0.0);
}

TEST_CASE("model: a trunk without a map refuses a head that reads one, naming the group") {
  std::mt19937_64 rng(44);
  using net_type = sjmt::model<B, float>;
  const auto build = [&] {
    net_type net(be, {.arch = "vgg16", .fc_width = 512},
                 sjmt::with_spatial_points<layout>(sjmt::joint_head_layout<layout>()), rng);
  };
  CHECK_THROWS_WITH_AS(build(), doctest::Contains("'fc.points' reads the trunk's feature map"), sjmt::value_error);
}
