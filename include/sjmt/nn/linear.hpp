#pragma once
// Fully connected layer with bias: (N, H, W, C) read as (N, H W C) -> (N, 1, 1, Out).
// PyTorch's default initialisation: weight and bias from U(-1/sqrt(In), 1/sqrt(In)).

#include <cmath>
#include <random>
#include <string>

#include "layer.hpp"

namespace sjmt {

template <class Backend, class T>
  requires backend_for<Backend, T>
class linear {
 public:
  using tensor = typename Backend::template tensor<T>;

  linear(std::size_t in_features, std::size_t out_features, std::mt19937_64& rng) {
    SJMT_CHECK(value_error, in_features > 0 && out_features > 0, "linear: features ", in_features, " -> ",
               out_features, ", expected both > 0");
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    Backend::upload(m_w, detail::uniform_init<T>({1, 1, in_features, out_features}, bound, rng));
    Backend::upload(m_b, detail::uniform_init<T>({1, 1, 1, out_features}, bound, rng));
    Backend::resize(m_dw, Backend::shape(m_w));
    Backend::resize(m_db, Backend::shape(m_b));
    Backend::fill(m_dw, T(0));
    Backend::fill(m_db, T(0));
  }

  const tensor& forward(const tensor& x, mode) {
    m_x = &x;
    Backend::linear_forward(x, m_w, m_b, m_y);
    return m_y;
  }
  const tensor& backward(const tensor& dy) {
    SJMT_CHECK(value_error, m_x != nullptr, "linear::backward: called before forward");
    Backend::linear_backward(*m_x, m_w, dy, m_dx, m_dw, m_db);
    return m_dx;
  }
  void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
    out.push_back({prefix + "weight", &m_w, &m_dw, true, tensor_role::matrix});
    out.push_back({prefix + "bias", &m_b, &m_db, false});
  }

  std::size_t in_features() const { return Backend::shape(m_w)[2]; }
  std::size_t out_features() const { return Backend::shape(m_w)[3]; }

 private:
  tensor m_w, m_b, m_dw, m_db, m_y, m_dx;
  const tensor* m_x = nullptr;
};

}  // namespace sjmt
