#pragma once
// The host tensor: an xtensor container of rank 4, row-major, 64-byte aligned.
//
// Every activation is (N, H, W, C) ("NHWC", channels innermost); a feature
// vector is (N, 1, 1, C); a convolution filter is (R, S, C, K); a linear weight
// is (1, 1, In, Out); a per-channel vector is (1, 1, 1, C). One rank for all
// keeps layer code free of rank casework; docs/design-core.md says why NHWC.

#include <array>
#include <cstddef>
#include <xtensor/xtensor.hpp>

#include "../error.hpp"
#include "aligned_allocator.hpp"

namespace sjmt {

/// (N, H, W, C) or one of the conventions above.
using shape4 = std::array<std::size_t, 4>;

template <class T>
using host_tensor = xt::xtensor<T, 4, xt::layout_type::row_major, detail::aligned_allocator<T>>;

/// A tensor of `shape`, every element `value`.
template <class T>
host_tensor<T> make_host_tensor(const shape4& shape, T value = T(0)) {
  host_tensor<T> t(shape);
  t.fill(value);
  return t;
}

/// Number of elements of a shape.
constexpr std::size_t element_count(const shape4& s) { return s[0] * s[1] * s[2] * s[3]; }

namespace detail {

/// Resizes `t` to `shape` unless it already has it (buffers are reused across steps).
template <class T>
void ensure_shape(host_tensor<T>& t, const shape4& shape) {
  if (t.shape() != shape) t.resize(shape);
}

}  // namespace detail
}  // namespace sjmt
