#pragma once
// 2-D convolution on the CPU, NHWC, as im2col + one Eigen GEMM per chunk of
// images. A 1x1 stride-1 unpadded convolution is a GEMM on the input itself.
//
//   forward:         Y (M, K)     = col(X) (M, RSC) * W (RSC, K),  M = N P Q,
//                    in blocks of whole images (see for_each_block)
//   backward-data:   dX           = col2im(dY (M, K) * W^T)
//   backward-filter: dW (RSC, K)  = col(X)^T * dY
//
// where the direct kernels (conv2d_direct.hpp) do not take the layer: they take
// forward and backward-filter wherever K is whole vectors, stride-1 backward-data
// as a forward of dY with the flipped filter, and strided backward-data wherever
// C is whole vectors (conv2d_backward_data_strided).

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "intrinsics.hpp"  // before Eigen/Core (see intrinsics.hpp)
#include <Eigen/Core>

#include "../../tensor/host_tensor.hpp"
#include "batch_norm.hpp"  // running_affine
#include "conv2d_direct.hpp"
#include "gemm.hpp"
#include "parallel.hpp"
#include "../conv2d_geometry.hpp"
#include "scratch.hpp"

namespace sjmt::detail::cpu {

template <class T>
using row_matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using matrix_map = Eigen::Map<row_matrix<T>, Eigen::Aligned64>;
template <class T>
using const_matrix_map = Eigen::Map<const row_matrix<T>, Eigen::Unaligned>;
template <class T>
using unaligned_map = Eigen::Map<row_matrix<T>, Eigen::Unaligned>;

/// Images per block: a block's column buffer is about 1 MiB of floats, so that
/// im2col and the GEMM reading it meet in L2.
inline std::size_t conv_block(std::size_t images, std::size_t col_per_image) {
  constexpr std::size_t budget = std::size_t(1) << 18;
  return std::clamp<std::size_t>(budget / std::max<std::size_t>(col_per_image, 1), 1, images);
}

inline bool is_pointwise(const conv2d_geometry& g) { return g.kernel == 1 && g.stride == 1 && g.pad == 0; }

/// Threading: each thread takes whole blocks of images (static schedule, so
/// the split depends only on the thread count) and runs im2col and a
/// single-threaded Eigen GEMM on its block. Eigen's own GEMM threads are never
/// used here: they synchronise by spinning, which collapses when the machine is
/// shared and a thread is descheduled.
template <class Body>
void for_each_block(scratch& ws, std::size_t N, std::size_t block, std::size_t work, Body&& body) {
  ws.prepare();
  const auto blocks = static_cast<std::ptrdiff_t>((N + block - 1) / block);
#pragma omp parallel if (worth_threads(work) && blocks > 1)
  {
    omp_set_num_threads(1);  // Eigen's GEMM in body stays serial (see with_serial_eigen)
#pragma omp for schedule(static)
    for (std::ptrdiff_t b = 0; b < blocks; ++b) {
      const std::size_t n0 = static_cast<std::size_t>(b) * block;
      body(n0, std::min(block, N - n0));
    }
  }
}

/// col (n images x P Q, R S C) of images [n0, n0 + n) of x (N, H, W, C).
template <class T>
void im2col(const conv2d_geometry& g, const T* x, const shape4& xs, std::size_t n0, std::size_t n,
            std::size_t P, std::size_t Q, T* col) {
  const std::size_t H = xs[1], W = xs[2], C = xs[3], R = g.kernel;
  const std::size_t row_len = R * R * C;
  const std::ptrdiff_t rows = static_cast<std::ptrdiff_t>(n * P * Q);
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

/// The im2col rows (n P Q, R S C) of images [n0, n0 + n): the input itself for
/// a pointwise convolution, else this thread's workspace filled by im2col.
template <class T>
const T* columns(scratch& ws, const conv2d_geometry& g, const host_tensor<T>& x, std::size_t n0, std::size_t n,
                 std::size_t P, std::size_t Q, std::size_t rsc) {
  if (is_pointwise(g)) return x.data() + n0 * P * Q * rsc;
  T* buffer = ws.per_thread<T>(n * P * Q * rsc);
  im2col(g, x.data(), x.shape(), n0, n, P, Q, buffer);
  return buffer;
}

/// dx[n0 .. n0 + n) += col2im(dcol); images are independent, so threads split them.
template <class T>
void col2im_add(const conv2d_geometry& g, const T* dcol, const shape4& xs, std::size_t n0, std::size_t n,
                std::size_t P, std::size_t Q, T* dx) {
  const std::size_t H = xs[1], W = xs[2], C = xs[3], R = g.kernel;
  const std::size_t row_len = R * R * C;
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

/// y (N, P, Q, K) = conv(x, w), then ep (when not null) on each block of the
/// output while it is in cache. Requires: shapes checked and y sized by the caller.
template <class T>
void conv2d_forward(scratch& ws, const conv2d_geometry& g, const host_tensor<T>& x, const host_tensor<T>& w,
                    host_tensor<T>& y, const conv_epilogue<T>* ep = nullptr) {
  const shape4 ys = y.shape();
  const std::size_t N = ys[0], PQ = ys[1] * ys[2], K = ys[3];
  if (direct_conv_fits<T>(g, x.shape()[3], K)) {
    conv2d_forward_direct(ws, g.pad, g.kernel, g.stride, x.data(), x.shape(), w.data(), K, y.data(), ep);
    return;
  }
  const std::size_t rsc = w.shape()[0] * w.shape()[1] * w.shape()[2];
  const_matrix_map<T> wm(w.data(), static_cast<Eigen::Index>(rsc), static_cast<Eigen::Index>(K));
  const std::size_t block = conv_block(N, PQ * rsc);
  for_each_block(ws, N, block, N * PQ * (rsc + K), [&](std::size_t n0, std::size_t n) {
    const auto rows = static_cast<Eigen::Index>(n * PQ);
    const T* col = columns(ws, g, x, n0, n, ys[1], ys[2], rsc);
    if (narrow_gemm_fits<T>(K))
      gemm_narrow(col, rsc, 1, w.data(), y.data() + n0 * PQ * K, n * PQ, rsc, K);
    else
      unaligned_map<T>(y.data() + n0 * PQ * K, rows, static_cast<Eigen::Index>(K)).noalias() =
          const_matrix_map<T>(col, rows, static_cast<Eigen::Index>(rsc)) * wm;
    if (ep) apply_epilogue(*ep, y.data() + n0 * PQ * K, n * PQ, K);
  });
}

/// y = max?(batch_norm(conv(x, w)) (+ z), 0) with the batch norm's running
/// statistics, applied in the convolution's epilogue (conv_epilogue). z may be
/// null; y aliases neither x nor z. Requires: shapes checked and y sized by the caller.
template <class T>
void conv2d_bn_add_relu_forward_infer(scratch& ws, const conv2d_geometry& g, const host_tensor<T>& x,
                                      const host_tensor<T>& w, const host_tensor<T>& gamma,
                                      const host_tensor<T>& beta, const host_tensor<T>& running_mean,
                                      const host_tensor<T>& running_var, T epsilon, const host_tensor<T>* z,
                                      bool relu, host_tensor<T>& y) {
  std::vector<T> scale, shift;
  running_affine(gamma, beta, running_mean, running_var, epsilon, y.shape()[3], scale, shift);
  const conv_epilogue<T> ep{scale.data(), shift.data(), z ? z->data() : nullptr, relu, y.data()};
  conv2d_forward(ws, g, x, w, y, &ep);
}

/// dx = the gradient of conv(x, w) with respect to x, from dy. Requires: shapes
/// checked and dx sized (as x) by the caller.
template <class T>
void conv2d_backward_data(scratch& ws, const conv2d_geometry& g, const host_tensor<T>& dy, const host_tensor<T>& w,
                          host_tensor<T>& dx) {
  const shape4 ys = dy.shape(), x_shape = dx.shape();
  const std::size_t N = ys[0], PQ = ys[1] * ys[2], K = ys[3];
  if (direct_conv_data_fits<T>(g, K, x_shape[3])) {  // a forward of dy with the flipped filter
    const auto flipped = flipped_filter(ws, w.data(), g.kernel, x_shape[3], K);
    conv2d_forward_direct(ws, g.kernel - 1 - g.pad, g.kernel, std::size_t(1), dy.data(), ys, flipped, x_shape[3], dx.data());
    return;
  }
  if (strided_data_fits<T>(g, x_shape[3])) {  // S^2 stride-1 sub-convolutions of dy
    conv2d_backward_data_strided(ws, g.pad, g.kernel, g.stride, dy.data(), ys, w.data(), x_shape,
                                 dx.data());
    return;
  }
  const std::size_t rsc = w.shape()[0] * w.shape()[1] * w.shape()[2];
  const std::size_t image = x_shape[1] * x_shape[2] * x_shape[3];
  const_matrix_map<T> wm(w.data(), static_cast<Eigen::Index>(rsc), static_cast<Eigen::Index>(K));
  const std::size_t block = conv_block(N, PQ * rsc);
  // W^T (K, rsc) row-major, for the narrow GEMM.
  const bool narrow = narrow_gemm_fits<T>(rsc);
  std::vector<T, aligned_allocator<T>> wt(narrow ? rsc * K : 0);
  for (std::size_t i = 0; i < wt.size(); ++i) wt[(i % K) * rsc + i / K] = w.data()[i];
  const auto dcol_of = [&](const T* dyb, T* out, std::size_t rows) {
    if (narrow)
      gemm_narrow(dyb, K, 1, wt.data(), out, rows, K, rsc);
    else
      unaligned_map<T>(out, static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(rsc)).noalias() =
          const_matrix_map<T>(dyb, static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(K)) * wm.transpose();
  };
  for_each_block(ws, N, block, N * PQ * (rsc + K), [&](std::size_t n0, std::size_t n) {
    if (is_pointwise(g)) {
      dcol_of(dy.data() + n0 * PQ * K, dx.data() + n0 * image, n * PQ);
      return;
    }
    T* dcol = ws.per_thread<T>(n * PQ * rsc);
    dcol_of(dy.data() + n0 * PQ * K, dcol, n * PQ);
    std::fill(dx.data() + n0 * image, dx.data() + (n0 + n) * image, T(0));
    col2im_add(g, dcol, x_shape, n0, n, ys[1], ys[2], dx.data());
  });
}

/// dw (R, S, C, K) = the gradient of conv(x, w) with respect to w, from dy.
/// Requires: shapes checked and dw sized by the caller.
template <class T>
void conv2d_backward_filter(scratch& ws, const conv2d_geometry& g, const host_tensor<T>& x, const host_tensor<T>& dy,
                            host_tensor<T>& dw) {
  const shape4 wsh = dw.shape();
  const shape4 ys = dy.shape();
  const std::size_t N = ys[0], PQ = ys[1] * ys[2], K = ys[3];
  if (direct_conv_fits<T>(g, wsh[2], K)) {
    conv2d_backward_filter_direct(ws, g.pad, g.kernel, g.stride, x.data(), x.shape(), dy.data(), K, dw.data());
    return;
  }
  const std::size_t rsc = wsh[0] * wsh[1] * wsh[2];
  const std::size_t block = conv_block(N, PQ * rsc);
  const std::size_t blocks = (N + block - 1) / block;
  // One partial dW per block, summed in block order: the result does not
  // depend on the number of threads.
  T* partial = ws.shared<T, 1>(blocks * rsc * K);
  for_each_block(ws, N, block, N * PQ * (rsc + K), [&](std::size_t n0, std::size_t n) {
    const auto rows = static_cast<Eigen::Index>(n * PQ);
    const T* col = columns(ws, g, x, n0, n, ys[1], ys[2], rsc);
    T* part = partial + (n0 / block) * rsc * K;
    if (narrow_gemm_fits<T>(K))  // dW (rsc, K) = col^T (rsc, rows) * dY (rows, K)
      gemm_narrow(col, 1, rsc, dy.data() + n0 * PQ * K, part, rsc, n * PQ, K);
    else
      unaligned_map<T>(part, static_cast<Eigen::Index>(rsc), static_cast<Eigen::Index>(K)).noalias() =
          const_matrix_map<T>(col, rows, static_cast<Eigen::Index>(rsc)).transpose() *
          const_matrix_map<T>(dy.data() + n0 * PQ * K, rows, static_cast<Eigen::Index>(K));
  });
  const std::size_t size = rsc * K;
  T* out = dw.data();
#pragma omp parallel for schedule(static) if (worth_threads(blocks * size))
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(size); ++i) {
    T sum = T(0);
    for (std::size_t b = 0; b < blocks; ++b) sum += partial[b * size + static_cast<std::size_t>(i)];
    out[i] = sum;
  }
}

}  // namespace sjmt::detail::cpu
