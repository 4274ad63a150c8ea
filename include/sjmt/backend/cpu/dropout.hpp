#pragma once
// Inverted dropout on the CPU. The mask is a pure function of (seed, index), a
// counter-based hash, so it is the same for any number of threads.

#include <cstddef>
#include <cstdint>

#include "../../tensor/host_tensor.hpp"
#include "../rules.hpp"
#include "parallel.hpp"

namespace sjmt::detail::cpu {

/// mask = 1/(1-p) with probability 1-p, else 0; y = x * mask. Requires 0 <= p < 1.
template <class T>
void dropout_forward(const host_tensor<T>& x, double p, std::uint64_t seed, host_tensor<T>& mask, host_tensor<T>& y) {
  const T keep = static_cast<T>(1.0 / (1.0 - p));
  const auto threshold = static_cast<std::uint64_t>(p * 18446744073709551616.0);
  const std::uint64_t key = mix64(seed);
#pragma omp parallel for schedule(static) if (worth_threads(x.size()))
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(x.size()); ++i) {
    const T m = dropout_mask(key, static_cast<std::uint64_t>(i), threshold, keep);
    mask.data()[i] = m;
    y.data()[i] = x.data()[i] * m;
  }
}

/// dx = dy * mask.
template <class T>
void dropout_backward(const host_tensor<T>& mask, const host_tensor<T>& dy, host_tensor<T>& dx) {
#pragma omp parallel for simd schedule(static) if (worth_threads(dy.size()))
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(dy.size()); ++i) dx.data()[i] = dy.data()[i] * mask.data()[i];
}

}  // namespace sjmt::detail::cpu
