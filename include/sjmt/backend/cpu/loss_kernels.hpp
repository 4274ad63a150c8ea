#pragma once
// CPU kernels of the losses: raw-pointer, row-major (N x width) inputs.
// Called by the CPU backend's loss_forward (cpu/loss.hpp) only.
//
// An entry whose mask is 0 is *selected out*, not multiplied by 0: it adds
// nothing and gets gradient 0 whatever its logit or target (a NaN or an
// infinity there stays out of the sum). Targets are valid where the mask is 1
// (checked on the host when the batch was formed).
//
// The sigmoid cross-entropy of one entry, in the stable form
//   l  = max(z, 0) - z y + log1p(exp(-|z|))
//   dl/dz = s(z) - y,   s(z) = 1/(1+e) if z >= 0 else e/(1+e),  e = exp(-|z|)
// and with a positive weight p (PyTorch's pos_weight):
//   l  = (1 - y) z + (1 + (p - 1) y) (log1p(e) + max(-z, 0))
//   dl/dz = s (p y + 1 - y) - p y.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "intrinsics.hpp"  // before xsimd/xsimd.hpp (see intrinsics.hpp)
#include <xsimd/xsimd.hpp>

namespace sjmt::detail::cpu {

/// The widest instruction set xsimd may use here (xsimd 8's default stops at AVX2).
#if XSIMD_WITH_AVX512BW
using simd_arch = xsimd::avx512bw;
#else
using simd_arch = xsimd::default_arch;
#endif

template <class T>
using simd = xsimd::batch<T, simd_arch>;

inline float as_float(std::int32_t v) { return std::bit_cast<float>(v); }
inline std::int32_t as_int(float v) { return std::bit_cast<std::int32_t>(v); }
inline simd<float> as_float(const simd<std::int32_t>& v) { return xsimd::bitwise_cast<simd<float>>(v); }
inline simd<std::int32_t> as_int(const simd<float>& v) { return xsimd::bitwise_cast<simd<std::int32_t>>(v); }

/// exp(x) for x <= 0, single precision, for a float or a batch of floats.
/// Cody-Waite reduction x = n ln2 + r with |r| <= ln2/2, degree-6 Taylor
/// polynomial (relative error below 2e-7); x is clamped at -87 (exp = 1.6e-38).
template <class V>
inline V exp_nonpositive(V x) {
  using std::max, xsimd::max;
  x = max(x, V(-87.f));
  // Adding 1.5 * 2^23 rounds x/ln2 to an integer held in k's low mantissa bits.
  const V shifter(12582912.f);
  const V k = x * V(1.44269504089f) + shifter;
  const V n = k - shifter;
  const V r = (x - n * V(0.693145751953125f)) - n * V(1.428606765330187e-06f);
  V p(1.f / 720);
  p = p * r + V(1.f / 120);
  p = p * r + V(1.f / 24);
  p = p * r + V(1.f / 6);
  p = p * r + V(0.5f);
  p = p * r + V(1.f);
  p = p * r + V(1.f);
  return p * as_float((as_int(k) - as_int(12582912.f) + 127) << 23);
}

/// log1p(e) for e in [0, 1], single precision, given t = e / (2 + e) in
/// [0, 1/3]: log1p(e) = 2 atanh(t) = 2 (t + t^3/3 + ... + t^13/13); the first
/// term left out is below 1.5e-7 of the sum, down to e = 0.
template <class V>
inline V log1p_unit(const V& t) {
  const V t2 = t * t;
  V p(1.f / 13);
  p = p * t2 + V(1.f / 11);
  p = p * t2 + V(1.f / 9);
  p = p * t2 + V(1.f / 7);
  p = p * t2 + V(1.f / 5);
  p = p * t2 + V(1.f / 3);
  p = p * t2 + V(1.f);
  return V(2.f) * t * p;
}

// Single precision uses the polynomials above (3x faster than xsimd's exp and
// log1p here); double uses the accurate library functions, for the exactness
// that finite-difference gradient checks want.
template <class V>
inline constexpr bool single_precision = std::is_same_v<V, float> || std::is_same_v<V, simd<float>>;

/// s(-|z|) = e / (1 + e) and log1p(e), for e = exp(-|z|) in (0, 1].
template <class V>
struct softplus_parts {
  V sigmoid_neg, log1p_e;
};

template <class V>
inline softplus_parts<V> softplus_of(const V& abs_z) {
  if constexpr (single_precision<V>) {
    // One division serves both: 1 / ((1 + e)(2 + e)).
    const V e = exp_nonpositive(-abs_z), one(1.f), two(2.f);
    const V inv = one / ((one + e) * (two + e));
    return {e * (two + e) * inv, log1p_unit(e * (one + e) * inv)};
  } else {
    using std::exp, std::log1p, xsimd::exp, xsimd::log1p;
    const V e = exp(-abs_z);
    return {e / (V(1) + e), log1p(e)};
  }
}

/// One entry's terms, written once for scalars and for batches: the loss term
/// and the gradient before scale.
template <class V>
struct bce_terms {
  V loss, grad;
};

template <bool Weighted, class V, class Select>
inline bce_terms<V> bce_entry(const V& z, const V& y, const V& p, Select select) {
  using std::abs, std::max, xsimd::abs, xsimd::max;
  const V one(1), zero(0);
  const softplus_parts<V> sp = softplus_of(abs(z));
  const V er = sp.sigmoid_neg;  // s(-|z|)
  const V s = select(z, one - er, er);
  if constexpr (!Weighted)
    return {max(z, zero) - z * y + sp.log1p_e, s - y};
  else
    return {(one - y) * z + (one + (p - one) * y) * (sp.log1p_e + max(-z, zero)),
            s * (p * y + one - y) - p * y};
}

// Explicit SIMD (xsimd): auto-vectorization of this loop depends on flags the
// user picks (under the default -ftrapping-math GCC 12 keeps it scalar, 11 ns
// per entry against ~1.5 vectorized, measured with bench_loss).
template <bool Grad, bool Weighted, class T>
double sigmoid_bce_loop(const T* z, const T* y, const T* m, const T* pos_weight, T* grad, std::size_t n, T scale) {
  using batch = simd<T>;
  constexpr std::size_t lanes = batch::size;
  T loss_scalar = 0;
  const std::size_t vector_end = n - n % lanes;
  batch loss(T(0));
  for (std::size_t i = 0; i < vector_end; i += lanes) {
    const auto selected = batch::load_unaligned(m + i) != batch(T(0));
    batch pi(T(1));
    if constexpr (Weighted) pi = batch::load_unaligned(pos_weight + i);
    const auto t = bce_entry<Weighted>(batch::load_unaligned(z + i), batch::load_unaligned(y + i), pi,
                                       [](const batch& zv, const batch& a, const batch& b) {
                                         return xsimd::select(zv >= batch(T(0)), a, b);
                                       });
    loss += xsimd::select(selected, t.loss, batch(T(0)));
    if constexpr (Grad) xsimd::select(selected, batch(scale) * t.grad, batch(T(0))).store_unaligned(grad + i);
  }
  for (std::size_t i = vector_end; i < n; ++i) {
    const bool selected = m[i] != T(0);
    T p = T(1);
    if constexpr (Weighted) p = pos_weight[i];
    const auto t = bce_entry<Weighted>(z[i], y[i], p, [](T zv, T a, T b) { return zv >= T(0) ? a : b; });
    if (selected) loss_scalar += t.loss;
    if constexpr (Grad) grad[i] = selected ? scale * t.grad : T(0);
  }
  return static_cast<double>(xsimd::hadd(loss) + loss_scalar);
}

/// Sigmoid cross-entropy over n contiguous entries with a 0/1 mask m, fused into
/// one explicit-SIMD pass; returns the sum over selected entries. grad
/// (nullable) gets scale * dl/dz where m is 1, 0 elsewhere; pos_weight
/// (nullable) is n-long. (Non-temporal stores of grad were tried: no gain at
/// N = 262,144 x 18, 6.2 against 6.3 ms, medians of 8 alternating runs.)
template <class T>
double sigmoid_bce_block(const T* z, const T* y, const T* m, const T* pos_weight, T* grad, std::size_t n, T scale) {
  if (pos_weight)
    return grad ? sigmoid_bce_loop<true, true>(z, y, m, pos_weight, grad, n, scale)
                : sigmoid_bce_loop<false, true>(z, y, m, pos_weight, grad, n, scale);
  return grad ? sigmoid_bce_loop<true, false>(z, y, m, pos_weight, grad, n, scale)
              : sigmoid_bce_loop<false, false>(z, y, m, pos_weight, grad, n, scale);
}

/// Softmax cross-entropy over the entries i in [0, k) with sel[i] != 0, against
/// the selected targets normalised to sum 1 (q = y / sum y):
///   l = -sum_i q_i log p_i,  p = softmax over the selected z,  dl/dz_i = p_i - q_i.
/// Unselected entries get gradient 0. A row with nothing selected, or whose
/// selected targets sum to 0, adds 0 and gets gradient 0.
template <class T>
double softmax_ce_segment(const T* z, const T* y, const unsigned char* sel, T* grad, std::size_t k, T scale) {
  T zmax = -std::numeric_limits<T>::infinity(), ysum = 0;
  for (std::size_t i = 0; i < k; ++i)
    if (sel[i]) {
      zmax = std::max(zmax, z[i]);
      ysum += y[i];
    }
  if (!(ysum > T(0))) {
    if (grad) std::fill(grad, grad + k, T(0));
    return 0;
  }
  T denom = 0, qdotz = 0;
  for (std::size_t i = 0; i < k; ++i)
    if (sel[i]) {
      denom += std::exp(z[i] - zmax);
      qdotz += y[i] / ysum * (z[i] - zmax);
    }
  const T log_denom = std::log(denom);
  if (grad)
    for (std::size_t i = 0; i < k; ++i)
      grad[i] = sel[i] ? scale * (std::exp(z[i] - zmax - log_denom) - y[i] / ysum) : T(0);
  return static_cast<double>(log_denom - qdotz);  // -sum q (z - zmax - log_denom), sum q = 1
}

/// Regression over k entries with sel[i] != 0: L2 (0.5 x^2) or wing, x = z - y.
/// Wing (Feng et al. 2018): w ln(1 + |x|/eps) for |x| < w, else |x| - C with
/// C = w - w ln(1 + w/eps), which makes it continuous at |x| = w.
template <class T>
double regression_segment(const T* z, const T* y, const unsigned char* sel, T* grad, std::size_t k,
                          T scale, bool wing, T w, T eps) {
  const T c = w - w * std::log1p(w / eps);
  double loss = 0;
  for (std::size_t i = 0; i < k; ++i) {
    if (!sel[i]) {
      if (grad) grad[i] = T(0);
      continue;
    }
    const T x = z[i] - y[i];
    T l, g;
    if (!wing) {
      l = T(0.5) * x * x;
      g = x;
    } else {
      const T ax = std::abs(x);
      const T sign = T(x > T(0)) - T(x < T(0));
      if (ax < w) {
        l = w * std::log1p(ax / eps);
        g = sign * w / (eps + ax);
      } else {
        l = ax - c;
        g = sign;
      }
    }
    loss += static_cast<double>(l);
    if (grad) grad[i] = scale * g;
  }
  return loss;
}

}  // namespace sjmt::detail::cpu
