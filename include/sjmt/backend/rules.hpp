#pragma once
// The per-element mathematics that every backend computes, written once as
// host-device functions: the CUDA kernels call these, the CPU backend calls
// them where it works element by element (its SIMD loops implement the same
// formulas, and tests/test_backend_rules.cpp checks the two against each
// other on the CPU). Nothing here allocates or reads global state.

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../config.hpp"
#include "sgd_rule.hpp"

namespace sjmt::detail {

// ---- the selective loss family -------------------------------------------------------------

/// One term of a loss and its derivative before the reduction's scale.
template <class T>
struct loss_term {
  T loss, grad;
};

/// Sigmoid cross-entropy of logit z against target y with positive weight p
/// (1: unweighted), in the stable forms of backend/cpu/loss_kernels.hpp:
///   l = max(z, 0) - z y + log1p(e),                          dl/dz = s(z) - y
///   l = (1 - y) z + (1 + (p - 1) y) (log1p(e) + max(-z, 0)), dl/dz = s (p y + 1 - y) - p y
/// with e = exp(-|z|) and s(z) = 1/(1+e) for z >= 0, e/(1+e) otherwise.
template <class T>
SJMT_HOST_DEVICE inline loss_term<T> sigmoid_bce_term(T z, T y, T p) {
  using std::exp, std::log1p, std::fabs;
  const T e = exp(-fabs(z));
  const T er = e / (T(1) + e);  // s(-|z|)
  const T s = z >= T(0) ? T(1) - er : er;
  const T l1 = log1p(e);
  if (p == T(1)) return {(z > T(0) ? z : T(0)) - z * y + l1, s - y};
  return {(T(1) - y) * z + (T(1) + (p - T(1)) * y) * (l1 + (z < T(0) ? -z : T(0))), s * (p * y + T(1) - y) - p * y};
}

/// L2 (x^2 / 2) or wing (Feng et al. 2018) term of the residual x = z - y:
/// wing is w ln(1 + |x|/eps) for |x| < w, else |x| - C, C = w - w ln(1 + w/eps).
template <class T>
SJMT_HOST_DEVICE inline loss_term<T> regression_term(T x, bool wing, T w, T eps) {
  using std::fabs, std::log1p;
  if (!wing) return {T(0.5) * x * x, x};
  const T ax = fabs(x);
  const T sign = T(x > T(0)) - T(x < T(0));
  if (ax < w) return {w * log1p(ax / eps), sign * w / (eps + ax)};
  return {ax - (w - w * log1p(w / eps)), sign};
}

/// Softmax cross-entropy over the k entries of one row's segment for which
/// selected(i) holds, against their targets normalised to sum 1:
///   l = -sum q_i log p_i, p = softmax of the selected z, dl/dz_i = p_i - q_i.
/// grad (may be null) receives scale * dl/dz, 0 for entries not selected. A
/// segment with nothing selected or whose selected targets sum to 0 adds 0.
template <class T, class Selected>
SJMT_HOST_DEVICE inline double softmax_segment(const T* z, const T* y, Selected selected, T* grad, std::size_t k,
                                              T scale) {
  using std::exp, std::log;
  T zmax = -INFINITY, ysum = 0;
  for (std::size_t i = 0; i < k; ++i)
    if (selected(i)) {
      zmax = z[i] > zmax ? z[i] : zmax;
      ysum += y[i];
    }
  if (!(ysum > T(0))) {
    if (grad)
      for (std::size_t i = 0; i < k; ++i) grad[i] = T(0);
    return 0;
  }
  T denom = 0, qdotz = 0;
  for (std::size_t i = 0; i < k; ++i)
    if (selected(i)) {
      denom += exp(z[i] - zmax);
      qdotz += y[i] / ysum * (z[i] - zmax);
    }
  const T log_denom = log(denom);
  if (grad)
    for (std::size_t i = 0; i < k; ++i) grad[i] = selected(i) ? scale * (exp(z[i] - zmax - log_denom) - y[i] / ysum) : T(0);
  return static_cast<double>(log_denom - qdotz);
}

// ---- batch normalisation -------------------------------------------------------------------

/// What the training forward of one channel derives from its moments.
template <class T>
struct batch_norm_channel {
  T mean, invstd;  ///< saved for the backward pass
  T scale, shift;  ///< y = x scale + shift
};

/// From the sums of (x - shift0) and (x - shift0)^2 over the M values of a
/// channel (moments about one of its values, shift0, against cancellation):
/// the batch mean and 1/std (biased variance), the affine map of the forward,
/// and the running averages updated with the unbiased variance.
template <class T>
SJMT_HOST_DEVICE inline batch_norm_channel<T> batch_norm_train_channel(double sum, double sum_sq, T shift0,
                                                                       std::size_t M, T gamma, T beta, T momentum,
                                                                       T epsilon, T& running_mean, T& running_var) {
  const double d = sum / static_cast<double>(M);  // mean - shift0
  const T mean = static_cast<T>(static_cast<double>(shift0) + d);
  double sq = sum_sq - d * sum;  // sum (x - mean)^2
  sq = sq > 0.0 ? sq : 0.0;
  const double var = sq / static_cast<double>(M);
  const T invstd = static_cast<T>(1.0 / std::sqrt(var + static_cast<double>(epsilon)));
  const T scale = invstd * gamma;
  running_mean = (T(1) - momentum) * running_mean + momentum * mean;
  running_var = (T(1) - momentum) * running_var + momentum * static_cast<T>(sq / static_cast<double>(M - 1));
  return {mean, invstd, scale, beta - mean * scale};
}

/// The affine map y = x scale + shift of inference, from the running averages.
template <class T>
struct batch_norm_affine {
  T scale, shift;
};

template <class T>
SJMT_HOST_DEVICE inline batch_norm_affine<T> batch_norm_infer_channel(T gamma, T beta, T running_mean, T running_var,
                                                                      T epsilon) {
  using std::sqrt;
  const T scale = gamma / sqrt(running_var + epsilon);
  return {scale, beta - running_mean * scale};
}

/// The backward pass of one channel from sum g and sum g x over its M values
/// (g the output gradient, masked by the ReLU for the fused op):
///   dbeta = sum g, dgamma = invstd (sum g x - mean sum g),
///   dx = k_dy g + k_x x + k_0  (= gamma invstd / M (M g - dbeta - xhat dgamma)).
template <class T>
struct batch_norm_grad_channel {
  T dgamma, dbeta;
  T k_dy, k_x, k_0;
};

template <class T>
SJMT_HOST_DEVICE inline batch_norm_grad_channel<T> batch_norm_backward_channel(double sum_g, double sum_gx, T mean,
                                                                               T invstd, T gamma, std::size_t M) {
  const double dg = invstd * (sum_gx - mean * sum_g);
  const double a = gamma * invstd;
  const double inv_m = 1.0 / static_cast<double>(M);
  return {static_cast<T>(dg), static_cast<T>(sum_g), static_cast<T>(a), static_cast<T>(-a * inv_m * dg * invstd),
          static_cast<T>(-a * inv_m * sum_g + a * inv_m * dg * invstd * mean)};
}

// ---- dropout -------------------------------------------------------------------------------

/// splitmix64 finaliser: a well-mixed 64-bit hash of x.
SJMT_HOST_DEVICE constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// The dropout mask of element i: keep (1/(1-p)) where the hash of
/// (mix64(seed), i) is at or above threshold = p 2^64, else 0.
template <class T>
SJMT_HOST_DEVICE inline T dropout_mask(std::uint64_t key, std::uint64_t i, std::uint64_t threshold, T keep) {
  return mix64(key ^ i) >= threshold ? keep : T(0);
}

}  // namespace sjmt::detail
