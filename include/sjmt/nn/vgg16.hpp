#pragma once
// VGG-16 (Simonyan & Zisserman 2015, configuration D) with batch norm, the
// paper's other single-task baseline: 13 3x3 convolutions (64, 64, M, 128,
// 128, M, 256 x3, M, 512 x3, M, 512 x3, M), each followed by batch norm and
// ReLU, M = 2x2 max pooling; then the first two of its three fully connected
// layers, each followed by ReLU and dropout (p = 0.5 in the paper and the
// original). The third, the classifier, is the head (nn/heads.hpp), as for
// resnet_cifar: a network<vgg16, joint_head> has VGG-16's 16 weight layers.
//
// Input: 32x32 (the trainer's faces); after five poolings the map is
// (N, 1, 1, 512), so the first fully connected layer reads 512 features where
// the original, at 224x224, reads 7 x 7 x 512 = 25,088. Any size divisible by
// 32 works: the last map is global-average pooled to 512 features first (the
// identity at 32x32).
//
// FcWidth: the width of the two hidden fully connected layers, the features
// the head reads. The original's, and the default, is 4096: 18.9 M of the
// trunk's 33.6 M weights then sit in those two layers, 16x the 1.2 M weights
// of the CIFAR variants that use 512 (e.g. Liu & Deng 2015) for a 512-feature
// input. The paper trainer uses 512 (examples/paper.cpp; docs/design.md says
// why).
//
// Dropout: in mode::train each dropout draws a fresh mask per forward, from a
// seed drawn from `rng` when the trunk is built (so masks follow the model's
// seed) and the step (begin_step, which the trainer calls); in mode::infer it
// is the identity. reseed_dropout fixes the masks (finite-difference checks).

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "activation.hpp"
#include "batch_norm.hpp"
#include "conv2d.hpp"
#include "linear.hpp"

namespace sjmt {

/// Fully connected widths of VGG-16 a run-time model can take (nn/model.hpp):
/// the original's 4096 and the trainer's 512.
inline constexpr std::size_t vgg16_fc_widths[] = {4096, 512};

template <class Backend, class T, std::size_t FcWidth = 4096>
  requires backend_for<Backend, T>
class vgg16 {
  static_assert(FcWidth > 0, "vgg16: FcWidth, the width of the hidden fully connected layers, must be > 0.");

 public:
  using backend = Backend;
  using value_type = T;
  using tensor = typename Backend::template tensor<T>;
  static constexpr std::size_t conv_features = 512;  ///< what the convolutions end with
  static constexpr std::size_t fc_width = FcWidth;
  static constexpr std::size_t features = FcWidth;  ///< what the head reads

  /// `in_channels`: of the input images (1 grey, 3 RGB, or any count);
  /// `dropout`: the probability of each of the two dropouts, 0 <= p < 1.
  /// Draws the convolutions, the two fully connected layers and then the two
  /// dropout seeds from rng, in that order.
  vgg16(Backend& be, std::mt19937_64& rng, std::size_t in_channels = 3, bool input_gradient = false,
        double dropout = 0.5)
      : m_units(make_units(be, rng, in_channels, input_gradient)),
        m_pool(be),
        m_fc1(be, conv_features, FcWidth, rng),
        m_relu1(be),
        m_fc2(be, FcWidth, FcWidth, rng),
        m_relu2(be),
        m_drop1(be, dropout, rng()),
        m_drop2(be, dropout, rng()) {}

  /// x (N, H, W, C_in), H and W multiples of 32 -> (N, 1, 1, FcWidth).
  const tensor& forward(const tensor& x, mode m) {
    const tensor* h = &x;
    for (auto& u : m_units) h = &u.forward(*h, m);
    h = &m_drop1.forward(m_relu1.forward(m_fc1.forward(m_pool.forward(*h, m), m), m), m);
    return m_drop2.forward(m_relu2.forward(m_fc2.forward(*h, m), m), m);
  }

  /// dy (N, 1, 1, FcWidth) -> gradients of every parameter; the input gradient
  /// (empty unless built with input_gradient).
  const tensor& backward(const tensor& dy) {
    const tensor& d_fc2 = m_fc2.backward(m_relu2.backward(m_drop2.backward(dy)));
    const tensor* g = &m_pool.backward(m_fc1.backward(m_relu1.backward(m_drop1.backward(d_fc2))));
    for (auto it = m_units.rbegin(); it != m_units.rend(); ++it) g = &it->backward(*g);
    return *g;
  }

  /// Names as torchvision's vgg16_bn, per unit: features.<i>.{conv,bn}.*,
  /// classifier.0.* and classifier.3.* (its Linear layers; 6 is the head).
  void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
    for (std::size_t i = 0; i < m_units.size(); ++i) m_units[i].collect(out, prefix + "features." + std::to_string(i) + ".");
    m_fc1.collect(out, prefix + "classifier.0.");
    m_fc2.collect(out, prefix + "classifier.3.");
  }

  /// Restarts both dropouts' mask sequences from `seed` (the second from seed + 2^32).
  void reseed_dropout(std::uint64_t seed) {
    m_drop1.reseed(seed);
    m_drop2.reseed(seed + (std::uint64_t(1) << 32));
  }
  /// The next training forward draws the masks of training step `step` (the
  /// trainer calls it before every step): the masks are a function of the
  /// seed and the step, so a resumed run draws those an uninterrupted one
  /// would, and a forward that did not count (a failed graph capture) shifts
  /// nothing.
  void begin_step(std::uint64_t step) {
    m_drop1.seek(step);
    m_drop2.seek(step);
  }

 private:
  /// conv 3x3 -> batch norm -> relu [-> 2x2 max pooling].
  struct unit {
    unit(Backend& be, std::size_t in, std::size_t out, bool pool, std::mt19937_64& rng, bool input_gradient)
        : conv(be, in, out, conv2d_geometry{3, 1, 1}, rng, input_gradient), bn(be, out), act(be) {
      if (pool) pooling.emplace(be);
    }
    const tensor& forward(const tensor& x, mode m) {
      const tensor& h = act.forward(bn.forward(conv.forward(x, m), m), m);
      return pooling ? pooling->forward(h, m) : h;
    }
    const tensor& backward(const tensor& dy) {
      const tensor& g = pooling ? pooling->backward(dy) : dy;
      return conv.backward(bn.backward(act.backward(g)));
    }
    void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
      conv.collect(out, prefix + "conv.");
      bn.collect(out, prefix + "bn.");
    }
    conv2d<Backend, T> conv;
    batch_norm<Backend, T> bn;
    relu<Backend, T> act;
    std::optional<max_pool2<Backend, T>> pooling;
  };

  static std::vector<unit> make_units(Backend& be, std::mt19937_64& rng, std::size_t in_channels,
                                      bool input_gradient) {
    constexpr std::size_t widths[13] = {64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512};
    constexpr bool pool_after[13] = {false, true, false, true, false, false, true,
                                     false, false, true, false, false, true};
    std::vector<unit> units;
    units.reserve(13);  // built in place, once
    std::size_t channels = in_channels;
    for (std::size_t i = 0; i < 13; ++i) {
      units.emplace_back(be, channels, widths[i], pool_after[i], rng, input_gradient || i > 0);
      channels = widths[i];
    }
    return units;
  }

  std::vector<unit> m_units;
  global_avg_pool<Backend, T> m_pool;
  linear<Backend, T> m_fc1;
  relu<Backend, T> m_relu1;
  linear<Backend, T> m_fc2;
  relu<Backend, T> m_relu2;
  dropout<Backend, T> m_drop1, m_drop2;
};

}  // namespace sjmt
