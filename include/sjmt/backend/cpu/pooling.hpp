#pragma once
// Pooling on the CPU, NHWC: global average pooling and 2x2 stride-2 max pooling.
// Shapes are checked, and outputs sized, by the caller (backend/ops.hpp).

#include <algorithm>
#include <cstddef>

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

}  // namespace sjmt::detail::cpu
