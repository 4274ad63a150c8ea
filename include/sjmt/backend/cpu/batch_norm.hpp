#pragma once
// Batch normalisation on the CPU over (N, H, W, C): statistics per channel over
// the M = N H W rows. Training normalises with the batch statistics (biased
// variance) and updates the running averages with the unbiased variance, as
// PyTorch does; inference normalises with the running averages. Shapes are
// checked, and outputs sized, by the caller (backend/ops.hpp).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "../../tensor/host_tensor.hpp"
#include "../rules.hpp"
#include "parallel.hpp"

namespace sjmt::detail::cpu {

/// One row of C channels: y = x scale + shift, plus z where z is not null, then
/// max(., 0) when `relu`; y may be x. The serial kernel of every affine pass: batch
/// norm's below (parallel over rows) and the convolution's epilogue
/// (conv2d_direct.hpp), which runs it on a row still in cache.
template <class T>
inline void affine_row(const T* x, const T* z, const T* scale, const T* shift, std::size_t C, bool relu, T* y) {
  if (z && relu) {
#pragma omp simd
    for (std::size_t c = 0; c < C; ++c) {
      const T v = x[c] * scale[c] + shift[c] + z[c];
      y[c] = v > T(0) ? v : T(0);
    }
  } else if (z) {
#pragma omp simd
    for (std::size_t c = 0; c < C; ++c) y[c] = x[c] * scale[c] + shift[c] + z[c];
  } else if (relu) {
#pragma omp simd
    for (std::size_t c = 0; c < C; ++c) {
      const T v = x[c] * scale[c] + shift[c];
      y[c] = v > T(0) ? v : T(0);
    }
  } else {
#pragma omp simd
    for (std::size_t c = 0; c < C; ++c) y[c] = x[c] * scale[c] + shift[c];
  }
}

/// y = (x - mean) * invstd * gamma + beta, per channel, then max(., 0) when `relu`, over M
/// rows of x (M, C) with a residual z (M, C) added before the ReLU where z is not null.
template <class T>
void affine_rows(const T* x, const T* z, const std::vector<T>& scale, const std::vector<T>& shift, std::size_t M,
                 std::size_t C, bool relu, T* y) {
#pragma omp parallel for schedule(static) if (worth_threads(M * C))
  for (std::ptrdiff_t m = 0; m < static_cast<std::ptrdiff_t>(M); ++m) {
    const std::size_t o = static_cast<std::size_t>(m) * C;
    affine_row(x + o, z ? z + o : nullptr, scale.data(), shift.data(), C, relu, y + o);
  }
}

/// Per-channel sums over the M rows of x (M, C) of d = x - shift and of d^2,
/// in one pass: runs of 16 rows in T (the channel loop vectorises), added in
/// double into fixed slices summed in slice order (the result does not depend
/// on the thread count). The caller takes shift = one row of x: then
/// |mean - shift| is a few standard deviations at most, and
/// var = E[d^2] - E[d]^2 loses only a few bits to cancellation (a two-pass
/// centred sum read x twice: ~4% of a ResNet step, perf).
template <class T>
void shifted_moments(const T* x, std::size_t M, std::size_t C, const T* shift, std::vector<double>& sum,
                     std::vector<double>& sum_sq) {
  constexpr std::size_t slices = 16, run = 16;
  std::vector<double> partial(2 * slices * C, 0.0);
#pragma omp parallel for schedule(static) if (worth_threads(M * C))
  for (std::ptrdiff_t sl = 0; sl < static_cast<std::ptrdiff_t>(slices); ++sl) {
    const std::size_t s = static_cast<std::size_t>(sl);
    double* p1 = partial.data() + 2 * s * C;
    double* p2 = p1 + C;
    std::vector<T> local(2 * C);
    T* a1 = local.data();
    T* a2 = a1 + C;
    const std::size_t end = (s + 1) * M / slices;
    for (std::size_t m0 = s * M / slices; m0 < end; m0 += run) {
      std::fill(local.begin(), local.end(), T(0));
      for (std::size_t m = m0; m < std::min(end, m0 + run); ++m) {
        const T* row = x + m * C;
#pragma omp simd
        for (std::size_t c = 0; c < C; ++c) {
          const T d = row[c] - shift[c];
          a1[c] += d;
          a2[c] += d * d;
        }
      }
      for (std::size_t c = 0; c < C; ++c) {
        p1[c] += static_cast<double>(a1[c]);
        p2[c] += static_cast<double>(a2[c]);
      }
    }
  }
  sum.assign(C, 0.0);
  sum_sq.assign(C, 0.0);
  for (std::size_t s = 0; s < slices; ++s)
    for (std::size_t c = 0; c < C; ++c) {
      sum[c] += partial[2 * s * C + c];
      sum_sq[c] += partial[(2 * s + 1) * C + c];
    }
}

/// Batch statistics of x (M, C): saves mean and 1/std, updates the running
/// averages, and returns the affine map y = x scale + shift of the forward.
template <class T>
void batch_statistics(const host_tensor<T>& x, const host_tensor<T>& gamma, const host_tensor<T>& beta, T momentum,
                      T epsilon, host_tensor<T>& running_mean, host_tensor<T>& running_var, host_tensor<T>& saved_mean,
                      host_tensor<T>& saved_invstd, std::vector<T>& scale, std::vector<T>& shift) {
  const std::size_t C = x.shape()[3], M = x.shape()[0] * x.shape()[1] * x.shape()[2];
  const T* px = x.data();
  // Moments about x's first row (not about 0: no cancellation when |mean| >> std).
  std::vector<double> sum, sum_sq;
  shifted_moments(px, M, C, px, sum, sum_sq);
  scale.resize(C);
  shift.resize(C);
  for (std::size_t c = 0; c < C; ++c) {
    const batch_norm_channel<T> k =
        batch_norm_train_channel<T>(sum[c], sum_sq[c], px[c], M, gamma.data()[c], beta.data()[c], momentum, epsilon,
                                    running_mean.data()[c], running_var.data()[c]);
    saved_mean.data()[c] = k.mean;
    saved_invstd.data()[c] = k.invstd;
    scale[c] = k.scale;
    shift[c] = k.shift;
  }
}

/// The affine map of inference, from the running averages.
template <class T>
void running_affine(const host_tensor<T>& gamma, const host_tensor<T>& beta, const host_tensor<T>& running_mean,
                    const host_tensor<T>& running_var, T epsilon, std::size_t C, std::vector<T>& scale,
                    std::vector<T>& shift) {
  scale.resize(C);
  shift.resize(C);
  for (std::size_t c = 0; c < C; ++c) {
    const batch_norm_affine<T> k = batch_norm_infer_channel<T>(gamma.data()[c], beta.data()[c], running_mean.data()[c],
                                                               running_var.data()[c], epsilon);
    scale[c] = k.scale;
    shift[c] = k.shift;
  }
}

template <class T>
void batch_norm_forward_train(const host_tensor<T>& x, const host_tensor<T>& gamma, const host_tensor<T>& beta,
                              T momentum, T epsilon, host_tensor<T>& running_mean, host_tensor<T>& running_var,
                              host_tensor<T>& saved_mean, host_tensor<T>& saved_invstd, host_tensor<T>& y) {
  const std::size_t C = x.shape()[3], M = x.shape()[0] * x.shape()[1] * x.shape()[2];
  std::vector<T> scale, shift;
  batch_statistics(x, gamma, beta, momentum, epsilon, running_mean, running_var, saved_mean, saved_invstd, scale,
                   shift);
  affine_rows(x.data(), static_cast<const T*>(nullptr), scale, shift, M, C, false, y.data());
}

/// y = max(batch_norm(x) + z, 0), training mode; z may be null (no residual).
/// The normalised x is never stored: backward recomputes it from x and the
/// saved statistics, and takes the ReLU mask from y.
template <class T>
void batch_norm_add_relu_forward_train(const host_tensor<T>& x, const host_tensor<T>* z, const host_tensor<T>& gamma,
                                       const host_tensor<T>& beta, T momentum, T epsilon,
                                       host_tensor<T>& running_mean, host_tensor<T>& running_var,
                                       host_tensor<T>& saved_mean, host_tensor<T>& saved_invstd, host_tensor<T>& y) {
  const std::size_t C = x.shape()[3], M = x.shape()[0] * x.shape()[1] * x.shape()[2];
  std::vector<T> scale, shift;
  batch_statistics(x, gamma, beta, momentum, epsilon, running_mean, running_var, saved_mean, saved_invstd, scale,
                   shift);
  affine_rows(x.data(), z ? z->data() : nullptr, scale, shift, M, C, true, y.data());
}

/// y = max(batch_norm(x) + z, 0) with the running averages; z may be null.
template <class T>
void batch_norm_add_relu_forward_infer(const host_tensor<T>& x, const host_tensor<T>* z, const host_tensor<T>& gamma,
                                       const host_tensor<T>& beta, const host_tensor<T>& running_mean,
                                       const host_tensor<T>& running_var, T epsilon, host_tensor<T>& y) {
  const std::size_t C = x.shape()[3], M = x.shape()[0] * x.shape()[1] * x.shape()[2];
  std::vector<T> scale, shift;
  running_affine(gamma, beta, running_mean, running_var, epsilon, C, scale, shift);
  affine_rows(x.data(), z ? z->data() : nullptr, scale, shift, M, C, true, y.data());
}

template <class T>
void batch_norm_forward_infer(const host_tensor<T>& x, const host_tensor<T>& gamma, const host_tensor<T>& beta,
                              const host_tensor<T>& running_mean, const host_tensor<T>& running_var, T epsilon,
                              host_tensor<T>& y) {
  const std::size_t C = x.shape()[3], M = x.shape()[0] * x.shape()[1] * x.shape()[2];
  std::vector<T> scale, shift;
  running_affine(gamma, beta, running_mean, running_var, epsilon, C, scale, shift);
  affine_rows(x.data(), static_cast<const T*>(nullptr), scale, shift, M, C, false, y.data());
}

/// Gradients of the training-mode forward, of g = dy, or of g = dy where
/// y > 0 when `relu_output` is given (the fused forward's output):
///   dbeta = sum g, dgamma = sum g xhat,
///   dx = gamma invstd / M (M g - dbeta - xhat dgamma),
/// and dz = g when dz is given (the residual's gradient).
template <class T>
void batch_norm_masked_backward(const host_tensor<T>& x, const host_tensor<T>* relu_output, const host_tensor<T>& dy,
                                const host_tensor<T>& gamma, const host_tensor<T>& saved_mean,
                                const host_tensor<T>& saved_invstd, host_tensor<T>& dx, host_tensor<T>& dgamma,
                                host_tensor<T>& dbeta, host_tensor<T>* dz) {
  const std::size_t C = x.shape()[3], M = x.shape()[0] * x.shape()[1] * x.shape()[2];
  const T* mean = saved_mean.data();
  const T* invstd = saved_invstd.data();
  const T* px = x.data();
  const T* pdy = dy.data();
  const T* py = relu_output ? relu_output->data() : nullptr;
  // With a residual's gradient to write, the first pass writes g = dy (y > 0) there, and
  // the second reads it back instead of y and dy: 7 passes over the M C values where
  // 8 were (3 reads; 3 reads and 2 writes).
  T* pdz = dz ? dz->data() : nullptr;
  // sum g and sum g x per channel over fixed slices of rows (the result does
  // not depend on the thread count): runs of `run` rows in T, added into
  // double per slice (as shifted_moments). The mask as a branch per element, and
  // double accumulators per element, cost 15% of a ResNet-32 step (perf); in
  // T with a select the channel loop vectorises.
  constexpr std::size_t slices = 16, run = 16;
  std::vector<double> partial(2 * slices * C, 0.0);
#pragma omp parallel for schedule(static) if (worth_threads(M * C))
  for (std::ptrdiff_t sl = 0; sl < static_cast<std::ptrdiff_t>(slices); ++sl) {
    const std::size_t s = static_cast<std::size_t>(sl);
    double* pa = partial.data() + 2 * s * C;
    double* pb = pa + C;
    std::vector<T> local(2 * C);
    T* la = local.data();
    T* lb = la + C;
    const std::size_t end = (s + 1) * M / slices;
    for (std::size_t m0 = s * M / slices; m0 < end; m0 += run) {
      std::fill(local.begin(), local.end(), T(0));
      for (std::size_t m = m0; m < std::min(end, m0 + run); ++m) {
        const T* rdy = pdy + m * C;
        const T* rx = px + m * C;
        if (py && pdz) {
          const T* ry = py + m * C;
          T* rz = pdz + m * C;
#pragma omp simd
          for (std::size_t c = 0; c < C; ++c) {
            const T gv = ry[c] > T(0) ? rdy[c] : T(0);
            la[c] += gv;
            lb[c] += gv * rx[c];
            rz[c] = gv;
          }
        } else if (py) {
          const T* ry = py + m * C;
#pragma omp simd
          for (std::size_t c = 0; c < C; ++c) {
            const T gv = ry[c] > T(0) ? rdy[c] : T(0);
            la[c] += gv;
            lb[c] += gv * rx[c];
          }
        } else {
#pragma omp simd
          for (std::size_t c = 0; c < C; ++c) {
            la[c] += rdy[c];
            lb[c] += rdy[c] * rx[c];
          }
        }
      }
      for (std::size_t c = 0; c < C; ++c) {
        pa[c] += static_cast<double>(la[c]);
        pb[c] += static_cast<double>(lb[c]);
      }
    }
  }
  std::vector<double> sum_dy(C, 0.0), sum_dy_x(C, 0.0);
  for (std::size_t s = 0; s < slices; ++s)
    for (std::size_t c = 0; c < C; ++c) {
      sum_dy[c] += partial[2 * s * C + c];
      sum_dy_x[c] += partial[(2 * s + 1) * C + c];
    }
  std::vector<T> k_dy(C), k_x(C), k_0(C);
  for (std::size_t c = 0; c < C; ++c) {
    const batch_norm_grad_channel<T> k =
        batch_norm_backward_channel<T>(sum_dy[c], sum_dy_x[c], mean[c], invstd[c], gamma.data()[c], M);
    dgamma.data()[c] = k.dgamma;
    dbeta.data()[c] = k.dbeta;
    k_dy[c] = k.k_dy;
    k_x[c] = k.k_x;
    k_0[c] = k.k_0;
  }
  T* pdx = dx.data();
  const T* kd = k_dy.data();
  const T* kx = k_x.data();
  const T* k0 = k_0.data();
#pragma omp parallel for schedule(static) if (worth_threads(M * C))
  for (std::ptrdiff_t m = 0; m < static_cast<std::ptrdiff_t>(M); ++m) {
    const std::size_t o = static_cast<std::size_t>(m) * C;
    if (py && pdz) {  // g from the first pass
#pragma omp simd
      for (std::size_t c = 0; c < C; ++c) pdx[o + c] = kd[c] * pdz[o + c] + kx[c] * px[o + c] + k0[c];
    } else if (py) {
#pragma omp simd
      for (std::size_t c = 0; c < C; ++c) {
        const T gv = py[o + c] > T(0) ? pdy[o + c] : T(0);
        pdx[o + c] = kd[c] * gv + kx[c] * px[o + c] + k0[c];
      }
    } else {
#pragma omp simd
      for (std::size_t c = 0; c < C; ++c) pdx[o + c] = kd[c] * pdy[o + c] + kx[c] * px[o + c] + k0[c];
    }
  }
}

template <class T>
void batch_norm_backward(const host_tensor<T>& x, const host_tensor<T>& dy, const host_tensor<T>& gamma,
                         const host_tensor<T>& saved_mean, const host_tensor<T>& saved_invstd, host_tensor<T>& dx,
                         host_tensor<T>& dgamma, host_tensor<T>& dbeta) {
  batch_norm_masked_backward<T>(x, nullptr, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta, nullptr);
}

/// Gradients of batch_norm_add_relu_forward_train; y is its output, dz (may be
/// null) receives the residual's gradient.
template <class T>
void batch_norm_relu_backward(const host_tensor<T>& x, const host_tensor<T>& y, const host_tensor<T>& dy,
                              const host_tensor<T>& gamma, const host_tensor<T>& saved_mean,
                              const host_tensor<T>& saved_invstd, host_tensor<T>& dx, host_tensor<T>& dgamma,
                              host_tensor<T>& dbeta, host_tensor<T>* dz) {
  batch_norm_masked_backward(x, &y, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta, dz);
}

}  // namespace sjmt::detail::cpu
