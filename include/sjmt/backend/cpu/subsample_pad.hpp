#pragma once
// The parameter-free shortcut of He et al.'s CIFAR ResNets (option A) on the
// CPU, NHWC: every stride-th pixel, its channels followed by zeros. Shapes are
// checked, and outputs sized, by the caller (backend/ops.hpp).

#include <algorithm>
#include <cstddef>

#include "../../tensor/host_tensor.hpp"
#include "parallel.hpp"

namespace sjmt::detail::cpu {

/// y (N, P, Q, K)(n, p, q, c) = x (N, H, W, C)(n, s p, s q, c) for c < C, 0 for C <= c < K.
template <class T>
void subsample_pad_forward(std::size_t stride, const host_tensor<T>& x, host_tensor<T>& y) {
  const auto [N, H, W, C] = x.shape();
  const auto [yN, P, Q, K] = y.shape();
#pragma omp parallel for schedule(static) if (worth_threads(y.size()))
  for (std::ptrdiff_t np = 0; np < static_cast<std::ptrdiff_t>(N * P); ++np) {
    const std::size_t n = static_cast<std::size_t>(np) / P, p = static_cast<std::size_t>(np) % P;
    for (std::size_t q = 0; q < Q; ++q) {
      const T* in = x.data() + ((n * H + stride * p) * W + stride * q) * C;
      T* out = y.data() + ((n * P + p) * Q + q) * K;
      std::copy(in, in + C, out);
      std::fill(out + C, out + K, T(0));
    }
  }
}

/// dx (N, H, W, C): dy's first C channels at every stride-th pixel, 0 at the others.
template <class T>
void subsample_pad_backward(std::size_t stride, const host_tensor<T>& dy, host_tensor<T>& dx) {
  const auto [N, H, W, C] = dx.shape();
  const auto [yN, P, Q, K] = dy.shape();
#pragma omp parallel for schedule(static) if (worth_threads(dx.size()))
  for (std::ptrdiff_t nh = 0; nh < static_cast<std::ptrdiff_t>(N * H); ++nh) {
    const std::size_t n = static_cast<std::size_t>(nh) / H, h = static_cast<std::size_t>(nh) % H;
    T* out = dx.data() + static_cast<std::size_t>(nh) * W * C;
    std::fill(out, out + W * C, T(0));
    if (h % stride != 0) continue;
    for (std::size_t q = 0; q < Q; ++q) {
      const T* g = dy.data() + ((n * P + h / stride) * Q + q) * K;
      std::copy(g, g + C, out + stride * q * C);
    }
  }
}

}  // namespace sjmt::detail::cpu
