#pragma once
// Winograd F(2x2, 3x3) for 3x3, stride-1, padding-1 convolutions (Lavin &
// Gray, "Fast Algorithms for Convolutional Neural Networks", 2016), NHWC,
// input and output channels whole SIMD vectors. Used by conv2d_direct.hpp for
// the forward pass, so for stride-1 backward-data (a forward of dy with the
// flipped filter), and for backward-filter, where plan_winograd says so and
// F(4x4, 3x3) (conv2d_winograd4x4.hpp) declines.
//
// Each 2x2 output tile comes from the 4x4 input tile d around it:
//
//   Y = A^T [ (G g G^T) . (B^T d B) ] A        (. elementwise, per channel pair)
//
//   B^T = | 1  0 -1  0 |   G = | 1    0    0  |   A^T = | 1  1  1  0 |
//         | 0  1  1  0 |       | 1/2  1/2  1/2|         | 0  1 -1 -1 |
//         | 0 -1  1  0 |       | 1/2 -1/2  1/2|
//         | 0  1  0 -1 |       | 0    0    1  |
//
// so the 16 positions xi of the transformed tile are 16 independent products
// M[xi] (tiles, K) = V[xi] (tiles, C) * U[xi] (C, K): 16 C K multiply-adds
// per tile where the direct convolution does 36 C K (2.25x fewer). The
// transforms are additions only (B, A) or done once per call (G).
//
// Fused: a block of whole tile rows (about 48 tiles) is transformed into a
// per-thread buffer V (16 x tiles x C) that stays in L2, multiplied into M
// (16 x tiles x K) by winograd_product (a register tile of 6 tiles x 4
// vectors, 12 x 2 or 24 x 1 with AVX-512, 6 x 2 or 12 x 1 with AVX2, over
// chunks of 32 or 64 channels whose width is
// a compile-time constant, so that its broadcasts need one pointer), and
// transformed back into the output rows, which the epilogue then finds in
// cache; nothing else is written. The input transform
// slides along the row: the column transform of each input column is shared by
// the two tiles that overlap on it. Threads take whole blocks (static); a
// tile's result does not depend on the block it falls in, so the output does
// not depend on the thread count.
//
// Accuracy: B and A have entries 0 and +-1, G entries 0, +-1/2 and 1 (exact
// scalings), so the error is that of sums of 16 transformed products over C
// channels and of the transforms' short sums. The tests check, per output,
// |y - y_exact| <= 8 (C + 16) u sum |x| |w| (u the unit roundoff of T: a
// depth-of-sum bound with a factor 8 for the transforms' growth); measured
// errors are 1.5-2.6 u sum |x| |w| in float at 32 to 128 channels
// (tests/test_backend_cpu.cpp, which prints them), about what the direct
// kernels' 9 C-term sums give. Backward-filter sums over the N H W / 4 tiles
// of the batch, and each transformed product mixes the 9 taps of a (c, k): the
// tests check 8 (N H W / 4 + 16) u times the sum over the taps of sum |x| |dy|
// (measured 0.2-1.4 of it in float).
//
// Backward-filter is the adjoint of the forward's map from U to Y (section at
// the end): the same input transform V, the output gradient's tiles
// transformed by A (Z = A dY A^T), 16 products dU = V^T Z summed over the
// tiles, and dW = G^T dU G once per call.

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "../../tensor/shape.hpp"
#include "gemm.hpp"
#include "parallel.hpp"
#include "scratch.hpp"

namespace sjmt::detail::cpu {

/// U (16, C, K) = G w G^T per (c, k) for w (3, 3, C, K), one vector of
/// (c, k) pairs at a time (C K is a whole number of vectors: K is).
template <class T>
void winograd_filter(const T* w, std::size_t C, std::size_t K, T* u) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t CK = C * K;
  const vec half = vec{} + T(0.5);
#pragma omp parallel for schedule(static) if (worth_threads(CK * 64))
  for (std::ptrdiff_t ii = 0; ii < static_cast<std::ptrdiff_t>(CK / L); ++ii) {
    const std::size_t i = static_cast<std::size_t>(ii) * L;
    vec g[3][3];
#pragma GCC unroll 9
    for (std::size_t j = 0; j < 9; ++j) std::memcpy(&g[j / 3][j % 3], w + j * CK + i, sizeof(vec));
    vec t[4][3];  // G g
#pragma GCC unroll 3
    for (int s = 0; s < 3; ++s) {
      t[0][s] = g[0][s];
      t[1][s] = (g[0][s] + g[1][s] + g[2][s]) * half;
      t[2][s] = (g[0][s] - g[1][s] + g[2][s]) * half;
      t[3][s] = g[2][s];
    }
#pragma GCC unroll 4
    for (std::size_t a = 0; a < 4; ++a) {  // (G g) G^T
      const vec r[4] = {t[a][0], (t[a][0] + t[a][1] + t[a][2]) * half, (t[a][0] - t[a][1] + t[a][2]) * half,
                        t[a][2]};
#pragma GCC unroll 4
      for (std::size_t b = 0; b < 4; ++b) std::memcpy(u + (a * 4 + b) * CK + i, &r[b], sizeof(vec));
    }
  }
}

/// Whether a stride-1 3x3 layer of `pixels` = N H W output pixels takes
/// Winograd F(2x2, 3x3): padding 1, input channels a multiple of 32, output
/// channels whole vectors and at least 32, and at least 2,048 output pixels.
/// The measured plan (bench_ops and a sweep of batch sizes, docs/performance.md
/// "Winograd"), with AVX-512: against the tap tiles it wins 1.22-1.52x at 32 and
/// 64 channels, and loses at 16 (0.6-0.9x forward, 0.83-0.92x backward-filter),
/// where a product is one vector wide, and on a few images, where transforming
/// the filter costs what the products save. With AVX2 (its own product tiles,
/// winograd_product_tile) the same bounds: F(4x4) and F(2x2) together ran
/// 1.65-2.9x AVX2's tap tiles and walk on every ResNet pass measured, and
/// batches of 1 and 8 did not lose (docs/performance.md, "Winograd with AVX2");
/// its 16-channel and small-image edges were not measured apart. Backward-data
/// asks with the channels swapped (its forward runs from K to C channels).
/// All three passes ask F(4x4, 3x3) first (plan_winograd4x4, plan_winograd4x4_filter).
template <class T>
bool plan_winograd(std::size_t R, std::size_t pad, std::size_t C, std::size_t K, std::size_t pixels) {
  return R == 3 && pad == 1 && C % 32 == 0 && K % vector_lanes<T> == 0 && K >= 32 && pixels >= 2048;
}

/// C (Rows, Vectors L) (+)= A (Rows, depth) * B (depth, Vectors L), the register tile of
/// every Winograd product: A(r, d) = a[r RowStride + d DepthStride] with both strides
/// compile-time constants (so the Rows broadcasts are one pointer and immediate
/// offsets: gemm_narrow's runtime row pointers spilled here), B and C rows K apart.
/// Forward: A = V (tiles x channels, RowStride = Depth, DepthStride = 1);
/// backward-filter: A = V^T (channels x tiles, RowStride = 1, DepthStride = Depth).
template <class T, std::size_t RowStride, std::size_t DepthStride, int Rows, int Vectors>
void winograd_product(const T* a, const T* b, std::size_t depth, std::size_t K, T* c, bool accumulate) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  vec acc[Rows][Vectors];
#pragma GCC unroll 32
  for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
    for (int j = 0; j < Vectors; ++j) {
      if (accumulate)
        std::memcpy(&acc[r][j], c + static_cast<std::size_t>(r) * K + static_cast<std::size_t>(j) * L, sizeof(vec));
      else
        acc[r][j] = vec{};
    }
  for (std::size_t d = 0; d < depth; ++d, a += DepthStride, b += K) {
    vec bv[Vectors];
#pragma GCC unroll 4
    for (int j = 0; j < Vectors; ++j) std::memcpy(&bv[j], b + static_cast<std::size_t>(j) * L, sizeof(vec));
#pragma GCC unroll 32
    for (int r = 0; r < Rows; ++r) {
      const T av = a[static_cast<std::size_t>(r) * RowStride];
#pragma GCC unroll 4
      for (int j = 0; j < Vectors; ++j) acc[r][j] += av * bv[j];
    }
  }
#pragma GCC unroll 32
  for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
    for (int j = 0; j < Vectors; ++j)
      std::memcpy(c + static_cast<std::size_t>(r) * K + static_cast<std::size_t>(j) * L, &acc[r][j], sizeof(vec));
}

/// The input channels of a product: chunks of 64, or of 32 where 64 does not divide C.
inline std::size_t winograd_depth(std::size_t C) { return C % 64 == 0 ? 64 : 32; }

/// How a layer's forward products are cut: input channels in chunks of `depth`
/// (winograd_depth), output channels in `vectors` (4, 2 or 1) per product, `rows` =
/// accumulator_registers / vectors tiles per product (winograd_product_tile; the tile
/// counts of a block are padded to a multiple of it), and `tile_rows` (whole rows of
/// tiles) per block.
struct winograd_plan {
  std::size_t depth, vectors, rows, tile_rows;
};

/// Tiles per block: about 48, fewer where V and M (16 x tiles x (C + K)) would
/// outgrow ~512 KiB of L2 (a block holds whole tile rows, so rows wider than
/// 96 pixels make larger blocks), at least `rows`.
inline std::size_t winograd_block_tiles(std::size_t C, std::size_t K, std::size_t rows) {
  return std::clamp<std::size_t>(8192 / (C + K), rows, 48);
}

/// The register tile of a forward product for K output channels: `vectors` vectors of K
/// by `rows` = accumulators / vectors tiles. With AVX-512's 24 accumulators 4, 2 or 1
/// vectors (6 x 4, 12 x 2, 24 x 1); with AVX2's 12, 2 or 1 (6 x 2, 12 x 1): beside them
/// the row of U (`vectors` registers) and the broadcast, which AVX2 cannot take from
/// memory inside the FMA.
struct winograd_tile {
  std::size_t vectors, rows;
};
template <class T>
winograd_tile winograd_product_tile(std::size_t K) {
  const std::size_t k_vectors = K / vector_lanes<T>, most = accumulator_registers >= 24 ? 4 : 2;
  const std::size_t vectors = k_vectors % most == 0 ? most : k_vectors % 2 == 0 ? 2 : 1;
  return {vectors, static_cast<std::size_t>(accumulator_registers) / vectors};
}

/// `tiles` rounded up to a multiple of a product's `rows` (a block's V and M hold
/// 16 x that many tiles of C and K values).
inline std::size_t winograd_padded(std::size_t tiles, std::size_t rows) {
  return (tiles + rows - 1) / rows * rows;
}

/// Tile rows per forward block, of TW tiles each: at most `most` tiles (at least one tile
/// row) and a team's share of the `tile_rows`; among the sizes down to half of that, the
/// one whose busiest thread (static schedule) multiplies the fewest tiles, counting the
/// padding of each block to a multiple of the product's `rows`, and only where that is 3%
/// fewer than the larger size's (smaller blocks cost more than their tiles: 8-tile blocks
/// ran 1.3x slower at 16 channels). So the threads finish together: 8x8 images at batch
/// 128 are 256 tile rows, and blocks of 24 made 11 blocks, 6 for one thread and 5 for the
/// other (288 product tiles against 240); with products of 6 tiles (64 channels, AVX-512)
/// blocks of 15 make 9 and 8 (135 tile rows against 121; 270 product tiles for the busier).
inline std::size_t winograd_balanced_rows(std::size_t tile_rows, std::size_t TW, std::size_t most,
                                          std::size_t rows, std::size_t team) {
  const std::size_t top = std::clamp<std::size_t>((tile_rows + team - 1) / team, 1,
                                                  std::max<std::size_t>(most / TW, 1));
  std::size_t best = top, best_load = 0;
  for (std::size_t r = top; r >= std::max<std::size_t>(1, (top + 1) / 2); --r) {
    const std::size_t blocks = (tile_rows + r - 1) / r;
    const std::size_t load = (blocks + team - 1) / team * winograd_padded(r * TW, rows);
    if (best_load == 0 || 100 * load < 97 * best_load) {
      best = r;
      best_load = load;
    }
  }
  return best;
}

template <class T>
winograd_plan plan_winograd_blocks(std::size_t C, std::size_t K, std::size_t W,
                                   std::size_t tile_rows, std::size_t team) {
  const winograd_tile tile = winograd_product_tile<T>(K);
  const std::size_t TW = (W + 1) / 2;
  const std::size_t per_block =
      winograd_balanced_rows(tile_rows, TW, winograd_block_tiles(C, K, tile.rows), tile.rows, team);
  return {winograd_depth(C), tile.vectors, tile.rows, per_block};
}

/// The 16 positions of V, M and Z lie one cache line further apart than their
/// size: at whole multiples of 4 KiB they fell into the same L1 sets.
template <class T>
inline constexpr std::size_t winograd_skew = 64 / sizeof(T);

/// The distance between positions of a V of `chunks` chunks of `tiles` tiles of
/// Depth channels, and of an M or Z of `tiles` tiles of K channels.
template <class T>
std::size_t winograd_v_stride(std::size_t C, std::size_t tiles) {
  return C * tiles + winograd_skew<T>;
}
template <class T>
std::size_t winograd_m_stride(std::size_t K, std::size_t tiles) {
  return K * tiles + winograd_skew<T>;
}

/// Where V[xi][chunk][tile] starts in a block's V of `padded` tiles per position.
template <std::size_t Depth, class V>
V* winograd_v_at(V* v, std::size_t chunks, std::size_t padded, std::size_t xi, std::size_t chunk,
                 std::size_t tile) {
  using T = std::remove_const_t<V>;
  return v + xi * winograd_v_stride<T>(chunks * Depth, padded) + (chunk * padded + tile) * Depth;
}

/// V[xi][chunk][tile][Depth] = (B^T d B)[xi] for the tiles of tile rows [t0, t1) (tile
/// row t: image t / TH, input rows 2 (t % TH) - 1 .. 2 (t % TH) + 2), padded tiles per
/// position, the padding tiles zero. zero: W C zeros (the border rows). Per input
/// column the column transform e = B^T d (d: the column's 4 rows) is computed
/// once and serves the two tiles that contain the column (tiles overlap by 2
/// columns): 8 loads and 24 additions per tile and channel vector.
template <class T, std::size_t Depth>
void winograd_input(const T* x, std::size_t H, std::size_t W, std::size_t C, std::size_t t0, std::size_t t1,
                    const T* zero, std::size_t padded, T* v) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t TH = (H + 1) / 2, TW = (W + 1) / 2, tiles = (t1 - t0) * TW, chunks = C / Depth;
  const auto v_at = [&](std::size_t xi, std::size_t chunk, std::size_t tile) {
    return winograd_v_at<Depth>(v, chunks, padded, xi, chunk, tile);
  };
  for (std::size_t t = t0; t < t1; ++t) {
    const std::size_t n = t / TH, ti = t % TH;
    const T* rows[4];
    for (std::size_t a = 0; a < 4; ++a) {
      const std::size_t h = 2 * ti + a;  // input row h - 1
      rows[a] = h >= 1 && h <= H ? x + (n * H + h - 1) * W * C : zero;
    }
    for (std::size_t c = 0; c < C; c += L) {
      const auto column = [&](std::size_t j, vec (&e)[4]) {  // e = B^T d of input column j - 1
        if (j < 1 || j > W) {
          e[0] = e[1] = e[2] = e[3] = vec{};
          return;
        }
        vec d[4];
#pragma GCC unroll 4
        for (int a = 0; a < 4; ++a) std::memcpy(&d[a], rows[a] + (j - 1) * C + c, sizeof(vec));
        e[0] = d[0] - d[2];
        e[1] = d[1] + d[2];
        e[2] = d[2] - d[1];
        e[3] = d[1] - d[3];
      };
      const std::size_t chunk = c / Depth, within = c % Depth;
      vec e0[4], e1[4], e2[4], e3[4];
      column(0, e0);
      column(1, e1);
      for (std::size_t tj = 0; tj < TW; ++tj) {
        column(2 * tj + 2, e2);
        column(2 * tj + 3, e3);
        const std::size_t tile = (t - t0) * TW + tj;
#pragma GCC unroll 4
        for (int a = 0; a < 4; ++a) {  // row a of (B^T d) B
          const vec r[4] = {e0[a] - e2[a], e1[a] + e2[a], e2[a] - e1[a], e1[a] - e3[a]};
#pragma GCC unroll 4
          for (int b = 0; b < 4; ++b)
            std::memcpy(v_at(static_cast<std::size_t>(a * 4 + b), chunk, tile) + within, &r[b], sizeof(vec));
        }
#pragma GCC unroll 4
        for (int a = 0; a < 4; ++a) {
          e0[a] = e2[a];
          e1[a] = e3[a];
        }
      }
    }
  }
  for (std::size_t xi = 0; xi < 16; ++xi)
    for (std::size_t chunk = 0; chunk < chunks; ++chunk)
      std::fill(v_at(xi, chunk, tiles), v_at(xi, chunk, padded), T(0));
}

/// M[xi] (padded, K) = V[xi] U[xi] for the `positions` positions of a block (16 for
/// F(2x2, 3x3), 36 for F(4x4, 3x3)), U[xi] (C, K), one chunk of C after the other
/// (the padding tiles' products are computed, never stored back); V as
/// winograd_v_at lays it out, M positions winograd_m_stride apart.
template <class T, std::size_t Depth>
void winograd_block_products(const winograd_plan& plan, std::size_t positions, const T* v, const T* u,
                             std::size_t C, std::size_t K, std::size_t padded, T* m) {
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t chunks = C / Depth, ms = winograd_m_stride<T>(K, padded);
  for (std::size_t xi = 0; xi < positions; ++xi)
    for (std::size_t chunk = 0; chunk < chunks; ++chunk)
      for (std::size_t r0 = 0; r0 < padded; r0 += plan.rows) {
        const T* vi = winograd_v_at<Depth>(v, chunks, padded, xi, chunk, r0);
        const T* ui = u + (xi * C + chunk * Depth) * K;
        T* mi = m + xi * ms + r0 * K;
        for (std::size_t j = 0; j < K; j += plan.vectors * L) {
          if constexpr (accumulator_registers >= 24) {
            if (plan.vectors == 4)
              winograd_product<T, Depth, 1, 6, 4>(vi, ui + j, Depth, K, mi + j, chunk > 0);
            else if (plan.vectors == 2)
              winograd_product<T, Depth, 1, 12, 2>(vi, ui + j, Depth, K, mi + j, chunk > 0);
            else
              winograd_product<T, Depth, 1, 24, 1>(vi, ui + j, Depth, K, mi + j, chunk > 0);
          } else {
            assert(plan.vectors <= 2 &&
                   "winograd_product_tile: at most 2 vectors with 12 accumulators");
            if (plan.vectors == 2)
              winograd_product<T, Depth, 1, 6, 2>(vi, ui + j, Depth, K, mi + j, chunk > 0);
            else
              winograd_product<T, Depth, 1, 12, 1>(vi, ui + j, Depth, K, mi + j, chunk > 0);
          }
        }
      }
}

/// Tile rows [t0, t1) of the batch (tile row t: image t / TH, output rows 2 (t % TH) and
/// 2 (t % TH) + 1) of y (N, P, Q, K) = conv3x3(x (N, H, W, C)), P = H, Q = W, from the
/// transformed filter u. buffer: 16 padded (C + K) values of this thread's, padded =
/// winograd_padded((t1 - t0) ceil(W / 2), plan.rows); zero: W C zeros (the border rows).
template <class T, std::size_t Depth>
void winograd_tile_rows(const winograd_plan& plan, const T* x, std::size_t H, std::size_t W, std::size_t C,
                        const T* u, std::size_t K, std::size_t t0, std::size_t t1, T* buffer, const T* zero, T* y) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t TH = (H + 1) / 2, TW = (W + 1) / 2, tiles = (t1 - t0) * TW;
  const std::size_t padded = winograd_padded(tiles, plan.rows);
  T* v = buffer;                    // V[xi][chunk][tile][Depth]
  T* m = buffer + 16 * winograd_v_stride<T>(C, padded);  // M[xi][tile][K]
  const std::size_t ms = winograd_m_stride<T>(K, padded);
  winograd_input<T, Depth>(x, H, W, C, t0, t1, zero, padded, v);
  winograd_block_products<T, Depth>(plan, 16, v, u, C, K, padded, m);
  // Y = A^T M A, stored where it lies inside (P, Q).
  for (std::size_t t = t0; t < t1; ++t) {
    const std::size_t n = t / TH, ti = t % TH;
    T* image = y + n * H * W * K;
    const bool two_rows = 2 * ti + 1 < H;
    for (std::size_t tj = 0; tj < TW; ++tj) {
      const T* in = m + ((t - t0) * TW + tj) * K;
      const bool two_cols = 2 * tj + 1 < W;
      T* o0 = image + (2 * ti * W + 2 * tj) * K;
      T* o1 = two_rows ? o0 + W * K : nullptr;  // past the image's last row otherwise
      for (std::size_t k = 0; k < K; k += L) {
        vec q[4][4];
#pragma GCC unroll 16
        for (int i = 0; i < 16; ++i)
          std::memcpy(&q[i / 4][i % 4], in + static_cast<std::size_t>(i) * ms + k, sizeof(vec));
        vec s[2][4];  // A^T q
#pragma GCC unroll 4
        for (int b = 0; b < 4; ++b) {
          s[0][b] = q[0][b] + q[1][b] + q[2][b];
          s[1][b] = q[1][b] - q[2][b] - q[3][b];
        }
        const vec y00 = s[0][0] + s[0][1] + s[0][2], y01 = s[0][1] - s[0][2] - s[0][3];
        const vec y10 = s[1][0] + s[1][1] + s[1][2], y11 = s[1][1] - s[1][2] - s[1][3];
        std::memcpy(o0 + k, &y00, sizeof(vec));
        if (two_cols) std::memcpy(o0 + K + k, &y01, sizeof(vec));
        if (two_rows) {
          std::memcpy(o1 + k, &y10, sizeof(vec));
          if (two_cols) std::memcpy(o1 + K + k, &y11, sizeof(vec));
        }
      }
    }
  }
}

/// y (N, H, W, K) = conv3x3(x (N, H, W, C), w (3, 3, C, K)), stride 1, padding 1,
/// through Winograd F(2x2, 3x3); `each_block(row0, rows)` (when given) runs on the
/// output rows [row0, row0 + rows) of the N H rows (contiguous) a block has just
/// written, while they are in cache. Requires plan_winograd<T>(3, 1, C, K, N H W).
template <class T, class Epilogue>
void conv2d_forward_winograd(scratch& ws, const T* x, const shape4& xs, const T* w, std::size_t K, T* y,
                             Epilogue&& each_block) {
  const std::size_t N = xs[0], H = xs[1], W = xs[2], C = xs[3];
  assert(C % 32 == 0 && K % vector_lanes<T> == 0);
  T* u = ws.shared<T, 1>(16 * C * K);
  winograd_filter(w, C, K, u);
  const std::size_t TH = (H + 1) / 2, TW = (W + 1) / 2, tile_rows = N * TH;
  const bool threaded = worth_threads(N * H * W * (9 * C + K));
  const std::size_t team = threaded ? static_cast<std::size_t>(omp_get_max_threads()) : 1;
  const winograd_plan plan = plan_winograd_blocks<T>(C, K, W, tile_rows, team);
  const std::size_t blocks = (tile_rows + plan.tile_rows - 1) / plan.tile_rows;
  const std::size_t padded = winograd_padded(plan.tile_rows * TW, plan.rows);
  const std::size_t buffer = 16 * (winograd_v_stride<T>(C, padded) + winograd_m_stride<T>(K, padded));
  ws.prepare();
#pragma omp parallel for schedule(static) if (threaded && blocks > 1)
  for (std::ptrdiff_t b = 0; b < static_cast<std::ptrdiff_t>(blocks); ++b) {
    const std::size_t t0 = static_cast<std::size_t>(b) * plan.tile_rows;
    const std::size_t t1 = std::min(tile_rows, t0 + plan.tile_rows);
    T* v = ws.per_thread<T>(buffer + W * C);
    T* zero = v + buffer;
    std::fill(zero, zero + W * C, T(0));
    if (plan.depth == 64)
      winograd_tile_rows<T, 64>(plan, x, H, W, C, u, K, t0, t1, v, zero, y);
    else
      winograd_tile_rows<T, 32>(plan, x, H, W, C, u, K, t0, t1, v, zero, y);
    // output rows of tile rows [t0, t1): from row 2 ti0 of image n0 to the last tile row's end
    const std::size_t first = t0 / TH * H + 2 * (t0 % TH);
    const std::size_t last = (t1 - 1) / TH * H + std::min(H, 2 * ((t1 - 1) % TH) + 2);
    each_block(first, last - first);
  }
}

// ---- backward-filter --------------------------------------------------------------------------
//
// The adjoint of the forward's map from U to Y: per tile the output gradient
// dY (2x2) becomes Z = A dY A^T (4x4), and
//
//   dU[xi] (C, K) = sum over tiles of V[xi]^T (C, tiles) Z[xi] (tiles, K),
//   dW = G^T dU G   (per (c, k), 4x4 -> 3x3),
//
// 16 C K multiply-adds per tile against the direct 36 C K; V is the forward's
// input transform (winograd_input).

/// Z[xi][tile][K] = (A dY A^T)[xi] for the tiles of tile rows [t0, t1) of dy (N, H, W, K),
/// padded tiles per position, the padding tiles zero; dY is zero outside (H, W).
template <class T>
void winograd_output_gradient(const T* dy, std::size_t H, std::size_t W, std::size_t K, std::size_t t0,
                              std::size_t t1, std::size_t padded, T* z) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t TH = (H + 1) / 2, TW = (W + 1) / 2, tiles = (t1 - t0) * TW;
  const std::size_t zs = winograd_m_stride<T>(K, padded);
  for (std::size_t t = t0; t < t1; ++t) {
    const std::size_t n = t / TH, ti = t % TH;
    const T* row0 = dy + (n * H + 2 * ti) * W * K;
    const bool two_rows = 2 * ti + 1 < H;
    for (std::size_t tj = 0; tj < TW; ++tj) {
      const bool two_cols = 2 * tj + 1 < W;
      const T* g0 = row0 + 2 * tj * K;
      const T* g1 = two_rows ? g0 + W * K : nullptr;
      T* out = z + ((t - t0) * TW + tj) * K;
      for (std::size_t k = 0; k < K; k += L) {
        vec g[2][2] = {};
        std::memcpy(&g[0][0], g0 + k, sizeof(vec));
        if (two_cols) std::memcpy(&g[0][1], g0 + K + k, sizeof(vec));
        if (two_rows) {
          std::memcpy(&g[1][0], g1 + k, sizeof(vec));
          if (two_cols) std::memcpy(&g[1][1], g1 + K + k, sizeof(vec));
        }
        // rows of A g (A = [1 0; 1 1; 1 -1; 0 -1]), then (A g) A^T
        const vec h[4][2] = {{g[0][0], g[0][1]},
                             {g[0][0] + g[1][0], g[0][1] + g[1][1]},
                             {g[0][0] - g[1][0], g[0][1] - g[1][1]},
                             {-g[1][0], -g[1][1]}};
#pragma GCC unroll 4
        for (int a = 0; a < 4; ++a) {
          const vec r[4] = {h[a][0], h[a][0] + h[a][1], h[a][0] - h[a][1], -h[a][1]};
#pragma GCC unroll 4
          for (int b = 0; b < 4; ++b)
            std::memcpy(out + static_cast<std::size_t>(a * 4 + b) * zs + k, &r[b], sizeof(vec));
        }
      }
    }
  }
  for (std::size_t xi = 0; xi < 16; ++xi)
    std::fill(z + xi * zs + tiles * K, z + xi * zs + padded * K, T(0));
}

/// dU[xi][c][k] (+)= the products of one block of tiles (V and Z of winograd_input and
/// winograd_output_gradient, or their F(4x4, 3x3) counterparts), for the `positions`
/// positions (16 or 36), by row blocks of Rows channels and Vectors vectors of K; every
/// value of dU is written, so the first step of a block stores (accumulate false) where
/// the others add.
template <class T, std::size_t Depth, int Rows, int Vectors>
void winograd_filter_products(std::size_t positions, const T* v, const T* z, std::size_t tiles, std::size_t C,
                              std::size_t K, T* du, bool accumulate) {
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t chunks = C / Depth;
  for (std::size_t xi = 0; xi < positions; ++xi)
    for (std::size_t chunk = 0; chunk < chunks; ++chunk)
      for (std::size_t c0 = 0; c0 < Depth; c0 += Rows)
        for (std::size_t k0 = 0; k0 < K; k0 += Vectors * L)
          winograd_product<T, 1, Depth, Rows, Vectors>(winograd_v_at<Depth>(v, chunks, tiles, xi, chunk, 0) + c0,
                                                       z + xi * winograd_m_stride<T>(K, tiles) + k0, tiles, K,
                                                       du + (xi * C + chunk * Depth + c0) * K + k0, accumulate);
}

/// The image blocks of a Winograd backward-filter (F(2x2) and F(4x4), `positions` 16 or
/// 36): one partial dU (positions C K values) per fixed block of `block` images, so that
/// the result does not depend on the thread count. Each block runs in steps of `step`
/// tile rows (TH per image, TW tiles each): `transform(t0, t1, tiles, v, z, zero)` fills
/// this thread's V and Z for tile rows [t0, t1), then the products store them into the
/// block's dU on its first step and add them on the others (chunks of `depth` input
/// channels; with AVX-512 8 channels x 2 vectors of K
/// per product, 16 x 1 where K is an odd number of vectors: 16 accumulators, 2 loads and
/// 8 broadcasts per 16 FMAs; 4 x 4 measured 1.17x the direct kernel at 64 channels where
/// 8 x 2 gives 1.39x; with AVX2 4 x 2 and 8 x 1, 8 accumulators, enough for two FMA
/// pipes of latency 4). V and Z need no padding tiles: the products run over the tiles one at a
/// time. Returns the partials, `blocks` of them in scratch slot 1. Requires N, TH and TW
/// at least 1 (every block has a first step that writes its dU).
template <class T, class Transform>
T* winograd_filter_blocks(scratch& ws, std::size_t positions, std::size_t N, std::size_t TH, std::size_t TW,
                          std::size_t W, std::size_t C, std::size_t K, std::size_t depth, std::size_t block,
                          std::size_t step, std::size_t work, Transform&& transform) {
  assert(N > 0 && TH > 0 && TW > 0);
  const std::size_t blocks = (N + block - 1) / block, size = positions * C * K;
  T* partial = ws.shared<T, 1>(blocks * size);
  const bool two = (K / vector_lanes<T>) % 2 == 0;
  // channels per product with two vectors of K: 16 accumulators with AVX-512, 8 with
  // AVX2 (a power of two, so that it divides the 16-channel chunk)
  constexpr int rows2 = accumulator_registers >= 24 ? 8 : 4;
  const std::size_t buffer = positions * (winograd_v_stride<T>(C, step * TW) + winograd_m_stride<T>(K, step * TW));
  ws.prepare();
#pragma omp parallel for schedule(static) if (worth_threads(work))
  for (std::ptrdiff_t bi = 0; bi < static_cast<std::ptrdiff_t>(blocks); ++bi) {
    const auto b = static_cast<std::size_t>(bi);
    // The first step stores dU, the others add to it: no pass to zero the partials (at
    // batch 128 about 40 MB a ResNet-32 step, ~2% of it as memset in perf).
    T* du = partial + b * size;
    T* v = ws.per_thread<T>(buffer + W * C);
    T* z = v + positions * winograd_v_stride<T>(C, step * TW);
    T* zero = v + buffer;
    std::fill(zero, zero + W * C, T(0));
    const std::size_t begin = b * block * TH, end = std::min(N, (b + 1) * block) * TH;
    for (std::size_t t0 = begin; t0 < end; t0 += step) {
      const std::size_t t1 = std::min(end, t0 + step), tiles = (t1 - t0) * TW;
      const bool accumulate = t0 != begin;
      transform(t0, t1, tiles, v, z, static_cast<const T*>(zero));
      if (depth == 64 && two)
        winograd_filter_products<T, 64, rows2, 2>(positions, v, z, tiles, C, K, du, accumulate);
      else if (depth == 64)
        winograd_filter_products<T, 64, 2 * rows2, 1>(positions, v, z, tiles, C, K, du, accumulate);
      else if (depth == 32 && two)
        winograd_filter_products<T, 32, rows2, 2>(positions, v, z, tiles, C, K, du, accumulate);
      else if (depth == 32)
        winograd_filter_products<T, 32, 2 * rows2, 1>(positions, v, z, tiles, C, K, du, accumulate);
      else if (two)
        winograd_filter_products<T, 16, rows2, 2>(positions, v, z, tiles, C, K, du, accumulate);
      else
        winograd_filter_products<T, 16, 2 * rows2, 1>(positions, v, z, tiles, C, K, du, accumulate);
    }
  }
  return partial;
}

/// The vector at `at` summed over the `blocks` partials `size` apart, in block order.
template <class T>
typename simd_vector<T>::type winograd_block_sum(const T* partial, std::size_t blocks, std::size_t size,
                                                std::size_t at) {
  using vec = typename simd_vector<T>::type;
  vec sum = vec{};
  for (std::size_t b = 0; b < blocks; ++b) {
    vec p;
    std::memcpy(&p, partial + b * size + at, sizeof(vec));
    sum += p;
  }
  return sum;
}

/// dw (3, 3, C, K) = the gradient of conv3x3(x, w) (stride 1, padding 1) with respect to w,
/// from dy (N, H, W, K), through Winograd F(2x2, 3x3). Partial dU per fixed block of
/// images (as the direct kernel's), added in block order: the result does not depend on
/// the thread count. Requires plan_winograd<T>(3, 1, C, K, N H W).
template <class T>
void conv2d_backward_filter_winograd(scratch& ws, const T* x, const shape4& xs, const T* dy, std::size_t K, T* dw) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  const std::size_t N = xs[0], H = xs[1], W = xs[2], C = xs[3], TH = (H + 1) / 2, TW = (W + 1) / 2;
  assert(C % 32 == 0 && K % L == 0);
  const std::size_t block = std::clamp<std::size_t>(N / 4, 1, 8), blocks = (N + block - 1) / block;
  const std::size_t CK = C * K, size = 16 * CK;
  // tile rows per step (as the forward's blocks)
  const std::size_t step = std::max<std::size_t>(1, winograd_block_tiles(C, K, 1) / TW);
  const std::size_t depth = winograd_depth(C);
  const T* partial = winograd_filter_blocks<T>(
      ws, 16, N, TH, TW, W, C, K, depth, block, step, N * H * W * (9 * C + K),
      [&](std::size_t t0, std::size_t t1, std::size_t tiles, T* v, T* z, const T* zero) {
        if (depth == 64)
          winograd_input<T, 64>(x, H, W, C, t0, t1, zero, tiles, v);
        else
          winograd_input<T, 32>(x, H, W, C, t0, t1, zero, tiles, v);
        winograd_output_gradient(dy, H, W, K, t0, t1, tiles, z);
      });
  // dW = G^T (sum of the blocks' dU, in block order) G, one vector of (c, k) at a time
  const vec half = vec{} + T(0.5);
#pragma omp parallel for schedule(static) if (worth_threads(blocks * size))
  for (std::ptrdiff_t ii = 0; ii < static_cast<std::ptrdiff_t>(CK / L); ++ii) {
    const std::size_t i = static_cast<std::size_t>(ii) * L;
    vec d[4][4];
#pragma GCC unroll 16
    for (std::size_t xi = 0; xi < 16; ++xi) d[xi / 4][xi % 4] = winograd_block_sum(partial, blocks, size, xi * CK + i);
    vec t[4][3];  // dU G
#pragma GCC unroll 4
    for (int a = 0; a < 4; ++a) {
      t[a][0] = d[a][0] + (d[a][1] + d[a][2]) * half;
      t[a][1] = (d[a][1] - d[a][2]) * half;
      t[a][2] = (d[a][1] + d[a][2]) * half + d[a][3];
    }
#pragma GCC unroll 3
    for (std::size_t s = 0; s < 3; ++s) {  // G^T (dU G)
      const vec w0 = t[0][s] + (t[1][s] + t[2][s]) * half, w1 = (t[1][s] - t[2][s]) * half,
                w2 = (t[1][s] + t[2][s]) * half + t[3][s];
      std::memcpy(dw + (0 * 3 + s) * CK + i, &w0, sizeof(vec));
      std::memcpy(dw + (1 * 3 + s) * CK + i, &w1, sizeof(vec));
      std::memcpy(dw + (2 * 3 + s) * CK + i, &w2, sizeof(vec));
    }
  }
}

}  // namespace sjmt::detail::cpu
