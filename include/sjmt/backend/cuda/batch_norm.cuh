#pragma once
// Batch normalisation on the GPU, NHWC (x as M rows of C channels), with the
// residual add and ReLU fused into the same passes as on the CPU:
//   1. moments: fixed slices of rows, each summed per channel by one block in
//      double (moments about the channel's first value, against cancellation);
//   2. channel: one thread per channel adds its slices in order (so the result
//      does not depend on scheduling) and applies backend/rules.hpp;
//   3. apply: y = max(x scale + shift + z, 0) elementwise.
// The backward pass has the same shape (sums of g and g x, the channel rule,
// then dx = k_dy g + k_x x + k_0 and dz = g). Included by cuda_backend.hpp only.

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>

#include "../rules.hpp"
#include "kernels.cuh"
#include "launch.hpp"

namespace sjmt::detail::cuda {

/// Slices of rows for the moment passes: enough blocks to fill a large card.
std::size_t batch_norm_slices(std::size_t M) { return std::clamp<std::size_t>(M / 64, 1, 512); }

/// Per slice s and channel c: partial[(2 s) C + c] = sum a, partial[(2 s + 1) C + c] = sum b, where
///   moments:  a = x - x[0, c], b = a^2                          (dy == nullptr)
///   gradient: a = g, b = g x, g = dy masked by y > 0 if y given   (dy != nullptr)
/// A block of 256 threads covers channels [c0, c0 + cc) with 256 / cc rows at a time.
template <class T>
__global__ void channel_sums_kernel(const T* x, const T* dy, const T* y, std::size_t M, std::size_t C,
                                    std::size_t slices, double* partial) {
  __shared__ double sa[threads_per_block], sb[threads_per_block];
  const std::size_t s = blockIdx.x;
  const std::size_t r_begin = s * M / slices, r_end = (s + 1) * M / slices;
  for (std::size_t c0 = 0; c0 < C; c0 += threads_per_block) {
    const std::size_t cc = C - c0 < threads_per_block ? C - c0 : threads_per_block;
    const std::size_t rows_at_once = threads_per_block / cc;
    const std::size_t t = threadIdx.x, c = c0 + t % cc, lane_row = t / cc;
    double a = 0, b = 0;
    if (lane_row < rows_at_once) {
      const T shift = dy ? T(0) : x[c];
      for (std::size_t r = r_begin + lane_row; r < r_end; r += rows_at_once) {
        const std::size_t i = r * C + c;
        if (dy) {
          const T g = (y && !(y[i] > T(0))) ? T(0) : dy[i];
          a += static_cast<double>(g);
          b += static_cast<double>(g) * static_cast<double>(x[i]);
        } else {
          const double d = static_cast<double>(x[i] - shift);
          a += d;
          b += d * d;
        }
      }
    }
    sa[t] = a;
    sb[t] = b;
    __syncthreads();
    if (t < cc) {  // fixed order: row lanes 0, 1, ...
      double ta = 0, tb = 0;
      for (std::size_t l = 0; l < rows_at_once; ++l) {
        ta += sa[l * cc + t];
        tb += sb[l * cc + t];
      }
      partial[(2 * s) * C + c0 + t] = ta;
      partial[(2 * s + 1) * C + c0 + t] = tb;
    }
    __syncthreads();
  }
}

/// The training forward's per-channel step: saved statistics, running averages, and scale/shift.
template <class T>
__global__ void batch_norm_train_channel_kernel(const double* partial, std::size_t slices, const T* x, std::size_t M,
                                                std::size_t C, const T* gamma, const T* beta, T momentum, T epsilon,
                                                T* running_mean, T* running_var, T* saved_mean, T* saved_invstd,
                                                T* scale, T* shift) {
  SJMT_GRID_STRIDE(c, C) {
    double sum = 0, sum_sq = 0;
    for (std::size_t s = 0; s < slices; ++s) {
      sum += partial[(2 * s) * C + c];
      sum_sq += partial[(2 * s + 1) * C + c];
    }
    const batch_norm_channel<T> k = batch_norm_train_channel<T>(sum, sum_sq, x[c], M, gamma[c], beta[c], momentum,
                                                                epsilon, running_mean[c], running_var[c]);
    saved_mean[c] = k.mean;
    saved_invstd[c] = k.invstd;
    scale[c] = k.scale;
    shift[c] = k.shift;
  }
}

template <class T>
__global__ void batch_norm_infer_channel_kernel(std::size_t C, const T* gamma, const T* beta, const T* running_mean,
                                                const T* running_var, T epsilon, T* scale, T* shift) {
  SJMT_GRID_STRIDE(c, C) {
    const batch_norm_affine<T> k = batch_norm_infer_channel<T>(gamma[c], beta[c], running_mean[c], running_var[c], epsilon);
    scale[c] = k.scale;
    shift[c] = k.shift;
  }
}

/// y = x scale + shift (+ z), then max(., 0) when relu.
template <class T>
__global__ void affine_kernel(const T* x, const T* z, const T* scale, const T* shift, T* y, std::size_t n,
                              std::size_t C, bool relu) {
  SJMT_GRID_STRIDE(i, n) {
    const std::size_t c = i % C;
    T v = x[i] * scale[c] + shift[c];
    if (z) v += z[i];
    y[i] = relu ? (v > T(0) ? v : T(0)) : v;
  }
}

/// The backward pass's per-channel step; k holds k_dy, k_x, k_0 for each channel (3 C values).
template <class T>
__global__ void batch_norm_backward_channel_kernel(const double* partial, std::size_t slices, std::size_t M,
                                                   std::size_t C, const T* gamma, const T* saved_mean,
                                                   const T* saved_invstd, T* dgamma, T* dbeta, T* k) {
  SJMT_GRID_STRIDE(c, C) {
    double sum_g = 0, sum_gx = 0;
    for (std::size_t s = 0; s < slices; ++s) {
      sum_g += partial[(2 * s) * C + c];
      sum_gx += partial[(2 * s + 1) * C + c];
    }
    const batch_norm_grad_channel<T> g =
        batch_norm_backward_channel<T>(sum_g, sum_gx, saved_mean[c], saved_invstd[c], gamma[c], M);
    dgamma[c] = g.dgamma;
    dbeta[c] = g.dbeta;
    k[c] = g.k_dy;
    k[C + c] = g.k_x;
    k[2 * C + c] = g.k_0;
  }
}

template <class T>
__global__ void batch_norm_backward_apply_kernel(const T* x, const T* y, const T* dy, const T* k, T* dx, T* dz,
                                                 std::size_t n, std::size_t C) {
  SJMT_GRID_STRIDE(i, n) {
    const std::size_t c = i % C;
    const T g = (y && !(y[i] > T(0))) ? T(0) : dy[i];
    dx[i] = k[c] * g + k[C + c] * x[i] + k[2 * C + c];
    if (dz) dz[i] = g;
  }
}

// ---- launchers ----

template <class T>
void batch_norm_train(cudaStream_t stream, const T* x, const T* z, std::size_t M, std::size_t C, const T* gamma,
                      const T* beta, T momentum, T epsilon, T* running_mean, T* running_var, T* saved_mean,
                      T* saved_invstd, T* y, bool relu, double* partial, T* coeff) {
  if (M * C == 0) return;
  const std::size_t slices = batch_norm_slices(M);
  channel_sums_kernel<T><<<static_cast<unsigned>(slices), threads_per_block, 0, stream>>>(x, nullptr, nullptr, M, C,
                                                                                          slices, partial);
  SJMT_CUDA_LAUNCHED("batch_norm moments");
  SJMT_LAUNCH(batch_norm_train_channel_kernel<T>, C, partial, slices, x, M, C, gamma, beta, momentum, epsilon,
              running_mean, running_var, saved_mean, saved_invstd, coeff, coeff + C);
  SJMT_LAUNCH(affine_kernel<T>, M * C, x, z, coeff, coeff + C, y, M * C, C, relu);
}

template <class T>
void batch_norm_infer(cudaStream_t stream, const T* x, const T* z, std::size_t M, std::size_t C, const T* gamma,
                      const T* beta, const T* running_mean, const T* running_var, T epsilon, T* y, bool relu,
                      T* coeff) {
  if (M * C == 0) return;
  SJMT_LAUNCH(batch_norm_infer_channel_kernel<T>, C, C, gamma, beta, running_mean, running_var, epsilon, coeff,
              coeff + C);
  SJMT_LAUNCH(affine_kernel<T>, M * C, x, z, coeff, coeff + C, y, M * C, C, relu);
}

template <class T>
void batch_norm_backward(cudaStream_t stream, const T* x, const T* y, const T* dy, std::size_t M, std::size_t C,
                         const T* gamma, const T* saved_mean, const T* saved_invstd, T* dx, T* dgamma, T* dbeta,
                         T* dz, double* partial, T* coeff) {
  if (M * C == 0) return;
  const std::size_t slices = batch_norm_slices(M);
  channel_sums_kernel<T><<<static_cast<unsigned>(slices), threads_per_block, 0, stream>>>(x, dy, y, M, C, slices,
                                                                                          partial);
  SJMT_CUDA_LAUNCHED("batch_norm_backward sums");
  SJMT_LAUNCH(batch_norm_backward_channel_kernel<T>, C, partial, slices, M, C, gamma, saved_mean, saved_invstd, dgamma,
              dbeta, coeff);
  SJMT_LAUNCH(batch_norm_backward_apply_kernel<T>, M * C, x, y, dy, coeff, dx, dz, M * C, C);
}

}  // namespace sjmt::detail::cuda
