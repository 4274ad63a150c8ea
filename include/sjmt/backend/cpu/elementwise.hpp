#pragma once
// Elementwise operations on the CPU: ReLU, sums, fills.

#include <algorithm>
#include <cstddef>

#include "../../tensor/host_tensor.hpp"
#include "parallel.hpp"

namespace sjmt::detail::cpu {

inline std::ptrdiff_t signed_size(std::size_t n) { return static_cast<std::ptrdiff_t>(n); }

template <class T>
void relu_forward(const host_tensor<T>& x, host_tensor<T>& y) {
  ensure_shape(y, x.shape());
  const T* in = x.data();
  T* out = y.data();
#pragma omp parallel for simd schedule(static) if (worth_threads(x.size()))
  // Not std::max: GCC compiled it to a compare and a branch per element here
  // (11% of a ResNet-32 step, perf); the select below vectorises to vmaxps.
  for (std::ptrdiff_t i = 0; i < signed_size(x.size()); ++i) out[i] = in[i] > T(0) ? in[i] : T(0);
}

/// dx = dy where y > 0, else 0 (y is the forward output).
template <class T>
void relu_backward(const host_tensor<T>& y, const host_tensor<T>& dy, host_tensor<T>& dx) {
  SJMT_CHECK(shape_error, y.shape() == dy.shape(), "relu_backward: dy and y differ in shape");
  ensure_shape(dx, y.shape());
  const T* fy = y.data();
  const T* g = dy.data();
  T* out = dx.data();
#pragma omp parallel for simd schedule(static) if (worth_threads(y.size()))
  for (std::ptrdiff_t i = 0; i < signed_size(y.size()); ++i) out[i] = fy[i] > T(0) ? g[i] : T(0);
}

/// y = a + b (y may alias a or b).
template <class T>
void add(const host_tensor<T>& a, const host_tensor<T>& b, host_tensor<T>& y) {
  SJMT_CHECK(shape_error, a.shape() == b.shape(), "add: a is (", a.shape()[0], ", ", a.shape()[1], ", ",
             a.shape()[2], ", ", a.shape()[3], "), b is (", b.shape()[0], ", ", b.shape()[1], ", ", b.shape()[2],
             ", ", b.shape()[3], "), expected equal shapes");
  ensure_shape(y, a.shape());
  const T* pa = a.data();
  const T* pb = b.data();
  T* out = y.data();
#pragma omp parallel for simd schedule(static) if (worth_threads(a.size()))
  for (std::ptrdiff_t i = 0; i < signed_size(a.size()); ++i) out[i] = pa[i] + pb[i];
}

}  // namespace sjmt::detail::cpu
