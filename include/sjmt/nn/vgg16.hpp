#pragma once
// VGG-16 with batch norm for 32x32 inputs (the paper's other single-task
// baseline): 13 3x3 convolutions (64, 64, M, 128, 128, M, 256 x3, M, 512 x3,
// M, 512 x3, M), each followed by batch norm and ReLU, M = 2x2 max pooling.
// The trunk ends at (N, 1, 1, 512) for 32x32 input (any size divisible by 32
// works; the last map is then global-average pooled to 512 features). The
// classifier is a head (nn/heads.hpp), as for resnet_cifar.

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "activation.hpp"
#include "batch_norm.hpp"
#include "conv2d.hpp"

namespace sjmt {

template <class Backend, class T>
  requires backend_for<Backend, T>
class vgg16 {
 public:
  using backend = Backend;
  using value_type = T;
  using tensor = typename Backend::template tensor<T>;
  static constexpr std::size_t features = 512;

  /// `in_channels`: of the input images (1 grey, 3 RGB, or any count).
  vgg16(Backend& be, std::mt19937_64& rng, std::size_t in_channels = 3, bool input_gradient = false) : m_pool(be) {
    constexpr std::size_t widths[13] = {64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512};
    constexpr bool pool_after[13] = {false, true, false, true, false, false, true,
                                     false, false, true, false, false, true};
    std::size_t channels = in_channels;
    m_units.reserve(13);
    for (std::size_t i = 0; i < 13; ++i) {
      m_units.emplace_back(be, channels, widths[i], pool_after[i], rng, input_gradient || i > 0);
      channels = widths[i];
    }
  }

  /// x (N, H, W, C_in), H and W multiples of 32 -> (N, 1, 1, 512).
  const tensor& forward(const tensor& x, mode m) {
    const tensor* h = &x;
    for (auto& u : m_units) h = &u.forward(*h, m);
    return m_pool.forward(*h, m);
  }

  /// dy (N, 1, 1, 512) -> gradients of every parameter (no input gradient).
  const tensor& backward(const tensor& dy) {
    const tensor* g = &m_pool.backward(dy);
    for (auto it = m_units.rbegin(); it != m_units.rend(); ++it) g = &it->backward(*g);
    return *g;
  }

  void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
    for (std::size_t i = 0; i < m_units.size(); ++i) m_units[i].collect(out, prefix + "features." + std::to_string(i) + ".");
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

  std::vector<unit> m_units;
  global_avg_pool<Backend, T> m_pool;
};

}  // namespace sjmt
