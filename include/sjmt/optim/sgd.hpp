#pragma once
// Stochastic gradient descent with momentum and weight decay, PyTorch's form:
//   v = momentum v + (g + weight_decay w);  w -= lr v.
// Weight decay applies to parameters marked `decay` (convolution and linear
// weights), not to batch-norm parameters nor biases, unless decay_all is set.
// Buffers (parameters without gradient) are left alone.

#include <string>
#include <string_view>
#include <vector>

#include "../nn/layer.hpp"

namespace sjmt {

struct sgd_options {
  double momentum = 0.9;
  double weight_decay = 5e-4;
  bool decay_all = false;  // also decay batch-norm parameters and biases
};

template <class Backend, class T>
  requires backend_for<Backend, T>
class sgd {
 public:
  using tensor = typename Backend::template tensor<T>;
  /// The optimiser's name in checkpoints (checkpoint_metadata::optimizer).
  static constexpr std::string_view name = "sgd";

  /// Requires: the tensors of `parameters` outlive the optimiser.
  sgd(const parameter_list<Backend, T>& parameters, sgd_options options = {}) : m_options(options) {
    SJMT_CHECK(value_error, options.momentum >= 0.0 && options.momentum < 1.0, "sgd: momentum = ",
               options.momentum, ", expected in [0, 1)");
    SJMT_CHECK(value_error, options.weight_decay >= 0.0, "sgd: weight_decay = ", options.weight_decay,
               ", expected >= 0");
    for (const auto& p : parameters) {
      if (!p.grad) continue;
      m_params.push_back(p);
      tensor v;
      Backend::resize(v, Backend::shape(*p.value));
      Backend::fill(v, T(0));
      m_velocity.push_back(std::move(v));
    }
  }

  /// One update with learning rate `lr` from the current gradients.
  void step(double lr) {
    SJMT_CHECK(value_error, lr >= 0.0, "sgd::step: lr = ", lr, ", expected >= 0");
    for (std::size_t i = 0; i < m_params.size(); ++i) {
      const double wd = (m_params[i].decay || m_options.decay_all) ? m_options.weight_decay : 0.0;
      Backend::sgd_update(*m_params[i].value, *m_params[i].grad, m_velocity[i], static_cast<T>(lr),
                          static_cast<T>(m_options.momentum), static_cast<T>(wd));
    }
    ++m_steps;
  }

  std::size_t steps() const { return m_steps; }
  /// Momentum buffers, in the order of the trainable parameters (for checkpoints).
  std::vector<tensor>& velocity() { return m_velocity; }
  const parameter_list<Backend, T>& parameters() const { return m_params; }
  /// The momentum buffers as named tensors, for save_checkpoint/load_checkpoint:
  /// "optimizer.momentum.<parameter>", with the parameter's role, no gradient.
  /// Ensures: the entries point into this optimiser; valid while it lives.
  parameter_list<Backend, T> state() {
    parameter_list<Backend, T> out;
    for (std::size_t i = 0; i < m_params.size(); ++i)
      out.push_back({"optimizer.momentum." + m_params[i].name, &m_velocity[i], nullptr, false, m_params[i].role});
    return out;
  }

 private:
  sgd_options m_options;
  parameter_list<Backend, T> m_params;
  std::vector<tensor> m_velocity;
  std::size_t m_steps = 0;
};

}  // namespace sjmt
