#pragma once
// Parameter-free layers: ReLU, 2x2 max pooling, global average pooling, dropout.

#include <cstdint>
#include <string>

#include "layer.hpp"

namespace sjmt {

template <class Backend, class T>
  requires backend_for<Backend, T>
class relu {
 public:
  using tensor = typename Backend::template tensor<T>;
  explicit relu(Backend& be) : m_be(&be) {}
  const tensor& forward(const tensor& x, mode) {
    ops::relu_forward(*m_be, x, m_y);
    m_ran = true;
    return m_y;
  }
  const tensor& backward(const tensor& dy) {
    SJMT_CHECK(value_error, m_ran, "relu::backward: called before forward");
    ops::relu_backward(*m_be, m_y, dy, m_dx);
    return m_dx;
  }
  void collect(parameter_list<Backend, T>&, const std::string&) {}

 private:
  Backend* m_be;
  tensor m_y, m_dx;
  bool m_ran = false;
};

/// 2x2 windows, stride 2: (N, H, W, C) -> (N, H/2, W/2, C).
template <class Backend, class T>
  requires backend_for<Backend, T>
class max_pool2 {
 public:
  using tensor = typename Backend::template tensor<T>;
  explicit max_pool2(Backend& be) : m_be(&be) {}
  const tensor& forward(const tensor& x, mode) {
    m_x = &x;
    ops::max_pool2_forward(*m_be, x, m_y);
    return m_y;
  }
  const tensor& backward(const tensor& dy) {
    SJMT_CHECK(value_error, m_x != nullptr, "max_pool2::backward: called before forward");
    ops::max_pool2_backward(*m_be, *m_x, m_y, dy, m_dx);
    return m_dx;
  }
  void collect(parameter_list<Backend, T>&, const std::string&) {}

 private:
  Backend* m_be;
  tensor m_y, m_dx;
  const tensor* m_x = nullptr;
};

/// (N, H, W, C) -> (N, 1, 1, C).
template <class Backend, class T>
  requires backend_for<Backend, T>
class global_avg_pool {
 public:
  using tensor = typename Backend::template tensor<T>;
  explicit global_avg_pool(Backend& be) : m_be(&be) {}
  const tensor& forward(const tensor& x, mode) {
    m_x_shape = m_be->shape(x);
    m_ran = true;
    ops::global_avg_pool_forward(*m_be, x, m_y);
    return m_y;
  }
  const tensor& backward(const tensor& dy) {
    SJMT_CHECK(value_error, m_ran, "global_avg_pool::backward: called before forward");
    ops::global_avg_pool_backward(*m_be, dy, m_x_shape, m_dx);
    return m_dx;
  }
  void collect(parameter_list<Backend, T>&, const std::string&) {}

 private:
  Backend* m_be;
  tensor m_y, m_dx;
  shape4 m_x_shape{};
  bool m_ran = false;
};

/// Inverted dropout with probability p in training, the identity in inference.
/// Each training forward draws a new mask from (seed, call count).
template <class Backend, class T>
  requires backend_for<Backend, T>
class dropout {
 public:
  using tensor = typename Backend::template tensor<T>;
  dropout(Backend& be, double p, std::uint64_t seed = 0) : m_be(&be), m_p(p), m_seed(seed) {
    SJMT_CHECK(value_error, p >= 0.0 && p < 1.0, "dropout: p = ", p, ", expected 0 <= p < 1");
  }
  const tensor& forward(const tensor& x, mode m) {
    m_trained = m == mode::train;
    if (!m_trained) return x;
    ops::dropout_forward(*m_be, x, m_p, m_seed + m_calls++, m_mask, m_y);
    return m_y;
  }
  const tensor& backward(const tensor& dy) {
    if (!m_trained) return dy;
    ops::dropout_backward(*m_be, m_mask, dy, m_dx);
    return m_dx;
  }
  void collect(parameter_list<Backend, T>&, const std::string&) {}
  /// Restarts the mask sequence: the next forward draws the mask of `seed`.
  void reseed(std::uint64_t seed) {
    m_seed = seed;
    m_calls = 0;
  }
  /// Moves in the mask sequence: the next training forward draws the mask of
  /// call `calls` (seed + calls), as if `calls` training forwards had run.
  void seek(std::uint64_t calls) { m_calls = calls; }

 private:
  Backend* m_be;
  double m_p;
  std::uint64_t m_seed, m_calls = 0;
  tensor m_mask, m_y, m_dx;
  bool m_trained = false;
};

}  // namespace sjmt
