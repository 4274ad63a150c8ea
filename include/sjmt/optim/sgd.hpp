#pragma once
// Stochastic gradient descent with momentum and weight decay, PyTorch's form:
//   v = momentum v + (g + weight_decay w);  w -= lr v.
// Weight decay applies to parameters marked `decay` (convolution and linear
// weights), not to batch-norm parameters nor biases, unless decay_all is set.
// Buffers (parameters without gradient) are left alone.
//
// A step may leave out the parameters of head groups that its batch did not
// reach (parameter::group): those get no update at all, neither decay nor
// momentum, as PyTorch leaves a parameter whose gradient is None. Classical
// multi-task training needs this: one optimiser over a shared trunk and
// per-dataset heads, alternating batches.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../backend/ops.hpp"
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
  static constexpr std::string_view name = "sgd";

  /// Requires: the tensors of `parameters` and the backend outlive the optimiser.
  sgd(Backend& be, const parameter_list<Backend, T>& parameters, sgd_options options = {})
      : m_be(&be), m_options(options) {
    SJMT_CHECK(value_error, options.momentum >= 0.0 && options.momentum < 1.0, "sgd: momentum = ",
               options.momentum, ", expected in [0, 1)");
    SJMT_CHECK(value_error, options.weight_decay >= 0.0, "sgd: weight_decay = ", options.weight_decay,
               ", expected >= 0");
    for (const auto& p : parameters) {
      if (!p.grad) continue;
      m_params.push_back(p);
      m_velocity.emplace_back();
      be.resize(m_velocity.back(), be.shape(*p.value));
      be.fill(m_velocity.back(), T(0));
    }
    be.resize(m_lr, {1, 1, 1, 1});
  }
  sgd(const sgd&) = delete;  // m_slots point into m_velocity
  sgd& operator=(const sgd&) = delete;

  /// One update of every trainable parameter with learning rate `lr`.
  void step(double lr) {
    step(lr, [](int) { return true; });
  }

  /// One update of the parameters whose group `active` accepts (a callable of
  /// the group: shared_group or a domain index); the others are not touched.
  template <class Active>
  void step(double lr, const Active& active) {
    prepare(lr, active);
    apply();
  }

  /// The host half of step(): checks lr, picks the slots of the active groups
  /// and writes lr into the device's one-element tensor. apply() then issues
  /// the update alone, so that it can be captured once and replayed with each
  /// step's rate (train/trainer.hpp).
  template <class Active>
  void prepare(double lr, const Active& active) {
    SJMT_CHECK(value_error, lr >= 0.0, "sgd::step: lr = ", lr, ", expected >= 0");
    bool changed = m_taking_part.size() != m_params.size();
    m_taking_part.resize(m_params.size());
    for (std::size_t i = 0; i < m_params.size(); ++i) {
      const bool on = active(m_params[i].group);
      changed = changed || m_taking_part[i] != on;
      m_taking_part[i] = on;
    }
    if (changed) {  // the slots of this set of groups (kept while it repeats)
      m_slots.clear();
      for (std::size_t i = 0; i < m_params.size(); ++i) {
        if (!m_taking_part[i]) continue;
        const double wd = (m_params[i].decay || m_options.decay_all) ? m_options.weight_decay : 0.0;
        m_slots.push_back({m_params[i].value, m_params[i].grad, &m_velocity[i], static_cast<T>(wd)});
      }
    }
    m_be->fill(m_lr, static_cast<T>(lr));
    ++m_steps;
  }

  /// The device half of step(): the update of the slots prepare() picked, at the rate it wrote.
  void apply() { ops::sgd_update<Backend, T>(*m_be, m_slots, m_lr, static_cast<T>(m_options.momentum)); }

  std::size_t steps() const { return m_steps; }
  /// Momentum buffers, in the order of the trainable parameters.
  std::span<tensor> velocity() { return m_velocity; }
  const parameter_list<Backend, T>& parameters() const { return m_params; }

  /// The optimiser's state as named tensors, for checkpoints: the momentum
  /// buffer of each trainable parameter p, named "optimizer.momentum.<p>".
  parameter_list<Backend, T> state() {
    parameter_list<Backend, T> out;
    for (std::size_t i = 0; i < m_params.size(); ++i)
      out.push_back({"optimizer.momentum." + m_params[i].name, &m_velocity[i], nullptr, false, m_params[i].role});
    return out;
  }

 private:
  Backend* m_be;
  sgd_options m_options;
  parameter_list<Backend, T> m_params;
  std::vector<tensor> m_velocity;
  std::vector<sgd_slot<Backend, T>> m_slots;
  std::vector<bool> m_taking_part;
  tensor m_lr;
  std::size_t m_steps = 0;
};

}  // namespace sjmt
