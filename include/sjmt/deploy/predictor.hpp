#pragma once
// A trained network outside the trainer: opens a checkpoint that trainer::save
// (or save_checkpoint) wrote, and answers, per image, every label space of the
// layout by name (deploy/prediction.hpp).
//
//   sjmt::predictor<domains> p("run/model.safetensors");          // cpu_backend, float
//   sjmt::prediction<> r = p.predict("face.png");                   // a file, any size, 1-4 channels
//   r["emotion"].top_class();  r["aus"].active_classes();
//   auto many = p.predict(std::span<const sjmt::data::image>(faces));  // one forward per options.batch images
//
// Spec is the dataset union the network was trained with, or its joint layout
// alone (enough unless the network has per-dataset heads, "+heads"). The
// checkpoint says which network it holds (sjmt.model: "resnet_cifar-8",
// "resnet_cifar-8a", "vgg16-fc512", with "+heads" for per-dataset heads and
// "+points" for coordinates read by soft-argmax from the trunk's map) and
// the input channels (the first convolution's filter); its layout fingerprint (sjmt.layout) must be
// Spec's, else value_error naming the file, both layouts and the fix.
// Missing, truncated or malformed files are io_errors naming the file.
//
// Preprocessing is the training pipeline's, through the same functions:
// data::read_image with the model's channel count (as every loader decodes),
// then data::fit_to_input (channel conversion, bilinear resize to the model
// input, no crop); pixels stay in [0, 1] (training applies no normalisation).
// Alpha channels are dropped (stb's rule, deploy/input.hpp). The network then
// runs in inference mode on Backend, through its layers and ops only; the
// logits are downloaded once per forward and turned into probabilities on the
// host (a few values per image).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../backend/cpu_backend.hpp"
#include "../data/image.hpp"
#include "../data/image_io.hpp"
#include "../data/pipeline/read_batch.hpp"
#include "../data/sample.hpp"
#include "../error.hpp"
#include "../io/safetensors.hpp"
#include "../labels/dataset_union.hpp"
#include "../labels/joint_layout.hpp"
#include "../loss/options.hpp"
#include "../nn/heads.hpp"
#include "../nn/model.hpp"
#include "../tensor/host_tensor.hpp"
#include "../train/checkpoint.hpp"
#include "input.hpp"
#include "prediction.hpp"

namespace sjmt {

struct predictor_options {
  /// How the network's exclusive spaces were trained: sigmoid (selective_loss,
  /// naive_joint_loss: the paper) or softmax (selective_softmax_loss). Unset: from the
  /// checkpoint's sjmt.loss (the trainer records it), else sigmoid.
  std::optional<exclusive_rule> exclusive{};
  double threshold = 0.5;   ///< a multilabel output is active at probability >= threshold
  /// The model input the network was trained at. Unset: the checkpoint's sjmt.input (the
  /// trainer records it), else 32 x 32.
  std::optional<int> height{}, width{};
  std::string model{};      ///< "": the checkpoint's sjmt.model; else the name it must hold
  std::size_t batch = 64;   ///< images per forward in predict(span)
};

namespace detail {

template <class Spec>
struct predictor_layout;
template <joint_layout_type L>
struct predictor_layout<L> {
  using type = L;
};
template <dataset_union_type U>
struct predictor_layout<U> {
  using type = typename U::layout;
};

template <class List>
struct coordinate_flags;
template <class... S>
struct coordinate_flags<type_list<S...>> {
  static constexpr std::array<bool, sizeof...(S)> value{is_coordinate_space_v<S>...};
};

/// The trunk a checkpoint's model name describes ("resnet_cifar-8", "resnet_cifar-8a", "vgg16-fc512"), then
/// "+heads" (per-dataset heads) and "+points" (coordinates read from the trunk's map), in that order.
struct parsed_model_name {
  model_spec spec{};
  bool dataset_heads = false;
  bool spatial_points = false;
};

inline parsed_model_name parse_model_name(const std::string& name, const std::filesystem::path& path) {
  parsed_model_name out;
  std::string trunk = name;
  constexpr std::string_view points = "+points";
  if (trunk.size() > points.size() && trunk.ends_with(points)) {
    out.spatial_points = true;
    trunk.resize(trunk.size() - points.size());
  }
  constexpr std::string_view heads = "+heads";
  if (trunk.size() > heads.size() && trunk.ends_with(heads)) {
    out.dataset_heads = true;
    trunk.resize(trunk.size() - heads.size());
  }
  const std::optional<model_spec> spec = parse_model_spec(trunk);
  if (!spec) {
    std::string message = "predictor: checkpoint ";
    message += path.string();
    message += " holds model '";
    message += name;
    message += "', expected resnet_cifar-<depth> (resnet_cifar-<depth>a: option-A shortcuts) or vgg16-fc<width> "
               "(then +heads for per-dataset heads, then +points for a spatial landmark head)";
    throw value_error(message, std::source_location::current());
  }
  out.spec = *spec;
  return out;
}

}  // namespace detail

template <class Spec, class Backend = cpu_backend, class T = float>
  requires(joint_layout_type<Spec> || dataset_union_type<Spec>) && backend_for<Backend, T>
class predictor {
 public:
  using layout = typename detail::predictor_layout<Spec>::type;
  using backend = Backend;
  using value_type = T;

  /// Opens `checkpoint` on a backend of its own.
  explicit predictor(const std::filesystem::path& checkpoint, predictor_options options = {})
      : m_owned(std::make_unique<Backend>()), m_be(m_owned.get()), m_options(std::move(options)) {
    open(checkpoint);
  }
  /// Opens `checkpoint` on `be`. Requires: be outlives the predictor.
  predictor(Backend& be, const std::filesystem::path& checkpoint, predictor_options options = {})
      : m_be(&be), m_options(std::move(options)) {
    open(checkpoint);
  }

  /// The fingerprint a checkpoint must hold (layout_fingerprint of the layout).
  static std::string expected_layout() { return layout_fingerprint<layout>(); }

  const checkpoint_metadata& metadata() const { return m_meta; }
  const model_spec& spec() const { return m_net->spec(); }
  std::string model_name() const { return m_net->name(); }
  data::input_shape input() const { return {static_cast<int>(m_net->spec().in_channels), m_height, m_width}; }
  /// The rule the exclusive spaces are read with (the option, else the checkpoint's loss).
  exclusive_rule exclusive() const { return m_exclusive; }
  const predictor_options& options() const { return m_options; }

  /// What the network sees of `img`: the training pipeline's fit_to_input.
  data::image preprocess(const data::image& img) const {
    SJMT_CHECK(value_error, !img.empty(), "predictor: the image is empty");
    data::labelled_face f;
    f.picture = img;
    const data::input_shape in = input();
    data::fit_to_input(f, in.channels, in.height, in.width);
    return std::move(f.picture);
  }

  /// Decodes `file` (PNG, JPEG, BMP, ...: data::read_image) as the loaders do. Throws io_error naming it.
  data::image read(const std::filesystem::path& file) const {
    return data::read_image(file, static_cast<int>(m_net->spec().in_channels));
  }

  /// The logits (N, 1, 1, layout::size) of `images`, one forward per options.batch images.
  host_tensor<T> logits(std::span<const data::image> images) {
    host_tensor<T> out({images.size(), 1, 1, layout::size});
    const data::input_shape in = input();
    const std::size_t pixels = static_cast<std::size_t>(in.channels * in.height * in.width);
    const std::size_t step = std::max<std::size_t>(m_options.batch, 1);
    for (std::size_t begin = 0; begin < images.size(); begin += step) {
      const std::size_t n = std::min(step, images.size() - begin);
      host_tensor<T> x({n, static_cast<std::size_t>(in.height), static_cast<std::size_t>(in.width),
                        static_cast<std::size_t>(in.channels)});
      for (std::size_t r = 0; r < n; ++r) {
        const data::image p = preprocess(images[begin + r]);
        std::copy(p.pixels().begin(), p.pixels().end(), x.begin() + static_cast<std::ptrdiff_t>(r * pixels));
      }
      m_be->upload(m_input, x);
      const host_tensor<T> z = m_be->download(m_net->forward(m_input, mode::infer));
      std::copy(z.data(), z.data() + z.size(), out.data() + begin * layout::size);
    }
    return out;
  }

  /// Every image's prediction, one forward per options.batch images.
  std::vector<prediction<T>> predict(std::span<const data::image> images) {
    const host_tensor<T> z = logits(images);
    std::vector<prediction<T>> out;
    out.reserve(images.size());
    for (std::size_t r = 0; r < images.size(); ++r)
      out.push_back(interpret(std::span<const T>(z.data() + r * layout::size, layout::size), images[r].width(),
                              images[r].height()));
    return out;
  }
  prediction<T> predict(const data::image& img) { return std::move(predict(std::span<const data::image>(&img, 1))[0]); }
  /// An image file. Throws io_error naming it when it cannot be decoded.
  prediction<T> predict(const std::filesystem::path& file) { return predict(read(file)); }
  /// A raw (H, W, C) buffer, 8-bit or float in [0, 1], of 1 to 4 channels (deploy/input.hpp).
  prediction<T> predict(std::span<const std::uint8_t> pixels, int width, int height, int channels) {
    return predict(image_from_pixels(pixels, width, height, channels));
  }
  prediction<T> predict(std::span<const float> pixels, int width, int height, int channels) {
    return predict(image_from_pixels(pixels, width, height, channels));
  }

  /// One row of logits (layout::size) read as the layout says, for an image of width x height.
  prediction<T> interpret(std::span<const T> z, int width, int height) const {
    SJMT_CHECK(shape_error, z.size() == layout::size, "predictor: ", z.size(), " logits, the layout has ",
               layout::size);
    constexpr auto coordinates = detail::coordinate_flags<typename layout::spaces>::value;
    prediction<T> out;
    out.width = width, out.height = height;
    for (std::size_t s = 0; s < layout::num_spaces; ++s) {
      const space_info& info = layout::space_infos[s];
      space_prediction<T> p;
      p.name = info.name;
      p.kind = info.kind;
      for (std::size_t i = info.outputs.offset; i < info.outputs.end(); ++i) {
        p.classes.push_back(layout::output(i).label);
        p.logits.push_back(z[i]);
      }
      p.values = p.logits;
      if (info.kind == kind::multilabel || (info.kind == kind::exclusive && m_exclusive == exclusive_rule::sigmoid))
        for (T& v : p.values) v = T(1) / (T(1) + std::exp(-v));
      else if (info.kind == kind::exclusive) {
        const T top = *std::max_element(p.values.begin(), p.values.end());
        T sum = 0;
        for (T& v : p.values) sum += (v = std::exp(v - top));
        for (T& v : p.values) v /= sum;
      }
      p.top = static_cast<std::size_t>(std::max_element(p.values.begin(), p.values.end()) - p.values.begin());
      if (info.kind == kind::multilabel)
        for (T v : p.values) p.active.push_back(static_cast<double>(v) >= m_options.threshold);
      if (coordinates[s])  // x0, y0, x1, y1, ... divided by the input's width and height
        for (std::size_t i = 0; i + 1 < p.values.size(); i += 2)
          p.points.push_back({static_cast<float>(p.values[i]) * static_cast<float>(width),
                              static_cast<float>(p.values[i + 1]) * static_cast<float>(height)});
      out.spaces.push_back(std::move(p));
    }
    return out;
  }

 private:
  void open(const std::filesystem::path& path) {
    SJMT_CHECK(value_error, m_options.threshold >= 0 && m_options.threshold <= 1, "predictor: threshold ",
               m_options.threshold, ", expected in [0, 1]");
    const io::safetensors_contents file = io::read_safetensors(path);  // io_error naming the path
    // The input size and the exclusive rule: as asked, else as the trainer recorded them.
    int recorded_height = 32, recorded_width = 32;
    if (const std::string* in = file.find_metadata("sjmt.input")) {
      int channels = 0;
      char x1 = 0, x2 = 0, rest = 0;
      SJMT_CHECK(io_error,
                 std::sscanf(in->c_str(), "%d%c%d%c%d%c", &recorded_height, &x1, &recorded_width, &x2, &channels,
                             &rest) == 5 && x1 == 'x' && x2 == 'x' && recorded_height > 0 && recorded_width > 0,
                 "predictor: checkpoint ", path.string(), ": sjmt.input is '", *in, "', expected HxWxC (e.g. 32x32x3)");
    }
    m_height = m_options.height.value_or(recorded_height);
    m_width = m_options.width.value_or(recorded_width);
    SJMT_CHECK(value_error, m_height > 0 && m_width > 0, "predictor: model input ", m_width, "x", m_height,
               " must be positive");
    const std::string* loss = file.find_metadata("sjmt.loss");
    m_exclusive = m_options.exclusive.value_or(loss && *loss == "selective_softmax_loss" ? exclusive_rule::softmax
                                                                                         : exclusive_rule::sigmoid);
    const std::string* stored_model = file.find_metadata("sjmt.model");
    const std::string* stored_layout = file.find_metadata("sjmt.layout");
    const std::string found_model = stored_model ? *stored_model : std::string();
    const std::string found_layout = stored_layout ? *stored_layout : std::string();

    if (found_layout != expected_layout()) {
      std::string message = "predictor: checkpoint ";
      message += path.string();
      if (found_layout.empty()) {
        message += " holds no layout (sjmt.layout)";
      } else {
        message += " holds a network of layout '";
        message += found_layout;
        message += "'";
      }
      message += ", this predictor is for layout '";
      message += expected_layout();
      message += "'; open it with a predictor of the layout (or dataset union) it was trained with";
      throw value_error(message, std::source_location::current());
    }
    std::string name = m_options.model.empty() ? found_model : m_options.model;
    if (name.empty()) {
      std::string message = "predictor: checkpoint ";
      message += path.string();
      message += " holds no model name (sjmt.model; trainer_options::model_name was empty); pass it as "
                 "predictor_options::model, e.g. \"resnet_cifar-8\"";
      throw value_error(message, std::source_location::current());
    }
    detail::parsed_model_name parsed = detail::parse_model_name(name, path);

    // The input channels: the first convolution's filter, (K, C, R, S) in the file.
    const std::string first = parsed.spec.arch == "vgg16" ? "trunk.features.0.conv.weight" : "trunk.conv1.weight";
    const io::safetensor* conv = file.find(first);
    if (conv == nullptr || conv->shape.size() != 4 || (conv->shape[1] != 1 && conv->shape[1] != 3)) {
      std::string message = "predictor: checkpoint ";
      message += path.string();
      message += " (model '";
      message += name;
      message += "') has no tensor '";
      message += first;
      message += "' of shape [K, 1 or 3, R, S] to take the input channels from";
      throw value_error(message, std::source_location::current());
    }
    parsed.spec.in_channels = static_cast<std::size_t>(conv->shape[1]);

    head_layout heads;
    if (parsed.dataset_heads) {
      if constexpr (dataset_union_type<Spec>) {
        heads = dataset_head_layout<Spec>();
      } else {
        std::string message = "predictor: checkpoint ";
        message += path.string();
        message += " holds model '";
        message += name;
        message += "' with per-dataset heads; instantiate the predictor with the dataset union it was trained "
                   "with, not its layout alone";
        throw value_error(message, std::source_location::current());
      }
    } else {
      heads = joint_head_layout<layout>();
    }
    if (parsed.spatial_points) heads = with_spatial_points<layout>(std::move(heads));
    std::mt19937_64 rng(0);  // every weight is then loaded
    m_net = std::make_unique<model<Backend, T>>(*m_be, parsed.spec, std::move(heads), rng);
    parameter_list<Backend, T> params;
    m_net->collect(params);
    checkpoint_metadata expected;
    expected.model = found_model.empty() ? std::string() : name;  // a name the file holds must be the one asked for
    expected.layout = expected_layout();
    m_meta = load_checkpoint(*m_be, path, params, expected, load_scope::everything);
  }

  std::unique_ptr<Backend> m_owned;
  Backend* m_be = nullptr;
  predictor_options m_options;
  int m_height = 32, m_width = 32;
  exclusive_rule m_exclusive = exclusive_rule::sigmoid;
  checkpoint_metadata m_meta{};
  std::unique_ptr<model<Backend, T>> m_net;
  typename Backend::template tensor<T> m_input{};
};

}  // namespace sjmt
