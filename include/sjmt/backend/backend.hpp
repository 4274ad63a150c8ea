#pragma once
// The backend concept: the one ops interface that layers are written against.
//
// A backend is a type B with a tensor template and static operations. Layers
// are templates over B and call only these; a CUDA backend (cuDNN, cuBLAS)
// provides the same names over device tensors, and no layer changes.
//
// Requires of B, for scalar T:
//   B::tensor<T>                     storage owned by the backend
//   resize(t, shape), shape(t), fill(t, v), upload(t, host), download(t) -> host
//   conv2d_forward(g, x, w, y)                     y (N, P, Q, K)
//   conv2d_backward_data(g, dy, w, x_shape, dx)    dx overwritten
//   conv2d_backward_filter(g, x, dy, dw)           dw (R, S, C, K) overwritten
//   batch_norm_forward_train(x, gamma, beta, momentum, eps, running_mean,
//                            running_var, saved_mean, saved_invstd, y)
//   batch_norm_forward_infer(x, gamma, beta, running_mean, running_var, eps, y)
//   batch_norm_backward(x, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta)
//   batch_norm_add_relu_forward_train(x, z, gamma, beta, momentum, eps, running_mean,
//                                     running_var, saved_mean, saved_invstd, y)
//   batch_norm_add_relu_forward_infer(x, z, gamma, beta, running_mean, running_var, eps, y)
//                                    y = max(batch_norm(x) + z, 0) in one pass; z is a
//                                    pointer, null for no residual
//   batch_norm_relu_backward(x, y, dy, gamma, saved_mean, saved_invstd, dx, dgamma,
//                            dbeta, dz)  gradients of the fused forward from its input x
//                                    and output y (the mask); dz (pointer, may be null)
//                                    receives the residual's gradient
//   relu_forward(x, y), relu_backward(y, dy, dx), add(a, b, y) (y may alias a or b)
//   global_avg_pool_forward(x, y), global_avg_pool_backward(dy, x_shape, dx)
//   max_pool2_forward(x, y), max_pool2_backward(x, y, dy, dx)
//   linear_forward(x, w, b, y), linear_backward(x, w, dy, dx, dw, db)
//   dropout_forward(x, p, seed, mask, y), dropout_backward(mask, dy, dx)
//   sgd_update(w, g, v, lr, momentum, weight_decay)
// Ensures: every output is resized by the op; gradients are overwritten, not
// accumulated; bad shapes throw shape_error, bad values value_error.

#include <concepts>
#include <cstdint>

#include "../tensor/host_tensor.hpp"
#include "conv2d_geometry.hpp"

namespace sjmt {

template <class B, class T>
concept backend_for = requires(typename B::template tensor<T>& t, const typename B::template tensor<T>& c,
                               const host_tensor<T>& h, const shape4& s, const conv2d_geometry& g, T v,
                               std::uint64_t seed, double p, const typename B::template tensor<T>* cp,
                               typename B::template tensor<T>* tp) {
  { B::shape(c) } -> std::same_as<shape4>;
  B::resize(t, s);
  B::fill(t, v);
  B::upload(t, h);
  { B::download(c) } -> std::same_as<host_tensor<T>>;
  B::conv2d_forward(g, c, c, t);
  B::conv2d_backward_data(g, c, c, s, t);
  B::conv2d_backward_filter(g, c, c, t);
  B::batch_norm_forward_train(c, c, c, v, v, t, t, t, t, t);
  B::batch_norm_forward_infer(c, c, c, c, c, v, t);
  B::batch_norm_backward(c, c, c, c, c, t, t, t);
  B::batch_norm_add_relu_forward_train(c, cp, c, c, v, v, t, t, t, t, t);
  B::batch_norm_add_relu_forward_infer(c, cp, c, c, c, c, v, t);
  B::batch_norm_relu_backward(c, c, c, c, c, c, t, t, t, tp);
  B::relu_forward(c, t);
  B::relu_backward(c, c, t);
  B::add(c, c, t);
  B::global_avg_pool_forward(c, t);
  B::global_avg_pool_backward(c, s, t);
  B::max_pool2_forward(c, t);
  B::max_pool2_backward(c, c, c, t);
  B::linear_forward(c, c, c, t);
  B::linear_backward(c, c, c, t, t, t);
  B::dropout_forward(c, p, seed, t, t);
  B::dropout_backward(c, c, t);
  B::sgd_update(t, c, t, v, v, v);
};

}  // namespace sjmt
