#pragma once
// 2-D convolution on the CPU, NHWC, as im2col + one Eigen GEMM per chunk of
// images. A 1x1 stride-1 unpadded convolution is a GEMM on the input itself.
//
//   forward:         Y (M, K)     = col(X) (M, RSC) * W (RSC, K),  M = N P Q
//   backward-data:   dX           = col2im(dY (M, K) * W^T)
//   backward-filter: dW (RSC, K)  = col(X)^T * dY

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "../../tensor/host_tensor.hpp"
#include "../conv2d_geometry.hpp"
#include "workspace.hpp"

namespace sjmt::detail::cpu {

template <class T>
using row_matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using matrix_map = Eigen::Map<row_matrix<T>, Eigen::Aligned64>;
template <class T>
using const_matrix_map = Eigen::Map<const row_matrix<T>, Eigen::Unaligned>;
template <class T>
using unaligned_map = Eigen::Map<row_matrix<T>, Eigen::Unaligned>;

/// Images per im2col chunk: a column buffer of at most about 4 M elements.
inline std::size_t conv_chunk(std::size_t images, std::size_t col_per_image) {
  constexpr std::size_t budget = std::size_t(1) << 22;
  return std::clamp<std::size_t>(budget / std::max<std::size_t>(col_per_image, 1), 1, images);
}

inline bool is_pointwise(const conv2d_geometry& g) { return g.kernel == 1 && g.stride == 1 && g.pad == 0; }

/// col (n images x P Q, R S C) of images [n0, n0 + n) of x (N, H, W, C).
template <class T>
void im2col(const conv2d_geometry& g, const T* x, const shape4& xs, std::size_t n0, std::size_t n,
            std::size_t P, std::size_t Q, T* col) {
  const std::size_t H = xs[1], W = xs[2], C = xs[3], R = g.kernel;
  const std::size_t row_len = R * R * C;
  const std::ptrdiff_t rows = static_cast<std::ptrdiff_t>(n * P * Q);
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t row = 0; row < rows; ++row) {
    const std::size_t i = static_cast<std::size_t>(row) / (P * Q), pq = static_cast<std::size_t>(row) % (P * Q);
    const std::size_t p = pq / Q, q = pq % Q;
    T* out = col + static_cast<std::size_t>(row) * row_len;
    const T* image = x + (n0 + i) * H * W * C;
    for (std::size_t r = 0; r < R; ++r) {
      const std::ptrdiff_t ih = static_cast<std::ptrdiff_t>(p * g.stride + r) - static_cast<std::ptrdiff_t>(g.pad);
      for (std::size_t s = 0; s < R; ++s, out += C) {
        const std::ptrdiff_t iw = static_cast<std::ptrdiff_t>(q * g.stride + s) - static_cast<std::ptrdiff_t>(g.pad);
        if (ih < 0 || iw < 0 || ih >= static_cast<std::ptrdiff_t>(H) || iw >= static_cast<std::ptrdiff_t>(W))
          std::fill(out, out + C, T(0));
        else
          std::memcpy(out, image + (static_cast<std::size_t>(ih) * W + static_cast<std::size_t>(iw)) * C,
                      C * sizeof(T));
      }
    }
  }
}

/// dx[n0 .. n0 + n) += col2im(dcol); images are independent, so threads split them.
template <class T>
void col2im_add(const conv2d_geometry& g, const T* dcol, const shape4& xs, std::size_t n0, std::size_t n,
                std::size_t P, std::size_t Q, T* dx) {
  const std::size_t H = xs[1], W = xs[2], C = xs[3], R = g.kernel;
  const std::size_t row_len = R * R * C;
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t ii = 0; ii < static_cast<std::ptrdiff_t>(n); ++ii) {
    const std::size_t i = static_cast<std::size_t>(ii);
    T* image = dx + (n0 + i) * H * W * C;
    for (std::size_t p = 0; p < P; ++p)
      for (std::size_t q = 0; q < Q; ++q) {
        const T* in = dcol + ((i * P + p) * Q + q) * row_len;
        for (std::size_t r = 0; r < R; ++r) {
          const std::ptrdiff_t ih = static_cast<std::ptrdiff_t>(p * g.stride + r) - static_cast<std::ptrdiff_t>(g.pad);
          for (std::size_t s = 0; s < R; ++s, in += C) {
            const std::ptrdiff_t iw =
                static_cast<std::ptrdiff_t>(q * g.stride + s) - static_cast<std::ptrdiff_t>(g.pad);
            if (ih < 0 || iw < 0 || ih >= static_cast<std::ptrdiff_t>(H) || iw >= static_cast<std::ptrdiff_t>(W))
              continue;
            T* out = image + (static_cast<std::size_t>(ih) * W + static_cast<std::size_t>(iw)) * C;
            for (std::size_t c = 0; c < C; ++c) out[c] += in[c];
          }
        }
      }
  }
}

template <class T>
void conv2d_forward(const conv2d_geometry& g, const host_tensor<T>& x, const host_tensor<T>& w, host_tensor<T>& y) {
  const shape4 ys = g.output_shape(x.shape(), w.shape());
  ensure_shape(y, ys);
  const std::size_t N = ys[0], P = ys[1], Q = ys[2], K = ys[3];
  const std::size_t rsc = w.shape()[0] * w.shape()[1] * w.shape()[2];
  const_matrix_map<T> wm(w.data(), static_cast<Eigen::Index>(rsc), static_cast<Eigen::Index>(K));
  if (is_pointwise(g)) {
    const_matrix_map<T> xm(x.data(), static_cast<Eigen::Index>(N * P * Q), static_cast<Eigen::Index>(rsc));
    matrix_map<T>(y.data(), static_cast<Eigen::Index>(N * P * Q), static_cast<Eigen::Index>(K)).noalias() = xm * wm;
    return;
  }
  const std::size_t chunk = conv_chunk(N, P * Q * rsc);
  T* col = workspace<T>(chunk * P * Q * rsc);
  for (std::size_t n0 = 0; n0 < N; n0 += chunk) {
    const std::size_t n = std::min(chunk, N - n0);
    const auto rows = static_cast<Eigen::Index>(n * P * Q);
    im2col(g, x.data(), x.shape(), n0, n, P, Q, col);
    unaligned_map<T>(y.data() + n0 * P * Q * K, rows, static_cast<Eigen::Index>(K)).noalias() =
        const_matrix_map<T>(col, rows, static_cast<Eigen::Index>(rsc)) * wm;
  }
}

template <class T>
void conv2d_backward_data(const conv2d_geometry& g, const host_tensor<T>& dy, const host_tensor<T>& w,
                          const shape4& x_shape, host_tensor<T>& dx) {
  const shape4 ys = g.output_shape(x_shape, w.shape());
  SJMT_CHECK(shape_error, dy.shape() == ys, "conv2d_backward_data: dy is (", dy.shape()[0], ", ", dy.shape()[1],
             ", ", dy.shape()[2], ", ", dy.shape()[3], "), expected (", ys[0], ", ", ys[1], ", ", ys[2], ", ", ys[3],
             ")");
  ensure_shape(dx, x_shape);
  const std::size_t N = ys[0], P = ys[1], Q = ys[2], K = ys[3];
  const std::size_t rsc = w.shape()[0] * w.shape()[1] * w.shape()[2];
  const_matrix_map<T> wm(w.data(), static_cast<Eigen::Index>(rsc), static_cast<Eigen::Index>(K));
  if (is_pointwise(g)) {
    matrix_map<T>(dx.data(), static_cast<Eigen::Index>(N * P * Q), static_cast<Eigen::Index>(rsc)).noalias() =
        const_matrix_map<T>(dy.data(), static_cast<Eigen::Index>(N * P * Q), static_cast<Eigen::Index>(K)) *
        wm.transpose();
    return;
  }
  dx.fill(T(0));
  const std::size_t chunk = conv_chunk(N, P * Q * rsc);
  T* dcol = workspace<T>(chunk * P * Q * rsc);
  for (std::size_t n0 = 0; n0 < N; n0 += chunk) {
    const std::size_t n = std::min(chunk, N - n0);
    const auto rows = static_cast<Eigen::Index>(n * P * Q);
    unaligned_map<T>(dcol, rows, static_cast<Eigen::Index>(rsc)).noalias() =
        const_matrix_map<T>(dy.data() + n0 * P * Q * K, rows, static_cast<Eigen::Index>(K)) * wm.transpose();
    col2im_add(g, dcol, x_shape, n0, n, P, Q, dx.data());
  }
}

template <class T>
void conv2d_backward_filter(const conv2d_geometry& g, const host_tensor<T>& x, const host_tensor<T>& dy,
                            host_tensor<T>& dw) {
  const shape4 ws = dw.shape();
  const shape4 ys = g.output_shape(x.shape(), ws);
  SJMT_CHECK(shape_error, dy.shape() == ys, "conv2d_backward_filter: dy is (", dy.shape()[0], ", ", dy.shape()[1],
             ", ", dy.shape()[2], ", ", dy.shape()[3], "), expected (", ys[0], ", ", ys[1], ", ", ys[2], ", ", ys[3],
             ")");
  const std::size_t N = ys[0], P = ys[1], Q = ys[2], K = ys[3];
  const std::size_t rsc = ws[0] * ws[1] * ws[2];
  matrix_map<T> dwm(dw.data(), static_cast<Eigen::Index>(rsc), static_cast<Eigen::Index>(K));
  if (is_pointwise(g)) {
    const auto rows = static_cast<Eigen::Index>(N * P * Q);
    dwm.noalias() = const_matrix_map<T>(x.data(), rows, static_cast<Eigen::Index>(rsc)).transpose() *
                    const_matrix_map<T>(dy.data(), rows, static_cast<Eigen::Index>(K));
    return;
  }
  dwm.setZero();
  const std::size_t chunk = conv_chunk(N, P * Q * rsc);
  T* col = workspace<T>(chunk * P * Q * rsc);
  for (std::size_t n0 = 0; n0 < N; n0 += chunk) {
    const std::size_t n = std::min(chunk, N - n0);
    const auto rows = static_cast<Eigen::Index>(n * P * Q);
    im2col(g, x.data(), x.shape(), n0, n, P, Q, col);
    dwm.noalias() += const_matrix_map<T>(col, rows, static_cast<Eigen::Index>(rsc)).transpose() *
                     const_matrix_map<T>(dy.data() + n0 * P * Q * K, rows, static_cast<Eigen::Index>(K));
  }
}

}  // namespace sjmt::detail::cpu
