// ONNX export: the protobuf encoding and the batch-norm folding on known
// values; then checkpoints the trainer wrote (option-B and option-A ResNet-8,
// per-dataset heads, grey 48x48 input, softmax-trained, VGG-16) exported and
// run by two implementations that share no code with sjmt:
//   - OpenCV's DNN module (libopencv-dnn-dev), where the build found it;
//   - tests/onnx/check_onnx.py: the ONNX checker of python3-onnx and a numpy
//     evaluator of the graph's operators, where /usr/bin/python3 has onnx.
// Both must give the predictor's outputs on the same images to 1e-4. Each says
// SKIPPED, visibly, where its package is missing.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sjmt/deploy/onnx.hpp>
#include <sjmt/sjmt.hpp>
#include <span>
#include <string>
#include <vector>

#if SJMT_TEST_OPENCV_DNN
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#endif

#include "temp_path.hpp"

namespace {

using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
using B = cpu_backend;
using net_type = model<B, float>;

doctest::Contains contains(const std::string& text) { return doctest::Contains(doctest::String(text.c_str())); }

std::string hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ' ';
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

/// One exported case: how the network is built and trained.
struct export_case {
  std::string name{};
  model_spec spec{};
  bool dataset_heads = false;
  bool softmax = false;
  int channels = 3, size = 32;
};

/// Trains `c` for a few steps (so that the batch norms' running statistics are
/// not their initial 0 and 1) and saves it to `file`.
void train_and_save(const export_case& c, const std::filesystem::path& file) {
  B be;
  std::mt19937_64 rng(5);
  model_spec spec = c.spec;
  spec.in_channels = static_cast<std::size_t>(c.channels);
  net_type net(be, spec, c.dataset_heads ? dataset_head_layout<domains>() : joint_head_layout<layout>(), rng);
  union_loss<domains> loss = c.softmax ? union_loss<domains>(selective_softmax_loss<domains>())
                                       : union_loss<domains>(selective_loss<domains>());
  trainer<domains, net_type> t(be, net, loss, {.model_name = net.name()});
  data::union_sampler<domains> s({data::source(data::sfew_like(data::split::train, 1)),
                                  data::source(data::emotionet_like(data::split::train, 1))},
                                 {.batch_size = 6, .channels = c.channels, .height = c.size, .width = c.size,
                                  .proportions = {0.5, 0.5}, .seed = 3});
  for (int i = 0; i < 3; ++i) t.step(s.next());
  t.save(file);
}

/// Test pictures of odd sizes (so that the preprocessing resizes).
std::vector<data::image> pictures(std::size_t n) {
  const data::sample_source test = data::source(data::sfew_like(data::split::test, 1));
  std::vector<data::image> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(data::resize(test.get(i).picture, 57, 45));
  return out;
}

/// The preprocessed pictures as the ONNX input: (N, C, H, W).
template <class Spec>
std::vector<float> nchw(const predictor<Spec>& p, const std::vector<data::image>& images) {
  const data::input_shape in = p.input();
  const auto C = static_cast<std::size_t>(in.channels), H = static_cast<std::size_t>(in.height),
             W = static_cast<std::size_t>(in.width);
  std::vector<float> out;
  out.reserve(images.size() * C * H * W);
  for (const data::image& img : images) {
    const data::image x = p.preprocess(img);
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t y = 0; y < H; ++y)
        for (std::size_t xx = 0; xx < W; ++xx) out.push_back(x.pixels()[(y * W + xx) * C + c]);
  }
  return out;
}

/// Writes what the Python check reads: the input and each space's expected output.
template <class Spec>
void write_expected(const std::filesystem::path& file, const predictor<Spec>& p, const std::vector<float>& input,
                    const std::vector<prediction<>>& expected) {
  io::safetensors_contents contents;
  const data::input_shape in = p.input();
  const auto n = static_cast<std::uint64_t>(expected.size());
  auto put = [&](std::string name, std::vector<std::uint64_t> shape, std::span<const float> values) {
    io::safetensor t;
    t.name = std::move(name);
    t.dtype = "F32";
    t.shape = std::move(shape);
    t.data.resize(values.size() * 4);
    std::memcpy(t.data.data(), values.data(), t.data.size());
    contents.tensors.push_back(std::move(t));
  };
  put("input", {n, static_cast<std::uint64_t>(in.channels), static_cast<std::uint64_t>(in.height),
                static_cast<std::uint64_t>(in.width)},
      input);
  for (std::size_t s = 0; s < expected[0].spaces.size(); ++s) {
    std::vector<float> v;
    for (const prediction<>& r : expected) v.insert(v.end(), r.spaces[s].values.begin(), r.spaces[s].values.end());
    put(std::string(expected[0].spaces[s].name), {n, static_cast<std::uint64_t>(expected[0].spaces[s].values.size())}, v);
  }
  io::write_safetensors(file, contents);
}

bool python_has_onnx() {
  if (std::system("/usr/bin/python3 -c 'import onnx, numpy' > /dev/null 2>&1") == 0) return true;
  MESSAGE("SKIPPED: /usr/bin/python3 cannot import onnx and numpy (apt-get install python3-onnx); the ONNX "
          "checker and the numpy evaluation did not run");
  return false;
}

}  // namespace

/// tests/onnx/check_onnx.py on `onnx` against the expected outputs in `io_file`.
bool check_onnx(const std::filesystem::path& onnx, const std::filesystem::path& io_file) {
  std::string command = "/usr/bin/python3 ";
  command += SJMT_TEST_SOURCE_DIR;
  command += "/onnx/check_onnx.py ";
  command += onnx.string();
  command += ' ';
  command += io_file.string();
  return std::system(command.c_str()) == 0;
}

TEST_CASE("proto_message: varints, keys, lengths and floats are protobuf's wire format") {
  detail::proto_message m;
  m.varint(0);
  m.varint(1);
  m.varint(127);
  m.varint(128);
  m.varint(300);
  CHECK(hex(m.str()) == "00 01 7f 80 01 ac 02");

  detail::proto_message field;
  field.int64(1, 150);  // the protobuf guide's example: field 1 = 150
  CHECK(hex(field.str()) == "08 96 01");
  detail::proto_message negative;
  negative.int64(2, -1);  // int64 -1: ten bytes
  CHECK(hex(negative.str()) == "10 ff ff ff ff ff ff ff ff ff 01");
  detail::proto_message text;
  text.bytes(2, "testing");
  CHECK(hex(text.str()) == "12 07 74 65 73 74 69 6e 67");
  detail::proto_message f;
  f.float32(2, 1.0f);  // 0x3f800000, little-endian, wire type 5
  CHECK(hex(f.str()) == "15 00 00 80 3f");
  detail::proto_message packed;
  const std::int64_t values[] = {3, 270, 86942};  // the guide's packed example
  packed.packed_int64(4, values);
  CHECK(hex(packed.str()) == "22 06 03 8e 02 9e a7 05");
  detail::proto_message outer;
  outer.message(3, field);  // a nested message is length-delimited
  CHECK(hex(outer.str()) == "1a 03 08 96 01");
  const float raw[] = {1.0f, -2.0f};
  CHECK(hex(detail::little_endian_bytes(raw)) == "00 00 80 3f 00 00 00 c0");
}

TEST_CASE("fold_batch_norm: w gamma / sqrt(var + eps) and beta - mean gamma / sqrt(var + eps)") {
  const float w[] = {1, 2, 3, 4};  // K = 2 filters of 2 values
  const float gamma[] = {2, 0.5f}, beta[] = {1, -1}, mean[] = {0.5f, 2}, var[] = {4, 1};
  const auto [fw, fb] = detail::fold_batch_norm(w, gamma, beta, mean, var, 0.0);
  CHECK(fw == std::vector<float>{1, 2, 1.5f, 2});
  CHECK(fb == std::vector<float>{0.5f, -2});
  const auto [ew, eb] = detail::fold_batch_norm(w, gamma, beta, mean, var, 1e-5);
  CHECK(ew[0] == doctest::Approx(2.0 / std::sqrt(4.00001)).epsilon(1e-7));
  CHECK(eb[1] == doctest::Approx(-1.0 - 2.0 * 0.5 / std::sqrt(1.00001)).epsilon(1e-7));
  const float short_var[] = {1};
  CHECK_THROWS_AS(detail::fold_batch_norm(w, gamma, beta, mean, short_var, 0.0), shape_error);
}

TEST_CASE("export_onnx: what OpenCV's DNN module and a numpy evaluator compute is what the predictor answers") {
  const export_case cases[] = {
      {"resnet8", {.arch = "resnet", .depth = 8}},
      {"resnet8a-heads-grey48", {.arch = "resnet", .depth = 8, .shortcut = shortcut_kind::zero_pad}, true, false, 1, 48},
      {"resnet8-softmax", {.arch = "resnet", .depth = 8}, false, true},
      {"vgg16-fc512", {.arch = "vgg16", .fc_width = 512}},
  };
  const bool python = python_has_onnx();
#if !SJMT_TEST_OPENCV_DNN
  MESSAGE("SKIPPED: the build found no OpenCV DNN module (apt-get install libopencv-dnn-dev); the OpenCV check "
          "did not run");
#endif
  const std::filesystem::path dir = test::unique_temp("onnx");
  std::filesystem::create_directories(dir);
  const std::vector<data::image> images = pictures(5);
  for (const export_case& c : cases) {
    CAPTURE(c.name);
    const std::filesystem::path checkpoint = dir / (c.name + ".safetensors"), onnx = dir / (c.name + ".onnx");
    train_and_save(c, checkpoint);
    const onnx_export_report report = export_onnx<domains>(checkpoint, onnx);
    CHECK(report.bytes == std::filesystem::file_size(onnx));
    CHECK(report.outputs == std::vector<std::string>{"emotion", "aus"});
    CHECK(report.input.channels == c.channels);
    CHECK(report.input.height == c.size);

    predictor<domains> p(checkpoint);
    const std::vector<prediction<>> expected = p.predict(std::span<const data::image>(images));
    std::vector<float> input = nchw(p, images);

#if SJMT_TEST_OPENCV_DNN
    {
      cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx.string());
      const int dims[] = {static_cast<int>(images.size()), c.channels, c.size, c.size};
      const cv::Mat blob(4, dims, CV_32F, input.data());
      net.setInput(blob, "input");
      std::vector<cv::Mat> outs;
      const std::vector<cv::String> names = {"emotion", "aus"};
      net.forward(outs, names);
      REQUIRE(outs.size() == 2);
      double worst = 0;
      for (std::size_t s = 0; s < 2; ++s) {
        REQUIRE(outs[s].total() == images.size() * expected[0].spaces[s].values.size());
        const float* got = outs[s].ptr<float>();
        for (std::size_t r = 0; r < images.size(); ++r)
          for (std::size_t k = 0; k < expected[r].spaces[s].values.size(); ++k)
            worst = std::max(worst, std::abs(double(got[r * expected[r].spaces[s].values.size() + k]) -
                                             double(expected[r].spaces[s].values[k])));
      }
      MESSAGE(c.name, ": OpenCV DNN against the predictor, worst |difference| ", worst);
      CHECK(worst < 1e-4);
    }
#endif
    if (python) {
      const std::filesystem::path io_file = dir / (c.name + "-io.safetensors");
      write_expected(io_file, p, input, expected);
      CHECK(check_onnx(onnx, io_file));
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("export_onnx: a spatial landmark head (+points) is a Conv, a Softmax over cells and a MatMul by their centres") {
  using points_layout = joint_layout<spaces::emotion, spaces::emotionet_aus, spaces::landmarks68>;
  using points_domains = dataset_union<points_layout, datasets::sfew, datasets::emotionet, datasets::w300>;
  using points_net = model<B, float>;
  const bool python = python_has_onnx();
  const std::filesystem::path dir = test::unique_temp("onnx_points");
  std::filesystem::create_directories(dir);
  const std::vector<data::image> images = pictures(4);
  // Joint heads: the landmarks are the points group alone. Per-dataset heads: w300's group is
  // the points alone too, through the same path; 40 x 36 input: a 10 x 9 map, not square.
  const struct {
    std::string name;
    bool dataset_heads;
    int height, width;
  } cases[] = {{"joint", false, 32, 32}, {"heads-40x36", true, 40, 36}};
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const std::filesystem::path checkpoint = dir / (c.name + ".safetensors"), onnx = dir / (c.name + ".onnx");
    {
      B be;
      std::mt19937_64 rng(9);
      points_net net(be, {.arch = "resnet", .depth = 8},
                     with_spatial_points<points_layout>(c.dataset_heads ? dataset_head_layout<points_domains>()
                                                                        : joint_head_layout<points_layout>()),
                     rng);
      trainer<points_domains, points_net> t(be, net, selective_loss<points_domains>(), {.model_name = net.name()});
      data::union_sampler<points_domains> s({data::source(data::sfew_like(data::split::train, 1)),
                                             data::source(data::emotionet_like(data::split::train, 1)),
                                             data::source(data::w300_like(data::split::train, 1))},
                                            {.batch_size = 6, .height = c.height, .width = c.width, .seed = 3});
      for (int i = 0; i < 3; ++i) t.step(s.next());
      t.save(checkpoint);
    }
    const onnx_export_report report = export_onnx<points_domains>(checkpoint, onnx);
    CHECK(report.model == (c.dataset_heads ? "resnet_cifar-8+heads+points" : "resnet_cifar-8+points"));
    CHECK(report.outputs == std::vector<std::string>{"emotion", "aus", "landmarks"});
    CHECK(report.input.height == c.height);
    CHECK(report.input.width == c.width);
    predictor<points_domains> p(checkpoint);
    const std::vector<prediction<>> expected = p.predict(std::span<const data::image>(images));
    if (python) {
      const std::filesystem::path io_file = dir / (c.name + "-io.safetensors");
      write_expected(io_file, p, nchw(p, images), expected);
      CHECK(check_onnx(onnx, io_file));
    }
  }
  {
    // Two coordinate spaces in one joint head: one points group spans both, and each
    // space takes its columns through the 0/1 scatter (untrained: the path, not the fit).
    using two_layout = joint_layout<spaces::emotion, spaces::landmarks68, coordinate_space<"nose", 1>>;
    using two_domains = dataset_union<two_layout, dataset<"all", spaces::emotion, spaces::landmarks68,
                                                          coordinate_space<"nose", 1>>>;
    const std::filesystem::path checkpoint = dir / "two.safetensors", onnx = dir / "two.onnx";
    {
      B be;
      std::mt19937_64 rng(4);
      points_net net(be, {.arch = "resnet", .depth = 8}, with_spatial_points<two_layout>(joint_head_layout<two_layout>()),
                     rng);
      trainer<two_domains, points_net> t(be, net, selective_loss<two_domains>(), {.model_name = net.name()});
      t.save(checkpoint);
    }
    const onnx_export_report report = export_onnx<two_domains>(checkpoint, onnx);
    CHECK(report.outputs == std::vector<std::string>{"emotion", "landmarks", "nose"});
    predictor<two_domains> p(checkpoint);
    const std::vector<prediction<>> expected = p.predict(std::span<const data::image>(images));
    if (python) {
      const std::filesystem::path io_file = dir / "two-io.safetensors";
      write_expected(io_file, p, nchw(p, images), expected);
      CHECK(check_onnx(onnx, io_file));
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("export_onnx: another layout, a missing checkpoint and an unwritable target are errors naming the file") {
  const std::filesystem::path dir = test::unique_temp("onnx-errors");
  std::filesystem::create_directories(dir);
  const std::filesystem::path checkpoint = dir / "m.safetensors";
  train_and_save({"resnet8", {.arch = "resnet", .depth = 8}}, checkpoint);

  using other = joint_layout<spaces::emotion>;
  CHECK_THROWS_WITH_AS(export_onnx<other>(checkpoint, dir / "x.onnx"), contains(checkpoint.string()), value_error);
  CHECK_THROWS_WITH_AS(export_onnx<domains>(dir / "missing.safetensors", dir / "x.onnx"), contains("missing.safetensors"),
                       io_error);
  CHECK_THROWS_WITH_AS(export_onnx<domains>(checkpoint, dir / "no" / "such" / "x.onnx"), contains("x.onnx"), io_error);
  CHECK_FALSE(std::filesystem::exists(dir / "x.onnx"));

  // An existing file is replaced whole: the second export is a valid file of the same size.
  const onnx_export_report first = export_onnx<domains>(checkpoint, dir / "m.onnx");
  const onnx_export_report second = export_onnx<domains>(checkpoint, dir / "m.onnx");
  CHECK(first.bytes == second.bytes);
  CHECK(std::filesystem::file_size(dir / "m.onnx") == second.bytes);
  CHECK(second.nodes > 20);  // ResNet-8: 9 convolutions, their ReLUs, 3 adds, pooling, 2 heads
  std::filesystem::remove_all(dir);
}
