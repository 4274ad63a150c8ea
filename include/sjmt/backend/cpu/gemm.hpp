#pragma once
// A GEMM for the CPU backend's narrow products: C (rows, cols) = A (rows, depth)
// * B (depth, cols), B and C row-major, A read through strides (so that A can
// be a transposed view), cols a multiple of one SIMD vector.
//
// Why not Eigen here: convolutions in NHWC have 16..64 output channels, and
// Eigen's kernel reaches about 20-40 GFLOP/s per core on such narrow results
// (bench/bench_ops.cpp). This kernel keeps a (rows_block x cols_block) tile of
// C in vector registers (24 of 32 with AVX-512, 12 of 16 with AVX2), broadcasts
// one A value per row and FMAs it with a row of B, so every load feeds
// several FMAs. Written with GCC vector extensions at the target's width.

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace sjmt::detail::cpu {

/// The widest vector the target has, and how many accumulators fit beside the
/// B row and the broadcast: 32 zmm registers with AVX-512, 16 ymm otherwise.
#if defined(__AVX512F__)
inline constexpr std::size_t vector_bytes = 64;
inline constexpr int accumulator_registers = 24;
#else
inline constexpr std::size_t vector_bytes = 32;
inline constexpr int accumulator_registers = 12;
#endif

template <class T>
inline constexpr std::size_t vector_lanes = vector_bytes / sizeof(T);

/// Whether gemm_narrow handles `cols` columns (a multiple of the vector width).
template <class T>
constexpr bool narrow_gemm_fits(std::size_t cols) {
  return cols % vector_lanes<T> == 0;
}

/// One vector of T (GCC vector extension; the attribute needs a concrete type).
template <class T>
struct simd_vector;
template <>
struct simd_vector<float> {
  typedef float type __attribute__((vector_size(vector_bytes)));
};
template <>
struct simd_vector<double> {
  typedef double type __attribute__((vector_size(vector_bytes)));
};

template <class T, int Rows, int Vectors>
void gemm_tile(const T* a, std::size_t row_stride, std::size_t depth_stride, const T* b, std::size_t ldb, T* c,
               std::size_t ldc, std::size_t depth, std::size_t rows) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  vec acc[Rows][Vectors];
#pragma GCC unroll 24
  for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) acc[r][v] = vec{};
  const T* arow[Rows];
  for (int r = 0; r < Rows; ++r)  // rows past the end re-read the last row; they are not stored
    arow[r] = a + std::min<std::size_t>(static_cast<std::size_t>(r), rows - 1) * row_stride;
  for (std::size_t p = 0; p < depth; ++p) {
    vec bv[Vectors];
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) std::memcpy(&bv[v], b + p * ldb + static_cast<std::size_t>(v) * L, sizeof(vec));
#pragma GCC unroll 24
    for (int r = 0; r < Rows; ++r) {
      const T av = arow[r][p * depth_stride];
#pragma GCC unroll 4
      for (int v = 0; v < Vectors; ++v) acc[r][v] += av * bv[v];
    }
  }
  for (std::size_t r = 0; r < rows && r < static_cast<std::size_t>(Rows); ++r)
    for (int v = 0; v < Vectors; ++v)
      std::memcpy(c + r * ldc + static_cast<std::size_t>(v) * L, &acc[r][v], sizeof(vec));
}

template <class T, int Vectors>
void gemm_columns(const T* a, std::size_t row_stride, std::size_t depth_stride, const T* b, std::size_t ldb, T* c,
                  std::size_t ldc, std::size_t rows, std::size_t depth) {
  constexpr int block = accumulator_registers / Vectors;
  for (std::size_t r0 = 0; r0 < rows; r0 += block)
    gemm_tile<T, block, Vectors>(a + r0 * row_stride, row_stride, depth_stride, b, ldb, c + r0 * ldc, ldc, depth,
                                 std::min<std::size_t>(block, rows - r0));
}

/// C (rows, cols) = A * B with A(i, p) = a[i * row_stride + p * depth_stride],
/// B(p, j) = b[p * cols + j], C(i, j) = c[i * cols + j]. Requires narrow_gemm_fits<T>(cols).
template <class T>
void gemm_narrow(const T* a, std::size_t row_stride, std::size_t depth_stride, const T* b, T* c, std::size_t rows,
                 std::size_t depth, std::size_t cols) {
  constexpr std::size_t L = vector_lanes<T>;
  std::size_t j = 0;
  for (; j + 4 * L <= cols; j += 4 * L) gemm_columns<T, 4>(a, row_stride, depth_stride, b + j, cols, c + j, cols, rows, depth);
  switch ((cols - j) / L) {
    case 3: gemm_columns<T, 3>(a, row_stride, depth_stride, b + j, cols, c + j, cols, rows, depth); break;
    case 2: gemm_columns<T, 2>(a, row_stride, depth_stride, b + j, cols, c + j, cols, rows, depth); break;
    case 1: gemm_columns<T, 1>(a, row_stride, depth_stride, b + j, cols, c + j, cols, rows, depth); break;
    default: break;
  }
}

}  // namespace sjmt::detail::cpu
