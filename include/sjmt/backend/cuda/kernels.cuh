#pragma once
// The CUDA backend's own elementwise, pooling, shortcut, column, dropout, SGD and
// layout kernels, and the definitions of their launchers (cuda/launch.hpp).
// Included through <sjmt/backend/cuda_kernels.cuh> only (nvcc). Grid-stride loops over 64-bit indices; every launch is checked.
// The per-element mathematics comes from backend/rules.hpp, as on the CPU.

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "../rules.hpp"
#include "error.hpp"
#include "launch.hpp"

namespace sjmt::detail::cuda {

constexpr int threads_per_block = 256;

/// Blocks for n elements in a grid-stride loop (at most 16 per multiprocessor of a large card).
inline unsigned blocks_for(std::size_t n) {
  const std::size_t b = (n + threads_per_block - 1) / threads_per_block;
  return static_cast<unsigned>(std::clamp<std::size_t>(b, 1, 132 * 16));
}

#define SJMT_GRID_STRIDE(i, n)                                                                         \
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n);      \
       i += static_cast<std::size_t>(blockDim.x) * gridDim.x)

/// Checks the launch that has just been issued.
#define SJMT_CUDA_LAUNCHED(name) SJMT_CUDA(cudaGetLastError(), "launching ", name)

template <class T>
__global__ void fill_kernel(T* p, std::size_t n, T v) {
  SJMT_GRID_STRIDE(i, n) p[i] = v;
}

template <class T>
__global__ void relu_forward_kernel(const T* x, T* y, std::size_t n) {
  SJMT_GRID_STRIDE(i, n) y[i] = x[i] > T(0) ? x[i] : T(0);
}

template <class T>
__global__ void relu_backward_kernel(const T* y, const T* dy, T* dx, std::size_t n) {
  SJMT_GRID_STRIDE(i, n) dx[i] = y[i] > T(0) ? dy[i] : T(0);
}

template <class T>
__global__ void add_kernel(const T* a, const T* b, T* y, std::size_t n) {
  SJMT_GRID_STRIDE(i, n) y[i] = a[i] + b[i];
}

/// y (N, C) = mean over the HW pixels of x (N, HW, C): one thread per (n, c).
template <class T>
__global__ void global_avg_pool_forward_kernel(const T* x, T* y, std::size_t N, std::size_t HW, std::size_t C) {
  const T inv = T(1) / static_cast<T>(HW);
  SJMT_GRID_STRIDE(i, N * C) {
    const std::size_t n = i / C, c = i % C;
    const T* in = x + n * HW * C + c;
    T s = 0;
    for (std::size_t p = 0; p < HW; ++p) s += in[p * C];
    y[i] = s * inv;
  }
}

template <class T>
__global__ void global_avg_pool_backward_kernel(const T* dy, T* dx, std::size_t N, std::size_t HW, std::size_t C) {
  const T inv = T(1) / static_cast<T>(HW);
  SJMT_GRID_STRIDE(i, N * HW * C) {
    const std::size_t c = i % C, n = i / (HW * C);
    dx[i] = dy[n * C + c] * inv;
  }
}

/// 2x2 stride-2 max pooling, one thread per output element (n, p, q, c).
template <class T>
__global__ void max_pool2_forward_kernel(const T* x, T* y, std::size_t N, std::size_t H, std::size_t W,
                                         std::size_t C) {
  const std::size_t P = H / 2, Q = W / 2;
  SJMT_GRID_STRIDE(i, N * P * Q * C) {
    const std::size_t c = i % C, q = (i / C) % Q, p = (i / (C * Q)) % P, n = i / (C * Q * P);
    const T* a = x + ((n * H + 2 * p) * W + 2 * q) * C + c;
    const T* b = a + W * C;
    // As std::max on the CPU: the first argument unless the second is greater (NaN, signed zeros).
    const T m0 = a[0] < a[C] ? a[C] : a[0];
    const T m1 = b[0] < b[C] ? b[C] : b[0];
    y[i] = m0 < m1 ? m1 : m0;
  }
}

/// Soft-argmax, one thread per (n, map k): the map's max, its softmax (written
/// to p) and the expectation of the cell centres (ops::soft_argmax_forward).
/// Maps are small (H W of the trunk's last stage), so a serial loop per thread is enough.
template <class T>
__global__ void soft_argmax_forward_kernel(const T* z, T* p, T* y, std::size_t N, std::size_t H, std::size_t W,
                                           std::size_t P) {
  SJMT_GRID_STRIDE(i, N * P) {
    const std::size_t n = i / P, k = i % P, cells = H * W;
    const T* in = z + n * cells * P + k;
    T* prob = p + n * cells * P + k;
    T top = in[0];
    for (std::size_t c = 1; c < cells; ++c) top = max(top, in[c * P]);
    T sum = 0;
    for (std::size_t c = 0; c < cells; ++c) {
      const T e = exp(in[c * P] - top);
      prob[c * P] = e;
      sum += e;
    }
    const T inv = T(1) / sum;
    T ex = 0, ey = 0;
    for (std::size_t c = 0; c < cells; ++c) {
      const T pc = prob[c * P] * inv;
      prob[c * P] = pc;
      ex += pc * ((static_cast<T>(c % W) + T(0.5)) / static_cast<T>(W));
      ey += pc * ((static_cast<T>(c / W) + T(0.5)) / static_cast<T>(H));
    }
    y[n * 2 * P + 2 * k] = ex;
    y[n * 2 * P + 2 * k + 1] = ey;
  }
}

/// dz = p ((gx - y_x) dy_x + (gy - y_y) dy_y), one thread per element of dz.
template <class T>
__global__ void soft_argmax_backward_kernel(const T* p, const T* y, const T* dy, T* dz, std::size_t N, std::size_t H,
                                            std::size_t W, std::size_t P) {
  SJMT_GRID_STRIDE(i, N * H * W * P) {
    const std::size_t k = i % P, c = (i / P) % (H * W), n = i / (P * H * W);
    const std::size_t o = n * 2 * P + 2 * k;
    const T gx = (static_cast<T>(c % W) + T(0.5)) / static_cast<T>(W);
    const T gy = (static_cast<T>(c / W) + T(0.5)) / static_cast<T>(H);
    dz[i] = p[i] * ((gx - y[o]) * dy[o] + (gy - y[o + 1]) * dy[o + 1]);
  }
}

/// The gradient goes to the first element of each window equal to its maximum (as the CPU's).
template <class T>
__global__ void max_pool2_backward_kernel(const T* x, const T* y, const T* dy, T* dx, std::size_t N, std::size_t H,
                                          std::size_t W, std::size_t C) {
  const std::size_t P = H / 2, Q = W / 2;
  SJMT_GRID_STRIDE(i, N * P * Q * C) {
    const std::size_t c = i % C, q = (i / C) % Q, p = (i / (C * Q)) % P, n = i / (C * Q * P);
    const std::size_t w0 = ((n * H + 2 * p) * W + 2 * q) * C + c;
    const std::size_t window[4] = {w0, w0 + C, w0 + W * C, w0 + W * C + C};
    bool taken = false;
    for (int k = 0; k < 4; ++k) {
      const bool hit = !taken && x[window[k]] == y[i];
      dx[window[k]] = hit ? dy[i] : T(0);
      taken = taken || hit;
    }
  }
}

/// The zero-padded shortcut, one thread per output element (n, p, q, k).
template <class T>
__global__ void subsample_pad_forward_kernel(const T* x, T* y, std::size_t N, std::size_t H, std::size_t W,
                                             std::size_t C, std::size_t P, std::size_t Q, std::size_t K,
                                             std::size_t stride) {
  SJMT_GRID_STRIDE(i, N * P * Q * K) {
    const std::size_t k = i % K, q = (i / K) % Q, p = (i / (K * Q)) % P, n = i / (K * Q * P);
    y[i] = k < C ? x[((n * H + stride * p) * W + stride * q) * C + k] : T(0);
  }
}

/// Its transpose, one thread per input element (n, h, w, c): no two threads write one place.
template <class T>
__global__ void subsample_pad_backward_kernel(const T* dy, T* dx, std::size_t N, std::size_t H, std::size_t W,
                                              std::size_t C, std::size_t P, std::size_t Q, std::size_t K,
                                              std::size_t stride) {
  SJMT_GRID_STRIDE(i, N * H * W * C) {
    const std::size_t c = i % C, w = (i / C) % W, h = (i / (C * W)) % H, n = i / (C * W * H);
    dx[i] = h % stride == 0 && w % stride == 0 ? dy[((n * P + h / stride) * Q + w / stride) * K + c] : T(0);
  }
}

template <class T>
__global__ void gather_columns_kernel(const T* x, const std::int32_t* index, T* y, std::size_t N, std::size_t W,
                                      std::size_t k) {
  SJMT_GRID_STRIDE(i, N * k) {
    const std::size_t n = i / k, j = i % k;
    y[i] = x[n * W + static_cast<std::size_t>(index[j])];
  }
}

template <class T>
__global__ void scatter_columns_kernel(const T* x, const std::int32_t* index, T* y, std::size_t N, std::size_t W,
                                       std::size_t k) {
  SJMT_GRID_STRIDE(i, N * k) {
    const std::size_t n = i / k, j = i % k;
    y[n * W + static_cast<std::size_t>(index[j])] = x[i];
  }
}

template <class T>
__global__ void dropout_forward_kernel(const T* x, T* mask, T* y, std::size_t n, std::uint64_t key,
                                       std::uint64_t threshold, T keep) {
  SJMT_GRID_STRIDE(i, n) {
    const T m = dropout_mask(key, static_cast<std::uint64_t>(i), threshold, keep);
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

template <class T>
__global__ void multiply_kernel(const T* a, const T* b, T* y, std::size_t n) {
  SJMT_GRID_STRIDE(i, n) y[i] = a[i] * b[i];
}

/// A matrix of rows x cols, row-major, transposed: out (cols x rows). Used to
/// move filters between sjmt's (R, S, C, K) and cuDNN's (K, R, S, C).
template <class T>
__global__ void transpose_kernel(const T* in, T* out, std::size_t rows, std::size_t cols) {
  SJMT_GRID_STRIDE(i, rows * cols) {
    const std::size_t r = i / cols, c = i % cols;
    out[c * rows + r] = in[i];
  }
}

/// y (N, Out) = b broadcast over the rows (the linear layer's GEMM then adds x w).
template <class T>
__global__ void broadcast_rows_kernel(const T* b, T* y, std::size_t N, std::size_t out) {
  SJMT_GRID_STRIDE(i, N * out) y[i] = b[i % out];
}

/// db (Out) = the column sums of dy (N, Out), one thread per column, in row order.
template <class T>
__global__ void column_sums_kernel(const T* dy, T* db, std::size_t N, std::size_t out) {
  SJMT_GRID_STRIDE(j, out) {
    double s = 0;
    for (std::size_t n = 0; n < N; ++n) s += static_cast<double>(dy[n * out + j]);
    db[j] = static_cast<T>(s);
  }
}

// ---- SGD ----

/// blockIdx.y picks the tensor; the learning rate is read from device memory,
/// so a captured graph of this launch follows the schedule without re-capture.
template <class T>
__global__ void sgd_kernel(sgd_batch<T> batch, const T* lr, T momentum) {
  if (static_cast<int>(blockIdx.y) >= batch.count) return;
  const sgd_tensor<T> s = batch.t[blockIdx.y];
  const T rate = *lr;
  SJMT_GRID_STRIDE(i, s.n) sgd_element(s.w[i], s.g[i], s.v[i], rate, momentum, s.weight_decay);
}

// ---- launchers ----

#define SJMT_LAUNCH(kernel, n, ...)                                                                  \
  do {                                                                                               \
    if ((n) == 0) return;                                                                            \
    kernel<<<blocks_for(n), threads_per_block, 0, stream>>>(__VA_ARGS__);                            \
    SJMT_CUDA_LAUNCHED(#kernel);                                                                     \
  } while (0)

template <class T>
void fill(cudaStream_t stream, T* p, std::size_t n, T v) {
  SJMT_LAUNCH(fill_kernel<T>, n, p, n, v);
}
template <class T>
void relu_forward(cudaStream_t stream, const T* x, T* y, std::size_t n) {
  SJMT_LAUNCH(relu_forward_kernel<T>, n, x, y, n);
}
template <class T>
void relu_backward(cudaStream_t stream, const T* y, const T* dy, T* dx, std::size_t n) {
  SJMT_LAUNCH(relu_backward_kernel<T>, n, y, dy, dx, n);
}
template <class T>
void add(cudaStream_t stream, const T* a, const T* b, T* y, std::size_t n) {
  SJMT_LAUNCH(add_kernel<T>, n, a, b, y, n);
}
template <class T>
void multiply(cudaStream_t stream, const T* a, const T* b, T* y, std::size_t n) {
  SJMT_LAUNCH(multiply_kernel<T>, n, a, b, y, n);
}
template <class T>
void global_avg_pool_forward(cudaStream_t stream, const T* x, T* y, std::size_t N, std::size_t HW, std::size_t C) {
  SJMT_LAUNCH(global_avg_pool_forward_kernel<T>, N * C, x, y, N, HW, C);
}
template <class T>
void global_avg_pool_backward(cudaStream_t stream, const T* dy, T* dx, std::size_t N, std::size_t HW, std::size_t C) {
  SJMT_LAUNCH(global_avg_pool_backward_kernel<T>, N * HW * C, dy, dx, N, HW, C);
}
template <class T>
void max_pool2_forward(cudaStream_t stream, const T* x, T* y, std::size_t N, std::size_t H, std::size_t W,
                       std::size_t C) {
  SJMT_LAUNCH(max_pool2_forward_kernel<T>, N * (H / 2) * (W / 2) * C, x, y, N, H, W, C);
}
template <class T>
void max_pool2_backward(cudaStream_t stream, const T* x, const T* y, const T* dy, T* dx, std::size_t N, std::size_t H,
                        std::size_t W, std::size_t C) {
  SJMT_LAUNCH(max_pool2_backward_kernel<T>, N * (H / 2) * (W / 2) * C, x, y, dy, dx, N, H, W, C);
}
template <class T>
void soft_argmax_forward(cudaStream_t stream, const T* z, T* p, T* y, std::size_t N, std::size_t H, std::size_t W,
                         std::size_t P) {
  SJMT_LAUNCH(soft_argmax_forward_kernel<T>, N * P, z, p, y, N, H, W, P);
}
template <class T>
void soft_argmax_backward(cudaStream_t stream, const T* p, const T* y, const T* dy, T* dz, std::size_t N,
                          std::size_t H, std::size_t W, std::size_t P) {
  SJMT_LAUNCH(soft_argmax_backward_kernel<T>, N * H * W * P, p, y, dy, dz, N, H, W, P);
}
template <class T>
void subsample_pad_forward(cudaStream_t stream, const T* x, T* y, std::size_t N, std::size_t H, std::size_t W,
                           std::size_t C, std::size_t P, std::size_t Q, std::size_t K, std::size_t stride) {
  SJMT_LAUNCH(subsample_pad_forward_kernel<T>, N * P * Q * K, x, y, N, H, W, C, P, Q, K, stride);
}
template <class T>
void subsample_pad_backward(cudaStream_t stream, const T* dy, T* dx, std::size_t N, std::size_t H, std::size_t W,
                            std::size_t C, std::size_t P, std::size_t Q, std::size_t K, std::size_t stride) {
  SJMT_LAUNCH(subsample_pad_backward_kernel<T>, N * H * W * C, dy, dx, N, H, W, C, P, Q, K, stride);
}
template <class T>
void gather_columns(cudaStream_t stream, const T* x, const std::int32_t* index, T* y, std::size_t N, std::size_t W,
                    std::size_t k) {
  SJMT_LAUNCH(gather_columns_kernel<T>, N * k, x, index, y, N, W, k);
}
template <class T>
void scatter_columns(cudaStream_t stream, const T* x, const std::int32_t* index, T* y, std::size_t N, std::size_t W,
                     std::size_t k) {
  SJMT_LAUNCH(scatter_columns_kernel<T>, N * k, x, index, y, N, W, k);
}
template <class T>
void dropout_forward(cudaStream_t stream, const T* x, T* mask, T* y, std::size_t n, std::uint64_t key,
                     std::uint64_t threshold, T keep) {
  SJMT_LAUNCH(dropout_forward_kernel<T>, n, x, mask, y, n, key, threshold, keep);
}
template <class T>
void transpose(cudaStream_t stream, const T* in, T* out, std::size_t rows, std::size_t cols) {
  SJMT_LAUNCH(transpose_kernel<T>, rows * cols, in, out, rows, cols);
}
template <class T>
void broadcast_rows(cudaStream_t stream, const T* b, T* y, std::size_t N, std::size_t out) {
  SJMT_LAUNCH(broadcast_rows_kernel<T>, N * out, b, y, N, out);
}
template <class T>
void column_sums(cudaStream_t stream, const T* dy, T* db, std::size_t N, std::size_t out) {
  SJMT_LAUNCH(column_sums_kernel<T>, out, dy, db, N, out);
}
template <class T>
void sgd(cudaStream_t stream, const sgd_batch<T>& batch, const T* lr, T momentum) {
  std::size_t largest = 0;
  for (int i = 0; i < batch.count; ++i) largest = std::max(largest, batch.t[i].n);
  if (largest == 0) return;
  const dim3 grid(std::min(blocks_for(largest), 64u), static_cast<unsigned>(batch.count));
  sgd_kernel<T><<<grid, threads_per_block, 0, stream>>>(batch, lr, momentum);
  SJMT_CUDA_LAUNCHED("sgd_kernel");
}

}  // namespace sjmt::detail::cuda
