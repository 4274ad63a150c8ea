#pragma once
// Shapes, with no dependencies: every tensor of sjmt has rank 4.
//
// Conventions: an activation is (N, H, W, C) ("NHWC", channels innermost); a
// feature vector or a row of outputs is (N, 1, 1, C); a convolution filter is
// (R, S, C, K); a linear weight (1, 1, In, Out); a per-channel vector
// (1, 1, 1, C); a scalar (1, 1, 1, 1). One rank for all keeps layer and
// backend code free of rank casework; docs/design.md says why NHWC.

#include <array>
#include <cstddef>
#include <string>

namespace sjmt {

/// (N, H, W, C) or one of the conventions above.
using shape4 = std::array<std::size_t, 4>;

/// Number of elements of a shape.
constexpr std::size_t element_count(const shape4& s) { return s[0] * s[1] * s[2] * s[3]; }

/// "(a, b, c, d)", for messages.
inline std::string to_string(const shape4& s) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string&&.
  std::string out(1, '(');
  for (std::size_t i = 0; i < 4; ++i) {
    if (i) out += ", ";
    out += std::to_string(s[i]);
  }
  out += ')';
  return out;
}

/// The shape of N rows of `width` values: (N, 1, 1, width).
constexpr shape4 rows_shape(std::size_t n, std::size_t width) { return {n, 1, 1, width}; }

/// The shape of a per-channel vector: (1, 1, 1, C).
constexpr shape4 channel_shape(std::size_t c) { return {1, 1, 1, c}; }

}  // namespace sjmt
