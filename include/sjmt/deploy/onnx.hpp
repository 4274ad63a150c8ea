#pragma once
// A trained network as an ONNX model, for the runtimes people deploy with
// (OpenCV's DNN module, ONNX Runtime, TensorRT, ...).
//
//   sjmt::onnx_export_report r = sjmt::export_onnx<domains>("run/model.safetensors", "run/model.onnx");
//
// What the file holds (opset 13, IR version 7):
//   input   "input", float (N, C, H, W): the image as the predictor feeds it
//           (deploy/predictor.hpp): data::fit_to_input to the model input,
//           pixels in [0, 1], no normalisation; channels first, as ONNX
//           convolutions take them (sjmt itself is channels-last).
//   outputs one per label space of the layout, named after it, (N, K):
//           multilabel spaces and sigmoid-trained exclusive spaces (the
//           paper's) through a sigmoid, softmax-trained exclusive spaces through
//           a softmax over the space, regression spaces as they are (landmark
//           coordinates divided by the input's width and height).
//   graph   inference only: every batch norm folded into the convolution before
//           it (w' = w gamma / sqrt(var + eps), b' = beta - mean gamma /
//           sqrt(var + eps)); dropout is the identity and is left out; the
//           parameter-free shortcut of option-A ResNets as a fixed 1x1
//           convolution with the block's stride that copies the channels and
//           adds zero ones (exact; an op every runtime has, where strided Slice
//           and channel Pad are not); per-dataset heads as one head whose
//           outputs no dataset writes are 0, as in sjmt; a spatial landmark
//           head ("+points", nn/points.hpp) as a 1x1 Conv of the last feature
//           map, Reshape to (N, P, h w), Softmax over the cells, MatMul by the
//           cells' centres (h w, 2) and Reshape to (N, 2P), scattered into its
//           space's columns by a 0/1 MatMul where it does not fill them alone.
//   metadata sjmt.model, sjmt.layout (the fingerprint a predictor checks),
//           sjmt.input (HxWxC), sjmt.exclusive (sigmoid or softmax),
//           sjmt.spaces (JSON: each output's space, kind, transform and class
//           names), sjmt.version.
//
// The checkpoint is opened with predictor<Spec> first, so everything it
// checks (the file, its layout against Spec's, the model name) is checked
// here with the same errors. The file is written atomically (io/atomic_file.hpp).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../config.hpp"
#include "../error.hpp"
#include "../io/atomic_file.hpp"
#include "../io/safetensors.hpp"
#include "../train/checkpoint.hpp"
#include "detail/protobuf.hpp"
#include "predictor.hpp"

namespace sjmt {

struct onnx_options {
  /// How the exclusive spaces were trained (the output's transform). Unset: the
  /// checkpoint's sjmt.loss, as predictor_options::exclusive.
  std::optional<exclusive_rule> exclusive{};
  /// The model input (the graph's fixed H and W). Unset: the checkpoint's sjmt.input, else 32 x 32.
  std::optional<int> height{}, width{};
  std::string model{};  ///< as predictor_options::model: "" takes the checkpoint's sjmt.model
};

/// What export_onnx wrote.
struct onnx_export_report {
  std::string model;                  ///< the checkpoint's model name
  data::input_shape input{};          ///< the graph's (C, H, W)
  std::vector<std::string> outputs{};  ///< the graph's outputs, one per label space, in layout order
  std::size_t nodes = 0;              ///< operators in the graph
  std::size_t weights = 0;            ///< values in its initialisers (after folding)
  std::size_t bytes = 0;              ///< of the file
};

namespace detail {

/// The parts one after another (appended: GCC 12 warns, falsely, on "literal" + std::string&&).
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  ((out += parts), ...);
  return out;
}

/// Folds an inference batch norm into the convolution before it: for each of
/// the K output channels, `w` (K, C, R, S, row-major) is scaled by gamma /
/// sqrt(var + eps) and the bias becomes beta - mean gamma / sqrt(var + eps).
/// Computed in double, stored in float. Requires: w.size() a multiple of K.
inline std::pair<std::vector<float>, std::vector<float>> fold_batch_norm(std::span<const float> w,
                                                                         std::span<const float> gamma,
                                                                         std::span<const float> beta,
                                                                         std::span<const float> mean,
                                                                         std::span<const float> var, double eps) {
  const std::size_t K = gamma.size();
  SJMT_CHECK(shape_error, K > 0 && beta.size() == K && mean.size() == K && var.size() == K && w.size() % K == 0,
             "fold_batch_norm: ", w.size(), " filter values and batch norm vectors of ", gamma.size(), ", ",
             beta.size(), ", ", mean.size(), ", ", var.size(), " values");
  const std::size_t per = w.size() / K;
  std::pair<std::vector<float>, std::vector<float>> out{std::vector<float>(w.size()), std::vector<float>(K)};
  for (std::size_t k = 0; k < K; ++k) {
    const double scale = double(gamma[k]) / std::sqrt(double(var[k]) + eps);
    for (std::size_t i = k * per; i < (k + 1) * per; ++i) out.first[i] = static_cast<float>(double(w[i]) * scale);
    out.second[k] = static_cast<float>(double(beta[k]) - double(mean[k]) * scale);
  }
  return out;
}

/// An ONNX graph under construction, its weights read from a checkpoint.
class onnx_graph {
 public:
  onnx_graph(const io::safetensors_contents& file, std::filesystem::path path)
      : m_file(&file), m_path(std::move(path)) {}

  /// The values of tensor `name` of the checkpoint, which must have `shape`.
  std::vector<float> weights(const std::string& name, const std::vector<std::uint64_t>& shape) const {
    const io::safetensor* t = m_file->find(name);
    if (t == nullptr || t->shape != shape) {
      std::string message = "export_onnx: checkpoint ";
      message += m_path.string();
      message += t == nullptr ? " has no tensor '" : " has tensor '";
      message += name;
      message += t == nullptr ? "'" : "' of another shape";
      message += ", expected shape ";
      message += detail::shape_text(shape);  // train/checkpoint.hpp
      throw value_error(message, std::source_location::current());
    }
    return io::float_values<float>(*t, m_path);
  }

  /// A float initialiser of `shape`; returns its name.
  std::string initializer(const std::string& name, const std::vector<std::int64_t>& shape, std::span<const float> values) {
    proto_message t;
    t.packed_int64(1, shape);  // dims
    t.int64(2, 1);             // data_type FLOAT
    t.bytes(8, name);          // name
    t.bytes(9, little_endian_bytes(values));  // raw_data
    m_graph.message(5, t);     // GraphProto.initializer
    m_weights += values.size();
    return name;
  }

  /// An int64 initialiser of `shape` (a Reshape's target shape); returns its name.
  std::string int64_initializer(const std::string& name, const std::vector<std::int64_t>& shape,
                                std::span<const std::int64_t> values) {
    proto_message t;
    t.packed_int64(1, shape);  // dims
    t.int64(2, 7);             // data_type INT64
    t.bytes(8, name);
    t.packed_int64(7, values);  // int64_data
    m_graph.message(5, t);
    return name;
  }

  /// An attribute of ints, or of one int.
  static proto_message ints(std::string_view name, std::span<const std::int64_t> values) {
    proto_message a;
    a.bytes(1, name);
    a.packed_int64(8, values);
    a.int64(20, 7);  // INTS
    return a;
  }
  static proto_message int1(std::string_view name, std::int64_t value) {
    proto_message a;
    a.bytes(1, name);
    a.int64(3, value);
    a.int64(20, 2);  // INT
    return a;
  }

  /// A node of `op` from `inputs` to one output named `output`; returns it.
  std::string node(std::string_view op, std::initializer_list<std::string> inputs, std::string output,
                   std::initializer_list<proto_message> attributes = {}) {
    proto_message n;
    for (const std::string& in : inputs) n.bytes(1, in);
    n.bytes(2, output);
    std::string name(op);
    name += '_';
    name += std::to_string(m_nodes++);
    n.bytes(3, name);
    n.bytes(4, op);
    for (const proto_message& a : attributes) n.message(5, a);
    m_graph.message(1, n);  // GraphProto.node
    return output;
  }

  /// conv (weight `conv`.weight, K x C x k x k) with batch norm `bn` folded in, [ReLU].
  std::string conv_bn(const std::string& x, const std::string& conv, const std::string& bn, std::uint64_t in,
                      std::uint64_t out, std::int64_t kernel, std::int64_t stride, std::int64_t pad, bool relu) {
    const auto k = static_cast<std::uint64_t>(kernel);
    const std::vector<float> w = weights(conv + ".weight", {out, in, k, k});
    const auto [fw, fb] = fold_batch_norm(w, weights(bn + ".weight", {out}), weights(bn + ".bias", {out}),
                                          weights(bn + ".running_mean", {out}), weights(bn + ".running_var", {out}),
                                          1e-5);  // sjmt's batch norms all use PyTorch's epsilon
    const auto so = static_cast<std::int64_t>(out), si = static_cast<std::int64_t>(in);
    const std::string wn = initializer(cat(conv, ".weight+", bn), {so, si, kernel, kernel}, fw);
    const std::string bnn = initializer(cat(conv, ".bias+", bn), {so}, fb);
    const std::int64_t ks[] = {kernel, kernel}, st[] = {stride, stride}, pads[] = {pad, pad, pad, pad};
    std::string y = node("Conv", {x, wn, bnn}, bn, {ints("kernel_shape", ks), ints("strides", st), ints("pads", pads)});
    return relu ? node("Relu", {y}, bn + ".relu") : y;
  }

  /// A 1x1 convolution of stride `stride` copying `in` channels into the first of `out` (zero-padded shortcut).
  std::string subsample_pad(const std::string& x, const std::string& name, std::uint64_t in, std::uint64_t out,
                            std::int64_t stride) {
    std::vector<float> w(out * in, 0.0f);
    for (std::uint64_t c = 0; c < in; ++c) w[c * in + c] = 1.0f;
    const std::string wn =
        initializer(name + ".weight", {static_cast<std::int64_t>(out), static_cast<std::int64_t>(in), 1, 1}, w);
    const std::int64_t ks[] = {1, 1}, st[] = {stride, stride}, pads[] = {0, 0, 0, 0};
    return node("Conv", {x, wn}, name, {ints("kernel_shape", ks), ints("strides", st), ints("pads", pads)});
  }

  /// x (N, in) -> (N, out) through Linear `prefix` (weight (out, in), bias (out)).
  std::string linear(const std::string& x, const std::string& prefix, std::uint64_t in, std::uint64_t out) {
    const std::string w = initializer(prefix + ".weight", {static_cast<std::int64_t>(out), static_cast<std::int64_t>(in)},
                                      weights(prefix + ".weight", {out, in}));
    const std::string b = initializer(prefix + ".bias", {static_cast<std::int64_t>(out)}, weights(prefix + ".bias", {out}));
    return node("Gemm", {x, w, b}, prefix, {int1("transB", 1)});
  }

  /// A graph input or output: a float tensor of `dims` (0: the symbolic batch size "N").
  void value_info(std::uint32_t field, const std::string& name, const std::vector<std::int64_t>& dims) {
    proto_message shape;
    for (std::int64_t d : dims) {
      proto_message dim;
      if (d == 0) dim.bytes(2, "N");
      else dim.int64(1, d);
      shape.message(1, dim);
    }
    proto_message tensor;
    tensor.int64(1, 1);  // elem_type FLOAT
    tensor.message(2, shape);
    proto_message type;
    type.message(1, tensor);
    proto_message v;
    v.bytes(1, name);
    v.message(2, type);
    m_graph.message(field, v);
  }
  void input(const std::string& name, const std::vector<std::int64_t>& dims) { value_info(11, name, dims); }
  void output(const std::string& name, const std::vector<std::int64_t>& dims) { value_info(12, name, dims); }

  /// The ModelProto around the graph.
  std::string model(const std::string& graph_name, const std::vector<std::pair<std::string, std::string>>& metadata) {
    proto_message graph = m_graph;
    graph.bytes(2, graph_name);
    proto_message opset;
    opset.bytes(1, "");
    opset.int64(2, 13);
    proto_message m;
    m.int64(1, 7);  // ir_version: the one of opset 13
    m.message(8, opset);
    m.bytes(2, "sjmt");
    m.bytes(3, SJMT_VERSION_STRING);
    m.message(7, graph);
    for (const auto& [key, value] : metadata) {
      proto_message entry;
      entry.bytes(1, key);
      entry.bytes(2, value);
      m.message(14, entry);
    }
    return m.str();
  }

  std::size_t nodes() const { return m_nodes; }
  std::size_t weight_count() const { return m_weights; }

 private:
  const io::safetensors_contents* m_file;
  std::filesystem::path m_path;
  proto_message m_graph;
  std::size_t m_nodes = 0, m_weights = 0;
};

}  // namespace detail

/// Writes the inference graph of `checkpoint` (a network trained for Spec, a
/// dataset union or its joint layout, as predictor<Spec>) to `onnx`. Throws
/// what predictor<Spec> throws for the checkpoint, value_error for a tensor
/// of the wrong shape, io_error when `onnx` cannot be written (nothing is left
/// half-written).
template <class Spec>
  requires joint_layout_type<Spec> || dataset_union_type<Spec>
onnx_export_report export_onnx(const std::filesystem::path& checkpoint, const std::filesystem::path& onnx,
                               onnx_options options = {}) {
  using layout = typename predictor<Spec>::layout;
  const predictor<Spec> p(checkpoint, {.exclusive = options.exclusive,
                                       .height = options.height,
                                       .width = options.width,
                                       .model = options.model});
  const io::safetensors_contents file = io::read_safetensors(checkpoint);
  detail::onnx_graph g(file, checkpoint);
  const model_spec& spec = p.spec();
  const data::input_shape in = p.input();
  const auto channels = static_cast<std::uint64_t>(in.channels);
  g.input("input", {0, in.channels, in.height, in.width});

  std::string h = "input";
  std::uint64_t features = 0;
  std::string map;  // the ResNet's last feature map (N, C, h, w), before the pooling; VGG has none
  std::uint64_t map_features = 0;
  std::int64_t map_height = 0, map_width = 0;
  if (spec.arch == "vgg16") {
    constexpr std::uint64_t widths[13] = {64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512};
    constexpr bool pool_after[13] = {false, true, false, true, false, false, true,
                                     false, false, true, false, false, true};
    std::uint64_t c = channels;
    for (std::size_t i = 0; i < 13; ++i) {
      const std::string unit = detail::cat("trunk.features.", std::to_string(i));
      h = g.conv_bn(h, unit + ".conv", unit + ".bn", c, widths[i], 3, 1, 1, true);
      if (pool_after[i]) {
        const std::int64_t two[] = {2, 2};
        h = g.node("MaxPool", {h}, unit + ".pool", {g.ints("kernel_shape", two), g.ints("strides", two)});
      }
      c = widths[i];
    }
    h = g.node("GlobalAveragePool", {h}, "trunk.pool");
    h = g.node("Flatten", {h}, "trunk.flatten", {g.int1("axis", 1)});
    h = g.node("Relu", {g.linear(h, "trunk.classifier.0", 512, spec.fc_width)}, "trunk.classifier.1");
    h = g.node("Relu", {g.linear(h, "trunk.classifier.3", spec.fc_width, spec.fc_width)}, "trunk.classifier.4");
    features = spec.fc_width;
  } else {
    h = g.conv_bn(h, "trunk.conv1", "trunk.bn1", channels, 16, 3, 1, 1, true);
    const std::size_t per_stage = (spec.depth - 2) / 6;
    std::uint64_t c = 16;
    for (std::size_t stage = 0; stage < 3; ++stage) {
      const std::uint64_t width = std::uint64_t(16) << stage;
      for (std::size_t b = 0; b < per_stage; ++b) {
        const std::string block = detail::cat("trunk.layer", std::to_string(stage + 1), ".", std::to_string(b));
        const std::int64_t stride = stage > 0 && b == 0 ? 2 : 1;
        const std::string branch = g.conv_bn(g.conv_bn(h, block + ".conv1", block + ".bn1", c, width, 3, stride, 1, true),
                                             block + ".conv2", block + ".bn2", width, width, 3, 1, 1, false);
        std::string shortcut = h;
        if (stride != 1 || c != width)
          shortcut = spec.shortcut == shortcut_kind::zero_pad
                         ? g.subsample_pad(h, block + ".shortcut", c, width, stride)
                         : g.conv_bn(h, block + ".shortcut.0", block + ".shortcut.1", c, width, 1, stride, 0, false);
        h = g.node("Relu", {g.node("Add", {branch, shortcut}, block + ".add")}, block + ".relu");
        c = width;
      }
    }
    map = h;
    map_features = c;
    // Each stride-2 block halves the side, rounding up (3x3, padding 1).
    map_height = (in.height + 3) / 4;
    map_width = (in.width + 3) / 4;
    h = g.node("GlobalAveragePool", {h}, "trunk.pool");
    h = g.node("Flatten", {h}, "trunk.flatten", {g.int1("axis", 1)});
    features = 64;
  }

  // The head as one (W x F) matrix: each group's rows in its columns, 0 where no group writes.
  // Groups that read the map (a "+points" model) are left out of the matrix: each is a 1x1
  // convolution of the map, a softmax over each heat map's cells and a MatMul by the cells'
  // centres, scattered into its spaces' columns below.
  const std::string& model_name = p.model_name();
  const bool spatial = model_name.ends_with("+points");
  head_layout heads = joint_head_layout<layout>();
  if (model_name.ends_with("+heads") || model_name.ends_with("+heads+points")) {
    if constexpr (dataset_union_type<Spec>) heads = dataset_head_layout<Spec>();
  }
  if (spatial) heads = with_spatial_points<layout>(std::move(heads));
  std::vector<float> w(layout::size * features, 0.0f), b(layout::size, 0.0f);
  std::vector<int> map_group_of(layout::size, -1);  // output -> the map group writing it
  std::vector<std::string> map_points(heads.groups.size());  // a map group's (N, 2P) points, once built
  for (std::size_t gi = 0; gi < heads.groups.size(); ++gi) {
    const head_group& group = heads.groups[gi];
    if (group.source == head_source::map) {
      for (std::int32_t col : group.columns) map_group_of[static_cast<std::size_t>(col)] = static_cast<int>(gi);
      continue;
    }
    const std::uint64_t rows = group.columns.size();
    const std::vector<float> gw = g.weights(detail::cat("head.", group.name, ".weight"), {rows, features});
    const std::vector<float> gb = g.weights(detail::cat("head.", group.name, ".bias"), {rows});
    for (std::size_t r = 0; r < rows; ++r) {
      const auto col = static_cast<std::size_t>(group.columns[r]);
      std::copy(gw.begin() + static_cast<std::ptrdiff_t>(r * features),
                gw.begin() + static_cast<std::ptrdiff_t>((r + 1) * features), w.begin() + static_cast<std::ptrdiff_t>(col * features));
      b[col] = gb[r];
    }
  }

  onnx_export_report report;
  report.model = p.model_name();
  report.input = in;
  nlohmann::json spaces = nlohmann::json::array();
  for (const space_info& info : layout::space_infos) {
    const std::string name(info.name);
    const std::size_t k = info.outputs.size, begin = info.outputs.offset;
    const auto sk = static_cast<std::int64_t>(k);
    const auto linear_head = [&](const std::string& out) {
      const std::string wn = g.initializer(detail::cat("head.", name, ".weight"), {sk, static_cast<std::int64_t>(features)},
                                           std::span<const float>(w.data() + begin * features, k * features));
      const std::string bn = g.initializer(detail::cat("head.", name, ".bias"), {sk}, std::span<const float>(b.data() + begin, k));
      return g.node("Gemm", {h, wn, bn}, out, {g.int1("transB", 1)});
    };
    std::string transform = "identity";
    if (info.kind == kind::multilabel || (info.kind == kind::exclusive && p.exclusive() == exclusive_rule::sigmoid))
      transform = "sigmoid";
    else if (info.kind == kind::exclusive)
      transform = "softmax";
    const std::string logits = transform == "identity" ? name : detail::cat("head.", name, ".logits");
    // The map groups writing this space's columns, in order of appearance.
    std::vector<int> touching;
    bool any_linear = false;
    for (std::size_t c = begin; c < begin + k; ++c) {
      const int mg = map_group_of[c];
      if (mg < 0) any_linear = true;
      else if (std::find(touching.begin(), touching.end(), mg) == touching.end()) touching.push_back(mg);
    }
    if (touching.empty()) {
      linear_head(logits);
    } else {
      SJMT_CHECK(value_error, !map.empty(), "export_onnx: checkpoint ", checkpoint.string(), " (model '", model_name,
                 "') reads points from a feature map its trunk does not have");
      std::vector<std::string> parts;
      if (any_linear) parts.push_back(linear_head(logits + ".linear"));
      for (const int mg : touching) {
        const head_group& group = heads.groups[static_cast<std::size_t>(mg)];
        const std::uint64_t points = group.columns.size() / 2;
        const auto sp = static_cast<std::int64_t>(points);
        std::string& y = map_points[static_cast<std::size_t>(mg)];
        if (y.empty()) {
          const std::string prefix = detail::cat("head.", group.name);
          const std::string fw = g.initializer(prefix + ".weight", {sp, static_cast<std::int64_t>(map_features), 1, 1},
                                               g.weights(prefix + ".weight", {points, map_features, 1, 1}));
          const std::int64_t one[] = {1, 1}, none[] = {0, 0, 0, 0};
          const std::string heat = g.node("Conv", {map, fw}, prefix + ".heat",
                                          {g.ints("kernel_shape", one), g.ints("strides", one), g.ints("pads", none)});
          const std::int64_t cells = map_height * map_width;
          const std::int64_t to_cells[] = {0, sp, cells}, to_rows[] = {0, 2 * sp};
          const std::string flat = g.node("Reshape", {heat, g.int64_initializer(prefix + ".cells", {3}, to_cells)},
                                          prefix + ".flat");
          const std::string soft = g.node("Softmax", {flat}, prefix + ".softmax", {g.int1("axis", 2)});
          std::vector<float> centres(static_cast<std::size_t>(cells) * 2);  // cell r w + q -> ((q + .5) / w, (r + .5) / h)
          for (std::int64_t r = 0; r < map_height; ++r)
            for (std::int64_t q = 0; q < map_width; ++q) {
              const auto cell = static_cast<std::size_t>(r * map_width + q);
              centres[2 * cell] = static_cast<float>((double(q) + 0.5) / double(map_width));
              centres[2 * cell + 1] = static_cast<float>((double(r) + 0.5) / double(map_height));
            }
          const std::string grid = g.initializer(prefix + ".centres", {cells, 2}, centres);
          const std::string xy = g.node("MatMul", {soft, grid}, prefix + ".xy");
          y = g.node("Reshape", {xy, g.int64_initializer(prefix + ".rows", {2}, to_rows)}, prefix + ".points");
        }
        // Scatter the group's 2P values into this space's columns (a 0/1 matrix: exact).
        bool whole = !any_linear && touching.size() == 1 && group.columns.size() == k;
        for (std::size_t r = 0; whole && r < k; ++r) whole = static_cast<std::size_t>(group.columns[r]) == begin + r;
        if (whole) {
          parts.push_back(y);
          continue;
        }
        std::vector<float> scatter(group.columns.size() * k, 0.0f);
        for (std::size_t r = 0; r < group.columns.size(); ++r) {
          const auto col = static_cast<std::size_t>(group.columns[r]);
          if (col >= begin && col < begin + k) scatter[r * k + (col - begin)] = 1.0f;
        }
        const std::string sn = g.initializer(detail::cat("head.", group.name, ".to.", name),
                                             {static_cast<std::int64_t>(group.columns.size()), sk}, scatter);
        parts.push_back(g.node("MatMul", {y, sn}, detail::cat("head.", group.name, ".in.", name)));
      }
      std::string sum = parts[0];
      for (std::size_t i = 1; i < parts.size(); ++i)
        sum = g.node("Add", {sum, parts[i]}, i + 1 == parts.size() ? logits : detail::cat(logits, ".", std::to_string(i)));
      if (parts.size() == 1) g.node("Identity", {sum}, logits);
    }
    if (transform == "sigmoid") g.node("Sigmoid", {logits}, name);
    if (transform == "softmax") g.node("Softmax", {logits}, name, {g.int1("axis", 1)});
    g.output(name, {0, sk});
    report.outputs.push_back(name);
    nlohmann::json classes = nlohmann::json::array();
    for (std::size_t i = begin; i < begin + k; ++i) classes.push_back(std::string(layout::output(i).label));
    spaces.push_back({{"name", name}, {"kind", std::string(to_string(info.kind))}, {"transform", transform},
                      {"classes", classes}});
  }

  std::string input_text = std::to_string(in.height);
  input_text += 'x';
  input_text += std::to_string(in.width);
  input_text += 'x';
  input_text += std::to_string(in.channels);
  const std::string bytes =
      g.model(detail::cat("sjmt ", report.model), {{"sjmt.model", report.model},
                                       {"sjmt.layout", predictor<Spec>::expected_layout()},
                                       {"sjmt.input", input_text},
                                       {"sjmt.exclusive", p.exclusive() == exclusive_rule::softmax ? "softmax" : "sigmoid"},
                                       {"sjmt.spaces", spaces.dump()},
                                       {"sjmt.version", SJMT_VERSION_STRING}});
  io::write_file_atomic(onnx, bytes);
  report.nodes = g.nodes();
  report.weights = g.weight_count();
  report.bytes = bytes.size();
  return report;
}

}  // namespace sjmt
