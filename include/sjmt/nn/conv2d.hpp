#pragma once
// 2-D convolution layer without bias (a batch norm follows it in every model
// here). Filter (R, S, C, K), initialised by default He-normal: N(0, 2 / (R S C)).

#include <random>
#include <string>

#include "layer.hpp"

namespace sjmt {

template <class Backend, class T>
  requires backend_for<Backend, T>
class conv2d {
 public:
  using tensor = typename Backend::template tensor<T>;

  /// `input_gradient = false` skips dX (the first layer of a network needs none).
  conv2d(Backend& be, std::size_t in_channels, std::size_t out_channels, conv2d_geometry geometry,
         std::mt19937_64& rng, bool input_gradient = true, initializer init = {init_rule::he_normal})
      : m_be(&be), m_geometry(geometry), m_input_gradient(input_gradient) {
    SJMT_CHECK(value_error, in_channels > 0 && out_channels > 0, "conv2d: channels ", in_channels, " -> ",
               out_channels, ", expected both > 0");
    const shape4 ws{geometry.kernel, geometry.kernel, in_channels, out_channels};
    const std::size_t taps = geometry.kernel * geometry.kernel;
    be.upload(m_w, detail::initial_values<T>(ws, init, taps * in_channels, taps * out_channels, rng));
    be.resize(m_dw, ws);
    be.fill(m_dw, T(0));
  }

  const tensor& forward(const tensor& x, mode m) { return forward(x, m, m_y); }

  /// As forward(x, m), but the output goes into the caller's `y` (inference
  /// in a residual block uses its stage's scratch).
  const tensor& forward(const tensor& x, mode, tensor& y) {
    m_x = &x;
    ops::conv2d_forward(*m_be, m_geometry, x, m_w, y);
    return y;
  }

  const tensor& backward(const tensor& dy) { return backward(dy, m_dx); }

  /// As backward(dy), but dL/dx goes into the caller's `dx` (a residual block
  /// passes scratch shared by its stage, so that not every layer keeps one).
  const tensor& backward(const tensor& dy, tensor& dx) {
    SJMT_CHECK(value_error, m_x != nullptr, "conv2d::backward: called before forward");
    ops::conv2d_backward_filter(*m_be, m_geometry, *m_x, dy, m_be->shape(m_w), m_dw);
    if (m_input_gradient) ops::conv2d_backward_data(*m_be, m_geometry, dy, m_w, m_be->shape(*m_x), dx);
    return dx;
  }

  void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
    out.push_back({prefix + "weight", &m_w, &m_dw, true, tensor_role::filter});
  }

  const conv2d_geometry& geometry() const { return m_geometry; }
  tensor& weight() { return m_w; }
  const tensor& weight() const { return m_w; }

 private:
  Backend* m_be;
  conv2d_geometry m_geometry;
  bool m_input_gradient;
  tensor m_w, m_dw, m_y, m_dx;
  const tensor* m_x = nullptr;
};

}  // namespace sjmt
