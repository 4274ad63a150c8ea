#pragma once
// Convolutions on the CPU without an im2col buffer, NHWC.
//
// Each image is copied once into a zero-padded buffer xp (H + 2 pad, W + 2 pad,
// C). In NHWC the R S C values that output pixel (p, q) reads are then R
// contiguous segments of S C floats: segment r starts at xp(p + r, q, 0)
// (with stride u: at xp(u p + r, u q, 0)). The kernel reads A through those
// segments (a "segment walk") straight from xp, with a (rows x vectors) tile of
// the result in registers as gemm.hpp does, so the 9x im2col copy and its
// cache traffic disappear.
//
//   forward:         y(p, q, :)   = sum_r sum_j xp(p + r, q, j) W(r, j, :),  j = (s, c)
//   backward-data:   the forward of the padded dy with the flipped, transposed
//                    filter W'(r, s, k, c) = W(R-1-r, S-1-s, c, k), pad' = R-1-pad
//   backward-filter: dW(r, j, :)  = sum_p sum_q xp(p + r, q, j) dy(p, q, :)
//                    (segments are the P image rows of the output)
// Forward and backward-filter take any stride; backward-data only stride 1.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "../../tensor/host_tensor.hpp"
#include "../conv2d_geometry.hpp"
#include "gemm.hpp"
#include "parallel.hpp"
#include "workspace.hpp"

namespace sjmt::detail::cpu {

/// A(i, t, d) = a_i[t * a_stride + d * depth_stride] and
/// B(t, d) = row t * b_stride + d of B, for t < count, d < length.
struct segment_walk {
  std::size_t count, length, a_stride, b_stride, depth_stride;
  std::size_t first = 0;  // segments first .. first + count - 1
};

/// c_i[0, Vectors L) (+)= sum_t sum_d A(i, t, d) B(t, d), for the `rows` rows
/// of a tile; rows past `rows` re-read the last row and are not stored.
template <class T, int Rows, int Vectors>
void segment_tile(const T* const* a, std::size_t rows, const segment_walk& w, const T* b,
                  std::size_t ldb, T* const* c, bool accumulate) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const T* arow[Rows];
  for (int r = 0; r < Rows; ++r)
    arow[r] = a[std::min<std::size_t>(static_cast<std::size_t>(r), rows - 1)];
  vec acc[Rows][Vectors];
#pragma GCC unroll 24
  for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) {
      if (accumulate && static_cast<std::size_t>(r) < rows)
        std::memcpy(&acc[r][v], c[r] + static_cast<std::size_t>(v) * L, sizeof(vec));
      else
        acc[r][v] = vec{};
    }
  for (std::size_t t = w.first; t < w.first + w.count; ++t) {
    const T* bt = b + t * w.b_stride * ldb;
    const std::size_t at = t * w.a_stride;
    for (std::size_t d = 0; d < w.length; ++d) {
      vec bv[Vectors];
#pragma GCC unroll 4
      for (int v = 0; v < Vectors; ++v)
        std::memcpy(&bv[v], bt + d * ldb + static_cast<std::size_t>(v) * L, sizeof(vec));
      const std::size_t ad = at + d * w.depth_stride;
#pragma GCC unroll 24
      for (int r = 0; r < Rows; ++r) {
        const T av = arow[r][ad];
#pragma GCC unroll 4
        for (int v = 0; v < Vectors; ++v) acc[r][v] += av * bv[v];
      }
    }
  }
  for (std::size_t r = 0; r < rows && r < static_cast<std::size_t>(Rows); ++r)
    for (int v = 0; v < Vectors; ++v)
      std::memcpy(c[r] + static_cast<std::size_t>(v) * L, &acc[r][v], sizeof(vec));
}

/// The tile of segment_tile when the rows are regular: row r reads
/// a0 + r * Spacing. With Spacing known to the compiler every A load is one
/// base register plus a constant displacement; the general tile keeps one
/// pointer per row, and 12-24 row pointers do not fit in x86's 16 general
/// registers (measured: the 24 x 1 tile of 16-channel layers ran at half the
/// speed of the 12 x 2 tile, bench_ops, AVX-512).
template <class T, int Rows, int Vectors, std::size_t Spacing>
void regular_tile(const T* a0, const segment_walk& w, const T* b, std::size_t ldb, T* const* c,
                  bool accumulate) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  vec acc[Rows][Vectors];
#pragma GCC unroll 32
  for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) {
      if (accumulate)
        std::memcpy(&acc[r][v], c[r] + static_cast<std::size_t>(v) * L, sizeof(vec));
      else
        acc[r][v] = vec{};
    }
  for (std::size_t t = w.first; t < w.first + w.count; ++t) {
    const T* bt = b + t * w.b_stride * ldb;
    const T* at = a0 + t * w.a_stride;
    for (std::size_t d = 0; d < w.length; ++d) {
      vec bv[Vectors];
#pragma GCC unroll 4
      for (int v = 0; v < Vectors; ++v)
        std::memcpy(&bv[v], bt + d * ldb + static_cast<std::size_t>(v) * L, sizeof(vec));
      const T* ad = at + d * w.depth_stride;
#pragma GCC unroll 32
      for (int r = 0; r < Rows; ++r) {
        const T av = ad[static_cast<std::size_t>(r) * Spacing];
#pragma GCC unroll 4
        for (int v = 0; v < Vectors; ++v) acc[r][v] += av * bv[v];
      }
    }
  }
#pragma GCC unroll 32
  for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v)
      std::memcpy(c[r] + static_cast<std::size_t>(v) * L, &acc[r][v], sizeof(vec));
}

/// How the rows of a segment GEMM are laid out: in runs of `length` rows in
/// which row i + 1 reads A `spacing` elements after row i (length 0: no
/// structure known). Forward: the Q pixels of an output row, spacing stride C;
/// backward-filter: the S C (s, c) rows of one r, spacing 1.
struct row_runs {
  std::size_t length = 0, spacing = 0;
};

template <class T, int Rows, int Vectors>
bool try_regular_tile(const T* a0, std::size_t spacing, const segment_walk& w, const T* b,
                      std::size_t ldb, T* const* c, bool accumulate) {
  switch (spacing) {
    case 1: regular_tile<T, Rows, Vectors, 1>(a0, w, b, ldb, c, accumulate); return true;
    case 16: regular_tile<T, Rows, Vectors, 16>(a0, w, b, ldb, c, accumulate); return true;
    case 32: regular_tile<T, Rows, Vectors, 32>(a0, w, b, ldb, c, accumulate); return true;
    case 64: regular_tile<T, Rows, Vectors, 64>(a0, w, b, ldb, c, accumulate); return true;
    default: return false;
  }
}

/// Rows per regular tile for runs of `run` rows and Vectors accumulators per
/// row: the largest of 16, 12, 8, 6 that divides the run and fits the
/// accumulator registers; 0 when none does (the general tiles take over).
template <int Vectors>
constexpr int regular_rows(std::size_t run) {
  for (int rows : {16, 12, 8, 6})
    if (rows * Vectors <= accumulator_registers && run % static_cast<std::size_t>(rows) == 0)
      return rows;
  return 0;
}

template <class T, int Vectors>
void segment_columns(const T* const* a, T* const* c, std::size_t rows, const segment_walk& w,
                     const T* b, std::size_t ldb, std::size_t col, bool accumulate, row_runs runs) {
  T* ct[32];
  const int tile = runs.length > 0 && rows % runs.length == 0 ? regular_rows<Vectors>(runs.length) : 0;
  if (tile > 0) {
    const auto n = static_cast<std::size_t>(tile);
    for (std::size_t r0 = 0; r0 < rows; r0 += n) {
      for (std::size_t r = 0; r < n; ++r) ct[r] = c[r0 + r] + col;
      bool done = false;
      switch (tile) {
        case 16: done = try_regular_tile<T, 16, Vectors>(a[r0], runs.spacing, w, b + col, ldb, ct, accumulate); break;
        case 12: done = try_regular_tile<T, 12, Vectors>(a[r0], runs.spacing, w, b + col, ldb, ct, accumulate); break;
        case 8: done = try_regular_tile<T, 8, Vectors>(a[r0], runs.spacing, w, b + col, ldb, ct, accumulate); break;
        case 6: done = try_regular_tile<T, 6, Vectors>(a[r0], runs.spacing, w, b + col, ldb, ct, accumulate); break;
        default: break;
      }
      if (!done) break;
      if (r0 + n >= rows) return;
    }
  }
  constexpr int block = accumulator_registers / Vectors;
  for (std::size_t r0 = 0; r0 < rows; r0 += block) {
    const std::size_t n = std::min<std::size_t>(block, rows - r0);
    for (std::size_t r = 0; r < n; ++r) ct[r] = c[r0 + r] + col;
    segment_tile<T, block, Vectors>(a + r0, n, w, b + col, ldb, ct, accumulate);
  }
}

/// C_i (+)= sum_t sum_d A(i, t, d) B(t, d) for rows i < rows, B (., cols)
/// row-major. Requires narrow_gemm_fits<T>(cols).
template <class T>
void segment_gemm(const T* const* a, T* const* c, std::size_t rows, const segment_walk& w,
                  const T* b, std::size_t cols, bool accumulate, row_runs runs = {}) {
  constexpr std::size_t L = vector_lanes<T>;
  // Slices of 2 vectors (6 x 2 accumulators with AVX2): 8 loads per 12 FMAs,
  // and the B slice, one cache line per row, stays in L1 (measured 80 against
  // 50-60 GFLOP/s with 3 x 4 tiles at 32 and 64 channels, bench_ops). When a
  // slice of B is larger than most of L1 and its segments are long (forward at
  // 64 channels), the walk goes one segment at a time; short segments (the
  // image rows of backward-filter) would pay more in tile loads and stores.
  constexpr std::size_t l1_budget = 24 * 1024;
  const bool split =
      w.count > 1 && w.length >= 128 && w.count * w.length * 2 * L * sizeof(T) > l1_budget;
  for (std::size_t j = 0; j < cols; j += 2 * L) {
    for (std::size_t t = 0; t < (split ? w.count : 1); ++t) {
      segment_walk part = w;
      if (split) part = {1, w.length, w.a_stride, w.b_stride, w.depth_stride, t};
      const bool acc = accumulate || t > 0;
      if (j + 2 * L <= cols)
        segment_columns<T, 2>(a, c, rows, part, b, cols, j, acc, runs);
      else
        segment_columns<T, 1>(a, c, rows, part, b, cols, j, acc, runs);
    }
  }
}

/// Stride-1 3x3 forward with tap reuse, padding 1, read from the unpadded
/// image. A tile is `Pixels` consecutive output pixels of one output row and
/// Vectors x L output channels. For each filter row and input channel c the 3
/// filter vectors W(r, s, c, slice) stay in registers and every input value
/// x(h, q0 - 1 + i, c) is loaded once and used for the outputs it feeds
/// (q = q0 + i - 1 - s + 1): 3 FMAs per load where the segment walk has one
/// (at 16 channels: 18 loads + 3 filter vectors for 48 FMAs, against 17 loads
/// for 16). On the AVX-512 machine one broadcast load per FMA caps the FMA
/// units at about 55% (a loop of 16 broadcast-FMAs against register-only FMAs).
/// The zero border is never stored: filter rows that fall outside the image
/// are skipped, and the columns -1 and W by the Left and Right tiles (the
/// unrolled loop drops those taps at compile time), so no padded copy is made.
template <class T, int Pixels, int Vectors, std::size_t C, bool Left, bool Right>
void tap_tile(const T* const* xr, const std::size_t* filter_rows, std::size_t rows, const T* w,
              std::size_t K, T* y) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  constexpr int S = 3;
  vec acc[Pixels][Vectors];
#pragma GCC unroll 32
  for (int i = 0; i < Pixels; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) acc[i][v] = vec{};
  for (std::size_t k = 0; k < rows; ++k) {
    const T* x = xr[k];  // x(h, q0, 0)
    const T* wr = w + filter_rows[k] * S * C * K;
    for (std::size_t c = 0; c < C; ++c) {
      vec b[S][Vectors];
#pragma GCC unroll 8
      for (int s = 0; s < S; ++s)
#pragma GCC unroll 4
        for (int v = 0; v < Vectors; ++v)
          std::memcpy(&b[s][v], wr + (static_cast<std::size_t>(s) * C + c) * K + static_cast<std::size_t>(v) * L,
                      sizeof(vec));
#pragma GCC unroll 40
      for (int i = 0; i < Pixels + S - 1; ++i) {  // input column q0 - 1 + i
        if ((Left && i == 0) || (Right && i == Pixels + 1)) continue;
        const T av = x[static_cast<std::ptrdiff_t>(i - 1) * static_cast<std::ptrdiff_t>(C) +
                       static_cast<std::ptrdiff_t>(c)];
#pragma GCC unroll 8
        for (int s = 0; s < S; ++s) {
          const int o = i - s;
          if (o < 0 || o >= Pixels) continue;
#pragma GCC unroll 4
          for (int v = 0; v < Vectors; ++v) acc[o][v] += av * b[s][v];
        }
      }
    }
  }
#pragma GCC unroll 32
  for (int i = 0; i < Pixels; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v)
      std::memcpy(y + static_cast<std::size_t>(i) * K + static_cast<std::size_t>(v) * L, &acc[i][v], sizeof(vec));
}

/// Tiles for tap_tile: Vectors (1 or 2) and Pixels (for tap_filter_tile:
/// input channels per tile); zero when the layer is not one tap_tile handles
/// (3x3, padding 1, 16/32/64 input channels, W a multiple of 8, and the 32
/// vector registers of AVX-512).
struct tap_plan {
  int vectors = 0, pixels = 0;
};

template <class T>
tap_plan plan_tap_tiles(std::size_t R, std::size_t pad, std::size_t C, std::size_t K, std::size_t W) {
  constexpr std::size_t L = vector_lanes<T>;
  if (accumulator_registers < 24 || R != 3 || pad != 1 || (C != 16 && C != 32 && C != 64) || K % L != 0)
    return {};
  if (K / L == 1) {
    if (W % 16 == 0) return {1, 16};
    if (W % 8 == 0) return {1, 8};
    return {};
  }
  if ((K / L) % 2 == 0 && W % 8 == 0) return {2, 8};
  return {};
}

template <class T, int Pixels, int Vectors, std::size_t C>
void tap_row(const T* const* xr, const std::size_t* filter_rows, std::size_t rows, const T* w,
             std::size_t K, std::size_t W, T* y) {
  constexpr std::size_t L = vector_lanes<T>;
  const T* xq[3];
  for (std::size_t j = 0; j < K; j += Vectors * L)
    for (std::size_t q0 = 0; q0 < W; q0 += Pixels) {
      for (std::size_t k = 0; k < rows; ++k) xq[k] = xr[k] + q0 * C;
      const bool left = q0 == 0, right = q0 + Pixels == W;
      T* out = y + q0 * K + j;
      if (left && right)
        tap_tile<T, Pixels, Vectors, C, true, true>(xq, filter_rows, rows, w + j, K, out);
      else if (left)
        tap_tile<T, Pixels, Vectors, C, true, false>(xq, filter_rows, rows, w + j, K, out);
      else if (right)
        tap_tile<T, Pixels, Vectors, C, false, true>(xq, filter_rows, rows, w + j, K, out);
      else
        tap_tile<T, Pixels, Vectors, C, false, false>(xq, filter_rows, rows, w + j, K, out);
    }
}

template <class T, std::size_t C>
void tap_row_planned(tap_plan plan, const T* const* xr, const std::size_t* filter_rows, std::size_t rows,
                     const T* w, std::size_t K, std::size_t W, T* y) {
  if (plan.vectors == 1 && plan.pixels == 16) tap_row<T, 16, 1, C>(xr, filter_rows, rows, w, K, W, y);
  else if (plan.vectors == 1) tap_row<T, 8, 1, C>(xr, filter_rows, rows, w, K, W, y);
  else tap_row<T, 8, 2, C>(xr, filter_rows, rows, w, K, W, y);
}

/// Output row p (of H; stride 1, padding 1, so P = H and Q = W) of a 3x3
/// forward of one image x (H, W, C) through tap tiles.
template <class T>
void tap_output_row(tap_plan plan, const T* x, std::size_t H, std::size_t W, std::size_t C, std::size_t p,
                    const T* w, std::size_t K, T* y) {
  const T* xr[3];
  std::size_t filter_rows[3], rows = 0;
  for (std::size_t r = 0; r < 3; ++r) {
    if (p + r < 1 || p + r - 1 >= H) continue;  // a row of the zero border
    xr[rows] = x + (p + r - 1) * W * C;
    filter_rows[rows++] = r;
  }
  switch (C) {
    case 16: tap_row_planned<T, 16>(plan, xr, filter_rows, rows, w, K, W, y); break;
    case 32: tap_row_planned<T, 32>(plan, xr, filter_rows, rows, w, K, W, y); break;
    default: tap_row_planned<T, 64>(plan, xr, filter_rows, rows, w, K, W, y); break;
  }
}

/// Stride-1 backward-filter with tap reuse: dW(r, s, c, k) = sum_p sum_w
/// xp(p + r, w, c) dyp(p, w - s) with dyp the output gradient padded by S - 1
/// zero pixels at both ends of each row. For each input pixel w the S output
/// gradient vectors it meets stay in registers, and each of `Channels` input
/// values is loaded once for S FMAs (the segment walk loads one per FMA).
/// The tile holds dW(r, 0..S-1, c0 .. c0 + Channels - 1, slice).
template <class T, int Channels, int Vectors, int S>
void tap_filter_tile(const T* xp, std::size_t Wp, std::size_t C, std::size_t c0, const T* dyp,
                     std::size_t P, std::size_t K, T* dw, bool accumulate) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t Qp = Wp + S - 1;  // Q + 2 (S - 1) with Q = Wp - S + 1
  vec acc[S][Channels][Vectors];
#pragma GCC unroll 4
  for (int s = 0; s < S; ++s)
#pragma GCC unroll 16
    for (int i = 0; i < Channels; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < Vectors; ++v) {
        T* out = dw + (static_cast<std::size_t>(s) * C + c0 + static_cast<std::size_t>(i)) * K +
                 static_cast<std::size_t>(v) * L;
        if (accumulate)
          std::memcpy(&acc[s][i][v], out, sizeof(vec));
        else
          acc[s][i][v] = vec{};
      }
  for (std::size_t p = 0; p < P; ++p) {
    const T* x = xp + p * Wp * C + c0;
    const T* d = dyp + p * Qp * K + (S - 1) * K;
    // g[s] = dyp(p, w - s): a window that slides one pixel per w, so each
    // output gradient vector is loaded once per row.
    vec g[S][Vectors];
#pragma GCC unroll 4
    for (int s = 0; s + 1 < S; ++s)  // shifted into g[s + 1] before the first use
#pragma GCC unroll 4
      for (int v = 0; v < Vectors; ++v)
        std::memcpy(&g[s][v], d - static_cast<std::size_t>(s + 1) * K + static_cast<std::size_t>(v) * L,
                    sizeof(vec));
#pragma GCC unroll 3
    for (std::size_t w = 0; w < Wp; ++w, x += C, d += K) {
#pragma GCC unroll 4
      for (int v = 0; v < Vectors; ++v) {
#pragma GCC unroll 4
        for (int s = S - 1; s > 0; --s) g[s][v] = g[s - 1][v];
        std::memcpy(&g[0][v], d + static_cast<std::size_t>(v) * L, sizeof(vec));
      }
#pragma GCC unroll 16
      for (int i = 0; i < Channels; ++i) {
        const T av = x[i];
#pragma GCC unroll 4
        for (int s = 0; s < S; ++s)
#pragma GCC unroll 4
          for (int v = 0; v < Vectors; ++v) acc[s][i][v] += av * g[s][v];
      }
    }
  }
#pragma GCC unroll 4
  for (int s = 0; s < S; ++s)
#pragma GCC unroll 16
    for (int i = 0; i < Channels; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < Vectors; ++v)
        std::memcpy(dw + (static_cast<std::size_t>(s) * C + c0 + static_cast<std::size_t>(i)) * K +
                        static_cast<std::size_t>(v) * L,
                    &acc[s][i][v], sizeof(vec));
}

/// Tiles for tap_filter_tile: 8 input channels x 1 vector or 4 x 2 (24
/// accumulators, AVX-512 only); vectors == 0 when the layer does not fit.
template <class T>
tap_plan plan_tap_filter_tiles(std::size_t S, std::size_t C, std::size_t K) {
  constexpr std::size_t L = vector_lanes<T>;
  if (accumulator_registers < 24 || S != 3 || K % L != 0) return {};
  if (K / L == 1 && C % 8 == 0) return {1, 8};
  if ((K / L) % 2 == 0 && C % 4 == 0) return {2, 4};
  return {};
}

/// dyp (P, Q + 2 (S - 1), K) = dy (P, Q, K) with S - 1 zero pixels at both ends of each row.
template <class T>
void pad_rows(const T* dy, std::size_t P, std::size_t Q, std::size_t K, std::size_t S, T* dyp) {
  const std::size_t edge = (S - 1) * K, row = Q * K + 2 * edge;
  for (std::size_t p = 0; p < P; ++p) {
    T* out = dyp + p * row;
    std::fill(out, out + edge, T(0));
    std::memcpy(out + edge, dy + p * Q * K, Q * K * sizeof(T));
    std::fill(out + edge + Q * K, out + row, T(0));
  }
}

/// One image's dW (R, S, C, K) (+)= its stride-1 correlation through tap filter tiles.
template <class T>
void tap_filter_image(tap_plan plan, const T* xp, std::size_t Wp, std::size_t C, std::size_t R,
                      const T* dyp, std::size_t P, std::size_t K, T* dw, bool accumulate) {
  constexpr std::size_t L = vector_lanes<T>;
  const auto vectors = static_cast<std::size_t>(plan.vectors),
             channels = static_cast<std::size_t>(plan.pixels);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t c0 = 0; c0 < C; c0 += channels)
      for (std::size_t j = 0; j < K; j += vectors * L) {
        const T* x = xp + r * Wp * C;
        T* out = dw + r * 3 * C * K + j;
        if (plan.vectors == 1)
          tap_filter_tile<T, 8, 1, 3>(x, Wp, C, c0, dyp + j, P, K, out, accumulate);
        else
          tap_filter_tile<T, 4, 2, 3>(x, Wp, C, c0, dyp + j, P, K, out, accumulate);
      }
}

/// Whether the direct forward and backward-filter handle g with C input and K
/// output channels (any stride; a 1x1 stride-1 unpadded convolution is a plain
/// GEMM on the input and stays one).
template <class T>
bool direct_conv_fits(const conv2d_geometry& g, std::size_t C, std::size_t K) {
  return !(g.kernel == 1 && g.stride == 1 && g.pad == 0) && g.pad < g.kernel &&
         narrow_gemm_fits<T>(K) && C > 0;
}

/// Whether backward-data runs as a direct forward: stride 1 only.
template <class T>
bool direct_conv_data_fits(const conv2d_geometry& g, std::size_t C, std::size_t K) {
  return g.stride == 1 && g.kernel > 1 && direct_conv_fits<T>(g, C, K);
}

/// xp (H + 2 pad, W + 2 pad, C) = x (H, W, C) with a zero border.
template <class T>
void pad_image(const T* x, std::size_t H, std::size_t W, std::size_t C, std::size_t pad, T* xp) {
  const std::size_t Wp = W + 2 * pad, row = Wp * C;
  std::fill(xp, xp + pad * row, T(0));
  for (std::size_t h = 0; h < H; ++h) {
    T* out = xp + (h + pad) * row;
    std::fill(out, out + pad * C, T(0));
    std::memcpy(out + pad * C, x + h * W * C, W * C * sizeof(T));
    std::fill(out + (pad + W) * C, out + row, T(0));
  }
  std::fill(xp + (H + pad) * row, xp + (H + 2 * pad) * row, T(0));
}

/// y (N, P, Q, K) = conv(x (N, H, W, C), w (R, R, C, K)) with stride and padding pad.
/// Requires direct_conv_fits<T>(g, C, K); shapes are checked by the caller.
template <class T>
void conv2d_forward_direct(std::size_t pad, std::size_t R, std::size_t stride, const T* x,
                           const shape4& xs, const T* w, std::size_t K, T* y) {
  const std::size_t N = xs[0], H = xs[1], W = xs[2], C = xs[3];
  const std::size_t Hp = H + 2 * pad, Wp = W + 2 * pad, P = (Hp - R) / stride + 1,
                    Q = (Wp - R) / stride + 1;
  const segment_walk walk{R, R * C, Wp * C, R * C, 1};
  const tap_plan tap = stride == 1 ? plan_tap_tiles<T>(R, pad, C, K, W) : tap_plan{};
  const auto images = static_cast<std::ptrdiff_t>(N);
#pragma omp parallel if (worth_threads(N * P * Q * (R * R * C + K)))
  {
    std::vector<const T*> a(P * Q);
    std::vector<T*> c(P * Q);
#pragma omp for schedule(static)
    for (std::ptrdiff_t i = 0; i < images; ++i) {
      const auto n = static_cast<std::size_t>(i);
      if (tap.pixels > 0) {  // reads x itself: no padded copy
        for (std::size_t p = 0; p < P; ++p)
          tap_output_row(tap, x + n * H * W * C, H, W, C, p, w, K, y + (n * P + p) * Q * K);
        continue;
      }
      T* xp = workspace<T>(Hp * Wp * C);
      pad_image(x + n * H * W * C, H, W, C, pad, xp);
      for (std::size_t p = 0; p < P; ++p)
        for (std::size_t q = 0; q < Q; ++q) {
          a[p * Q + q] = xp + (p * Wp + q) * stride * C;
          c[p * Q + q] = y + ((n * P + p) * Q + q) * K;
        }
      segment_gemm(a.data(), c.data(), P * Q, walk, w, K, false, row_runs{Q, stride * C});
    }
  }
}

/// W'(r, s, k, c) = W(R-1-r, R-1-s, c, k): the filter of backward-data as a forward.
/// The result lives in the calling thread's workspace slot 2.
template <class T>
const T* flipped_filter(const T* w, std::size_t R, std::size_t C, std::size_t K) {
  T* out = workspace<T, 2>(R * R * C * K);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t s = 0; s < R; ++s)
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t k = 0; k < K; ++k)
          out[((r * R + s) * K + k) * C + c] = w[(((R - 1 - r) * R + (R - 1 - s)) * C + c) * K + k];
  return out;
}

/// dw (R, R, C, K) = sum over images of the correlation of x and dy.
/// Partial sums per fixed block of images are added in block order, so the
/// result does not depend on the number of threads.
template <class T>
void conv2d_backward_filter_direct(std::size_t pad, std::size_t R, std::size_t stride, const T* x,
                                   const shape4& xs, const T* dy, std::size_t K, T* dw) {
  const std::size_t N = xs[0], H = xs[1], W = xs[2], C = xs[3];
  const std::size_t Hp = H + 2 * pad, Wp = W + 2 * pad, P = (Hp - R) / stride + 1,
                    Q = (Wp - R) / stride + 1;
  const std::size_t SC = R * C, size = R * SC * K;
  constexpr std::size_t block = 8;
  const std::size_t blocks = (N + block - 1) / block;
  T* partial = workspace<T, 1>(blocks * size);
  // rows i = (s, c) of one r; depth: the P output rows (segments) of Q pixels
  const segment_walk walk{P, Q, stride * Wp * C, Q, stride * C};
  const tap_plan tap = stride == 1 ? plan_tap_filter_tiles<T>(R, C, K) : tap_plan{};
#pragma omp parallel if (worth_threads(N * P * Q * (R * SC + K)))
  {
    std::vector<const T*> a(SC);
    std::vector<T*> c(SC);
#pragma omp for schedule(static)
    for (std::ptrdiff_t bi = 0; bi < static_cast<std::ptrdiff_t>(blocks); ++bi) {
      const auto b = static_cast<std::size_t>(bi);
      T* part = partial + b * size;
      for (std::size_t n = b * block; n < std::min(N, (b + 1) * block); ++n) {
        T* xp = workspace<T>(Hp * Wp * C);
        pad_image(x + n * H * W * C, H, W, C, pad, xp);
        if (tap.vectors > 0) {
          T* dyp = workspace<T, 3>(P * (Q + 2 * (R - 1)) * K);
          pad_rows(dy + n * P * Q * K, P, Q, K, R, dyp);
          tap_filter_image(tap, xp, Wp, C, R, dyp, P, K, part, n != b * block);
          continue;
        }
        for (std::size_t r = 0; r < R; ++r) {
          for (std::size_t i = 0; i < SC; ++i) {
            a[i] = xp + r * Wp * C + i;
            c[i] = part + (r * SC + i) * K;
          }
          segment_gemm(a.data(), c.data(), SC, walk, dy + n * P * Q * K, K, n != b * block,
                       row_runs{SC, 1});
        }
      }
    }
  }
#pragma omp parallel for schedule(static) if (worth_threads(blocks * size))
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(size); ++i) {
    T sum = T(0);
    for (std::size_t b = 0; b < blocks; ++b) sum += partial[b * size + static_cast<std::size_t>(i)];
    dw[i] = sum;
  }
}

}  // namespace sjmt::detail::cpu
