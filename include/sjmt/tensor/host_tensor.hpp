#pragma once
// The host tensor: an xtensor container of rank 4, row-major, 64-byte aligned,
// in the conventions of shape.hpp. It is the CPU backend's storage and the
// form in which any backend's tensors are uploaded and downloaded.

#include <cstddef>
#include <xtensor/xtensor.hpp>

#include "aligned_allocator.hpp"
#include "shape.hpp"

namespace sjmt {

template <class T>
using host_tensor = xt::xtensor<T, 4, xt::layout_type::row_major, detail::aligned_allocator<T>>;

/// A tensor of `shape`, every element `value`.
template <class T>
host_tensor<T> make_host_tensor(const shape4& shape, T value = T(0)) {
  host_tensor<T> t(shape);
  t.fill(value);
  return t;
}

namespace detail {

/// Resizes `t` to `shape` unless it already has it (buffers are reused across steps).
template <class T>
void ensure_shape(host_tensor<T>& t, const shape4& shape) {
  if (t.shape() != shape) t.resize(shape);
}

}  // namespace detail
}  // namespace sjmt
