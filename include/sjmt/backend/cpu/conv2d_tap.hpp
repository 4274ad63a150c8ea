#pragma once
// "Tap" convolution kernels for 3x3, stride-1, padding-1 layers (every
// convolution of ResNet-CIFAR's stages but the two stride-2 ones), used by
// conv2d_direct.hpp: forward (and so stride-1 backward-data) on AVX-512 and
// AVX2, backward-filter with AVX-512's 32 vector registers only.
//
// Why: on the AVX-512 machine the segment walk of conv2d_direct.hpp loads one
// broadcast A value per FMA at 16 output channels, and a loop of 16
// broadcast-FMAs reaches 95 GFLOP/s where register-only FMAs reach 165
// (measured, docs/performance.md). Each input value of a 3x3 layer meets 3
// filter taps; these kernels keep those taps (forward) or the 3 output-gradient
// vectors (backward-filter) in registers and load the input value once for 3
// FMAs. They read the unpadded tensors: the zero border is skipped (rows outside
// the image, and columns -1 and W at compile time), so no padded copy is made.

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>

#include "gemm.hpp"

namespace sjmt::detail::cpu {

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
          std::memcpy(
              &b[s][v],
              wr + (static_cast<std::size_t>(s) * C + c) * K + static_cast<std::size_t>(v) * L,
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
      std::memcpy(y + static_cast<std::size_t>(i) * K + static_cast<std::size_t>(v) * L, &acc[i][v],
                  sizeof(vec));
}

/// The tiles of a tap kernel: `vectors` (1 or 2) output-channel vectors and
/// `tile` pixels (tap_tile) or input channels (tap_filter_tile) per tile;
/// vectors == 0 when the layer is not one the tap kernels handle.
struct tap_plan {
  int vectors = 0, tile = 0;
};

/// tap_tile's plan: 3x3, padding 1, 16/32/64 input channels, K whole vectors.
/// Widths: a multiple of the tile, or, on AVX-512, of 12 (FER2013's 48x48 gives
/// 12x12 at ResNet's third stage: 12-pixel tiles, 2 x 12 accumulators, 6 filter
/// vectors and the broadcast, 31 of 32 registers). A tile that does not divide
/// the row ends it overlapping the tile before it (tap_row), which recomputes
/// (tile - W mod tile) pixels: taken only while that is at most an eighth of
/// the row, as the tap tiles beat the segment walk by about 1.2x (measured at
/// 12x12, 64 channels, bench_ops, AVX-512: 12-pixel tiles 1.20x the walk,
/// overlapping 8-pixel tiles 0.92x). K an odd number of vectors takes the
/// one-vector tiles.
///
/// With AVX2's 16 registers the tile is 8 pixels x 1 vector (8 accumulators,
/// 3 filter vectors, the broadcast): each accumulator then takes 3 dependent
/// FMAs per input channel, so the tile sits at the FMA latency bound, but it
/// loads 13 values per 24 FMAs where the segment walk's 6 x 2 tile loads 8 per
/// 12, and it reads the unpadded image. Measured on the Zen 3 kind (bench_ops,
/// 2 threads, 2026-12-02): forward and backward-data 3x3 layers 20-30% faster
/// than the segment walk. Wider AVX2 tiles (12 x 1, 4 x 2) spill registers
/// under GCC 12 and were slower; backward-filter's 4 x 1 tap tile was no
/// faster than the walk, so AVX2 backward-filter keeps the walk.
template <class T>
tap_plan plan_tap_tiles(std::size_t R, std::size_t pad, std::size_t C, std::size_t K,
                        std::size_t W) {
  constexpr std::size_t L = vector_lanes<T>;
  if (R != 3 || pad != 1 || (C != 16 && C != 32 && C != 64) || K % L != 0) return {};
  const auto eight = [W] {  // 8-pixel tiles: whole, or overlapping by at most W / 8
    const std::size_t waste = (W + 7) / 8 * 8 - W;
    return W >= 8 && 8 * waste <= W;
  };
  if (accumulator_registers < 24) return eight() ? tap_plan{1, 8} : tap_plan{};
  const bool twelve = W % 12 == 0 && W % 8 != 0;
  const int vectors = (K / L) % 2 == 0 ? 2 : 1;
  if (vectors == 1 && W % 16 == 0) return {1, 16};
  if (twelve) return {vectors, 12};
  return eight() ? tap_plan{vectors, 8} : tap_plan{};
}

template <class T, int Pixels, int Vectors, std::size_t C>
void tap_row(const T* const* xr, const std::size_t* filter_rows, std::size_t rows, const T* w,
             std::size_t K, std::size_t W, T* y) {
  constexpr std::size_t L = vector_lanes<T>;
  const T* xq[3];
  assert(W >= static_cast<std::size_t>(Pixels));
  for (std::size_t j = 0; j < K; j += Vectors * L)
    for (std::size_t q = 0; q < W; q += Pixels) {
      // The last tile of a row that Pixels does not divide starts at W - Pixels,
      // overlapping the tile before it: it rewrites those outputs with the same values.
      const std::size_t q0 = std::min(q, W - static_cast<std::size_t>(Pixels));
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
void tap_row_planned(tap_plan plan, const T* const* xr, const std::size_t* filter_rows,
                     std::size_t rows, const T* w, std::size_t K, std::size_t W, T* y) {
  if (plan.vectors == 1 && plan.tile == 16)
    tap_row<T, 16, 1, C>(xr, filter_rows, rows, w, K, W, y);
  else if (plan.vectors == 1 && plan.tile == 8)
    tap_row<T, 8, 1, C>(xr, filter_rows, rows, w, K, W, y);
  else if (plan.vectors == 2 && plan.tile == 8)
    tap_row<T, 8, 2, C>(xr, filter_rows, rows, w, K, W, y);
#if defined(__AVX512F__)  // 12-pixel tiles need AVX-512's 32 registers (plan_tap_tiles)
  else if (plan.vectors == 1)
    tap_row<T, 12, 1, C>(xr, filter_rows, rows, w, K, W, y);
  else
    tap_row<T, 12, 2, C>(xr, filter_rows, rows, w, K, W, y);
#else
  else
    assert(false && "plan_tap_tiles gives AVX2 8 x 1 tiles only");
#endif
}

/// Output row p (of H; stride 1, padding 1, so P = H and Q = W) of a 3x3
/// forward of one image x (H, W, C) through tap tiles.
template <class T>
void tap_output_row(tap_plan plan, const T* x, std::size_t H, std::size_t W, std::size_t C,
                    std::size_t p, const T* w, std::size_t K, T* y) {
  const T* xr[3];
  std::size_t filter_rows[3], rows = 0;
  for (std::size_t r = 0; r < 3; ++r) {
    if (p + r < 1 || p + r - 1 >= H) continue;  // a row of the zero border
    xr[rows] = x + (p + r - 1) * W * C;
    filter_rows[rows++] = r;
  }
  assert(plan.vectors > 0 && W >= static_cast<std::size_t>(plan.tile));
  switch (C) {
    case 16:
      tap_row_planned<T, 16>(plan, xr, filter_rows, rows, w, K, W, y);
      break;
    case 32:
      tap_row_planned<T, 32>(plan, xr, filter_rows, rows, w, K, W, y);
      break;
    case 64:
      tap_row_planned<T, 64>(plan, xr, filter_rows, rows, w, K, W, y);
      break;
    default:
      assert(false && "plan_tap_tiles admits 16, 32 or 64 input channels");
      break;
  }
}

/// Stride-1 3x3 backward-filter, padding 1, with tap reuse, read from the
/// unpadded image x (H, W, C) and output gradient dy (H, W, K):
///   dW(r, s, c, k) = sum_p sum_j x(p + r - 1, j, c) dy(p, j + 1 - s, k).
/// For each input column j the 3 output-gradient vectors it meets,
/// g[s] = dy(p, j + 1 - s), form a window that slides one pixel per j (each
/// dy vector is loaded once per row), and each of `Channels` input values is
/// loaded once for 3 x Vectors FMAs (the segment walk loads one per FMA). The
/// zero border is not stored: rows outside the image are skipped and the
/// window holds zero vectors past the row's ends. The tile holds
/// dW(r, 0..2, c0 .. c0 + Channels - 1, slice); dy and dw point at the slice.
template <class T, int Channels, int Vectors>
void tap_filter_tile(const T* x, std::size_t H, std::size_t W, std::size_t C, std::size_t r,
                     std::size_t c0, const T* dy, std::size_t K, T* dw, bool accumulate) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  constexpr int S = 3;
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
  vec g[S][Vectors];
  const auto fma_column = [&](const T* xa) {
#pragma GCC unroll 16
    for (int i = 0; i < Channels; ++i) {
      const T av = xa[i];
#pragma GCC unroll 4
      for (int s = 0; s < S; ++s)
#pragma GCC unroll 4
        for (int v = 0; v < Vectors; ++v) acc[s][i][v] += av * g[s][v];
    }
  };
  // output rows p whose input row p + r - 1 lies in the image
  const std::size_t p_begin = r == 0 ? 1 : 0, p_end = std::min(H, H + 1 - r);
  for (std::size_t p = p_begin; p < p_end; ++p) {
    const T* xa = x + (p + r - 1) * W * C + c0;
    const T* d = dy + p * W * K;
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) {  // shifted into g[1], g[2] before the first column
      std::memcpy(&g[0][v], d + static_cast<std::size_t>(v) * L, sizeof(vec));
      g[1][v] = vec{};
    }
    for (std::size_t j = 0; j + 1 < W; ++j, xa += C) {
#pragma GCC unroll 4
      for (int v = 0; v < Vectors; ++v) {
        g[2][v] = g[1][v];
        g[1][v] = g[0][v];
        std::memcpy(&g[0][v], d + (j + 1) * K + static_cast<std::size_t>(v) * L, sizeof(vec));
      }
      fma_column(xa);
    }
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) {  // the last column: dy(p, W) is the border
      g[2][v] = g[1][v];
      g[1][v] = g[0][v];
      g[0][v] = vec{};
    }
    fma_column(xa);
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
/// accumulators, AVX-512 only); vectors == 0 when the layer does not fit
/// (3x3, padding 1, K a multiple of the vector width).
template <class T>
tap_plan plan_tap_filter_tiles(std::size_t R, std::size_t pad, std::size_t C, std::size_t K) {
  constexpr std::size_t L = vector_lanes<T>;
  if (accumulator_registers < 24 || R != 3 || pad != 1 || K % L != 0) return {};
  if (K / L == 1 && C % 8 == 0) return {1, 8};
  if ((K / L) % 2 == 0 && C % 4 == 0) return {2, 4};
  return {};
}

/// One image's dW (3, 3, C, K) (+)= its stride-1, padding-1 correlation through tap filter tiles.
template <class T>
void tap_filter_image(tap_plan plan, const T* x, std::size_t H, std::size_t W, std::size_t C,
                      const T* dy, std::size_t K, T* dw, bool accumulate) {
  constexpr std::size_t L = vector_lanes<T>;
  const auto vectors = static_cast<std::size_t>(plan.vectors),
             channels = static_cast<std::size_t>(plan.tile);
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c0 = 0; c0 < C; c0 += channels)
      for (std::size_t j = 0; j < K; j += vectors * L) {
        T* out = dw + r * 3 * C * K + j;
        if (plan.vectors == 1)
          tap_filter_tile<T, 8, 1>(x, H, W, C, r, c0, dy + j, K, out, accumulate);
        else
          tap_filter_tile<T, 4, 2>(x, H, W, C, r, c0, dy + j, K, out, accumulate);
      }
}

/// Backward-filter of a 3x3, stride-1, padding-1 layer with few input channels
/// (the first layer: 3 for colour, 1 for grey): all 9 C filter rows of one
/// vector of K stay in registers (27 accumulators at C = 3) through one pass
/// over the image. As tap_filter_tile, it walks the input columns j of the
/// zero-padded copy xp ((H + 2) (W + 2) C, pad_image) with the window of the 3
/// output-gradient vectors that column meets, g[s] = dy(p, j - s), so each
/// input value is loaded once for 3 FMAs and each dy vector once; the 3 filter
/// rows r are summed in the same pass (dW(r, s, c) += xp(p + r, j, c) g[s]).
/// Walking output pixels instead made GCC's predictive commoning carry input
/// values between pixels through the stack. The segment walk made one pass per
/// filter row with row tiles that 9 rows fill badly (94 GFLOP/s at 3 -> 16
/// channels on the Zen 5 kind, where PyTorch's oneDNN gave 262;
/// bench/conv_vs_pytorch.py). dy and dw point at the image's dy (H, W, K) and
/// its partial dw (3, 3, C, K).
template <class T, std::size_t C>
void narrow_filter_image(const T* xp, std::size_t H, std::size_t W, const T* dy, std::size_t K, T* dw,
                         bool accumulate) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>, S = 3;
  const std::size_t Wp = W + 2;
  for (std::size_t k = 0; k < K; k += L) {
    vec acc[3][S][C];  // dW(r, s, c, k .. k + L - 1)
#pragma GCC unroll 3
    for (std::size_t r = 0; r < 3; ++r)
#pragma GCC unroll 3
      for (std::size_t s = 0; s < S; ++s)
#pragma GCC unroll 3
        for (std::size_t c = 0; c < C; ++c) {
          if (accumulate)
            std::memcpy(&acc[r][s][c], dw + ((r * S + s) * C + c) * K + k, sizeof(vec));
          else
            acc[r][s][c] = vec{};
        }
    for (std::size_t p = 0; p < H; ++p) {
      const T* x0 = xp + p * Wp * C;  // padded rows p .. p + 2 meet output row p
      const T* d = dy + p * W * K + k;
      vec g[S] = {};
      for (std::size_t j = 0; j < Wp; ++j) {
        g[2] = g[1];
        g[1] = g[0];
        if (j < W)
          std::memcpy(&g[0], d + j * K, sizeof(vec));
        else
          g[0] = vec{};
#pragma GCC unroll 3
        for (std::size_t r = 0; r < 3; ++r)
#pragma GCC unroll 3
          for (std::size_t c = 0; c < C; ++c) {
            const T a = x0[(r * Wp + j) * C + c];
#pragma GCC unroll 3
            for (std::size_t s = 0; s < S; ++s) acc[r][s][c] += a * g[s];
          }
      }
    }
#pragma GCC unroll 3
    for (std::size_t r = 0; r < 3; ++r)
#pragma GCC unroll 3
      for (std::size_t s = 0; s < S; ++s)
#pragma GCC unroll 3
        for (std::size_t c = 0; c < C; ++c)
          std::memcpy(dw + ((r * S + s) * C + c) * K + k, &acc[r][s][c], sizeof(vec));
  }
}

/// Whether backward-filter takes narrow_filter_image: 3x3, padding 1, 1 to 3
/// input channels, K whole vectors, with AVX-512's 32 registers (27
/// accumulators at 3 channels; not built for AVX2's 16).
template <class T>
bool plan_narrow_filter(std::size_t R, std::size_t pad, std::size_t C, std::size_t K) {
  return accumulator_registers >= 24 && R == 3 && pad == 1 && C >= 1 && C <= 3 && K % vector_lanes<T> == 0;
}

/// narrow_filter_image with the channel count as a template argument.
template <class T>
void narrow_filter_image(const T* xp, std::size_t H, std::size_t W, std::size_t C, const T* dy, std::size_t K,
                         T* dw, bool accumulate) {
  if (C == 3)
    narrow_filter_image<T, 3>(xp, H, W, dy, K, dw, accumulate);
  else if (C == 2)
    narrow_filter_image<T, 2>(xp, H, W, dy, K, dw, accumulate);
  else
    narrow_filter_image<T, 1>(xp, H, W, dy, K, dw, accumulate);
}

}  // namespace sjmt::detail::cpu
