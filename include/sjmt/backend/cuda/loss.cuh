#pragma once
// The selective loss family on the GPU (backend/loss_plan.hpp): value and
// gradient in one pass, the selection taken from the domain index, the plan's
// tables and the known-mask (no dense mask tensor), and a deterministic
// reduction (fixed blocks, each summed in double in a fixed order, then the
// blocks' sums added in order by one block). Included by cuda_backend.hpp only.
//
// A pass has two parts over the same grid: every entry (r, c) for sigmoid
// cross-entropy, then every row of every segment active for its domain
// (softmax or regression, backend/rules.hpp). An entry's gradient is written
// by exactly one of them: by its segment where one is active, else by the
// entry part (0 where nothing trains it), as on the CPU.

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "../rules.hpp"
#include "kernels.cuh"
#include "launch.hpp"

namespace sjmt::detail::cuda {

/// The sum over the block's threads of one double each, in a fixed tree; valid in thread 0.
__device__ inline double block_sum(double v) {
  __shared__ double s[threads_per_block];
  s[threadIdx.x] = v;
  __syncthreads();
  for (unsigned w = threads_per_block / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) s[threadIdx.x] += s[threadIdx.x + w];
    __syncthreads();
  }
  return s[0];
}

/// out[blockIdx.x] = block_sum(v).
__device__ inline void block_sum_to(double v, double* out) {
  const double total = block_sum(v);
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}

/// partial[b] = number of entries the plan trains in block b's share of the rows.
template <class T>
__global__ void loss_selected_kernel(device_loss_plan<T> p, std::size_t rows, const std::int32_t* domains,
                                     const std::uint8_t* known, double* partial) {
  const std::size_t W = p.width;
  double count = 0;
  SJMT_GRID_STRIDE(i, rows * W) {
    const std::size_t r = i / W, c = i % W, d = static_cast<std::size_t>(domains[r]);
    count += p.missing_as_negative || (p.annotated[d * W + c] && (!known || known[i]));
  }
  block_sum_to(count, partial);
}

/// scale_out = 1 / (selected entries), 0 when none; from loss_selected_kernel's partial sums (one block).
template <class T>
__global__ void loss_mean_scale_kernel(const double* partial, unsigned blocks, T* scale_out) {
  double total = 0;
  for (unsigned b = threadIdx.x; b < blocks; b += blockDim.x) total += partial[b];
  const double n = block_sum(total);
  if (threadIdx.x == 0) *scale_out = n > 0 ? static_cast<T>(1.0 / n) : T(0);
}

template <class T>
__global__ void loss_kernel(device_loss_plan<T> p, std::size_t rows, const T* logits, const T* targets,
                            const std::int32_t* domains, const std::uint8_t* known, T* grad, T scale_value,
                            const T* scale_ptr, double* partial) {
  const std::size_t W = p.width;
  const T scale = scale_ptr ? *scale_ptr : scale_value;
  double total = 0;
  SJMT_GRID_STRIDE(i, rows * W) {
    const std::size_t r = i / W, c = i % W, d = static_cast<std::size_t>(domains[r]);
    const bool is_known = !known || known[i];
    bool selected;
    T y = targets[i];
    if (p.missing_as_negative) {
      selected = true;
      if (!(p.annotated[d * W + c] && is_known)) y = T(0);
    } else {
      selected = p.bce_mask[d * W + c] != T(0) && is_known;
    }
    loss_term<T> t{T(0), T(0)};
    if (selected) {
      t = sigmoid_bce_term<T>(logits[i], y, p.pos_weight ? p.pos_weight[c] : T(1));
      total += static_cast<double>(t.loss);
    }
    if (grad && !p.in_active_segment[d * W + c]) grad[i] = selected ? scale * t.grad : T(0);
  }
  for (std::size_t s = 0; s < p.num_segments; ++s) {
    const std::uint32_t begin = p.segment_range[3 * s], end = p.segment_range[3 * s + 1],
                        rule = p.segment_range[3 * s + 2];
    const std::size_t k = end - begin;
    SJMT_GRID_STRIDE(r, rows) {
      const std::size_t d = static_cast<std::size_t>(domains[r]);
      if (!p.segment_active[s * p.num_domains + d]) continue;
      const std::size_t at = r * W + begin;
      const std::uint8_t* a = p.annotated + d * W + begin;
      const std::uint8_t* kn = known ? known + at : nullptr;
      const auto selected = [a, kn](std::size_t j) { return a[j] && (!kn || kn[j]); };
      T* g = grad ? grad + at : nullptr;
      if (rule == 0) {
        total += softmax_segment<T>(logits + at, targets + at, selected, g, k, scale);
      } else {
        for (std::size_t j = 0; j < k; ++j) {
          if (!selected(j)) {
            if (g) g[j] = T(0);
            continue;
          }
          const loss_term<T> t = regression_term<T>(logits[at + j] - targets[at + j], rule == 2,
                                                    p.segment_wing[2 * s], p.segment_wing[2 * s + 1]);
          total += static_cast<double>(t.loss);
          if (g) g[j] = scale * t.grad;
        }
      }
    }
  }
  block_sum_to(total, partial);
}

/// *value = scale * (the blocks' sums: a fixed stride per thread, then block_sum's tree); one block.
template <class T>
__global__ void loss_total_kernel(const double* partial, unsigned blocks, T scale_value, const T* scale_ptr, T* value) {
  double total = 0;
  for (unsigned b = threadIdx.x; b < blocks; b += blockDim.x) total += partial[b];
  const double sum = block_sum(total);
  if (threadIdx.x == 0) {
    const T scale = scale_ptr ? *scale_ptr : scale_value;
    *value = static_cast<T>(sum * static_cast<double>(scale));
  }
}

// ---- launcher ----

unsigned loss_blocks(std::size_t entries) { return blocks_for(entries); }

template <class T>
void loss(cudaStream_t stream, const device_loss_plan<T>& p, std::size_t rows, const T* logits, const T* targets,
          const std::int32_t* domains, const std::uint8_t* known, T* grad, T* value, T scale, double* partial) {
  if (rows == 0) {
    SJMT_CUDA(cudaMemsetAsync(value, 0, sizeof(T), stream));
    return;
  }
  const unsigned blocks = loss_blocks(rows * p.width);
  T* scale_ptr = nullptr;
  if (p.mean_over_selected) {
    scale_ptr = reinterpret_cast<T*>(partial + blocks + 2);
    loss_selected_kernel<T><<<blocks, threads_per_block, 0, stream>>>(p, rows, domains, known, partial);
    SJMT_CUDA_LAUNCHED("loss_selected_kernel");
    loss_mean_scale_kernel<T><<<1, threads_per_block, 0, stream>>>(partial, blocks, scale_ptr);
    SJMT_CUDA_LAUNCHED("loss_mean_scale_kernel");
  }
  loss_kernel<T><<<blocks, threads_per_block, 0, stream>>>(p, rows, logits, targets, domains, known, grad, scale,
                                                           scale_ptr, partial);
  SJMT_CUDA_LAUNCHED("loss_kernel");
  loss_total_kernel<T><<<1, threads_per_block, 0, stream>>>(partial, blocks, scale, scale_ptr, value);
  SJMT_CUDA_LAUNCHED("loss_total_kernel");
}

}  // namespace sjmt::detail::cuda
