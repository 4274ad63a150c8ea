#pragma once
// The backend concept: what a backend implements so that layers, losses,
// optimisers and the trainer run on it. They never call a backend directly:
// they call the door, sjmt::ops (backend/ops.hpp), which checks shapes once,
// sizes the outputs, and then calls the backend's member of the same name.
//
// A backend is a class B whose *instance* is the place where computation
// happens: it owns its scratch memory (and, for a device, its stream,
// library handles and memory pool). One instance is used by one thread at a
// time. Its storage is B::tensor<U> (rank 4, the conventions of
// tensor/shape.hpp), for U = float or double and for the index types
// std::int32_t and std::uint8_t.
//
// Requires of B, for a floating-point T (every op may assume checked shapes
// and outputs already sized by ops::, and overwrites its outputs):
//   storage       shape(t), resize(t, shape), fill(t, v), upload(t, host), download(t) -> host,
//                 data(t) -> pointer into the backend's memory, copy(src, dst)
//   convolution   conv2d_forward(g, x, w, y), conv2d_backward_data(g, dy, w, dx),
//                 conv2d_backward_filter(g, x, dy, dw)
//   batch norm    batch_norm_forward_train(x, gamma, beta, momentum, eps, running_mean, running_var,
//                                          saved_mean, saved_invstd, y)
//                 batch_norm_forward_infer(x, gamma, beta, running_mean, running_var, eps, y)
//                 batch_norm_backward(x, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta)
//                 batch_norm_add_relu_forward_train / _infer: as above with a residual z
//                   (pointer, null for none) and y = max(bn(x) + z, 0) in one pass
//                 batch_norm_relu_backward(x, y, dy, gamma, saved_mean, saved_invstd, dx, dgamma,
//                                          dbeta, dz): from the fused forward's input x and output y;
//                   dz (pointer, may be null) receives the residual's gradient
//   elementwise   relu_forward(x, y), relu_backward(y, dy, dx), add(a, b, y) (y may alias a or b)
//   pooling       global_avg_pool_forward(x, y), global_avg_pool_backward(dy, dx),
//                 max_pool2_forward(x, y), max_pool2_backward(x, y, dy, dx)
//   soft-argmax   soft_argmax_forward(z, p, y): per (n, k), p = softmax of z (N, H, W, P) over the
//                   H W cells, y (N, 1, 1, 2P) = (sum p gx, sum p gy) with cell centres
//                   gx = (q + 1/2) / W, gy = (r + 1/2) / H;
//                 soft_argmax_backward(p, y, dy, dz): dz = p ((gx - y_x) dy_x + (gy - y_y) dy_y)
//   shortcut      subsample_pad_forward(stride, x, y): y (N, P, Q, K)(n, p, q, c) = x(n, stride p,
//                   stride q, c) for c < C, 0 for C <= c < K (ResNet option A);
//                 subsample_pad_backward(stride, dy, dx): its transpose, dx (N, H, W, C)
//   linear        linear_forward(x, w, b, y), linear_backward(x, w, dy, dx, dw, db)
//   columns       gather_columns(x, index, y): y(n, j) = x(n, index[j]);
//                 scatter_columns(x, index, y): y(n, index[j]) = x(n, j), other columns kept
//   dropout       dropout_forward(x, p, seed, mask, y), dropout_backward(mask, dy, dx)
//   loss          loss_forward(plan, operands): the selective loss family (backend/loss_plan.hpp)
//   optimiser     sgd_update(slots, lr, momentum): every slot {w, g, v, weight_decay} in one call,
//                 lr a one-element tensor (so that a captured step reads the schedule's rate)

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../tensor/compute_type.hpp"
#include "../tensor/host_tensor.hpp"
#include "../tensor/shape.hpp"
#include "conv2d_geometry.hpp"
#include "loss_plan.hpp"

namespace sjmt {

/// One tensor of an SGD update: w -= lr v, v = momentum v + g + weight_decay w.
template <class B, class T>
struct sgd_slot {
  typename B::template tensor<T>* w = nullptr;
  const typename B::template tensor<T>* g = nullptr;
  typename B::template tensor<T>* v = nullptr;
  T weight_decay = T(0);
};

template <class B, class T>
concept backend_for =
    detail::supported_compute_type<T>() &&  // float or double, else a sentence (tensor/compute_type.hpp)
    requires(B& b, typename B::template tensor<T>& t, const typename B::template tensor<T>& c,
             const host_tensor<T>& h, const shape4& s, const conv2d_geometry& g, T v, std::uint64_t seed, double p,
             const typename B::template tensor<T>* cp, typename B::template tensor<T>* tp,
             typename B::template tensor<std::int32_t>& it, const host_tensor<std::int32_t>& hi,
             typename B::template tensor<std::uint8_t>& ut, const host_tensor<std::uint8_t>& hu,
             const loss_plan<T>& plan, const loss_operands<T>& operands, std::span<const sgd_slot<B, T>> slots) {
      { b.shape(c) } -> std::same_as<shape4>;
      b.resize(t, s);
      b.fill(t, v);
      b.upload(t, h);
      b.upload(it, hi);
      b.upload(ut, hu);
      { b.download(c) } -> std::same_as<host_tensor<T>>;
      { b.data(t) } -> std::same_as<T*>;
      { b.data(c) } -> std::same_as<const T*>;
      b.copy(c, t);
      b.conv2d_forward(g, c, c, t);
      b.conv2d_bn_add_relu_forward_infer(g, c, c, c, c, c, c, v, cp, true, t);
      b.conv2d_backward_data(g, c, c, t);
      b.conv2d_backward_filter(g, c, c, t);
      b.batch_norm_forward_train(c, c, c, v, v, t, t, t, t, t);
      b.batch_norm_forward_infer(c, c, c, c, c, v, t);
      b.batch_norm_backward(c, c, c, c, c, t, t, t);
      b.batch_norm_add_relu_forward_train(c, cp, c, c, v, v, t, t, t, t, t);
      b.batch_norm_add_relu_forward_infer(c, cp, c, c, c, c, v, t);
      b.batch_norm_relu_backward(c, c, c, c, c, c, t, t, t, tp);
      b.relu_forward(c, t);
      b.relu_backward(c, c, t);
      b.add(c, c, t);
      b.global_avg_pool_forward(c, t);
      b.global_avg_pool_backward(c, t);
      b.max_pool2_forward(c, t);
      b.max_pool2_backward(c, c, c, t);
      b.soft_argmax_forward(c, t, t);
      b.soft_argmax_backward(c, c, c, t);
      b.subsample_pad_forward(std::size_t{2}, c, t);
      b.subsample_pad_backward(std::size_t{2}, c, t);
      b.linear_forward(c, c, c, t);
      b.linear_backward(c, c, c, t, t, t);
      b.gather_columns(c, it, t);
      b.scatter_columns(c, it, t);
      b.dropout_forward(c, p, seed, t, t);
      b.dropout_backward(c, c, t);
      b.loss_forward(plan, operands);
      b.sgd_update(slots, c, v);
    };

/// A backend that can record the ops issued on it and replay them (CUDA
/// graphs): begin_capture() starts recording, end_capture() returns the graph
/// (nullopt when an op recorded cannot be replayed, e.g. dropout with its
/// seed as an argument; nothing recorded has run), abort_capture() drops a
/// capture after an exception, launch(g) replays it. A graph holds raw
/// addresses: it is valid while memory_epoch() is the one it was captured at.
template <class B>
concept graph_backend = requires(B& b, const typename B::graph& g) {
  b.begin_capture();
  b.end_capture();
  b.abort_capture();
  b.launch(g);
  { b.memory_epoch() } -> std::convertible_to<std::uint64_t>;
};

/// A backend whose tensors live in host memory: host buffers may be handed to
/// its ops directly (the losses' span overloads).
template <class B>
concept host_memory_backend = B::host_memory;

}  // namespace sjmt
