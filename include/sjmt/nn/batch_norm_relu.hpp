#pragma once
// Batch normalisation, an optional residual and ReLU as one layer:
//
//   y = max(batch_norm(x) + z, 0)
//
// in one memory pass forward and one backward (ops::batch_norm_add_relu_*).
// Why fused: the composed layers read and write the activation four times and
// keep three activation-sized outputs and three input gradients; this layer
// keeps y (the ReLU mask for backward), dx and, with a residual, dz. The
// normalised x is never stored: backward recomputes it from x and the saved
// statistics. Parameters and names are those of batch_norm (checkpoints and
// PyTorch's state_dict do not change).

#include <string>

#include "batch_norm.hpp"

namespace sjmt {

template <class Backend, class T>
requires backend_for<Backend, T>
class batch_norm_relu {
 public:
  using tensor = typename Backend::template tensor<T>;

  explicit batch_norm_relu(Backend& be, std::size_t channels, T momentum = T(0.1), T epsilon = T(1e-5))
      : m_bn(be, channels, momentum, epsilon) {}

  /// y = max(batch_norm(x), 0).
  const tensor& forward(const tensor& x, mode m) { return forward(x, nullptr, m); }

  /// y = max(batch_norm(x) + *residual, 0); residual may be null. Requires:
  /// x and *residual stay alive and unchanged until backward() returns.
  const tensor& forward(const tensor& x, const tensor* residual, mode m) {
    return forward(x, residual, m, m_y);
  }

  /// As forward(x, residual, m), with the output in the caller's `y`. Only for
  /// mode::infer: backward takes the ReLU mask from the layer's own output.
  const tensor& forward(const tensor& x, const tensor* residual, mode m, tensor& y) {
    SJMT_CHECK(value_error, m == mode::infer || &y == &m_y,
               "batch_norm_relu::forward: an output buffer of the caller is for mode::infer only");
    m_bn.m_x = &x;
    m_bn.m_trained = m == mode::train;
    m_has_residual = residual != nullptr;
    auto& b = m_bn;
    if (b.m_trained)
      ops::batch_norm_add_relu_forward_train(*b.m_be, x, residual, b.m_gamma, b.m_beta, b.m_momentum,
                                             b.m_epsilon, b.m_running_mean, b.m_running_var, b.m_saved_mean,
                                             b.m_saved_invstd, y);
    else
      ops::batch_norm_add_relu_forward_infer(*b.m_be, x, residual, b.m_gamma, b.m_beta, b.m_running_mean,
                                             b.m_running_var, b.m_epsilon, y);
    return y;
  }

  /// Inference of `conv` and then this layer as one op
  /// (ops::conv2d_bn_add_relu_forward_infer): y = max(batch_norm(conv(x)) +
  /// *residual, 0) with the running statistics, the batch norm, residual and
  /// ReLU applied in the convolution's epilogue while its output is in cache.
  /// residual may be null; y is the caller's (neither x nor *residual). No
  /// backward follows.
  template <class Conv>
  const tensor& forward_after(const Conv& conv, const tensor& x) {
    return forward_after(conv, x, nullptr, m_y);
  }
  template <class Conv>
  const tensor& forward_after(const Conv& conv, const tensor& x, const tensor* residual, tensor& y) {
    auto& b = m_bn;
    b.m_x = nullptr;
    b.m_trained = false;
    m_has_residual = residual != nullptr;
    ops::conv2d_bn_add_relu_forward_infer(*b.m_be, conv.geometry(), x, conv.weight(), b.m_gamma, b.m_beta,
                                          b.m_running_mean, b.m_running_var, b.m_epsilon, residual, true, y);
    return y;
  }

  /// Requires: the last forward ran in mode::train. Returns dL/dx; with a
  /// residual, residual_gradient() then holds dL/dz.
  const tensor& backward(const tensor& dy) { return backward(dy, m_bn.m_dx, &m_dz); }

  /// As backward(dy), but dL/dx goes into the caller's `dx` and, with a
  /// residual, dL/dz into *dz (skipped when dz is null). A residual block
  /// passes its stage's scratch and its own input-gradient buffer here, so
  /// that no layer of it keeps a gradient buffer of its own.
  const tensor& backward(const tensor& dy, tensor& dx, tensor* dz) {
    auto& b = m_bn;
    SJMT_CHECK(value_error, b.m_x != nullptr && b.m_trained,
               "batch_norm_relu::backward: needs a forward in mode::train before it");
    ops::batch_norm_relu_backward(*b.m_be, *b.m_x, m_y, dy, b.m_gamma, b.m_saved_mean, b.m_saved_invstd, dx,
                                  b.m_dgamma, b.m_dbeta, m_has_residual ? dz : nullptr);
    return dx;
  }

  /// dL/dz of the last backward(dy) with a residual.
  const tensor& residual_gradient() const { return m_dz; }

  void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
    m_bn.collect(out, prefix);
  }

  tensor& gamma() { return m_bn.gamma(); }
  tensor& beta() { return m_bn.beta(); }
  const tensor& running_mean() const { return m_bn.running_mean(); }
  const tensor& running_var() const { return m_bn.running_var(); }

 private:
  batch_norm<Backend, T> m_bn;  // parameters, statistics and dx; its m_y stays empty
  tensor m_y, m_dz;
  bool m_has_residual = false;
};

}  // namespace sjmt
