#pragma once
// The geometry of a 2-D convolution, shared by every backend.

#include <cstddef>

#include "../error.hpp"
#include "../tensor/shape.hpp"

namespace sjmt {

/// A square kernel of `kernel` x `kernel`, stride and zero padding on both sides.
struct conv2d_geometry {
  std::size_t kernel = 3;
  std::size_t stride = 1;
  std::size_t pad = 1;

  /// Output extent of an input extent `in`. Requires: in + 2 pad >= kernel.
  constexpr std::size_t out_extent(std::size_t in) const { return (in + 2 * pad - kernel) / stride + 1; }

  /// Output shape (N, P, Q, K) of input (N, H, W, C) and filter (R, S, C, K);
  /// throws shape_error when they do not fit.
  shape4 output_shape(const shape4& x, const shape4& w) const {
    SJMT_CHECK(value_error, kernel > 0 && stride > 0, "conv2d: kernel ", kernel, " and stride ", stride,
               ", expected both > 0");
    SJMT_CHECK(shape_error, w[0] == kernel && w[1] == kernel, "conv2d: filter is ", w[0], "x", w[1],
               ", expected ", kernel, "x", kernel, " (R, S, C, K)");
    SJMT_CHECK(shape_error, x[3] == w[2], "conv2d: input has ", x[3], " channels, filter expects ", w[2]);
    SJMT_CHECK(shape_error, x[1] + 2 * pad >= kernel && x[2] + 2 * pad >= kernel, "conv2d: input ", x[1], "x",
               x[2], " with padding ", pad, " is smaller than the kernel ", kernel);
    return {x[0], out_extent(x[1]), out_extent(x[2]), w[3]};
  }
};

}  // namespace sjmt
