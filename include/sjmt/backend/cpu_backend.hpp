#pragma once
// The CPU backend: host tensors (xtensor, NHWC, 64-byte aligned), convolutions
// and linear layers through Eigen's GEMM, everything else in OpenMP loops.
// This struct is the one place where layer calls reach CPU code.

#include <string_view>

#include "../tensor/host_tensor.hpp"
#include "backend.hpp"
#include "cpu/batch_norm.hpp"
#include "cpu/conv2d.hpp"
#include "cpu/dropout.hpp"
#include "cpu/elementwise.hpp"
#include "cpu/linear.hpp"
#include "cpu/pooling.hpp"
#include "cpu/sgd.hpp"

namespace sjmt {

struct cpu_backend {
  static constexpr std::string_view name = "cpu";

  template <class T>
  using tensor = host_tensor<T>;

  template <class T>
  static shape4 shape(const tensor<T>& t) { return t.shape(); }
  template <class T>
  static void resize(tensor<T>& t, const shape4& s) { detail::ensure_shape(t, s); }
  template <class T>
  static void fill(tensor<T>& t, T value) { t.fill(value); }
  template <class T>
  static void upload(tensor<T>& t, const host_tensor<T>& h) { t = h; }
  template <class T>
  static host_tensor<T> download(const tensor<T>& t) { return t; }

  template <class T>
  static void conv2d_forward(const conv2d_geometry& g, const tensor<T>& x, const tensor<T>& w, tensor<T>& y) {
    detail::cpu::conv2d_forward(g, x, w, y);
  }
  template <class T>
  static void conv2d_backward_data(const conv2d_geometry& g, const tensor<T>& dy, const tensor<T>& w,
                                   const shape4& x_shape, tensor<T>& dx) {
    detail::cpu::conv2d_backward_data(g, dy, w, x_shape, dx);
  }
  template <class T>
  static void conv2d_backward_filter(const conv2d_geometry& g, const tensor<T>& x, const tensor<T>& dy,
                                     tensor<T>& dw) {
    detail::cpu::conv2d_backward_filter(g, x, dy, dw);
  }

  template <class T>
  static void batch_norm_forward_train(const tensor<T>& x, const tensor<T>& gamma, const tensor<T>& beta, T momentum,
                                       T epsilon, tensor<T>& running_mean, tensor<T>& running_var,
                                       tensor<T>& saved_mean, tensor<T>& saved_invstd, tensor<T>& y) {
    detail::cpu::batch_norm_forward_train(x, gamma, beta, momentum, epsilon, running_mean, running_var, saved_mean,
                                          saved_invstd, y);
  }
  template <class T>
  static void batch_norm_forward_infer(const tensor<T>& x, const tensor<T>& gamma, const tensor<T>& beta,
                                       const tensor<T>& running_mean, const tensor<T>& running_var, T epsilon,
                                       tensor<T>& y) {
    detail::cpu::batch_norm_forward_infer(x, gamma, beta, running_mean, running_var, epsilon, y);
  }
  template <class T>
  static void batch_norm_backward(const tensor<T>& x, const tensor<T>& dy, const tensor<T>& gamma,
                                  const tensor<T>& saved_mean, const tensor<T>& saved_invstd, tensor<T>& dx,
                                  tensor<T>& dgamma, tensor<T>& dbeta) {
    detail::cpu::batch_norm_backward(x, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta);
  }

  template <class T>
  static void batch_norm_add_relu_forward_train(const tensor<T>& x, const tensor<T>* z, const tensor<T>& gamma,
                                                const tensor<T>& beta, T momentum, T epsilon,
                                                tensor<T>& running_mean, tensor<T>& running_var,
                                                tensor<T>& saved_mean, tensor<T>& saved_invstd, tensor<T>& y) {
    detail::cpu::batch_norm_add_relu_forward_train(x, z, gamma, beta, momentum, epsilon, running_mean, running_var,
                                                   saved_mean, saved_invstd, y);
  }
  template <class T>
  static void batch_norm_add_relu_forward_infer(const tensor<T>& x, const tensor<T>* z, const tensor<T>& gamma,
                                                const tensor<T>& beta, const tensor<T>& running_mean,
                                                const tensor<T>& running_var, T epsilon, tensor<T>& y) {
    detail::cpu::batch_norm_add_relu_forward_infer(x, z, gamma, beta, running_mean, running_var, epsilon, y);
  }
  template <class T>
  static void batch_norm_relu_backward(const tensor<T>& x, const tensor<T>& y, const tensor<T>& dy,
                                       const tensor<T>& gamma, const tensor<T>& saved_mean,
                                       const tensor<T>& saved_invstd, tensor<T>& dx, tensor<T>& dgamma,
                                       tensor<T>& dbeta, tensor<T>* dz) {
    detail::cpu::batch_norm_relu_backward(x, y, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta, dz);
  }

  template <class T>
  static void relu_forward(const tensor<T>& x, tensor<T>& y) { detail::cpu::relu_forward(x, y); }
  template <class T>
  static void relu_backward(const tensor<T>& y, const tensor<T>& dy, tensor<T>& dx) {
    detail::cpu::relu_backward(y, dy, dx);
  }
  template <class T>
  static void add(const tensor<T>& a, const tensor<T>& b, tensor<T>& y) { detail::cpu::add(a, b, y); }

  template <class T>
  static void global_avg_pool_forward(const tensor<T>& x, tensor<T>& y) {
    detail::cpu::global_avg_pool_forward(x, y);
  }
  template <class T>
  static void global_avg_pool_backward(const tensor<T>& dy, const shape4& x_shape, tensor<T>& dx) {
    detail::cpu::global_avg_pool_backward(dy, x_shape, dx);
  }
  template <class T>
  static void max_pool2_forward(const tensor<T>& x, tensor<T>& y) { detail::cpu::max_pool2_forward(x, y); }
  template <class T>
  static void max_pool2_backward(const tensor<T>& x, const tensor<T>& y, const tensor<T>& dy, tensor<T>& dx) {
    detail::cpu::max_pool2_backward(x, y, dy, dx);
  }

  template <class T>
  static void linear_forward(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, tensor<T>& y) {
    detail::cpu::linear_forward(x, w, b, y);
  }
  template <class T>
  static void linear_backward(const tensor<T>& x, const tensor<T>& w, const tensor<T>& dy, tensor<T>& dx,
                              tensor<T>& dw, tensor<T>& db) {
    detail::cpu::linear_backward(x, w, dy, dx, dw, db);
  }

  template <class T>
  static void dropout_forward(const tensor<T>& x, double p, std::uint64_t seed, tensor<T>& mask, tensor<T>& y) {
    detail::cpu::dropout_forward(x, p, seed, mask, y);
  }
  template <class T>
  static void dropout_backward(const tensor<T>& mask, const tensor<T>& dy, tensor<T>& dx) {
    detail::cpu::dropout_backward(mask, dy, dx);
  }

  template <class T>
  static void sgd_update(tensor<T>& w, const tensor<T>& g, tensor<T>& v, T lr, T momentum, T weight_decay) {
    detail::cpu::sgd_update(w, g, v, lr, momentum, weight_decay);
  }
};

static_assert(backend_for<cpu_backend, float> && backend_for<cpu_backend, double>,
              "cpu_backend must satisfy the backend concept for float and double.");

}  // namespace sjmt
