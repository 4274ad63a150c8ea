#pragma once
// A network chosen at run time: a trunk (ResNet-CIFAR of a depth and shortcut
// compiled in below, or VGG-16 of a fully connected width compiled in) and a
// head partition (nn/heads.hpp), behind one type, so that a trainer over it is
// instantiated once, not once per (depth x shortcut x head).
//
//   sjmt::model<sjmt::cpu_backend, float> net(be, {.arch = "resnet", .depth = 32},
//                                             sjmt::joint_head_layout<layout>(), rng);
//
// Trunks are built and initialised before the head, from the same engine, so
// a model draws the same weights as network<Trunk, Head> of the same seed.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "../error.hpp"
#include "heads.hpp"
#include "network.hpp"
#include "resnet_cifar.hpp"
#include "vgg16.hpp"

namespace sjmt {

/// The shortcut of a ResNet's shape-changing blocks (nn/shortcut.hpp).
enum class shortcut_kind : unsigned char {
  projection,  ///< option B: 1x1 convolution + batch norm (sjmt's default)
  zero_pad     ///< option A: subsampling and zero-padded channels (He et al.'s CIFAR networks)
};

/// The trunk of a model.
struct model_spec {
  std::string arch = "resnet";  ///< "resnet" (ResNet-CIFAR, depth 6n + 2) or "vgg16"
  std::size_t depth = 32;       ///< resnet: one of model_depths
  shortcut_kind shortcut = shortcut_kind::projection;  ///< resnet
  std::size_t fc_width = 4096;  ///< vgg16: one of vgg16_fc_widths (the original's 4096)
  std::size_t in_channels = 3;  ///< of the input images
  linear_init head_init{};

  /// The name checkpoints record, which a checkpoint must match to load:
  /// "resnet_cifar-32" (option B), "resnet_cifar-32a" (option A), "vgg16-fc4096".
  std::string name() const {
    std::string s;
    if (arch == "vgg16") {
      s = "vgg16-fc";
      s += std::to_string(fc_width);
      return s;
    }
    s = "resnet_cifar-";
    s += std::to_string(depth);
    if (shortcut == shortcut_kind::zero_pad) s += 'a';
    return s;
  }
};

/// The spec a trunk's name() describes (in_channels and head_init at their
/// defaults), or nullopt for a name of no trunk. Depths and widths are not
/// checked against what is compiled in (the model's constructor does that).
inline std::optional<model_spec> parse_model_spec(std::string_view name) {
  const auto number = [](std::string_view digits) -> std::optional<std::size_t> {
    if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    std::size_t v = 0;
    for (char c : digits) v = 10 * v + static_cast<std::size_t>(c - '0');
    return v;
  };
  model_spec spec;
  if (name.starts_with("vgg16-fc")) {
    const auto width = number(name.substr(8));
    if (!width) return std::nullopt;
    spec.arch = "vgg16";
    spec.fc_width = *width;
    return spec;
  }
  if (!name.starts_with("resnet_cifar-")) return std::nullopt;
  std::string_view digits = name.substr(13);
  if (digits.ends_with('a')) {
    spec.shortcut = shortcut_kind::zero_pad;
    digits.remove_suffix(1);
  }
  const auto depth = number(digits);
  if (!depth) return std::nullopt;
  spec.arch = "resnet";
  spec.depth = *depth;
  return spec;
}

/// ResNet depths a model can take (each is two instantiations of resnet_cifar, one per shortcut).
inline constexpr std::size_t model_depths[] = {8, 14, 20, 32, 56, 110};

template <class Backend, class T>
  requires backend_for<Backend, T>
class model {
 public:
  using backend = Backend;
  using value_type = T;
  using tensor = typename Backend::template tensor<T>;

  model(Backend& be, const model_spec& spec, head_layout heads, std::mt19937_64& rng)
      : m_spec(spec), m_trunk(make_trunk(be, spec, rng)),
        m_head(be, m_trunk->features(), std::move(heads), rng, spec.head_init, m_trunk->map_channels()) {}

  const tensor& forward(const tensor& x, mode m) {
    const tensor& features = m_trunk->forward(x, m);
    return m_head.forward(features, m_head.reads_map() ? &m_trunk->map() : nullptr, m);
  }
  template <class Active>
  void backward(const tensor& dy, const Active& active) {
    const tensor& d = m_head.backward(dy, active);
    m_trunk->backward(d, m_head.map_gradient());
  }
  void backward(const tensor& dy) {
    backward(dy, [](int) { return true; });
  }
  /// Before training step `step` (network::begin_step).
  void begin_step(std::uint64_t step) { m_trunk->begin_step(step); }

  void collect(parameter_list<Backend, T>& out, const std::string& prefix = "") {
    m_trunk->collect(out, prefix + "trunk.");
    m_head.collect(out, prefix + "head.");
  }

  std::size_t outputs() const { return m_head.outputs(); }
  const model_spec& spec() const { return m_spec; }
  /// The checkpoint's model name: the trunk's, with "+heads" for per-dataset
  /// heads and then "+points" when coordinates are read from the map (with_spatial_points).
  std::string name() const {
    std::string s = m_spec.name();
    if (per_dataset(m_head.partition())) s += "+heads";
    if (reads_map(m_head.partition())) s += "+points";
    return s;
  }
  /// The trunk's name alone: what a pretrained trunk must match.
  std::string trunk_name() const { return m_spec.name(); }

 private:
  struct trunk_base {
    virtual ~trunk_base() = default;
    virtual const tensor& forward(const tensor& x, mode m) = 0;
    virtual const tensor& backward(const tensor& dy, const tensor* dmap) = 0;
    virtual void collect(parameter_list<Backend, T>& out, const std::string& prefix) = 0;
    virtual std::size_t features() const = 0;
    virtual std::size_t map_channels() const = 0;  // 0: no map to offer
    virtual const tensor& map() const = 0;
    virtual void begin_step(std::uint64_t step) = 0;
  };
  template <class Trunk>
  struct trunk_of final : trunk_base {
    trunk_of(Backend& be, std::mt19937_64& rng, std::size_t in_channels) : net(be, rng, in_channels) {}
    const tensor& forward(const tensor& x, mode m) override { return net.forward(x, m); }
    const tensor& backward(const tensor& dy, const tensor* dmap) override {
      if constexpr (requires { Trunk::map_channels; }) {
        return net.backward(dy, dmap);
      } else {
        SJMT_CHECK(value_error, dmap == nullptr, "model: a gradient for a map the trunk does not have");
        return net.backward(dy);
      }
    }
    void collect(parameter_list<Backend, T>& out, const std::string& prefix) override { net.collect(out, prefix); }
    std::size_t features() const override { return Trunk::features; }
    std::size_t map_channels() const override {
      if constexpr (requires { Trunk::map_channels; }) return Trunk::map_channels;
      return 0;
    }
    const tensor& map() const override {
      if constexpr (requires { Trunk::map_channels; }) {
        return net.map();
      } else {
        detail::throw_error<value_error>(std::source_location::current(), "model: the trunk has no feature map");
      }
    }
    void begin_step(std::uint64_t step) override {
      if constexpr (requires { net.begin_step(step); }) net.begin_step(step);
    }
    Trunk net;
  };

  static std::unique_ptr<trunk_base> make_trunk(Backend& be, const model_spec& s, std::mt19937_64& rng) {
    if (s.arch == "vgg16") {
      if (s.fc_width == 4096) return std::make_unique<trunk_of<vgg16<Backend, T, 4096>>>(be, rng, s.in_channels);
      if (s.fc_width == 512) return std::make_unique<trunk_of<vgg16<Backend, T, 512>>>(be, rng, s.in_channels);
      detail::throw_error<value_error>(std::source_location::current(), "model: VGG-16 fully connected width ",
                                       s.fc_width, " is not compiled in; use 4096 or 512");
    }
    SJMT_CHECK(value_error, s.arch == "resnet", "model: architecture '", s.arch, "', expected resnet or vgg16");
    if (s.shortcut == shortcut_kind::zero_pad) return make_resnet<zero_pad_shortcut>(be, s, rng);
    return make_resnet<projection_shortcut>(be, s, rng);
  }

  template <class Shortcut>
  static std::unique_ptr<trunk_base> make_resnet(Backend& be, const model_spec& s, std::mt19937_64& rng) {
    switch (s.depth) {
      case 8: return std::make_unique<trunk_of<resnet_cifar<Backend, T, 8, Shortcut>>>(be, rng, s.in_channels);
      case 14: return std::make_unique<trunk_of<resnet_cifar<Backend, T, 14, Shortcut>>>(be, rng, s.in_channels);
      case 20: return std::make_unique<trunk_of<resnet_cifar<Backend, T, 20, Shortcut>>>(be, rng, s.in_channels);
      case 32: return std::make_unique<trunk_of<resnet_cifar<Backend, T, 32, Shortcut>>>(be, rng, s.in_channels);
      case 56: return std::make_unique<trunk_of<resnet_cifar<Backend, T, 56, Shortcut>>>(be, rng, s.in_channels);
      case 110: return std::make_unique<trunk_of<resnet_cifar<Backend, T, 110, Shortcut>>>(be, rng, s.in_channels);
      default: break;
    }
    detail::throw_error<value_error>(std::source_location::current(), "model: ResNet depth ", s.depth,
                                     " is not compiled in; use 8, 14, 20, 32, 56 or 110");
  }

  model_spec m_spec;
  std::unique_ptr<trunk_base> m_trunk;
  sliced_head<Backend, T> m_head;
};

}  // namespace sjmt
