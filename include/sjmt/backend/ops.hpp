#pragma once
// The one door to the compute. Layers, losses, optimisers and the trainer
// call these functions and nothing else of a backend: each checks its
// operands' shapes once (the same checks for every backend), sizes the
// outputs, and calls the backend's member of the same name (backend.hpp),
// which may then assume valid shapes.
//
// Errors: a shape that does not fit throws shape_error naming the op, the
// operand and both shapes; a value out of its domain throws value_error.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "../error.hpp"
#include "../tensor/shape.hpp"
#include "backend.hpp"
#include "conv2d_geometry.hpp"

namespace sjmt::ops {
namespace detail {

inline void expect_shape(std::string_view op, std::string_view operand, const shape4& got, const shape4& want) {
  SJMT_CHECK(shape_error, got == want, op, ": ", operand, " is ", to_string(got), ", expected ", to_string(want));
}

inline void expect_channels(std::string_view op, std::string_view operand, const shape4& got, std::size_t c) {
  expect_shape(op, operand, got, channel_shape(c));
}

template <class B, class X>
void batch_norm_vectors(B& b, std::string_view op, const X& x, std::initializer_list<std::pair<std::string_view, const X*>> v) {
  const std::size_t c = b.shape(x)[3];
  for (const auto& [name, t] : v) expect_channels(op, name, b.shape(*t), c);
}

/// The checks and output sizes every training-mode batch norm shares: the
/// per-channel vectors fit x, each channel has at least 2 values, and the saved
/// statistics and y are sized.
template <class B, class X>
void prepare_batch_norm_train(B& b, std::string_view op, const X& x, const X& gamma, const X& beta,
                              const X& running_mean, const X& running_var, X& saved_mean, X& saved_invstd, X& y) {
  const shape4 s = b.shape(x);
  batch_norm_vectors(b, op, x,
                     {{"gamma", &gamma}, {"beta", &beta}, {"running_mean", &running_mean}, {"running_var", &running_var}});
  SJMT_CHECK(shape_error, s[0] * s[1] * s[2] > 1, op, ": ", s[0] * s[1] * s[2],
             " values per channel in training, expected at least 2");
  b.resize(saved_mean, channel_shape(s[3]));
  b.resize(saved_invstd, channel_shape(s[3]));
  b.resize(y, s);
}

}  // namespace detail

// ---- convolution ------------------------------------------------------------------------------

/// y (N, P, Q, K) = conv(x (N, H, W, C), w (R, R, C, K)).
template <class B, class X>
void conv2d_forward(B& b, const conv2d_geometry& g, const X& x, const X& w,
                    X& y) {
  b.resize(y, g.output_shape(b.shape(x), b.shape(w)));
  b.conv2d_forward(g, x, w, y);
}

/// y = max(batch_norm(conv(x, w)) + z, 0) with the batch norm's running
/// statistics (inference), as one op: the CPU backend applies the batch norm,
/// the residual and the ReLU in the convolution's epilogue, while the output is
/// still in cache, so the activation makes one memory pass fewer. z may be
/// null; relu = false leaves the ReLU out (a projection shortcut's batch norm).
/// y must be neither x nor *z.
template <class B, class X>
void conv2d_bn_add_relu_forward_infer(B& b, const conv2d_geometry& g, const X& x, const X& w, const X& gamma,
                                      const X& beta, const X& running_mean, const X& running_var,
                                      typename X::value_type epsilon, const std::type_identity_t<X>* z, bool relu,
                                      X& y) {
  constexpr std::string_view op = "conv2d_bn_add_relu";
  SJMT_CHECK(value_error, &y != &x && &y != z, op, ": the output must be neither the input nor the residual");
  const shape4 ys = g.output_shape(b.shape(x), b.shape(w));
  if (z) detail::expect_shape(op, "the residual", b.shape(*z), ys);
  for (const auto& [name, t] : {std::pair<std::string_view, const X*>{"gamma", &gamma}, {"beta", &beta},
                                {"running_mean", &running_mean}, {"running_var", &running_var}})
    detail::expect_channels(op, name, b.shape(*t), ys[3]);
  b.resize(y, ys);
  b.conv2d_bn_add_relu_forward_infer(g, x, w, gamma, beta, running_mean, running_var, epsilon, z, relu, y);
}

/// dx (x_shape) from dy (the output's shape) and w.
template <class B, class X>
void conv2d_backward_data(B& b, const conv2d_geometry& g, const X& dy, const X& w,
                          const shape4& x_shape, X& dx) {
  detail::expect_shape("conv2d_backward_data", "dy", b.shape(dy), g.output_shape(x_shape, b.shape(w)));
  b.resize(dx, x_shape);
  b.conv2d_backward_data(g, dy, w, dx);
}

/// dw (R, R, C, K, the shape dw already has, or that of w) from x and dy.
template <class B, class X>
void conv2d_backward_filter(B& b, const conv2d_geometry& g, const X& x, const X& dy,
                            const shape4& w_shape, X& dw) {
  detail::expect_shape("conv2d_backward_filter", "dy", b.shape(dy), g.output_shape(b.shape(x), w_shape));
  b.resize(dw, w_shape);
  b.conv2d_backward_filter(g, x, dy, dw);
}

// ---- batch normalisation ----------------------------------------------------------------------

template <class B, class X>
void batch_norm_forward_train(B& b, const X& x, const X& gamma,
                              const X& beta, typename X::value_type momentum, typename X::value_type epsilon, X& running_mean,
                              X& running_var, X& saved_mean,
                              X& saved_invstd, X& y) {
  detail::prepare_batch_norm_train(b, "batch_norm", x, gamma, beta, running_mean, running_var, saved_mean,
                                   saved_invstd, y);
  b.batch_norm_forward_train(x, gamma, beta, momentum, epsilon, running_mean, running_var, saved_mean, saved_invstd,
                             y);
}

template <class B, class X>
void batch_norm_forward_infer(B& b, const X& x, const X& gamma,
                              const X& beta, const X& running_mean,
                              const X& running_var, typename X::value_type epsilon, X& y) {
  detail::batch_norm_vectors(
      b, "batch_norm", x,
      {{"gamma", &gamma}, {"beta", &beta}, {"running_mean", &running_mean}, {"running_var", &running_var}});
  b.resize(y, b.shape(x));
  b.batch_norm_forward_infer(x, gamma, beta, running_mean, running_var, epsilon, y);
}

template <class B, class X>
void batch_norm_backward(B& b, const X& x, const X& dy, const X& gamma,
                         const X& saved_mean, const X& saved_invstd, X& dx,
                         X& dgamma, X& dbeta) {
  const shape4 s = b.shape(x);
  detail::expect_shape("batch_norm_backward", "dy", b.shape(dy), s);
  detail::batch_norm_vectors(b, "batch_norm_backward", x,
                                   {{"gamma", &gamma}, {"saved_mean", &saved_mean}, {"saved_invstd", &saved_invstd}});
  b.resize(dx, s);
  b.resize(dgamma, channel_shape(s[3]));
  b.resize(dbeta, channel_shape(s[3]));
  b.batch_norm_backward(x, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta);
}

/// y = max(batch_norm(x) + z, 0), training mode; z may be null.
template <class B, class X>
void batch_norm_add_relu_forward_train(B& b, const X& x, const X* z,
                                       const X& gamma, const X& beta, typename X::value_type momentum,
                                       typename X::value_type epsilon, X& running_mean, X& running_var,
                                       X& saved_mean, X& saved_invstd,
                                       X& y) {
  if (z) detail::expect_shape("batch_norm_add_relu", "the residual", b.shape(*z), b.shape(x));
  detail::prepare_batch_norm_train(b, "batch_norm_add_relu", x, gamma, beta, running_mean, running_var, saved_mean,
                                   saved_invstd, y);
  b.batch_norm_add_relu_forward_train(x, z, gamma, beta, momentum, epsilon, running_mean, running_var, saved_mean,
                                      saved_invstd, y);
}

template <class B, class X>
void batch_norm_add_relu_forward_infer(B& b, const X& x, const X* z,
                                       const X& gamma, const X& beta,
                                       const X& running_mean, const X& running_var,
                                       typename X::value_type epsilon, X& y) {
  if (z) detail::expect_shape("batch_norm_add_relu", "the residual", b.shape(*z), b.shape(x));
  detail::batch_norm_vectors(
      b, "batch_norm_add_relu", x,
      {{"gamma", &gamma}, {"beta", &beta}, {"running_mean", &running_mean}, {"running_var", &running_var}});
  b.resize(y, b.shape(x));
  b.batch_norm_add_relu_forward_infer(x, z, gamma, beta, running_mean, running_var, epsilon, y);
}

/// Gradients of batch_norm_add_relu_forward_train from its input x and output y; dz may be null.
template <class B, class X>
void batch_norm_relu_backward(B& b, const X& x, const X& y, const X& dy,
                              const X& gamma, const X& saved_mean,
                              const X& saved_invstd, X& dx, X& dgamma,
                              X& dbeta, X* dz) {
  const shape4 s = b.shape(x);
  detail::expect_shape("batch_norm_relu_backward", "dy", b.shape(dy), s);
  detail::expect_shape("batch_norm_relu_backward", "y", b.shape(y), s);
  detail::batch_norm_vectors(b, "batch_norm_relu_backward", x,
                                   {{"gamma", &gamma}, {"saved_mean", &saved_mean}, {"saved_invstd", &saved_invstd}});
  b.resize(dx, s);
  b.resize(dgamma, channel_shape(s[3]));
  b.resize(dbeta, channel_shape(s[3]));
  if (dz) b.resize(*dz, s);
  b.batch_norm_relu_backward(x, y, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta, dz);
}

// ---- elementwise ------------------------------------------------------------------------------

template <class B, class X>
void relu_forward(B& b, const X& x, X& y) {
  b.resize(y, b.shape(x));
  b.relu_forward(x, y);
}

/// dx = dy where y > 0, else 0 (y is the forward's output).
template <class B, class X>
void relu_backward(B& b, const X& y, const X& dy, X& dx) {
  detail::expect_shape("relu_backward", "dy", b.shape(dy), b.shape(y));
  b.resize(dx, b.shape(y));
  b.relu_backward(y, dy, dx);
}

/// y = a + b; y may alias a or b.
template <class B, class X>
void add(B& be, const X& a, const X& b, X& y) {
  detail::expect_shape("add", "b", be.shape(b), be.shape(a));
  if (&y != &a && &y != &b) be.resize(y, be.shape(a));
  be.add(a, b, y);
}

// ---- pooling ----------------------------------------------------------------------------------

/// (N, H, W, C) -> (N, 1, 1, C).
template <class B, class X>
void global_avg_pool_forward(B& b, const X& x, X& y) {
  const shape4 s = b.shape(x);
  SJMT_CHECK(shape_error, s[1] * s[2] > 0, "global_avg_pool: input ", to_string(s), " has no pixels");
  b.resize(y, {s[0], 1, 1, s[3]});
  b.global_avg_pool_forward(x, y);
}

template <class B, class X>
void global_avg_pool_backward(B& b, const X& dy, const shape4& x_shape, X& dx) {
  detail::expect_shape("global_avg_pool_backward", "dy", b.shape(dy), {x_shape[0], 1, 1, x_shape[3]});
  b.resize(dx, x_shape);
  b.global_avg_pool_backward(dy, dx);
}

/// 2x2 windows, stride 2: (N, H, W, C) -> (N, H/2, W/2, C); H and W even.
template <class B, class X>
void max_pool2_forward(B& b, const X& x, X& y) {
  const auto [N, H, W, C] = b.shape(x);
  SJMT_CHECK(shape_error, H % 2 == 0 && W % 2 == 0 && H > 0 && W > 0, "max_pool2: input is ", H, "x", W,
             ", expected even, non-zero height and width");
  b.resize(y, {N, H / 2, W / 2, C});
  b.max_pool2_forward(x, y);
}

template <class B, class X>
void max_pool2_backward(B& b, const X& x, const X& y, const X& dy,
                        X& dx) {
  const auto [N, H, W, C] = b.shape(x);
  detail::expect_shape("max_pool2_backward", "y", b.shape(y), {N, H / 2, W / 2, C});
  detail::expect_shape("max_pool2_backward", "dy", b.shape(dy), {N, H / 2, W / 2, C});
  b.resize(dx, b.shape(x));
  b.max_pool2_backward(x, y, dy, dx);
}

// ---- soft-argmax: points from heat maps ---------------------------------------------------------

/// z (N, H, W, P): P heat maps -> p (N, H, W, P), each map's softmax over its
/// H W cells, and y (N, 1, 1, 2P) = (x_k, y_k) per map k, the expectation of
/// the cell centres ((q + 1/2) / W, (r + 1/2) / H): points in [0, 1] of the
/// map's width and height (the landmark spaces' normalisation).
template <class B, class X>
void soft_argmax_forward(B& b, const X& z, X& p, X& y) {
  const auto [N, H, W, P] = b.shape(z);
  SJMT_CHECK(shape_error, H * W > 0 && P > 0, "soft_argmax: heat maps ", to_string(b.shape(z)),
             " have no cell or no map");
  b.resize(p, b.shape(z));
  b.resize(y, {N, 1, 1, 2 * P});
  b.soft_argmax_forward(z, p, y);
}

/// dy (N, 1, 1, 2P) -> dz (N, H, W, P), from the forward's p and y.
template <class B, class X>
void soft_argmax_backward(B& b, const X& p, const X& y, const X& dy, X& dz) {
  const auto [N, H, W, P] = b.shape(p);
  detail::expect_shape("soft_argmax_backward", "y", b.shape(y), {N, 1, 1, 2 * P});
  detail::expect_shape("soft_argmax_backward", "dy", b.shape(dy), {N, 1, 1, 2 * P});
  b.resize(dz, b.shape(p));
  b.soft_argmax_backward(p, y, dy, dz);
}

// ---- the zero-padded shortcut (ResNet option A) -----------------------------------------------

/// y (N, P, Q, K) with P = ceil(H / stride), Q = ceil(W / stride) (the output
/// of a 3x3 convolution of padding 1 and that stride): y(n, p, q, c) =
/// x (N, H, W, C)(n, stride p, stride q, c) for c < C, 0 for C <= c < K.
/// Requires stride >= 1 and K >= C.
template <class B, class X>
void subsample_pad_forward(B& b, const X& x, std::size_t stride, std::size_t out_channels, X& y) {
  const auto [N, H, W, C] = b.shape(x);
  SJMT_CHECK(value_error, stride >= 1, "subsample_pad: stride 0, expected >= 1");
  SJMT_CHECK(shape_error, out_channels >= C, "subsample_pad: ", out_channels, " output channels for an input of ", C,
             ", expected at least as many (the shortcut pads channels, it never drops them)");
  b.resize(y, {N, (H + stride - 1) / stride, (W + stride - 1) / stride, out_channels});
  b.subsample_pad_forward(stride, x, y);
}

/// dx (x_shape) = dy's first C channels at every stride-th pixel, 0 elsewhere.
template <class B, class X>
void subsample_pad_backward(B& b, const X& dy, std::size_t stride, const shape4& x_shape, X& dx) {
  SJMT_CHECK(value_error, stride >= 1, "subsample_pad_backward: stride 0, expected >= 1");
  const shape4 ys = b.shape(dy);
  SJMT_CHECK(shape_error, ys[3] >= x_shape[3], "subsample_pad_backward: dy has ", ys[3],
             " channels, fewer than the input's ", x_shape[3]);
  detail::expect_shape("subsample_pad_backward", "dy", ys,
                       {x_shape[0], (x_shape[1] + stride - 1) / stride, (x_shape[2] + stride - 1) / stride, ys[3]});
  b.resize(dx, x_shape);
  b.subsample_pad_backward(stride, dy, dx);
}

// ---- linear -----------------------------------------------------------------------------------

/// y (N, 1, 1, Out) = x (N, H, W, C) read as (N, H W C) times w (1, 1, In, Out), plus b (1, 1, 1, Out).
template <class B, class X>
void linear_forward(B& be, const X& x, const X& w, const X& bias,
                    X& y) {
  const shape4 xs = be.shape(x), ws = be.shape(w);
  const std::size_t in = xs[1] * xs[2] * xs[3];
  SJMT_CHECK(shape_error, ws[0] == 1 && ws[1] == 1 && ws[2] == in, "linear: weight is ", to_string(ws),
             ", expected (1, 1, ", in, ", Out) for an input of ", in, " features");
  detail::expect_shape("linear", "bias", be.shape(bias), channel_shape(ws[3]));
  be.resize(y, rows_shape(xs[0], ws[3]));
  be.linear_forward(x, w, bias, y);
}

template <class B, class X>
void linear_backward(B& be, const X& x, const X& w, const X& dy,
                     X& dx, X& dw, X& db) {
  const shape4 xs = be.shape(x), ws = be.shape(w);
  detail::expect_shape("linear_backward", "dy", be.shape(dy), rows_shape(xs[0], ws[3]));
  be.resize(dx, xs);
  be.resize(dw, ws);
  be.resize(db, channel_shape(ws[3]));
  be.linear_backward(x, w, dy, dx, dw, db);
}

// ---- columns of (N, 1, 1, W) rows --------------------------------------------------------------

/// y (N, 1, 1, k) = the columns `index` (1, 1, 1, k) of x (N, 1, 1, W). Requires:
/// every index in [0, W) (the heads check their partitions when they are built).
template <class B, class X>
void gather_columns(B& b, const X& x, const typename B::template tensor<std::int32_t>& index, X& y) {
  const shape4 xs = b.shape(x), is = b.shape(index);
  SJMT_CHECK(shape_error, xs[1] == 1 && xs[2] == 1, "gather_columns: x is ", to_string(xs), ", expected (N, 1, 1, W)");
  SJMT_CHECK(shape_error, is[0] == 1 && is[1] == 1 && is[2] == 1 && is[3] <= xs[3], "gather_columns: index is ",
             to_string(is), ", expected (1, 1, 1, k) with k <= ", xs[3]);
  b.resize(y, rows_shape(xs[0], element_count(is)));
  b.gather_columns(x, index, y);
}

/// The columns `index` of y (N, 1, 1, W) = x (N, 1, 1, k); y's other columns are kept.
template <class B, class X>
void scatter_columns(B& b, const X& x, const typename B::template tensor<std::int32_t>& index, X& y) {
  const shape4 xs = b.shape(x), ys = b.shape(y);
  detail::expect_shape("scatter_columns", "x", xs, rows_shape(ys[0], element_count(b.shape(index))));
  SJMT_CHECK(shape_error, ys[1] == 1 && ys[2] == 1, "scatter_columns: y is ", to_string(ys),
             ", expected (N, 1, 1, W)");
  const shape4 is = b.shape(index);
  SJMT_CHECK(shape_error, is[0] == 1 && is[1] == 1 && is[2] == 1 && is[3] <= ys[3], "scatter_columns: index is ",
             to_string(is), ", expected (1, 1, 1, k) with k <= ", ys[3]);
  b.scatter_columns(x, index, y);
}

// ---- dropout ----------------------------------------------------------------------------------

/// mask = 1/(1-p) with probability 1-p, else 0 (a pure function of seed and index); y = x mask.
template <class B, class X>
void dropout_forward(B& b, const X& x, double p, std::uint64_t seed, X& mask,
                     X& y) {
  SJMT_CHECK(value_error, p >= 0.0 && p < 1.0, "dropout: p = ", p, ", expected 0 <= p < 1");
  b.resize(mask, b.shape(x));
  b.resize(y, b.shape(x));
  b.dropout_forward(x, p, seed, mask, y);
}

template <class B, class X>
void dropout_backward(B& b, const X& mask, const X& dy, X& dx) {
  detail::expect_shape("dropout_backward", "dy", b.shape(dy), b.shape(mask));
  b.resize(dx, b.shape(dy));
  b.dropout_backward(mask, dy, dx);
}

// ---- optimiser --------------------------------------------------------------------------------

/// Every slot: v = momentum v + g + weight_decay w; w -= lr v. lr is a one-element tensor.
template <class B, class T>
void sgd_update(B& b, std::span<const sgd_slot<B, T>> slots, const typename B::template tensor<T>& lr, T momentum) {
  detail::expect_shape("sgd_update", "lr", b.shape(lr), {1, 1, 1, 1});
  for (const sgd_slot<B, T>& s : slots) {
    SJMT_CHECK(value_error, s.w && s.g && s.v, "sgd_update: a slot lacks its weight, gradient or velocity");
    detail::expect_shape("sgd_update", "gradient", b.shape(*s.g), b.shape(*s.w));
    detail::expect_shape("sgd_update", "velocity", b.shape(*s.v), b.shape(*s.w));
  }
  b.sgd_update(slots, lr, momentum);
}

}  // namespace sjmt::ops
