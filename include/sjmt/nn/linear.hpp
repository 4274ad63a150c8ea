#pragma once
// Fully connected layer with bias: (N, H, W, C) read as (N, H W C) -> (N, 1, 1, Out).
// Default initialisation is PyTorch's: weight and bias from U(-1/sqrt(In), 1/sqrt(In)).

#include <random>
#include <string>

#include "layer.hpp"

namespace sjmt {

struct linear_init {
  initializer weight{init_rule::fan_in_uniform};
  initializer bias{init_rule::fan_in_uniform};
};

template <class Backend, class T>
  requires backend_for<Backend, T>
class linear {
 public:
  using tensor = typename Backend::template tensor<T>;

  linear(Backend& be, std::size_t in_features, std::size_t out_features, std::mt19937_64& rng, linear_init init = {})
      : m_be(&be) {
    SJMT_CHECK(value_error, in_features > 0 && out_features > 0, "linear: features ", in_features, " -> ",
               out_features, ", expected both > 0");
    be.upload(m_w, detail::initial_values<T>({1, 1, in_features, out_features}, init.weight, in_features,
                                             out_features, rng));
    be.upload(m_b, detail::initial_values<T>({1, 1, 1, out_features}, init.bias, in_features, out_features, rng));
    be.resize(m_dw, be.shape(m_w));
    be.resize(m_db, be.shape(m_b));
    be.fill(m_dw, T(0));
    be.fill(m_db, T(0));
  }

  const tensor& forward(const tensor& x, mode) {
    m_x = &x;
    ops::linear_forward(*m_be, x, m_w, m_b, m_y);
    return m_y;
  }
  const tensor& backward(const tensor& dy) {
    SJMT_CHECK(value_error, m_x != nullptr, "linear::backward: called before forward");
    ops::linear_backward(*m_be, *m_x, m_w, dy, m_dx, m_dw, m_db);
    return m_dx;
  }
  /// Appends weight and bias; `group` as in parameter (a dataset's own head).
  void collect(parameter_list<Backend, T>& out, const std::string& prefix, int group = shared_group) {
    out.push_back({prefix + "weight", &m_w, &m_dw, true, tensor_role::matrix, group});
    out.push_back({prefix + "bias", &m_b, &m_db, false, tensor_role::vector, group});
  }

  std::size_t in_features() const { return m_be->shape(m_w)[2]; }
  std::size_t out_features() const { return m_be->shape(m_w)[3]; }
  tensor& weight() { return m_w; }
  tensor& bias() { return m_b; }

 private:
  Backend* m_be;
  tensor m_w, m_b, m_dw, m_db, m_y, m_dx;
  const tensor* m_x = nullptr;
};

}  // namespace sjmt
