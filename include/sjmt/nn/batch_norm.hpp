#pragma once
// Batch normalisation over channels: gamma = 1, beta = 0, running mean 0 and
// running variance 1 at start; momentum 0.1 and epsilon 1e-5 (PyTorch's).

#include <string>

#include "layer.hpp"

namespace sjmt {

template <class Backend, class T>
  requires backend_for<Backend, T>
class batch_norm_relu;

template <class Backend, class T>
  requires backend_for<Backend, T>
class batch_norm {
 public:
  using tensor = typename Backend::template tensor<T>;

  explicit batch_norm(Backend& be, std::size_t channels, T momentum = T(0.1), T epsilon = T(1e-5))
      : m_be(&be), m_momentum(momentum), m_epsilon(epsilon) {
    SJMT_CHECK(value_error, channels > 0, "batch_norm: channels = 0, expected > 0");
    SJMT_CHECK(value_error, momentum >= T(0) && momentum <= T(1), "batch_norm: momentum = ", momentum,
               ", expected in [0, 1]");
    const shape4 s{1, 1, 1, channels};
    for (auto [t, v] : {std::pair{&m_gamma, T(1)}, {&m_beta, T(0)}, {&m_running_mean, T(0)},
                        {&m_running_var, T(1)}, {&m_dgamma, T(0)}, {&m_dbeta, T(0)}}) {
      be.resize(*t, s);
      be.fill(*t, v);
    }
  }

  const tensor& forward(const tensor& x, mode m) {
    m_x = &x;
    m_trained = m == mode::train;
    if (m_trained)
      ops::batch_norm_forward_train(*m_be, x, m_gamma, m_beta, m_momentum, m_epsilon, m_running_mean,
                                    m_running_var, m_saved_mean, m_saved_invstd, m_y);
    else
      ops::batch_norm_forward_infer(*m_be, x, m_gamma, m_beta, m_running_mean, m_running_var, m_epsilon, m_y);
    return m_y;
  }

  /// Inference of `conv` and then this batch norm as one op
  /// (ops::conv2d_bn_add_relu_forward_infer): batch_norm(conv(x)) with the
  /// running statistics, applied in the convolution's epilogue. No backward follows.
  template <class Conv>
  const tensor& forward_after(const Conv& conv, const tensor& x) {
    m_x = nullptr;
    m_trained = false;
    ops::conv2d_bn_add_relu_forward_infer(*m_be, conv.geometry(), x, conv.weight(), m_gamma, m_beta,
                                          m_running_mean, m_running_var, m_epsilon, nullptr, false, m_y);
    return m_y;
  }

  /// Requires: the last forward ran in mode::train (inference has no gradient here).
  const tensor& backward(const tensor& dy) {
    SJMT_CHECK(value_error, m_x != nullptr && m_trained,
               "batch_norm::backward: needs a forward in mode::train before it");
    ops::batch_norm_backward(*m_be, *m_x, dy, m_gamma, m_saved_mean, m_saved_invstd, m_dx, m_dgamma, m_dbeta);
    return m_dx;
  }

  void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
    out.push_back({prefix + "weight", &m_gamma, &m_dgamma, false});
    out.push_back({prefix + "bias", &m_beta, &m_dbeta, false});
    out.push_back({prefix + "running_mean", &m_running_mean, nullptr, false});
    out.push_back({prefix + "running_var", &m_running_var, nullptr, false});
  }

  tensor& gamma() { return m_gamma; }
  tensor& beta() { return m_beta; }
  const tensor& running_mean() const { return m_running_mean; }
  const tensor& running_var() const { return m_running_var; }

 private:
  template <class B, class U>
    requires backend_for<B, U>
  friend class batch_norm_relu;  // shares the parameters and statistics, not the buffers

  Backend* m_be;
  T m_momentum, m_epsilon;
  tensor m_gamma, m_beta, m_running_mean, m_running_var, m_dgamma, m_dbeta;
  tensor m_saved_mean, m_saved_invstd, m_y, m_dx;
  const tensor* m_x = nullptr;
  bool m_trained = false;
};

}  // namespace sjmt
