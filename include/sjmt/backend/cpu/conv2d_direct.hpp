#pragma once
// Convolutions on the CPU without an im2col buffer, NHWC.
//
// Each image is copied once into a zero-padded buffer xp (H + 2 pad, W + 2 pad,
// C), or read where it lies when pad is 0 (padded_image). In NHWC the R S C values that output
// pixel (p, q) reads are then R contiguous segments of S C floats: segment r starts at xp(p + r, q,
// 0) (with stride u: at xp(u p + r, u q, 0)). The kernel reads A through those segments (a "segment
// walk") straight from xp, with a (rows x vectors) tile of the result in registers as gemm.hpp
// does, so the 9x im2col copy and its cache traffic disappear.
//
//   forward:         y(p, q, :)   = sum_r sum_j xp(p + r, q, j) W(r, j, :),  j = (s, c)
//   backward-data:   stride 1: the forward of the padded dy with the flipped, transposed
//                    filter W'(r, s, k, c) = W(R-1-r, S-1-s, c, k), pad' = R-1-pad;
//                    stride S >= 2: S^2 such walks, one per class of dx pixels
//                    (conv2d_backward_data_strided)
//   backward-filter: dW(r, j, :)  = sum_p sum_q xp(p + r, q, j) dy(p, q, :)
//                    (segments are the P image rows of the output)
// All three take any stride.
//
// 3x3 stride-1 padding-1 layers take the tap kernels of conv2d_tap.hpp
// instead (no padded copy, 3 FMAs per input load): forward and backward-data
// on AVX-512 and AVX2, backward-filter on AVX-512; on both, all three
// passes of those with a multiple of 16 channels and sides a multiple of 4
// take Winograd F(4x4, 3x3) (conv2d_winograd4x4.hpp, plan_winograd4x4 and
// plan_winograd4x4_filter), and those with 32, 64, ... channels F(2x2, 3x3)
// otherwise (conv2d_winograd.hpp, plan_winograd); rows whose
// A addresses are evenly spaced take segment_tile with a compile-time Spacing (one base register).

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <vector>

#include "../../tensor/host_tensor.hpp"
#include "../conv2d_geometry.hpp"
#include "batch_norm.hpp"
#include "conv2d_tap.hpp"
#include "conv2d_winograd.hpp"
#include "conv2d_winograd4x4.hpp"
#include "gemm.hpp"
#include "parallel.hpp"
#include "scratch.hpp"

namespace sjmt::detail::cpu {

/// A(i, t, d) = a_i[t * a_stride + d * depth_stride] and
/// B(t, d) = row t * b_stride + d of B, for t < count, d < length.
struct segment_walk {
  std::size_t count, length, a_stride, b_stride, depth_stride;
  std::size_t first = 0;  // segments first .. first + count - 1
};

/// c_i[0, Vectors L) (+)= sum_t sum_d A(i, t, d) B(t, d), for the `rows` rows
/// of a tile; rows past `rows` re-read the last row and are not stored.
///
/// Spacing > 0: the rows are regular, row r reads a[0] + r * Spacing (and
/// rows == Rows). With Spacing known to the compiler every A load is one base
/// register plus a constant displacement; with Spacing == 0 the tile keeps one
/// pointer per row, and 12-24 row pointers do not fit in x86's 16 general
/// registers (measured: the 24 x 1 tile of 16-channel layers ran at half the
/// speed of the 12 x 2 tile, bench_ops, AVX-512).
template <class T, int Rows, int Vectors, std::size_t Spacing = 0>
void segment_tile(const T* const* a, std::size_t rows, const segment_walk& w, const T* b,
                  std::size_t ldb, T* const* c, bool accumulate) {
  using vec = typename simd_vector<T>::type;
  constexpr std::size_t L = vector_lanes<T>;
  constexpr int pointers = Spacing == 0 ? Rows : 1;
  const T* arow[pointers];
  for (int r = 0; r < pointers; ++r)
    arow[r] = a[std::min<std::size_t>(static_cast<std::size_t>(r), rows - 1)];
  vec acc[Rows][Vectors];
#pragma GCC unroll 32
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
#pragma GCC unroll 32
      for (int r = 0; r < Rows; ++r) {
        T av;
        if constexpr (Spacing == 0)
          av = arow[r][ad];
        else
          av = arow[0][ad + static_cast<std::size_t>(r) * Spacing];
#pragma GCC unroll 4
        for (int v = 0; v < Vectors; ++v) acc[r][v] += av * bv[v];
      }
    }
  }
  for (std::size_t r = 0; r < rows && r < static_cast<std::size_t>(Rows); ++r)
    for (int v = 0; v < Vectors; ++v)
      std::memcpy(c[r] + static_cast<std::size_t>(v) * L, &acc[r][v], sizeof(vec));
}

/// How the rows of a segment GEMM are laid out: in runs of `length` rows in
/// which row i + 1 reads A `spacing` elements after row i (length 0: no
/// structure known). Forward: the Q pixels of an output row, spacing stride C;
/// backward-filter: the S C (s, c) rows of one r, spacing 1; strided backward-data:
/// the pixels of one row of a dx class, spacing K.
struct row_runs {
  std::size_t length = 0, spacing = 0;
};

/// The row spacings the regular segment_tile is compiled for: 1 (backward-filter) and the
/// 16/32/64 channels of ResNet-CIFAR's stages.
constexpr bool regular_spacing(std::size_t spacing) {
  return spacing == 1 || spacing == 16 || spacing == 32 || spacing == 64;
}

template <class T, int Rows, int Vectors>
void regular_tile_spaced(const T* const* a, std::size_t spacing, const segment_walk& w, const T* b,
                         std::size_t ldb, T* const* c, bool accumulate) {
  switch (spacing) {
    case 1:
      segment_tile<T, Rows, Vectors, 1>(a, Rows, w, b, ldb, c, accumulate);
      break;
    case 16:
      segment_tile<T, Rows, Vectors, 16>(a, Rows, w, b, ldb, c, accumulate);
      break;
    case 32:
      segment_tile<T, Rows, Vectors, 32>(a, Rows, w, b, ldb, c, accumulate);
      break;
    case 64:
      segment_tile<T, Rows, Vectors, 64>(a, Rows, w, b, ldb, c, accumulate);
      break;
    default:
      assert(false && "regular_spacing admits 1, 16, 32 or 64");
      break;
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
  constexpr int block = accumulator_registers / Vectors;
  static_assert(block <= 32, "tile row pointers: ct below holds 32");
  T* ct[32];
  const bool regular = runs.length > 0 && rows % runs.length == 0 && regular_spacing(runs.spacing);
  const int tile = regular ? regular_rows<Vectors>(runs.length) : 0;
  if (tile > 0) {
    const auto n = static_cast<std::size_t>(tile);
    for (std::size_t r0 = 0; r0 < rows; r0 += n) {
      for (std::size_t r = 0; r < n; ++r) ct[r] = c[r0 + r] + col;
      switch (tile) {
        case 16:
          regular_tile_spaced<T, 16, Vectors>(a + r0, runs.spacing, w, b + col, ldb, ct, accumulate);
          break;
        case 12:
          regular_tile_spaced<T, 12, Vectors>(a + r0, runs.spacing, w, b + col, ldb, ct, accumulate);
          break;
        case 8:
          regular_tile_spaced<T, 8, Vectors>(a + r0, runs.spacing, w, b + col, ldb, ct, accumulate);
          break;
        default:
          regular_tile_spaced<T, 6, Vectors>(a + r0, runs.spacing, w, b + col, ldb, ct, accumulate);
          break;
      }
    }
    return;
  }
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

/// One image (H, W, C) with a zero border of `pad`: the image itself where pad is 0 (a
/// copy would only cost: a 1x1 stride-2 layer reads a quarter of the pixels it copied),
/// else a padded copy in the calling thread's buffer (pad_image).
template <class T>
const T* padded_image(scratch& ws, const T* image, std::size_t H, std::size_t W, std::size_t C,
                      std::size_t pad) {
  if (pad == 0) return image;
  T* xp = ws.per_thread<T>((H + 2 * pad) * (W + 2 * pad) * C);
  pad_image(image, H, W, C, pad, xp);
  return xp;
}

/// Which kernels a 3x3 stride-1 layer may take: the plan's (Winograd where
/// plan_winograd admits it), or the direct ones only.
enum class conv_algorithm { planned, direct };

/// What a forward convolution applies to its output while the output is still
/// in cache, per output channel k: y = acc scale[k] + shift[k] (+ z) and then
/// max(., 0) when relu. With scale and shift from a batch norm's running
/// statistics this is that batch norm folded into the convolution, with the
/// residual z and the ReLU of a residual block (inference: one memory pass
/// over the activation fewer per layer). y is the output's base; z, when not
/// null, has the output's shape and is read at the same offsets.
template <class T>
struct conv_epilogue {
  const T* scale = nullptr;
  const T* shift = nullptr;
  const T* z = nullptr;
  bool relu = false;
  T* y = nullptr;
};

/// Applies ep to the `pixels` x K outputs at out (inside ep.y).
template <class T>
void apply_epilogue(const conv_epilogue<T>& ep, T* out, std::size_t pixels, std::size_t K) {
  const T* z = ep.z ? ep.z + (out - ep.y) : nullptr;
  for (std::size_t p = 0; p < pixels; ++p)
    affine_row(out + p * K, z ? z + p * K : nullptr, ep.scale, ep.shift, K, ep.relu, out + p * K);
}

/// y (N, P, Q, K) = conv(x (N, H, W, C), w (R, R, C, K)) with stride and padding pad,
/// then ep (when not null) on each output row (tap tiles, in L1) or image (the
/// segment walk, in L2; a thread's rows of it when images are shared) as soon
/// as it is computed.
///
/// Threads: the tap tiles split the N P output rows evenly (static), so that a
/// batch smaller than the team, one image at deployment, keeps every thread
/// busy. The segment walk splits images, whose row tiles then reuse each slice
/// of the filter across the whole image while it is in L1; only when the batch
/// is smaller than the team does every thread pad each image and take a share
/// of its rows.
/// `algorithm`: conv_algorithm::direct keeps 3x3 layers off Winograd (the
/// tests compare the two).
/// Requires direct_conv_fits<T>(g, C, K); shapes are checked by the caller.
template <class T>
void conv2d_forward_direct(scratch& ws, std::size_t pad, std::size_t R, std::size_t stride, const T* x,
                           const shape4& xs, const T* w, std::size_t K, T* y,
                           const conv_epilogue<T>* ep = nullptr, conv_algorithm algorithm = conv_algorithm::planned) {
  const std::size_t N = xs[0], H = xs[1], W = xs[2], C = xs[3];
  const std::size_t Hp = H + 2 * pad, Wp = W + 2 * pad, P = (Hp - R) / stride + 1,
                    Q = (Wp - R) / stride + 1;
  const auto epilogue = [&](std::size_t row0, std::size_t rows) {
    if (ep) apply_epilogue(*ep, y + row0 * Q * K, rows * Q, K);
  };
  if (stride == 1 && algorithm == conv_algorithm::planned && plan_winograd4x4<T>(R, pad, C, K, N, H, W)) {
    conv2d_forward_winograd4x4(ws, x, xs, w, K, y, epilogue);
    return;
  }
  if (stride == 1 && algorithm == conv_algorithm::planned && plan_winograd<T>(R, pad, C, K, N * H * W)) {
    conv2d_forward_winograd(ws, x, xs, w, K, y, epilogue);
    return;
  }
  const bool threaded = worth_threads(N * P * Q * (R * R * C + K));
  const tap_plan tap = stride == 1 ? plan_tap_tiles<T>(R, pad, C, K, W) : tap_plan{};
  if (tap.vectors > 0) {  // reads x itself: no padded copy
    const auto rows = static_cast<std::ptrdiff_t>(N * P);
#pragma omp parallel for schedule(static) if (threaded)
    for (std::ptrdiff_t np = 0; np < rows; ++np) {
      const std::size_t n = static_cast<std::size_t>(np) / P, p = static_cast<std::size_t>(np) % P;
      T* row = y + static_cast<std::size_t>(np) * Q * K;
      tap_output_row(tap, x + n * H * W * C, H, W, C, p, w, K, row);
      if (ep) apply_epilogue(*ep, row, Q, K);
    }
    return;
  }
  const segment_walk walk{R, R * C, Wp * C, R * C, 1};
  const bool share_images = threaded && N < static_cast<std::size_t>(omp_get_max_threads());
  ws.prepare();
#pragma omp parallel if (threaded)
  {
    std::vector<const T*> a(P * Q);  // the segment walk's row pointers
    std::vector<T*> c(a.size());
    // Output rows [p0, p1) of image n, from this thread's padded copy of it (or itself, pad 0).
    const auto walk_rows = [&](std::size_t n, std::size_t p0, std::size_t p1) {
      const T* xp = padded_image(ws, x + n * H * W * C, H, W, C, pad);
      for (std::size_t p = p0; p < p1; ++p)
        for (std::size_t q = 0; q < Q; ++q) {
          a[(p - p0) * Q + q] = xp + (p * Wp + q) * stride * C;
          c[(p - p0) * Q + q] = y + ((n * P + p) * Q + q) * K;
        }
      segment_gemm(a.data(), c.data(), (p1 - p0) * Q, walk, w, K, false, row_runs{Q, stride * C});
      if (ep) apply_epilogue(*ep, y + (n * P + p0) * Q * K, (p1 - p0) * Q, K);
    };
    if (share_images) {  // each thread its share of every image's rows; no barrier between images
      const auto t = static_cast<std::size_t>(omp_get_thread_num()),
                 team = static_cast<std::size_t>(omp_get_num_threads());
      const std::size_t p0 = P * t / team, p1 = P * (t + 1) / team;
      for (std::size_t n = 0; n < N && p0 < p1; ++n) walk_rows(n, p0, p1);
    } else {
#pragma omp for schedule(static)
      for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(N); ++i) walk_rows(static_cast<std::size_t>(i), 0, P);
    }
  }
}

/// W'(r, s, k, c) = W(R-1-r, R-1-s, c, k): the filter of backward-data as a forward.
/// The result lives in the scratch's shared slot 2.
template <class T>
const T* flipped_filter(scratch& ws, const T* w, std::size_t R, std::size_t C, std::size_t K) {
  T* out = ws.shared<T, 2>(R * R * C * K);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t s = 0; s < R; ++s)
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t k = 0; k < K; ++k)
          out[((r * R + s) * K + k) * C + c] = w[(((R - 1 - r) * R + (R - 1 - s)) * C + c) * K + k];
  return out;
}

// ---- strided backward-data ------------------------------------------------------------------
//
// With stride S >= 2 the pixels of dx fall into S^2 classes by (h mod S, w mod S), and
// each class is a stride-1 convolution of dy with a sub-filter: along one dimension,
// h = S i + a receives the taps r = first + k S (k < count, first = (a + pad) mod S)
// from dy row p = i + offset - k (offset = (a + pad) div S). Ordered by ascending p the
// taps read count consecutive dy rows, and along the other dimension count'
// consecutive dy columns, which in NHWC are count' K contiguous values: one segment
// walk (count segments of count' K) per class, as the forward's, on a padded copy
// of the dy image (dy itself where no class reads past it), each dx pixel written
// once (a class without taps, as the odd pixels of a 1x1 stride-2 layer, is
// written zero). It replaces im2col's R R C-wide dcol rows, the zero fill and the
// col2im scatter.

/// The taps of one dx class along one dimension (above).
struct strided_taps {
  std::size_t first, count, offset;
};

inline strided_taps strided_class(std::size_t a, std::size_t R, std::size_t S, std::size_t pad) {
  const std::size_t first = (a + pad) % S;
  return {first, first < R ? (R - first + S - 1) / S : 0, (a + pad) / S};
}

/// Whether backward-data of g runs as conv2d_backward_data_strided: stride 2 or more,
/// padding below the kernel, dx's C channels whole vectors (the segment GEMM's columns).
template <class T>
bool strided_data_fits(const conv2d_geometry& g, std::size_t C) {
  return g.stride >= 2 && g.pad < g.kernel && C > 0 && narrow_gemm_fits<T>(C);
}

/// dx (N, H, W, C) = the gradient of conv(x, w) (kernel R, stride S >= 2, padding pad <
/// R) with respect to x, from dy (N, P, Q, K) and w (R, R, C, K), class by class
/// (above). Images are split among the threads, or on fewer images than threads
/// their classes; every dx value comes from one fixed sum, so the result does not
/// depend on the thread count. Requires strided_data_fits.
template <class T>
void conv2d_backward_data_strided(scratch& ws, std::size_t pad, std::size_t R, std::size_t S,
                                  const T* dy, const shape4& ys, const T* w, const shape4& xs,
                                  T* dx) {
  const std::size_t N = xs[0], H = xs[1], W = xs[2], C = xs[3], P = ys[1], Q = ys[2], K = ys[3];
  // The classes of each dimension, and the dy border they read past: one zero border
  // as wide as the widest reach before row 0 or past row P - 1 (column 0, Q - 1).
  std::vector<strided_taps> taps(S);
  const auto beyond = [](std::size_t end, std::size_t size) { return end > size ? end - size : 0; };
  std::size_t border = 0;
  for (std::size_t a = 0; a < S; ++a) {
    const strided_taps t = taps[a] = strided_class(a, R, S, pad);
    if (t.count == 0) continue;
    // the first tap of i = 0 reads dy row offset - (count - 1); the last i's reads row
    // (H - 1 - a) / S + offset
    border = std::max(border, beyond(t.count - 1, t.offset));
    if (a < H) border = std::max(border, beyond((H - 1 - a) / S + t.offset + 1, P));
    if (a < W) border = std::max(border, beyond((W - 1 - a) / S + t.offset + 1, Q));
  }
  const std::size_t Wp = Q + 2 * border;
  // Each class's sub-filter B (rows (k, l, kk) of the class's count_h x count_w taps in
  // ascending dy order, C columns), one after another.
  std::vector<std::size_t> at(S * S + 1, 0);
  for (std::size_t cls = 0; cls < S * S; ++cls)
    at[cls + 1] = at[cls] + taps[cls / S].count * taps[cls % S].count * K * C;
  T* sub = ws.shared<T, 2>(std::max<std::size_t>(at[S * S], 1));
  for (std::size_t cls = 0; cls < S * S; ++cls) {
    const strided_taps th = taps[cls / S], tw = taps[cls % S];
    T* b = sub + at[cls];
    for (std::size_t k = 0; k < th.count; ++k)
      for (std::size_t l = 0; l < tw.count; ++l) {
        const std::size_t r = th.first + (th.count - 1 - k) * S,
                          s = tw.first + (tw.count - 1 - l) * S;
        for (std::size_t kk = 0; kk < K; ++kk)
          for (std::size_t c = 0; c < C; ++c)
            b[((k * tw.count + l) * K + kk) * C + c] = w[((r * R + s) * C + c) * K + kk];
      }
  }
  const std::size_t items = N * S * S;
  ws.prepare();
  const std::size_t work = N * P * Q * K * R * R * C / (S * S) + N * H * W * C;
#pragma omp parallel if (worth_threads(work) && items > 1)
  {
    const std::size_t most = ((H + S - 1) / S) * ((W + S - 1) / S);
    std::vector<const T*> a(most);
    std::vector<T*> c(most);
    const T* dyp = nullptr;
    std::size_t padded = N;  // the image in dyp
#pragma omp for schedule(static)
    for (std::ptrdiff_t it = 0; it < static_cast<std::ptrdiff_t>(items); ++it) {
      const std::size_t n = static_cast<std::size_t>(it) / (S * S),
                        cls = static_cast<std::size_t>(it) % (S * S);
      const std::size_t ah = cls / S, aw = cls % S;
      const strided_taps th = taps[ah], tw = taps[aw];
      if (ah >= H || aw >= W) continue;
      const std::size_t Hc = (H - ah + S - 1) / S, Wc = (W - aw + S - 1) / S;
      T* image = dx + n * H * W * C;
      // whole rows without taps: one contiguous fill each, by the row's first class
      if (th.count == 0) {
        if (aw == 0)
          for (std::size_t i = 0; i < Hc; ++i)
            std::fill_n(image + (S * i + ah) * W * C, W * C, T(0));
        continue;
      }
      if (tw.count == 0) {
        for (std::size_t i = 0; i < Hc; ++i)
          for (std::size_t j = 0; j < Wc; ++j)
            std::fill_n(image + ((S * i + ah) * W + S * j + aw) * C, C, T(0));
        continue;
      }
      if (padded != n) {  // dy itself where the border is 0 (1x1 stride 2)
        dyp = padded_image(ws, dy + n * P * Q * K, P, Q, K, border);
        padded = n;
      }
      // dy row of class row i's first tap: i + offset - (count - 1), + border in dyp (>= 0)
      const std::size_t r0 = border + th.offset + 1 - th.count,
                        c0 = border + tw.offset + 1 - tw.count;
      for (std::size_t i = 0; i < Hc; ++i)
        for (std::size_t j = 0; j < Wc; ++j) {
          a[i * Wc + j] = dyp + ((i + r0) * Wp + j + c0) * K;
          c[i * Wc + j] = image + ((S * i + ah) * W + S * j + aw) * C;
        }
      const segment_walk walk{th.count, tw.count * K, Wp * K, tw.count * K, 1};
      segment_gemm(a.data(), c.data(), Hc * Wc, walk, static_cast<const T*>(sub + at[cls]), C,
                   false, row_runs{Wc, K});
    }
  }
}

/// dw (R, R, C, K) = sum over images of the correlation of x and dy.
/// Partial sums per fixed block of images are added in block order, so the
/// result does not depend on the number of threads.
/// `algorithm` as conv2d_forward_direct's.
template <class T>
void conv2d_backward_filter_direct(scratch& ws, std::size_t pad, std::size_t R, std::size_t stride,
                                   const T* x, const shape4& xs, const T* dy, std::size_t K, T* dw,
                                   conv_algorithm algorithm = conv_algorithm::planned) {
  const std::size_t N = xs[0], H = xs[1], W = xs[2], C = xs[3];
  const std::size_t Hp = H + 2 * pad, Wp = W + 2 * pad, P = (Hp - R) / stride + 1,
                    Q = (Wp - R) / stride + 1;
  if (stride == 1 && algorithm == conv_algorithm::planned && plan_winograd4x4_filter<T>(R, pad, C, K, N, H, W)) {
    conv2d_backward_filter_winograd4x4(ws, x, xs, dy, K, dw);
    return;
  }
  if (stride == 1 && algorithm == conv_algorithm::planned && plan_winograd<T>(R, pad, C, K, N * H * W)) {
    conv2d_backward_filter_winograd(ws, x, xs, dy, K, dw);
    return;
  }
  const std::size_t SC = R * C, size = R * SC * K;
  // Blocks of 8 images from a batch of 32 (the partial sums stay few), smaller
  // ones below, so that a small batch still makes at least 4 blocks for the
  // threads (batch 8: 4 blocks of 2, where one block of 8 left a core idle).
  // The block depends on N only, never on the thread count.
  const std::size_t block = std::clamp<std::size_t>(N / 4, 1, 8);
  const std::size_t blocks = (N + block - 1) / block;
  T* partial = ws.shared<T, 1>(blocks * size);
  // rows i = (s, c) of one r; depth: the P output rows (segments) of Q pixels
  const segment_walk walk{P, Q, stride * Wp * C, Q, stride * C};
  const tap_plan tap = stride == 1 ? plan_tap_filter_tiles<T>(R, pad, C, K) : tap_plan{};
  const bool narrow = stride == 1 && plan_narrow_filter<T>(R, pad, C, K);
  ws.prepare();
#pragma omp parallel if (worth_threads(N * P * Q * (R * SC + K)))
  {
    std::vector<const T*> a(tap.vectors > 0 || narrow ? 0 : SC);  // the segment walk's row pointers
    std::vector<T*> c(a.size());
#pragma omp for schedule(static)
    for (std::ptrdiff_t bi = 0; bi < static_cast<std::ptrdiff_t>(blocks); ++bi) {
      const auto b = static_cast<std::size_t>(bi);
      T* part = partial + b * size;
      for (std::size_t n = b * block; n < std::min(N, (b + 1) * block); ++n) {
        if (tap.vectors > 0) {  // reads x and dy themselves: no padded copies
          tap_filter_image(tap, x + n * H * W * C, H, W, C, dy + n * P * Q * K, K, part,
                           n != b * block);
          continue;
        }
        const T* xp = padded_image(ws, x + n * H * W * C, H, W, C, pad);
        if (narrow) {
          narrow_filter_image(xp, H, W, C, dy + n * P * Q * K, K, part, n != b * block);
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
