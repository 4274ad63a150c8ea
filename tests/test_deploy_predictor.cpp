// The predictor: a checkpoint the trainer wrote answers, per image, what the
// trainer's own evaluation computes (through sigmoid / softmax); another
// layout, a missing or corrupt file and a nameless model are clear errors;
// grey, RGBA, raw and odd-size inputs go through the training preprocessing;
// a batch equals its images one by one.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sjmt/sjmt.hpp>
#include <span>
#include <string>
#include <vector>

#include "temp_path.hpp"

namespace {

using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
using B = cpu_backend;
using net_type = model<B, float>;

/// doctest's Contains of a std::string.
doctest::Contains contains(const std::string& text) { return doctest::Contains(doctest::String(text.c_str())); }

float sigmoid(float z) { return 1.0f / (1.0f + std::exp(-z)); }

/// A ResNet-8 trained for a few steps on the synthetic domains, saved to `file`.
/// Returns the trainer's logits (rows x layout::size) of the first `n` sfew-like test images.
/// The sfew-like test images, enlarged to 57 x 45 so that the model input (32 x 32) is a resize.
data::sample_source test_source() {
  data::sample_source s = data::source(data::sfew_like(data::split::test, 1));
  return {s.size, [get = s.get](std::size_t i) {
            data::labelled_face f = get(i);
            f.picture = data::resize(f.picture, 57, 45);
            return f;
          }};
}

std::vector<float> train_and_save(const std::filesystem::path& file, std::size_t n, bool dataset_heads = false,
                                  std::string model_name = "-") {
  B be;
  std::mt19937_64 rng(11);
  net_type net(be, {.arch = "resnet", .depth = 8},
               dataset_heads ? dataset_head_layout<domains>() : joint_head_layout<layout>(), rng);
  trainer<domains, net_type> t(be, net, selective_loss<domains>(),
                               {.model_name = model_name == "-" ? net.name() : model_name});
  data::union_sampler<domains> s({data::source(data::sfew_like(data::split::train, 1)),
                                  data::source(data::emotionet_like(data::split::train, 1))},
                                 {.batch_size = 8, .proportions = {0.5, 0.5}, .seed = 3});
  for (int i = 0; i < 4; ++i) t.step(s.next());
  t.save(file);
  std::vector<float> logits;
  t.predict(test_source(), 0, {.batch = 4, .limit = n},
            [&](std::span<const float> z, const data::batch&) { logits.insert(logits.end(), z.begin(), z.end()); });
  return logits;
}

std::vector<data::image> test_pictures(std::size_t n) {
  const data::sample_source test = test_source();
  std::vector<data::image> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(test.get(i).picture);
  return out;
}

std::vector<float> joint_logits(const prediction<>& p) {
  std::vector<float> z;
  for (const auto& s : p.spaces) z.insert(z.end(), s.logits.begin(), s.logits.end());
  return z;
}

void check_close(const std::vector<float>& a, const std::vector<float>& b, double tolerance) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
  CHECK(worst <= tolerance);
}

}  // namespace

TEST_CASE("predictor: a trainer's checkpoint answers what the trainer's evaluation computes") {
  const std::filesystem::path dir = sjmt::test::unique_temp("predictor_parity");
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "model.safetensors";
  constexpr std::size_t n = 6;
  const std::vector<float> expected = train_and_save(file, n);
  REQUIRE(expected.size() == n * layout::size);
  const std::vector<data::image> pictures = test_pictures(n);
  REQUIRE(pictures[0].width() == 57);  // the predictor resizes, as read_batch does

  predictor<domains> p(file);
  CHECK(p.model_name() == "resnet_cifar-8");
  CHECK(p.spec().depth == 8);
  CHECK(p.spec().in_channels == 3);
  CHECK(p.metadata().step == 4);
  const std::vector<prediction<>> got = p.predict(std::span<const data::image>(pictures));
  REQUIRE(got.size() == n);
  for (std::size_t r = 0; r < n; ++r) {
    const prediction<>& g = got[r];
    REQUIRE(g.spaces.size() == 2);
    CHECK(g.width == pictures[r].width());
    const auto& emotion = g["emotion"];
    const auto& aus = g["aus"];
    CHECK(emotion.kind == kind::exclusive);
    CHECK(aus.kind == kind::multilabel);
    REQUIRE(emotion.values.size() == 7);
    REQUIRE(aus.values.size() == 11);
    const float* z = expected.data() + r * layout::size;
    std::size_t top = 0;
    for (std::size_t c = 0; c < 7; ++c) {
      CHECK(std::abs(emotion.logits[c] - z[c]) <= 1e-6);
      CHECK(std::abs(emotion.values[c] - sigmoid(z[c])) <= 1e-6);
      if (z[c] > z[top]) top = c;
    }
    CHECK(emotion.top == top);
    CHECK(emotion.top_class() == spaces::emotion::class_name(top));
    CHECK(emotion.probability(emotion.top_class()) == emotion.values[top]);
    for (std::size_t a = 0; a < 11; ++a) {
      CHECK(std::abs(aus.values[a] - sigmoid(z[7 + a])) <= 1e-6);
      CHECK(aus.active[a] == (aus.values[a] >= 0.5f));
      CHECK(aus.classes[a] == spaces::emotionet_aus::class_name(a));
    }
  }
  CHECK_THROWS_WITH_AS(got[0]["landmarks"], doctest::Contains("no label space 'landmarks'; the layout has emotion, aus"),
                       value_error);
  CHECK_THROWS_WITH_AS(got[0]["emotion"].probability("bored"), doctest::Contains("no class 'bored'"), value_error);

  // The layout alone opens a joint-head network; softmax makes a distribution with the same top class.
  predictor<layout> q(file, {.exclusive = exclusive_rule::softmax, .threshold = 0.25});
  const prediction<> s = q.predict(pictures[1]);
  double sum = 0;
  for (float v : s["emotion"].values) sum += v;
  CHECK(std::abs(sum - 1.0) < 1e-6);
  CHECK(s["emotion"].top == got[1]["emotion"].top);
  for (std::size_t a = 0; a < 11; ++a) CHECK(s["aus"].active[a] == (s["aus"].values[a] >= 0.25f));
  check_close(joint_logits(s), joint_logits(got[1]), 1e-6);
  std::filesystem::remove_all(dir);
}

TEST_CASE("predictor: per-dataset heads need the union; a nameless checkpoint needs the model named") {
  const std::filesystem::path dir = sjmt::test::unique_temp("predictor_heads");
  std::filesystem::create_directories(dir);
  const std::filesystem::path heads = dir / "heads.safetensors", nameless = dir / "nameless.safetensors";
  const std::vector<float> expected = train_and_save(heads, 2, true);
  const std::vector<data::image> pictures = test_pictures(2);
  predictor<domains> p(heads);
  CHECK(p.model_name() == "resnet_cifar-8+heads");
  check_close(joint_logits(p.predict(pictures[1])),
              std::vector<float>(expected.begin() + layout::size, expected.end()), 1e-6);
  CHECK_THROWS_WITH_AS(predictor<layout>{heads}, doctest::Contains("with per-dataset heads; instantiate the predictor with the dataset union"),
                       value_error);

  const std::vector<float> plain = train_and_save(nameless, 1, false, "");
  CHECK_THROWS_WITH_AS(predictor<domains>{nameless},
                       contains(nameless.string() + " holds no model name"), value_error);
  predictor<domains> named(nameless, {.model = "resnet_cifar-8"});
  check_close(joint_logits(named.predict(pictures[0])), plain, 1e-6);
  CHECK_THROWS_WITH_AS((predictor<domains>{nameless, {.model = "resnet_cifar-9"}}),
                       doctest::Contains("ResNet depth 9 is not compiled in"), value_error);
  CHECK_THROWS_WITH_AS((predictor<domains>{nameless, {.model = "alexnet"}}),
                       doctest::Contains("holds model 'alexnet', expected resnet_cifar-<depth> (resnet_cifar-<depth>a: option-A shortcuts) or vgg16-fc<width>"), value_error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("predictor: another layout, a missing file and a corrupt one are refused by name") {
  const std::filesystem::path dir = sjmt::test::unique_temp("predictor_errors");
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "model.safetensors";
  train_and_save(file, 1);

  using other = joint_layout<spaces::emotion>;
  std::string wrong_layout = "checkpoint ";
  wrong_layout += file.string();
  wrong_layout += " holds a network of layout '";
  wrong_layout += layout_fingerprint<layout>();
  wrong_layout += "', this predictor is for layout '";
  wrong_layout += layout_fingerprint<other>();
  wrong_layout += "'";
  CHECK_THROWS_WITH_AS(predictor<other>{file},
                       contains(wrong_layout),
                       value_error);
  CHECK(layout_fingerprint<layout>() == "emotion:exclusive:7;aus:multilabel:11");

  const std::filesystem::path missing = dir / "missing.safetensors";
  CHECK_THROWS_WITH_AS(predictor<domains>{missing}, contains(missing.string()), io_error);

  const std::filesystem::path corrupt = dir / "corrupt.safetensors";
  {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes.resize(bytes.size() / 2);  // truncated
    std::ofstream(corrupt, std::ios::binary) << bytes;
  }
  CHECK_THROWS_WITH_AS(predictor<domains>{corrupt}, contains(corrupt.string()), io_error);
  {
    std::ofstream(corrupt, std::ios::binary | std::ios::trunc) << "not a checkpoint at all";
  }
  CHECK_THROWS_WITH_AS(predictor<domains>{corrupt}, contains(corrupt.string()), io_error);

  predictor<domains> p(file);
  const std::filesystem::path not_image = dir / "face.png";
  std::ofstream(not_image, std::ios::binary) << "garbage";
  CHECK_THROWS_WITH_AS(p.predict(not_image), contains(not_image.string() + ": cannot decode image"), io_error);
  CHECK_THROWS_WITH_AS(p.predict(dir / "nope.png"), doctest::Contains("nope.png: cannot decode image (no such file)"),
                       io_error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("predictor: grey, RGBA, raw buffers, files and odd sizes go through the training preprocessing") {
  const std::filesystem::path dir = sjmt::test::unique_temp("predictor_inputs");
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "model.safetensors";
  train_and_save(file, 1);
  predictor<domains> p(file);
  const data::image rgb = test_pictures(1)[0];

  // What the network sees is fit_to_input's picture, at the model input.
  data::labelled_face f;
  f.picture = rgb;
  data::fit_to_input(f, 3, 32, 32);
  CHECK(p.preprocess(rgb) == f.picture);

  // RGBA: alpha is dropped, whatever it holds.
  const std::vector<std::uint8_t> bytes = data::to_bytes(rgb);
  std::vector<std::uint8_t> rgba;
  for (std::size_t i = 0; i < bytes.size(); i += 3)
    rgba.insert(rgba.end(), {bytes[i], bytes[i + 1], bytes[i + 2], static_cast<std::uint8_t>(i % 251)});
  const prediction<> from_rgba = p.predict(std::span<const std::uint8_t>(rgba), rgb.width(), rgb.height(), 4);
  const prediction<> from_rgb = p.predict(std::span<const std::uint8_t>(bytes), rgb.width(), rgb.height(), 3);
  CHECK(joint_logits(from_rgba) == joint_logits(from_rgb));

  // A file of the same bytes decodes to the same image, so to the same answer.
  const std::filesystem::path png = dir / "face.png";
  data::write_png(png, rgb);
  CHECK(joint_logits(p.predict(png)) == joint_logits(from_rgb));

  // Grey: replicated to RGB, as the loaders' fit_to_input does.
  const data::image grey = data::to_grey(rgb);
  CHECK(joint_logits(p.predict(grey)) == joint_logits(p.predict(data::to_rgb(grey))));
  const std::vector<std::uint8_t> grey_bytes = data::to_bytes(grey);
  const prediction<> from_grey = p.predict(std::span<const std::uint8_t>(grey_bytes), grey.width(), grey.height(), 1);
  CHECK(from_grey.width == grey.width());
  std::vector<std::uint8_t> grey_alpha;
  for (std::uint8_t v : grey_bytes) grey_alpha.insert(grey_alpha.end(), {v, std::uint8_t(255)});
  CHECK(joint_logits(p.predict(std::span<const std::uint8_t>(grey_alpha), grey.width(), grey.height(), 2)) ==
        joint_logits(from_grey));

  // Odd sizes, larger and smaller than the input; landmarks-free layout: no points.
  for (const auto& [w, h] : {std::pair{37, 23}, std::pair{5, 9}, std::pair{301, 199}}) {
    const prediction<> r = p.predict(data::resize(rgb, w, h));
    CHECK(r.width == w);
    CHECK(r.height == h);
    for (float v : r["aus"].values) CHECK((v > 0.f && v < 1.f));
    CHECK(r["aus"].points.empty());
  }

  CHECK_THROWS_WITH_AS(p.predict(std::span<const std::uint8_t>(bytes), rgb.width(), rgb.height() + 1, 3),
                       doctest::Contains("values for"), value_error);
  CHECK_THROWS_WITH_AS(p.predict(std::span<const std::uint8_t>(bytes), rgb.width(), rgb.height(), 5),
                       doctest::Contains("5 channels"), value_error);
  CHECK_THROWS_WITH_AS(p.predict(data::image()), doctest::Contains("the image is empty"), value_error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("predictor: a batch equals its images one by one") {
  const std::filesystem::path dir = sjmt::test::unique_temp("predictor_batch");
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "model.safetensors";
  train_and_save(file, 1);
  predictor<domains> p(file, {.batch = 3});  // 7 images: forwards of 3, 3 and 1
  std::vector<data::image> pictures = test_pictures(5);
  pictures.push_back(data::to_grey(pictures[0]));
  pictures.push_back(data::resize(pictures[1], 45, 17));
  const std::vector<prediction<>> batch = p.predict(std::span<const data::image>(pictures));
  REQUIRE(batch.size() == pictures.size());
  for (std::size_t i = 0; i < pictures.size(); ++i) {
    const prediction<> one = p.predict(pictures[i]);
    check_close(joint_logits(batch[i]), joint_logits(one), 1e-6);
    CHECK(batch[i].width == pictures[i].width());
    CHECK(batch[i]["emotion"].top == one["emotion"].top);
  }
  CHECK(p.predict(std::span<const data::image>()).empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("predictor: coordinate spaces come back in the input image's pixels") {
  using with_points = joint_layout<spaces::emotion, spaces::landmarks68>;
  using with_points_domains = dataset_union<with_points, datasets::sfew>;
  const std::filesystem::path dir = sjmt::test::unique_temp("predictor_points");
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "model.safetensors";
  {
    B be;
    std::mt19937_64 rng(2);
    net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<with_points>(), rng);
    trainer<with_points_domains, net_type> t(be, net, selective_loss<with_points_domains>(), {.model_name = net.name()});
    t.save(file);
  }
  predictor<with_points> p(file);
  const data::image img = data::resize(test_pictures(1)[0], 64, 48);
  const prediction<> r = p.predict(img);
  const auto& lm = r["landmarks"];
  CHECK(lm.kind == kind::regression);
  REQUIRE(lm.values.size() == 136);
  REQUIRE(lm.points.size() == 68);
  CHECK(lm.values == lm.logits);
  for (std::size_t i = 0; i < 68; ++i) {
    CHECK(lm.points[i].x == doctest::Approx(lm.values[2 * i] * 64.f));
    CHECK(lm.points[i].y == doctest::Approx(lm.values[2 * i + 1] * 48.f));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("predictor: a spatial landmark head (+points) answers what the trainer computes") {
  using with_points = joint_layout<spaces::emotion, spaces::landmarks68>;
  using with_points_domains = dataset_union<with_points, datasets::sfew>;
  const std::filesystem::path dir = sjmt::test::unique_temp("predictor_spatial");
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "model.safetensors";
  std::vector<float> expected;
  {
    B be;
    std::mt19937_64 rng(5);
    net_type net(be, {.arch = "resnet", .depth = 8}, with_spatial_points<with_points>(joint_head_layout<with_points>()),
                 rng);
    REQUIRE(net.name() == "resnet_cifar-8+points");
    trainer<with_points_domains, net_type> t(be, net, selective_loss<with_points_domains>(), {.model_name = net.name()});
    data::union_sampler<with_points_domains> s({data::source(data::sfew_like(data::split::train, 1))},
                                               {.batch_size = 8, .seed = 3});
    for (int i = 0; i < 2; ++i) t.step(s.next());
    t.save(file);
    t.predict(test_source(), 0, {.batch = 2, .limit = 2},
              [&](std::span<const float> z, const data::batch&) { expected.insert(expected.end(), z.begin(), z.end()); });
  }
  predictor<with_points> p(file);
  CHECK(p.model_name() == "resnet_cifar-8+points");
  const std::vector<data::image> pictures = test_pictures(2);
  std::vector<float> got;
  for (const data::image& img : pictures) {
    const prediction<> r = p.predict(img);
    const std::vector<float> z = joint_logits(r);
    got.insert(got.end(), z.begin(), z.end());
    // Soft-argmax coordinates are averages of cell centres: inside the crop.
    for (float v : r["landmarks"].values) {
      CHECK(v > 0.0f);
      CHECK(v < 1.0f);
    }
  }
  check_close(got, expected, 1e-6);
  // The name says how the head was built: the same file under a plain name loads the wrong tensors.
  CHECK_THROWS_AS((predictor<with_points>{file, {.model = "resnet_cifar-8"}}), value_error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("predictor: the input size and the exclusive rule come from what the trainer recorded") {
  const std::filesystem::path dir = sjmt::test::unique_temp("predictor_metadata");
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "model.safetensors";
  train_and_save(file, 1);
  const io::safetensors_contents contents = io::read_safetensors(file);
  REQUIRE(contents.find_metadata("sjmt.input") != nullptr);
  REQUIRE(contents.find_metadata("sjmt.loss") != nullptr);
  CHECK(*contents.find_metadata("sjmt.input") == "32x32x3");
  CHECK(*contents.find_metadata("sjmt.loss") == "selective_loss");
  const predictor<domains> p(file);
  CHECK(p.input().height == 32);
  CHECK(p.exclusive() == exclusive_rule::sigmoid);
  CHECK(p.metadata().input == "32x32x3");

  // The same weights recorded as a selective-softmax network of 24 x 20 inputs.
  const auto rewrite = [&](const std::string& input, const std::string& loss) {
    io::safetensors_contents edited = contents;
    for (auto& [key, value] : edited.metadata) {
      if (key == "sjmt.input") value = input;
      if (key == "sjmt.loss") value = loss;
    }
    const std::filesystem::path out = dir / "edited.safetensors";
    io::write_safetensors(out, edited);
    return out;
  };
  const std::filesystem::path edited = rewrite("24x20x3", "selective_softmax_loss");
  const predictor<domains> q(edited);
  CHECK(q.input().height == 24);
  CHECK(q.input().width == 20);
  CHECK(q.exclusive() == exclusive_rule::softmax);
  const predictor<domains> asked(edited, {.exclusive = exclusive_rule::sigmoid, .height = 32, .width = 32});
  CHECK(asked.input().height == 32);  // what the caller says wins
  CHECK(asked.exclusive() == exclusive_rule::sigmoid);
  CHECK_THROWS_WITH_AS(predictor<domains>(rewrite("32by32", "selective_loss")),
                       contains("sjmt.input is '32by32', expected HxWxC"), io_error);
  std::filesystem::remove_all(dir);
}
