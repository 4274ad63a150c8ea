#pragma once
// Pooling on the CPU, NHWC: global average pooling, 2x2 stride-2 max pooling and soft-argmax.
// Shapes are checked, and outputs sized, by the caller (backend/ops.hpp).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "../../tensor/host_tensor.hpp"
#include "parallel.hpp"

namespace sjmt::detail::cpu {

/// (N, H, W, C) -> (N, 1, 1, C).
template <class T>
void global_avg_pool_forward(const host_tensor<T>& x, host_tensor<T>& y) {
  const auto [N, H, W, C] = x.shape();
  const T inv = T(1) / static_cast<T>(H * W);
#pragma omp parallel for schedule(static) if (worth_threads(x.size()))
  for (std::ptrdiff_t n = 0; n < static_cast<std::ptrdiff_t>(N); ++n) {
    T* out = y.data() + static_cast<std::size_t>(n) * C;
    std::fill(out, out + C, T(0));
    const T* in = x.data() + static_cast<std::size_t>(n) * H * W * C;
    for (std::size_t hw = 0; hw < H * W; ++hw, in += C)
      for (std::size_t c = 0; c < C; ++c) out[c] += in[c];
    for (std::size_t c = 0; c < C; ++c) out[c] *= inv;
  }
}

template <class T>
void global_avg_pool_backward(const host_tensor<T>& dy, host_tensor<T>& dx) {
  const shape4 x_shape = dx.shape();
  const auto [N, H, W, C] = x_shape;
  const T inv = T(1) / static_cast<T>(H * W);
#pragma omp parallel for schedule(static) if (worth_threads(element_count(x_shape)))
  for (std::ptrdiff_t n = 0; n < static_cast<std::ptrdiff_t>(N); ++n) {
    const T* g = dy.data() + static_cast<std::size_t>(n) * C;
    T* out = dx.data() + static_cast<std::size_t>(n) * H * W * C;
    for (std::size_t hw = 0; hw < H * W; ++hw, out += C)
      for (std::size_t c = 0; c < C; ++c) out[c] = g[c] * inv;
  }
}

/// (N, H, W, C) -> (N, H/2, W/2, C); H and W must be even.
template <class T>
void max_pool2_forward(const host_tensor<T>& x, host_tensor<T>& y) {
  const auto [N, H, W, C] = x.shape();
  const std::size_t P = H / 2, Q = W / 2;
#pragma omp parallel for schedule(static) if (worth_threads(x.size()))
  for (std::ptrdiff_t np = 0; np < static_cast<std::ptrdiff_t>(N * P); ++np) {
    const std::size_t n = static_cast<std::size_t>(np) / P, p = static_cast<std::size_t>(np) % P;
    for (std::size_t q = 0; q < Q; ++q) {
      const T* a = x.data() + ((n * H + 2 * p) * W + 2 * q) * C;
      const T* b = a + W * C;
      T* out = y.data() + ((n * P + p) * Q + q) * C;
      for (std::size_t c = 0; c < C; ++c) out[c] = std::max(std::max(a[c], a[c + C]), std::max(b[c], b[c + C]));
    }
  }
}

/// The gradient goes to the first element of each window equal to its maximum
/// (recomputed from x and y: no index tensor to store).
template <class T>
void max_pool2_backward(const host_tensor<T>& x, const host_tensor<T>& y, const host_tensor<T>& dy,
                        host_tensor<T>& dx) {
  const auto [N, H, W, C] = x.shape();
  const std::size_t P = H / 2, Q = W / 2;
#pragma omp parallel for schedule(static) if (worth_threads(x.size()))
  for (std::ptrdiff_t np = 0; np < static_cast<std::ptrdiff_t>(N * P); ++np) {
    const std::size_t n = static_cast<std::size_t>(np) / P, p = static_cast<std::size_t>(np) % P;
    for (std::size_t q = 0; q < Q; ++q) {
      const std::size_t o = ((n * P + p) * Q + q) * C;
      const std::size_t window[4] = {((n * H + 2 * p) * W + 2 * q) * C, ((n * H + 2 * p) * W + 2 * q + 1) * C,
                                     ((n * H + 2 * p + 1) * W + 2 * q) * C, ((n * H + 2 * p + 1) * W + 2 * q + 1) * C};
      for (std::size_t c = 0; c < C; ++c) {
        bool taken = false;
        for (std::size_t k = 0; k < 4; ++k) {
          const bool hit = !taken && x.data()[window[k] + c] == y.data()[o + c];
          dx.data()[window[k] + c] = hit ? dy.data()[o + c] : T(0);
          taken = taken || hit;
        }
      }
    }
  }
}

/// Per image n and map k: p = softmax of z (N, H, W, P) over the H W cells,
/// y (N, 1, 1, 2P) = (sum p gx, sum p gy), gx = (q + 1/2) / W, gy = (r + 1/2) / H.
/// Cells outer, maps inner: the inner loops run over contiguous channels.
template <class T>
void soft_argmax_forward(const host_tensor<T>& z, host_tensor<T>& p, host_tensor<T>& y) {
  const auto [N, H, W, P] = z.shape();
  const std::size_t cells = H * W;
#pragma omp parallel for schedule(static) if (worth_threads(z.size()))
  for (std::ptrdiff_t n = 0; n < static_cast<std::ptrdiff_t>(N); ++n) {
    const T* in = z.data() + static_cast<std::size_t>(n) * cells * P;
    T* prob = p.data() + static_cast<std::size_t>(n) * cells * P;
    T* out = y.data() + static_cast<std::size_t>(n) * 2 * P;
    std::vector<T> top(in, in + P), sum(P, T(0));
    for (std::size_t cell = 1; cell < cells; ++cell)
      for (std::size_t k = 0; k < P; ++k) top[k] = std::max(top[k], in[cell * P + k]);
    for (std::size_t cell = 0; cell < cells; ++cell)
      for (std::size_t k = 0; k < P; ++k) {
        const T e = std::exp(in[cell * P + k] - top[k]);
        prob[cell * P + k] = e;
        sum[k] += e;
      }
    std::fill(out, out + 2 * P, T(0));
    for (std::size_t k = 0; k < P; ++k) sum[k] = T(1) / sum[k];
    for (std::size_t r = 0; r < H; ++r) {
      const T gy = (static_cast<T>(r) + T(0.5)) / static_cast<T>(H);
      for (std::size_t q = 0; q < W; ++q) {
        const T gx = (static_cast<T>(q) + T(0.5)) / static_cast<T>(W);
        T* pc = prob + (r * W + q) * P;
        for (std::size_t k = 0; k < P; ++k) {
          pc[k] *= sum[k];
          out[2 * k] += pc[k] * gx;
          out[2 * k + 1] += pc[k] * gy;
        }
      }
    }
  }
}

/// dz = p ((gx - y_x) dy_x + (gy - y_y) dy_y), the transpose of the forward's Jacobian.
template <class T>
void soft_argmax_backward(const host_tensor<T>& p, const host_tensor<T>& y, const host_tensor<T>& dy,
                          host_tensor<T>& dz) {
  const auto [N, H, W, P] = p.shape();
#pragma omp parallel for schedule(static) if (worth_threads(p.size()))
  for (std::ptrdiff_t n = 0; n < static_cast<std::ptrdiff_t>(N); ++n) {
    const std::size_t base = static_cast<std::size_t>(n) * H * W * P;
    const T* pt = y.data() + static_cast<std::size_t>(n) * 2 * P;
    const T* g = dy.data() + static_cast<std::size_t>(n) * 2 * P;
    for (std::size_t r = 0; r < H; ++r) {
      const T gy = (static_cast<T>(r) + T(0.5)) / static_cast<T>(H);
      for (std::size_t q = 0; q < W; ++q) {
        const T gx = (static_cast<T>(q) + T(0.5)) / static_cast<T>(W);
        const std::size_t at = base + (r * W + q) * P;
        for (std::size_t k = 0; k < P; ++k)
          dz.data()[at + k] = p.data()[at + k] * ((gx - pt[2 * k]) * g[2 * k] + (gy - pt[2 * k + 1]) * g[2 * k + 1]);
      }
    }
  }
}

}  // namespace sjmt::detail::cpu
