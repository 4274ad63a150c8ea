#pragma once
// Winograd F(4x4, 3x3) forward for 3x3, stride-1, padding-1 layers, and so
// for their backward-data (conv2d_direct.hpp runs it as a forward of dy with
// the flipped filter), and its adjoint for their backward-filter (section at
// the end). Each 4x4 output tile comes from the 6x6 input tile d around it:
//
//   Y = A^T [ (G g G^T) . (B^T d B) ] A        (. elementwise, per channel pair)
//
//   B^T = | 4  0 -5  0  1  0 |   G = |  1/4     0     0  |   A^T = | 1  1  1  1  1  0 |
//         | 0 -4 -4  1  1  0 |       | -1/6  -1/6  -1/6  |         | 0  1 -1  2 -2  0 |
//         | 0  4 -4 -1  1  0 |       | -1/6   1/6  -1/6  |         | 0  1  1  4  4  0 |
//         | 0 -2 -1  2  1  0 |       | 1/24  1/12   1/6  |         | 0  1 -1  8 -8  1 |
//         | 0  2 -1 -2  1  0 |       | 1/24 -1/12   1/6  |
//         | 0  4  0 -5  0  1 |       |  0     0     1    |
//
// (the interpolation points 0, 1, -1, 2, -2 and infinity): 36 products
// M[xi] (tiles, K) = V[xi] (tiles, C) U[xi] (C, K), 36 C K multiply-adds per
// 16 outputs where the direct convolution does 144 C K (4x fewer; F(2x2, 3x3)
// of conv2d_winograd.hpp 2.25x). Built as that file's forward: a block of
// whole tile rows (4 output rows each) is transformed into a per-thread
// buffer, multiplied by the same register-tile kernel (winograd_product, with
// chunks of 16 channels too), and transformed back into the output rows, where
// the inference epilogue runs. Why the larger tile pays: per output it does
// fewer multiplies and transforms fewer positions (36 per 16 outputs against
// 16 per 4), which is what made F(2x2) lose at 16 channels.
//
// Accuracy: B^T and A^T have entries up to 5 and 8 and G entries from 1/24 to
// 1, so the error grows faster than F(2x2)'s: the tests check
// |y - y_exact| <= 16 (C + 36) u sum |x| |w| per output and print what they
// measure (4.5-53 u sum |x||w| in float at 16 to 128 channels, against
// F(2x2)'s 1.5-2.6; up to 3e-6 of sum |x||w|, a relative error near 1e-5 of a
// typical output). Backward-filter (the adjoint, section at the end) sums over
// the batch's N H W / 16 tiles: the tests check 16 (tiles + 36) u times the
// taps' sum |x| |dy| per weight (as F(2x2)'s scale) and measure 0.5-8.2 u of it
// in float.

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "conv2d_winograd.hpp"

namespace sjmt::detail::cpu {

/// U (36, C, K) = G w G^T per (c, k), one vector of (c, k) pairs at a time.
template <class T>
void winograd4x4_filter(const T* w, std::size_t C, std::size_t K, T* u) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t CK = C * K;
  const auto gmul = [](const vec& g0, const vec& g1, const vec& g2, vec (&o)[6]) {
    const vec q = vec{} + T(1) / T(4), s = vec{} + T(1) / T(6), t = vec{} + T(1) / T(24),
              h = vec{} + T(1) / T(12);
    o[0] = g0 * q;
    o[1] = -(g0 + g1 + g2) * s;
    o[2] = -(g0 - g1 + g2) * s;
    o[3] = g0 * t + g1 * h + g2 * s;
    o[4] = g0 * t - g1 * h + g2 * s;
    o[5] = g2;
  };
#pragma omp parallel for schedule(static) if (worth_threads(CK * 144))
  for (std::ptrdiff_t ii = 0; ii < static_cast<std::ptrdiff_t>(CK / L); ++ii) {
    const std::size_t i = static_cast<std::size_t>(ii) * L;
    vec g[3][3];
    for (std::size_t j = 0; j < 9; ++j) std::memcpy(&g[j / 3][j % 3], w + j * CK + i, sizeof(vec));
    vec t[3][6];  // column s of G g: t[s][a]
#pragma GCC unroll 3
    for (int s = 0; s < 3; ++s) gmul(g[0][s], g[1][s], g[2][s], t[s]);
    for (std::size_t a = 0; a < 6; ++a) {
      vec r[6];
      gmul(t[0][a], t[1][a], t[2][a], r);
      for (std::size_t b = 0; b < 6; ++b) std::memcpy(u + (a * 6 + b) * CK + i, &r[b], sizeof(vec));
    }
  }
}

/// e = B^T d for 6 vectors.
template <class vec>
inline void winograd4x4_bt6(const vec& d0, const vec& d1, const vec& d2, const vec& d3, const vec& d4,
                           const vec& d5, vec (&e)[6]) {
  using T = std::remove_reference_t<decltype(d0[0])>;
  const vec four = vec{} + T(4), five = vec{} + T(5), two = vec{} + T(2);
  const vec t1 = d4 - four * d2, t2 = d3 - four * d1, t3 = d4 - d2, t4 = two * (d3 - d1);
  e[0] = four * d0 - five * d2 + d4;
  e[1] = t1 + t2;
  e[2] = t1 - t2;
  e[3] = t3 + t4;
  e[4] = t3 - t4;
  e[5] = four * d1 - five * d3 + d5;
}

/// The image rows of tile row t (image t / TH): the first, counted in the N H rows of
/// the tensor, and how many (4, fewer at the foot of an image whose height 4 does not
/// divide); none for t = none_from and beyond (no tile row t + 1 to prefetch).
struct winograd4x4_row_span {
  std::size_t first = 0, count = 0;
};
inline winograd4x4_row_span winograd4x4_rows(std::size_t t, std::size_t TH, std::size_t H,
                                             std::size_t none_from = std::size_t(-1)) {
  if (t >= none_from) return {};
  return {t / TH * H + 4 * (t % TH), std::min<std::size_t>(4, H - 4 * (t % TH))};
}

/// Prefetches into L2, for writing where Write is 1, the `count` values from `first` of
/// each of `rows` rows `stride` values apart: each 64-byte line they touch once. The
/// F(4x4) passes ask for tile row t + 1's rows a tile's columns at a time while they
/// work on row t (a layer's tensors are larger than L2, and the hardware prefetchers do
/// not follow the four to six interleaved short row streams in time; docs/performance.md,
/// "Prefetching F(4x4)'s row streams"). Addresses as integers: a line's start may lie
/// before `first`.
template <int Write, class T>
inline void prefetch_rows(const T* first, std::size_t rows, std::size_t stride, std::size_t count) {
  constexpr std::uintptr_t line = 64;
  for (std::size_t i = 0; i < rows; ++i) {
    const auto begin = reinterpret_cast<std::uintptr_t>(first + i * stride);
    const std::uintptr_t end = begin + count * sizeof(T);
    for (std::uintptr_t a = begin - begin % line; a < end; a += line)
      __builtin_prefetch(reinterpret_cast<const void*>(a), Write, 2);
  }
}

/// V[xi][chunk][tile][Depth], xi = 6 a + b, for the tiles of tile rows [t0, t1)
/// (tile row t: image t / TH, input rows 4 (t % TH) - 1 .. 4 (t % TH) + 4), of the
/// t_end = N TH tile rows of x (the rows of tile row t + 1 < t_end are prefetched).
template <class T, std::size_t Depth>
void winograd4x4_input(const T* x, std::size_t H, std::size_t W, std::size_t C, std::size_t t0, std::size_t t1,
                      std::size_t t_end, const T* zero, std::size_t padded, T* v) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t TH = (H + 3) / 4, TW = (W + 3) / 4, tiles = (t1 - t0) * TW, chunks = C / Depth;
  for (std::size_t t = t0; t < t1; ++t) {
    const std::size_t n = t / TH, ti = t % TH;
    const T* rows[6];
    for (std::size_t a = 0; a < 6; ++a) {
      const std::size_t h = 4 * ti + a;  // input row h - 1
      rows[a] = h >= 1 && h <= H ? x + (n * H + h - 1) * W * C : zero;
    }
    // The input rows that tile row t + 1 reads and this one does not (4, or 5 at an
    // image's first tile row), prefetched into L2 four pixels a tile as this row goes
    // (a line per pixel and 64 bytes of channels), past t1 too (the next block is most
    // often this thread's): perf annotate put this transform's time on the loads of its
    // six row streams, and with the prefetch the single-threaded backward-filter ran
    // 1.04-1.29x at 16 and 32 channels (bench_ops).
    const T* ahead[5];
    std::size_t n_ahead = 0;
    if (t + 1 < t_end) {
      const std::size_t n1 = (t + 1) / TH, ti1 = (t + 1) % TH;
      for (std::size_t a = n1 == n ? 2 : 0; a < 6; ++a) {
        const std::size_t h = 4 * ti1 + a;
        if (h >= 1 && h <= H) ahead[n_ahead++] = x + (n1 * H + h - 1) * W * C;
      }
    }
    for (std::size_t c = 0; c < C; c += L) {
      const std::size_t chunk = c / Depth, within = c % Depth;
      vec carry[2][6];  // the last two columns' B^T of the tile before: this tile's first two
      for (std::size_t tj = 0; tj < TW; ++tj) {
        if (c % (64 / sizeof(T)) == 0)  // one line holds two AVX2 float vectors
          for (std::size_t r = 0; r < n_ahead; ++r)  // the line of channel c of each pixel
            prefetch_rows<0>(ahead[r] + 4 * tj * C + c, std::min<std::size_t>(4, W - 4 * tj), C, 1);
        vec e[6][6];  // e[b] = B^T (column 4 tj + b - 1)
#pragma GCC unroll 6
        for (std::size_t b = 0; b < 6; ++b) {
          const std::size_t j = 4 * tj + b;  // input column j - 1
          if (b < 2 && tj > 0) {
#pragma GCC unroll 6
            for (int a = 0; a < 6; ++a) e[b][a] = carry[b][a];
            continue;
          }
          if (j < 1 || j > W) {
#pragma GCC unroll 6
            for (int a = 0; a < 6; ++a) e[b][a] = vec{};
            continue;
          }
          vec d[6];
#pragma GCC unroll 6
          for (int a = 0; a < 6; ++a) std::memcpy(&d[a], rows[a] + (j - 1) * C + c, sizeof(vec));
          winograd4x4_bt6(d[0], d[1], d[2], d[3], d[4], d[5], e[b]);
        }
#pragma GCC unroll 6
        for (int a = 0; a < 6; ++a) {
          carry[0][a] = e[4][a];
          carry[1][a] = e[5][a];
        }
        const std::size_t tile = (t - t0) * TW + tj;
#pragma GCC unroll 6
        for (std::size_t a = 0; a < 6; ++a) {
          vec r[6];
          winograd4x4_bt6(e[0][a], e[1][a], e[2][a], e[3][a], e[4][a], e[5][a], r);
#pragma GCC unroll 6
          for (std::size_t b = 0; b < 6; ++b)
            std::memcpy(winograd_v_at<Depth>(v, chunks, padded, a * 6 + b, chunk, tile) + within, &r[b],
                        sizeof(vec));
        }
      }
    }
  }
  for (std::size_t xi = 0; xi < 36; ++xi)
    for (std::size_t chunk = 0; chunk < chunks; ++chunk)
      std::fill(winograd_v_at<Depth>(v, chunks, padded, xi, chunk, tiles),
                winograd_v_at<Depth>(v, chunks, padded, xi, chunk, padded), T(0));
}

template <class vec>
inline void winograd4x4_at6(const vec& m0, const vec& m1, const vec& m2, const vec& m3, const vec& m4,
                           const vec& m5, vec (&y)[4]) {
  using T = std::remove_reference_t<decltype(m0[0])>;
  const vec a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;
  y[0] = m0 + a + c;
  y[1] = b + T(2) * d;
  y[2] = a + T(4) * c;
  y[3] = b + T(8) * d + m5;
}

/// y's rows of tile rows [t0, t1) (one block) from x (N, H, W, C), of x's t_end = N TH
/// tile rows: input transform, products, output transform into y.
template <class T, std::size_t Depth>
void winograd4x4_tile_rows(const winograd_plan& plan, const T* x, std::size_t H, std::size_t W, std::size_t C,
                          const T* u, std::size_t K, std::size_t t0, std::size_t t1, std::size_t t_end, T* buffer,
                          const T* zero, T* y) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t TH = (H + 3) / 4, TW = (W + 3) / 4, tiles = (t1 - t0) * TW;
  const std::size_t padded = winograd_padded(tiles, plan.rows);
  T* v = buffer;
  T* m = buffer + 36 * winograd_v_stride<T>(C, padded);
  const std::size_t ms = winograd_m_stride<T>(K, padded);
  winograd4x4_input<T, Depth>(x, H, W, C, t0, t1, t_end, zero, padded, v);
  winograd_block_products<T, Depth>(plan, 36, v, u, C, K, padded, m);
  for (std::size_t t = t0; t < t1; ++t) {
    const winograd4x4_row_span rows = winograd4x4_rows(t, TH, H);
    // The rows of tile row t + 1 are prefetched for writing a tile at a time while
    // tile row t is stored: y is larger than L2, and this loop waited on its stores
    // (16 channels, single-threaded bench_ops: forward 1.12-1.33x, backward-data
    // 1.14-1.42x with it; prefetching the block's first tile row too, before the
    // transforms, measured 0.82-0.96x).
    const winograd4x4_row_span next = winograd4x4_rows(t + 1, TH, H, t1);
    for (std::size_t tj = 0; tj < TW; ++tj) {
      const T* in = m + ((t - t0) * TW + tj) * K;
      const std::size_t ncols = std::min<std::size_t>(4, W - 4 * tj);
      T* o = y + (rows.first * W + 4 * tj) * K;
      prefetch_rows<1>(y + (next.first * W + 4 * tj) * K, next.count, W * K, ncols * K);
      for (std::size_t k = 0; k < K; k += L) {
        vec s[6][4];  // s[b] = A^T (column b of M)
#pragma GCC unroll 6
        for (std::size_t b = 0; b < 6; ++b) {
          vec q[6];
#pragma GCC unroll 6
          for (std::size_t a = 0; a < 6; ++a) std::memcpy(&q[a], in + (a * 6 + b) * ms + k, sizeof(vec));
          winograd4x4_at6(q[0], q[1], q[2], q[3], q[4], q[5], s[b]);
        }
#pragma GCC unroll 4
        for (std::size_t i = 0; i < 4; ++i) {
          vec r[4];
          winograd4x4_at6(s[0][i], s[1][i], s[2][i], s[3][i], s[4][i], s[5][i], r);
          if (i >= rows.count) break;
          if (ncols == 4) {
#pragma GCC unroll 4
            for (std::size_t jj = 0; jj < 4; ++jj) std::memcpy(o + (i * W + jj) * K + k, &r[jj], sizeof(vec));
          } else {
            for (std::size_t jj = 0; jj < ncols; ++jj) std::memcpy(o + (i * W + jj) * K + k, &r[jj], sizeof(vec));
          }
        }
      }
    }
  }
}

/// The input channels of a product: chunks of 64, 32 or 16, the largest that divides C.
inline std::size_t winograd4x4_depth(std::size_t C) { return C % 64 == 0 ? 64 : C % 32 == 0 ? 32 : 16; }

/// Tiles per block (forward) or per step (backward-filter): about 48 (V and M, or V
/// and Z: 36 x 48 x (C + K) values, 216 KiB at 16 + 16 channels, 864 KiB at 64 + 64:
/// in L2), fewer above 64 + 64 channels (about 1 MiB; not measured), at least `least`.
inline std::size_t winograd4x4_block_tiles(std::size_t C, std::size_t K, std::size_t least) {
  return std::clamp<std::size_t>(7168 / (C + K), least, 48);
}

/// Whether a stride-1 3x3 forward (or backward-data, asked with the channels
/// swapped) takes F(4x4, 3x3): padding 1 (AVX-512 or AVX2, each with its own
/// product tiles), input channels a multiple of 16, output channels whole vectors
/// and at least 16, height and width multiples of 4 (no tile half outside the
/// image: 48x48 input gives 48, 24 and 12) and at least 4,096 output pixels
/// (one 48x48 grey image, 2,304, ran 0.98x: the filter transform, 36 C K per
/// call, is not paid back). Measured against the tap tiles (16 channels) and
/// F(2x2) (32, 64): docs/performance.md "Winograd F(4x4, 3x3)"; with AVX2,
/// "Winograd with AVX2" (1.65-2.9x the tap tiles and the walk).
template <class T>
bool plan_winograd4x4(std::size_t R, std::size_t pad, std::size_t C, std::size_t K, std::size_t N, std::size_t H,
                      std::size_t W) {
  return R == 3 && pad == 1 && C % 16 == 0 && K % vector_lanes<T> == 0 && K >= 16 && H % 4 == 0 &&
         W % 4 == 0 && N * H * W >= 4096;
}

/// y (N, H, W, K) = conv3x3(x (N, H, W, C), w (3, 3, C, K)), stride 1, padding 1,
/// through Winograd F(4x4, 3x3); `each_block(row0, rows)` runs on the output rows
/// [row0, row0 + rows) of the N H rows a block has just written. Any H and W (a
/// last tile may lie partly outside). Requires C a multiple of 16 and K of the
/// vector width (plan_winograd4x4 asks more).
template <class T, class Epilogue>
void conv2d_forward_winograd4x4(scratch& ws, const T* x, const shape4& xs, const T* w, std::size_t K, T* y,
                                Epilogue&& each_block) {
  const std::size_t N = xs[0], H = xs[1], W = xs[2], C = xs[3];
  assert(C % 16 == 0 && K % vector_lanes<T> == 0);
  T* u = ws.shared<T, 1>(36 * C * K);
  winograd4x4_filter(w, C, K, u);
  const std::size_t TH = (H + 3) / 4, TW = (W + 3) / 4, tile_rows = N * TH;
  const bool threaded = worth_threads(N * H * W * (9 * C + K));
  const std::size_t team = threaded ? static_cast<std::size_t>(omp_get_max_threads()) : 1;
  const winograd_tile tile = winograd_product_tile<T>(K);
  const std::size_t per_block = winograd_balanced_rows(
      tile_rows, TW, winograd4x4_block_tiles(C, K, tile.rows), tile.rows, team);
  const std::size_t depth = winograd4x4_depth(C);
  const winograd_plan plan{depth, tile.vectors, tile.rows, per_block};
  const std::size_t blocks = (tile_rows + per_block - 1) / per_block;
  const std::size_t padded = winograd_padded(per_block * TW, tile.rows);
  const std::size_t buffer = 36 * (winograd_v_stride<T>(C, padded) + winograd_m_stride<T>(K, padded));
  ws.prepare();
#pragma omp parallel for schedule(static) if (threaded && blocks > 1)
  for (std::ptrdiff_t b = 0; b < static_cast<std::ptrdiff_t>(blocks); ++b) {
    const std::size_t t0 = static_cast<std::size_t>(b) * per_block;
    const std::size_t t1 = std::min(tile_rows, t0 + per_block);
    T* v = ws.per_thread<T>(buffer + W * C);
    T* zero = v + buffer;
    std::fill(zero, zero + W * C, T(0));
    if (depth == 64)
      winograd4x4_tile_rows<T, 64>(plan, x, H, W, C, u, K, t0, t1, tile_rows, v, zero, y);
    else if (depth == 32)
      winograd4x4_tile_rows<T, 32>(plan, x, H, W, C, u, K, t0, t1, tile_rows, v, zero, y);
    else
      winograd4x4_tile_rows<T, 16>(plan, x, H, W, C, u, K, t0, t1, tile_rows, v, zero, y);
    const winograd4x4_row_span last = winograd4x4_rows(t1 - 1, TH, H);
    const std::size_t first = winograd4x4_rows(t0, TH, H).first;
    each_block(first, last.first + last.count - first);
  }
}

// ---- backward-filter --------------------------------------------------------------------------
//
// The adjoint of the forward's map from U to Y, as F(2x2)'s (conv2d_winograd.hpp):
// per tile the output gradient dY (4x4) becomes Z = A dY A^T (6x6), with
//
//   A = | 1  0  0  0 |
//       | 1  1  1  1 |
//       | 1 -1  1 -1 |
//       | 1  2  4  8 |
//       | 1 -2  4 -8 |
//       | 0  0  0  1 |
//
//   dU[xi] (C, K) = sum over tiles of V[xi]^T (C, tiles) Z[xi] (tiles, K),
//   dW = G^T dU G   (per (c, k), 6x6 -> 3x3),
//
// 36 C K multiply-adds per 16 output pixels against the direct 144 C K; V is
// the forward's input transform (winograd4x4_input).

/// z = A g for the 4 values g of a column (or row) of an output-gradient tile.
template <class vec>
inline void winograd4x4_a4(const vec& g0, const vec& g1, const vec& g2, const vec& g3, vec (&z)[6]) {
  using T = std::remove_reference_t<decltype(g0[0])>;
  const vec p = g0 + g2, q = g1 + g3, r = g0 + T(4) * g2, s = T(2) * g1 + T(8) * g3;
  z[0] = g0;
  z[1] = p + q;
  z[2] = p - q;
  z[3] = r + s;
  z[4] = r - s;
  z[5] = g3;
}

/// Z[xi][tile][K] = (A dY A^T)[xi] for the tiles of tile rows [t0, t1) of dy (N, H, W, K),
/// `tiles` = (t1 - t0) ceil(W / 4) per position; dY is zero outside (H, W). t_end = N TH,
/// dy's tile rows (the rows of tile row t + 1 < t_end are prefetched).
template <class T>
void winograd4x4_output_gradient(const T* dy, std::size_t H, std::size_t W, std::size_t K, std::size_t t0,
                                 std::size_t t1, std::size_t t_end, std::size_t tiles, T* z) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t TH = (H + 3) / 4, TW = (W + 3) / 4;
  const std::size_t zs = winograd_m_stride<T>(K, tiles);
  for (std::size_t t = t0; t < t1; ++t) {
    const winograd4x4_row_span rows = winograd4x4_rows(t, TH, H);
    const T* row0 = dy + rows.first * W * K;
    // The rows of tile row t + 1, all four, prefetched into L2 a tile's columns at a
    // time, past t1 too (as winograd4x4_input's rows): the single-threaded
    // backward-filter 1.02-1.29x at 16 channels, 1.02-1.11x at 32 (bench_ops).
    const winograd4x4_row_span next = winograd4x4_rows(t + 1, TH, H, t_end);
    for (std::size_t tj = 0; tj < TW; ++tj) {
      const std::size_t ncols = std::min<std::size_t>(4, W - 4 * tj);
      prefetch_rows<0>(dy + (next.first * W + 4 * tj) * K, next.count, W * K, ncols * K);
      const T* g0 = row0 + 4 * tj * K;
      T* out = z + ((t - t0) * TW + tj) * K;
      for (std::size_t k = 0; k < K; k += L) {
        vec h[4][6];  // h[j] = A (column j of dY)
#pragma GCC unroll 4
        for (std::size_t j = 0; j < 4; ++j) {
          vec g[4] = {};
          if (j < ncols)
#pragma GCC unroll 4
            for (std::size_t i = 0; i < 4; ++i)
              if (i < rows.count) std::memcpy(&g[i], g0 + (i * W + j) * K + k, sizeof(vec));
          winograd4x4_a4(g[0], g[1], g[2], g[3], h[j]);
        }
#pragma GCC unroll 6
        for (std::size_t a = 0; a < 6; ++a) {
          vec r[6];
          winograd4x4_a4(h[0][a], h[1][a], h[2][a], h[3][a], r);
#pragma GCC unroll 6
          for (std::size_t b = 0; b < 6; ++b) std::memcpy(out + (a * 6 + b) * zs + k, &r[b], sizeof(vec));
        }
      }
    }
  }
}

/// w = G^T d for the 6 values d of a column (or row) of dU (3 results).
template <class vec>
inline void winograd4x4_gt6(const vec& d0, const vec& d1, const vec& d2, const vec& d3, const vec& d4,
                           const vec& d5, vec (&w)[3]) {
  using T = std::remove_reference_t<decltype(d0[0])>;
  const vec p = d1 + d2, q = d1 - d2, r = d3 + d4, s = d3 - d4;
  w[0] = d0 * T(1.0 / 4) - p * T(1.0 / 6) + r * T(1.0 / 24);
  w[1] = s * T(1.0 / 12) - q * T(1.0 / 6);
  w[2] = (r - p) * T(1.0 / 6) + d5;
}

/// Whether a stride-1 3x3 backward-filter takes F(4x4, 3x3), ahead of F(2x2) and the
/// tap tiles: where the forward does (plan_winograd4x4). Measured with bench_ops
/// (batch 128, docs/performance.md "F(4x4, 3x3) backward-filter, and where the
/// targets stand"): 1.27-1.68x at 16, 32 and 64 channels on 32x32 to 8x8 images; at
/// 48x48 with 16 channels about even. Small batches were not measured.
template <class T>
bool plan_winograd4x4_filter(std::size_t R, std::size_t pad, std::size_t C, std::size_t K, std::size_t N,
                             std::size_t H, std::size_t W) {
  return plan_winograd4x4<T>(R, pad, C, K, N, H, W);
}

/// dw (3, 3, C, K) = the gradient of conv3x3(x, w) (stride 1, padding 1) with respect to w,
/// from dy (N, H, W, K), through Winograd F(4x4, 3x3). Partial dU per fixed block of
/// images (as F(2x2)'s and the direct kernel's), added in block order: the result does
/// not depend on the thread count. Any H and W; requires C a multiple of 16 and K of the
/// vector width (plan_winograd4x4_filter asks more).
template <class T>
void conv2d_backward_filter_winograd4x4(scratch& ws, const T* x, const shape4& xs, const T* dy, std::size_t K,
                                        T* dw) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t N = xs[0], H = xs[1], W = xs[2], C = xs[3], TH = (H + 3) / 4, TW = (W + 3) / 4;
  assert(C % 16 == 0 && K % L == 0);
  // Fixed blocks of images (never depending on the thread count), at least 4 of them
  // where N >= 4, of 8 images or of about 256 tiles where images are small: the blocks'
  // partial dU (36 C K each, 590 KiB at 64 channels) are written and then summed, and
  // 16 blocks of 8 images of 8x8 made that sum a large part of the pass (64 channels
  // at 8x8: 0.90-0.93x F(2x2) with blocks of 8 images, 1.57x with blocks of 32). So
  // at batch 128 an 8x8 layer has 4 blocks: enough for the 2 threads measured, a cap
  // on more (a team of 8 would want the products split within a block).
  const std::size_t CK = C * K, size = 36 * CK;
  const std::size_t block =
      std::clamp<std::size_t>(N / 4, 1, std::max<std::size_t>(8, 256 / std::max<std::size_t>(1, TH * TW)));
  const std::size_t blocks = (N + block - 1) / block;
  // tile rows per step (steps of 24 to 192 tiles measured alike)
  const std::size_t step = std::max<std::size_t>(1, winograd4x4_block_tiles(C, K, 1) / TW);
  const std::size_t depth = winograd4x4_depth(C);
  const T* partial = winograd_filter_blocks<T>(
      ws, 36, N, TH, TW, W, C, K, depth, block, step, N * H * W * (9 * C + K),
      [&](std::size_t t0, std::size_t t1, std::size_t tiles, T* v, T* z, const T* zero) {
        if (depth == 64)
          winograd4x4_input<T, 64>(x, H, W, C, t0, t1, N * TH, zero, tiles, v);
        else if (depth == 32)
          winograd4x4_input<T, 32>(x, H, W, C, t0, t1, N * TH, zero, tiles, v);
        else
          winograd4x4_input<T, 16>(x, H, W, C, t0, t1, N * TH, zero, tiles, v);
        winograd4x4_output_gradient(dy, H, W, K, t0, t1, N * TH, tiles, z);
      });
  // dW = G^T (sum of the blocks' dU, in block order) G, one vector of (c, k) at a time
#pragma omp parallel for schedule(static) if (worth_threads(blocks * size))
  for (std::ptrdiff_t ii = 0; ii < static_cast<std::ptrdiff_t>(CK / L); ++ii) {
    const std::size_t i = static_cast<std::size_t>(ii) * L;
    vec t[6][3];  // row a of dU G
    for (std::size_t a = 0; a < 6; ++a) {
      vec d[6];
#pragma GCC unroll 6
      for (std::size_t bb = 0; bb < 6; ++bb) d[bb] = winograd_block_sum(partial, blocks, size, (a * 6 + bb) * CK + i);
      winograd4x4_gt6(d[0], d[1], d[2], d[3], d[4], d[5], t[a]);
    }
#pragma GCC unroll 3
    for (std::size_t s = 0; s < 3; ++s) {  // G^T (dU G), column s
      vec r[3];
      winograd4x4_gt6(t[0][s], t[1][s], t[2][s], t[3][s], t[4][s], t[5][s], r);
#pragma GCC unroll 3
      for (std::size_t a = 0; a < 3; ++a) std::memcpy(dw + (a * 3 + s) * CK + i, &r[a], sizeof(vec));
    }
  }
}

}  // namespace sjmt::detail::cpu
