#pragma once
// Batch normalisation on the CPU over (N, H, W, C): statistics per channel over
// the M = N H W rows. Training normalises with the batch statistics (biased
// variance) and updates the running averages with the unbiased variance, as
// PyTorch does; inference normalises with the running averages.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "../../tensor/host_tensor.hpp"

namespace sjmt::detail::cpu {

inline void check_channel_vector(const char* name, const shape4& s, std::size_t C) {
  SJMT_CHECK(shape_error, (s == shape4{1, 1, 1, C}), "batch_norm: ", name, " is (", s[0], ", ", s[1], ", ", s[2], ", ",
             s[3], "), expected (1, 1, 1, ", C, ")");
}

/// Sums over rows of the (M, C) matrix `a` (and of a * b when b is given), in
/// double, split across threads by rows.
template <class T>
void column_sums(const T* a, const T* b, std::size_t M, std::size_t C, std::vector<double>& sum_a,
                 std::vector<double>& sum_ab) {
  sum_a.assign(C, 0.0);
  sum_ab.assign(C, 0.0);
#pragma omp parallel
  {
    std::vector<double> la(C, 0.0), lab(C, 0.0);
#pragma omp for schedule(static)
    for (std::ptrdiff_t m = 0; m < static_cast<std::ptrdiff_t>(M); ++m) {
      const T* ra = a + static_cast<std::size_t>(m) * C;
      const T* rb = b ? b + static_cast<std::size_t>(m) * C : nullptr;
      for (std::size_t c = 0; c < C; ++c) {
        la[c] += ra[c];
        if (rb) lab[c] += static_cast<double>(ra[c]) * rb[c];
      }
    }
#pragma omp critical
    for (std::size_t c = 0; c < C; ++c) {
      sum_a[c] += la[c];
      sum_ab[c] += lab[c];
    }
  }
}

/// y = (x - mean) * invstd * gamma + beta, per channel.
template <class T>
void affine_rows(const T* x, const std::vector<T>& scale, const std::vector<T>& shift, std::size_t M, std::size_t C,
                 T* y) {
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t m = 0; m < static_cast<std::ptrdiff_t>(M); ++m) {
    const T* rx = x + static_cast<std::size_t>(m) * C;
    T* ry = y + static_cast<std::size_t>(m) * C;
    for (std::size_t c = 0; c < C; ++c) ry[c] = rx[c] * scale[c] + shift[c];
  }
}

template <class T>
void batch_norm_forward_train(const host_tensor<T>& x, const host_tensor<T>& gamma, const host_tensor<T>& beta,
                              T momentum, T epsilon, host_tensor<T>& running_mean, host_tensor<T>& running_var,
                              host_tensor<T>& saved_mean, host_tensor<T>& saved_invstd, host_tensor<T>& y) {
  const std::size_t C = x.shape()[3], M = x.shape()[0] * x.shape()[1] * x.shape()[2];
  check_channel_vector("gamma", gamma.shape(), C);
  check_channel_vector("beta", beta.shape(), C);
  check_channel_vector("running_mean", running_mean.shape(), C);
  check_channel_vector("running_var", running_var.shape(), C);
  SJMT_CHECK(shape_error, M > 1, "batch_norm: ", M, " values per channel in training, expected at least 2");
  ensure_shape(saved_mean, {1, 1, 1, C});
  ensure_shape(saved_invstd, {1, 1, 1, C});
  ensure_shape(y, x.shape());
  std::vector<double> sum, unused;
  column_sums<T>(x.data(), nullptr, M, C, sum, unused);
  std::vector<T> mean(C);
  for (std::size_t c = 0; c < C; ++c) mean[c] = static_cast<T>(sum[c] / static_cast<double>(M));
  // Second pass on centred values: no cancellation when |mean| >> std.
  std::vector<double> sq(C, 0.0);
#pragma omp parallel
  {
    std::vector<double> local(C, 0.0);
#pragma omp for schedule(static)
    for (std::ptrdiff_t m = 0; m < static_cast<std::ptrdiff_t>(M); ++m) {
      const T* rx = x.data() + static_cast<std::size_t>(m) * C;
      for (std::size_t c = 0; c < C; ++c) {
        const double d = static_cast<double>(rx[c]) - mean[c];
        local[c] += d * d;
      }
    }
#pragma omp critical
    for (std::size_t c = 0; c < C; ++c) sq[c] += local[c];
  }
  std::vector<T> scale(C), shift(C);
  for (std::size_t c = 0; c < C; ++c) {
    const double var = sq[c] / static_cast<double>(M);
    const T invstd = static_cast<T>(1.0 / std::sqrt(var + epsilon));
    saved_mean.data()[c] = mean[c];
    saved_invstd.data()[c] = invstd;
    scale[c] = invstd * gamma.data()[c];
    shift[c] = beta.data()[c] - mean[c] * scale[c];
    running_mean.data()[c] = (T(1) - momentum) * running_mean.data()[c] + momentum * mean[c];
    running_var.data()[c] = (T(1) - momentum) * running_var.data()[c] +
                            momentum * static_cast<T>(sq[c] / static_cast<double>(M - 1));
  }
  affine_rows(x.data(), scale, shift, M, C, y.data());
}

template <class T>
void batch_norm_forward_infer(const host_tensor<T>& x, const host_tensor<T>& gamma, const host_tensor<T>& beta,
                              const host_tensor<T>& running_mean, const host_tensor<T>& running_var, T epsilon,
                              host_tensor<T>& y) {
  const std::size_t C = x.shape()[3], M = x.shape()[0] * x.shape()[1] * x.shape()[2];
  check_channel_vector("gamma", gamma.shape(), C);
  check_channel_vector("beta", beta.shape(), C);
  check_channel_vector("running_mean", running_mean.shape(), C);
  check_channel_vector("running_var", running_var.shape(), C);
  ensure_shape(y, x.shape());
  std::vector<T> scale(C), shift(C);
  for (std::size_t c = 0; c < C; ++c) {
    scale[c] = gamma.data()[c] / std::sqrt(running_var.data()[c] + epsilon);
    shift[c] = beta.data()[c] - running_mean.data()[c] * scale[c];
  }
  affine_rows(x.data(), scale, shift, M, C, y.data());
}

/// Gradients of the training-mode forward:
///   dbeta = sum dy, dgamma = sum dy xhat,
///   dx = gamma invstd / M (M dy - dbeta - xhat dgamma).
template <class T>
void batch_norm_backward(const host_tensor<T>& x, const host_tensor<T>& dy, const host_tensor<T>& gamma,
                         const host_tensor<T>& saved_mean, const host_tensor<T>& saved_invstd, host_tensor<T>& dx,
                         host_tensor<T>& dgamma, host_tensor<T>& dbeta) {
  const std::size_t C = x.shape()[3], M = x.shape()[0] * x.shape()[1] * x.shape()[2];
  SJMT_CHECK(shape_error, dy.shape() == x.shape(), "batch_norm_backward: dy and x differ in shape");
  check_channel_vector("gamma", gamma.shape(), C);
  check_channel_vector("saved_mean", saved_mean.shape(), C);
  check_channel_vector("saved_invstd", saved_invstd.shape(), C);
  ensure_shape(dx, x.shape());
  ensure_shape(dgamma, {1, 1, 1, C});
  ensure_shape(dbeta, {1, 1, 1, C});
  const T* mean = saved_mean.data();
  const T* invstd = saved_invstd.data();
  std::vector<double> sum_dy, sum_dy_x;
  column_sums<T>(dy.data(), x.data(), M, C, sum_dy, sum_dy_x);
  std::vector<T> k_dy(C), k_x(C), k_0(C);
  for (std::size_t c = 0; c < C; ++c) {
    // sum dy xhat = invstd (sum dy x - mean sum dy)
    const double dg = invstd[c] * (sum_dy_x[c] - mean[c] * sum_dy[c]);
    dgamma.data()[c] = static_cast<T>(dg);
    dbeta.data()[c] = static_cast<T>(sum_dy[c]);
    const double a = gamma.data()[c] * invstd[c];
    const double inv_m = 1.0 / static_cast<double>(M);
    // dx = a dy - a/M dbeta - a/M xhat dgamma, xhat = (x - mean) invstd
    k_dy[c] = static_cast<T>(a);
    k_x[c] = static_cast<T>(-a * inv_m * dg * invstd[c]);
    k_0[c] = static_cast<T>(-a * inv_m * sum_dy[c] + a * inv_m * dg * invstd[c] * mean[c]);
  }
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t m = 0; m < static_cast<std::ptrdiff_t>(M); ++m) {
    const std::size_t o = static_cast<std::size_t>(m) * C;
    for (std::size_t c = 0; c < C; ++c) dx.data()[o + c] = k_dy[c] * dy.data()[o + c] + k_x[c] * x.data()[o + c] + k_0[c];
  }
}

}  // namespace sjmt::detail::cpu
