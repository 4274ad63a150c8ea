#pragma once
// The CPU backend: host tensors (xtensor, NHWC, 64-byte aligned), direct and
// tap-reuse convolutions with Eigen's GEMM for the other shapes, fused batch
// norm, explicit-SIMD losses, everything in OpenMP loops. The one place where
// an op reaches CPU code; it is reached only through sjmt::ops (ops.hpp),
// which has checked the shapes and sized the outputs.
//
// An instance owns the scratch memory of the ops it runs (cpu/scratch.hpp),
// so a training step allocates nothing once the first step has run. One
// instance is used by one thread at a time; the ops themselves use OpenMP.

#include <cstdint>
#include <span>
#include <string_view>

#include "../tensor/host_tensor.hpp"
#include "backend.hpp"
#include "cpu/batch_norm.hpp"
#include "cpu/conv2d.hpp"
#include "cpu/dropout.hpp"
#include "cpu/elementwise.hpp"
#include "cpu/linear.hpp"
#include "cpu/loss.hpp"
#include "cpu/pooling.hpp"
#include "cpu/scratch.hpp"
#include "cpu/sgd.hpp"
#include "cpu/subsample_pad.hpp"

namespace sjmt {

class cpu_backend {
 public:
  static constexpr std::string_view name = "cpu";
  /// Tensors are host memory: host buffers may be handed to the ops directly.
  static constexpr bool host_memory = true;

  template <class T>
  using tensor = host_tensor<T>;

  /// Human-readable description of where the ops run.
  std::string_view device() const { return "CPU"; }

  // ---- storage ----
  template <class T>
  shape4 shape(const tensor<T>& t) const { return t.shape(); }
  template <class T>
  void resize(tensor<T>& t, const shape4& s) { detail::ensure_shape(t, s); }
  template <class T>
  void fill(tensor<T>& t, T value) { t.fill(value); }
  template <class T>
  void upload(tensor<T>& t, const host_tensor<T>& h) { t = h; }
  template <class T>
  host_tensor<T> download(const tensor<T>& t) const { return t; }
  template <class T>
  T* data(tensor<T>& t) { return t.data(); }
  template <class T>
  const T* data(const tensor<T>& t) const { return t.data(); }
  template <class T>
  void copy(const tensor<T>& src, tensor<T>& dst) { dst = src; }

  // ---- convolution ----
  template <class T>
  void conv2d_forward(const conv2d_geometry& g, const tensor<T>& x, const tensor<T>& w, tensor<T>& y) {
    detail::cpu::conv2d_forward(m_scratch, g, x, w, y);
  }
  template <class T>
  void conv2d_bn_add_relu_forward_infer(const conv2d_geometry& g, const tensor<T>& x, const tensor<T>& w,
                                        const tensor<T>& gamma, const tensor<T>& beta,
                                        const tensor<T>& running_mean, const tensor<T>& running_var, T epsilon,
                                        const tensor<T>* z, bool relu, tensor<T>& y) {
    detail::cpu::conv2d_bn_add_relu_forward_infer(m_scratch, g, x, w, gamma, beta, running_mean, running_var,
                                                  epsilon, z, relu, y);
  }
  template <class T>
  void conv2d_backward_data(const conv2d_geometry& g, const tensor<T>& dy, const tensor<T>& w, tensor<T>& dx) {
    detail::cpu::conv2d_backward_data(m_scratch, g, dy, w, dx);
  }
  template <class T>
  void conv2d_backward_filter(const conv2d_geometry& g, const tensor<T>& x, const tensor<T>& dy, tensor<T>& dw) {
    detail::cpu::conv2d_backward_filter(m_scratch, g, x, dy, dw);
  }

  // ---- batch normalisation ----
  template <class T>
  void batch_norm_forward_train(const tensor<T>& x, const tensor<T>& gamma, const tensor<T>& beta, T momentum,
                                T epsilon, tensor<T>& running_mean, tensor<T>& running_var, tensor<T>& saved_mean,
                                tensor<T>& saved_invstd, tensor<T>& y) {
    detail::cpu::batch_norm_forward_train(x, gamma, beta, momentum, epsilon, running_mean, running_var, saved_mean,
                                          saved_invstd, y);
  }
  template <class T>
  void batch_norm_forward_infer(const tensor<T>& x, const tensor<T>& gamma, const tensor<T>& beta,
                                const tensor<T>& running_mean, const tensor<T>& running_var, T epsilon,
                                tensor<T>& y) {
    detail::cpu::batch_norm_forward_infer(x, gamma, beta, running_mean, running_var, epsilon, y);
  }
  template <class T>
  void batch_norm_backward(const tensor<T>& x, const tensor<T>& dy, const tensor<T>& gamma,
                           const tensor<T>& saved_mean, const tensor<T>& saved_invstd, tensor<T>& dx,
                           tensor<T>& dgamma, tensor<T>& dbeta) {
    detail::cpu::batch_norm_backward(x, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta);
  }
  template <class T>
  void batch_norm_add_relu_forward_train(const tensor<T>& x, const tensor<T>* z, const tensor<T>& gamma,
                                         const tensor<T>& beta, T momentum, T epsilon, tensor<T>& running_mean,
                                         tensor<T>& running_var, tensor<T>& saved_mean, tensor<T>& saved_invstd,
                                         tensor<T>& y) {
    detail::cpu::batch_norm_add_relu_forward_train(x, z, gamma, beta, momentum, epsilon, running_mean, running_var,
                                                   saved_mean, saved_invstd, y);
  }
  template <class T>
  void batch_norm_add_relu_forward_infer(const tensor<T>& x, const tensor<T>* z, const tensor<T>& gamma,
                                         const tensor<T>& beta, const tensor<T>& running_mean,
                                         const tensor<T>& running_var, T epsilon, tensor<T>& y) {
    detail::cpu::batch_norm_add_relu_forward_infer(x, z, gamma, beta, running_mean, running_var, epsilon, y);
  }
  template <class T>
  void batch_norm_relu_backward(const tensor<T>& x, const tensor<T>& y, const tensor<T>& dy, const tensor<T>& gamma,
                                const tensor<T>& saved_mean, const tensor<T>& saved_invstd, tensor<T>& dx,
                                tensor<T>& dgamma, tensor<T>& dbeta, tensor<T>* dz) {
    detail::cpu::batch_norm_relu_backward(x, y, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta, dz);
  }

  // ---- elementwise, pooling, the zero-padded shortcut, columns ----
  template <class T>
  void relu_forward(const tensor<T>& x, tensor<T>& y) { detail::cpu::relu_forward(x, y); }
  template <class T>
  void relu_backward(const tensor<T>& y, const tensor<T>& dy, tensor<T>& dx) { detail::cpu::relu_backward(y, dy, dx); }
  template <class T>
  void add(const tensor<T>& a, const tensor<T>& b, tensor<T>& y) { detail::cpu::add(a, b, y); }
  template <class T>
  void global_avg_pool_forward(const tensor<T>& x, tensor<T>& y) { detail::cpu::global_avg_pool_forward(x, y); }
  template <class T>
  void global_avg_pool_backward(const tensor<T>& dy, tensor<T>& dx) { detail::cpu::global_avg_pool_backward(dy, dx); }
  template <class T>
  void max_pool2_forward(const tensor<T>& x, tensor<T>& y) { detail::cpu::max_pool2_forward(x, y); }
  template <class T>
  void max_pool2_backward(const tensor<T>& x, const tensor<T>& y, const tensor<T>& dy, tensor<T>& dx) {
    detail::cpu::max_pool2_backward(x, y, dy, dx);
  }
  template <class T>
  void soft_argmax_forward(const tensor<T>& z, tensor<T>& p, tensor<T>& y) {
    detail::cpu::soft_argmax_forward(z, p, y);
  }
  template <class T>
  void soft_argmax_backward(const tensor<T>& p, const tensor<T>& y, const tensor<T>& dy, tensor<T>& dz) {
    detail::cpu::soft_argmax_backward(p, y, dy, dz);
  }
  template <class T>
  void subsample_pad_forward(std::size_t stride, const tensor<T>& x, tensor<T>& y) {
    detail::cpu::subsample_pad_forward(stride, x, y);
  }
  template <class T>
  void subsample_pad_backward(std::size_t stride, const tensor<T>& dy, tensor<T>& dx) {
    detail::cpu::subsample_pad_backward(stride, dy, dx);
  }
  template <class T>
  void gather_columns(const tensor<T>& x, const tensor<std::int32_t>& index, tensor<T>& y) {
    detail::cpu::gather_columns(x, index, y);
  }
  template <class T>
  void scatter_columns(const tensor<T>& x, const tensor<std::int32_t>& index, tensor<T>& y) {
    detail::cpu::scatter_columns(x, index, y);
  }

  // ---- linear, dropout ----
  template <class T>
  void linear_forward(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, tensor<T>& y) {
    detail::cpu::linear_forward(x, w, b, y);
  }
  template <class T>
  void linear_backward(const tensor<T>& x, const tensor<T>& w, const tensor<T>& dy, tensor<T>& dx, tensor<T>& dw,
                       tensor<T>& db) {
    detail::cpu::linear_backward(x, w, dy, dx, dw, db);
  }
  template <class T>
  void dropout_forward(const tensor<T>& x, double p, std::uint64_t seed, tensor<T>& mask, tensor<T>& y) {
    detail::cpu::dropout_forward(x, p, seed, mask, y);
  }
  template <class T>
  void dropout_backward(const tensor<T>& mask, const tensor<T>& dy, tensor<T>& dx) {
    detail::cpu::dropout_backward(mask, dy, dx);
  }

  // ---- loss, optimiser ----
  template <class T>
  void loss_forward(const loss_plan<T>& plan, const loss_operands<T>& operands) {
    detail::cpu::loss_forward(plan, operands);
  }
  template <class T>
  void sgd_update(std::span<const sgd_slot<cpu_backend, T>> slots, const tensor<T>& lr, T momentum) {
    const T rate = lr.data()[0];
    for (const auto& s : slots)
      detail::cpu::sgd_update(s.w->data(), s.g->data(), s.v->data(), s.w->size(), rate, momentum, s.weight_decay);
  }

 private:
  detail::cpu::scratch m_scratch;
};

static_assert(backend_for<cpu_backend, float> && backend_for<cpu_backend, double>,
              "cpu_backend must satisfy the backend concept for float and double.");

}  // namespace sjmt
