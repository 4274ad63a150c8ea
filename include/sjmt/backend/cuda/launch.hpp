#pragma once
// The CUDA backend's kernel launchers, declared for host code: the backend
// (cuda_backend.hpp) is ordinary C++ that g++ compiles, and calls these; their
// definitions, with the kernels, are compiled by nvcc in the one translation
// unit that includes <sjmt/backend/cuda_kernels.cuh>, which instantiates them
// for float and double. (The label algebra's class-type template arguments
// are beyond nvcc's front end, so nothing else of sjmt goes through nvcc.)
// Every launcher enqueues on `stream` and checks the launch.

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace sjmt::detail::cuda {

template <class T>
void fill(cudaStream_t stream, T* p, std::size_t n, T v);
template <class T>
void relu_forward(cudaStream_t stream, const T* x, T* y, std::size_t n);
template <class T>
void relu_backward(cudaStream_t stream, const T* y, const T* dy, T* dx, std::size_t n);
template <class T>
void add(cudaStream_t stream, const T* a, const T* b, T* y, std::size_t n);
template <class T>
void multiply(cudaStream_t stream, const T* a, const T* b, T* y, std::size_t n);
template <class T>
void global_avg_pool_forward(cudaStream_t stream, const T* x, T* y, std::size_t N, std::size_t HW, std::size_t C);
template <class T>
void global_avg_pool_backward(cudaStream_t stream, const T* dy, T* dx, std::size_t N, std::size_t HW, std::size_t C);
template <class T>
void max_pool2_forward(cudaStream_t stream, const T* x, T* y, std::size_t N, std::size_t H, std::size_t W,
                       std::size_t C);
template <class T>
void max_pool2_backward(cudaStream_t stream, const T* x, const T* y, const T* dy, T* dx, std::size_t N, std::size_t H,
                        std::size_t W, std::size_t C);
/// Soft-argmax (ops::soft_argmax_forward / _backward): z, p, dz (N, H, W, P); y, dy (N, 1, 1, 2P).
template <class T>
void soft_argmax_forward(cudaStream_t stream, const T* z, T* p, T* y, std::size_t N, std::size_t H, std::size_t W,
                         std::size_t P);
template <class T>
void soft_argmax_backward(cudaStream_t stream, const T* p, const T* y, const T* dy, T* dz, std::size_t N,
                          std::size_t H, std::size_t W, std::size_t P);
/// The zero-padded shortcut (ops::subsample_pad_forward): y (N, P, Q, K) from x (N, H, W, C).
template <class T>
void subsample_pad_forward(cudaStream_t stream, const T* x, T* y, std::size_t N, std::size_t H, std::size_t W,
                           std::size_t C, std::size_t P, std::size_t Q, std::size_t K, std::size_t stride);
/// Its transpose: dx (N, H, W, C) from dy (N, P, Q, K).
template <class T>
void subsample_pad_backward(cudaStream_t stream, const T* dy, T* dx, std::size_t N, std::size_t H, std::size_t W,
                            std::size_t C, std::size_t P, std::size_t Q, std::size_t K, std::size_t stride);
template <class T>
void gather_columns(cudaStream_t stream, const T* x, const std::int32_t* index, T* y, std::size_t N, std::size_t W,
                    std::size_t k);
template <class T>
void scatter_columns(cudaStream_t stream, const T* x, const std::int32_t* index, T* y, std::size_t N, std::size_t W,
                     std::size_t k);
template <class T>
void dropout_forward(cudaStream_t stream, const T* x, T* mask, T* y, std::size_t n, std::uint64_t key,
                     std::uint64_t threshold, T keep);
/// out (cols x rows) = in (rows x cols) transposed, both row-major.
template <class T>
void transpose(cudaStream_t stream, const T* in, T* out, std::size_t rows, std::size_t cols);
/// y (N x out) = b broadcast over the rows.
template <class T>
void broadcast_rows(cudaStream_t stream, const T* b, T* y, std::size_t N, std::size_t out);
/// db (out) = the column sums of dy (N x out).
template <class T>
void column_sums(cudaStream_t stream, const T* dy, T* db, std::size_t N, std::size_t out);

// ---- SGD: many tensors per launch --------------------------------------------------------------

template <class T>
struct sgd_tensor {
  T* w;
  const T* g;
  T* v;
  std::size_t n;
  T weight_decay;
};

constexpr int sgd_tensors_per_launch = 48;

template <class T>
struct sgd_batch {
  sgd_tensor<T> t[sgd_tensors_per_launch];
  int count;
};

/// One launch for up to 48 tensors; the rate is read from device memory (lr).
template <class T>
void sgd(cudaStream_t stream, const sgd_batch<T>& batch, const T* lr, T momentum);

// ---- batch normalisation (NHWC: M rows of C channels) ------------------------------------------

/// Slices of rows for the per-channel sums: partial holds 2 slices C doubles.
std::size_t batch_norm_slices(std::size_t M);

/// y = x scale + shift (+ z), max(., 0) when relu, after computing the batch
/// statistics (saved), the running averages and scale/shift (coeff, 2 C).
template <class T>
void batch_norm_train(cudaStream_t stream, const T* x, const T* z, std::size_t M, std::size_t C, const T* gamma,
                      const T* beta, T momentum, T epsilon, T* running_mean, T* running_var, T* saved_mean,
                      T* saved_invstd, T* y, bool relu, double* partial, T* coeff);
template <class T>
void batch_norm_infer(cudaStream_t stream, const T* x, const T* z, std::size_t M, std::size_t C, const T* gamma,
                      const T* beta, const T* running_mean, const T* running_var, T epsilon, T* y, bool relu,
                      T* coeff);
/// y null: plain batch norm; else the gradient is masked by y > 0 and dz (may be null) receives it.
template <class T>
void batch_norm_backward(cudaStream_t stream, const T* x, const T* y, const T* dy, std::size_t M, std::size_t C,
                         const T* gamma, const T* saved_mean, const T* saved_invstd, T* dx, T* dgamma, T* dbeta,
                         T* dz, double* partial, T* coeff);

// ---- the selective loss family -----------------------------------------------------------------

/// The plan's tables in device memory (pointers into one allocation of the backend).
template <class T>
struct device_loss_plan {
  std::size_t width = 0, num_domains = 0, num_segments = 0;
  const T* bce_mask = nullptr;                      ///< [domain][output]
  const std::uint8_t* annotated = nullptr;          ///< [domain][output]
  const std::uint8_t* in_active_segment = nullptr;  ///< [domain][output]: a segment active for the domain holds it
  const T* pos_weight = nullptr;                    ///< [output], or null
  const std::uint32_t* segment_range = nullptr;     ///< [segment]: begin, end, rule (0 softmax, 1 l2, 2 wing)
  const std::uint8_t* segment_active = nullptr;     ///< [segment][domain]
  const T* segment_wing = nullptr;                  ///< [segment]: the wing loss's width, epsilon
  bool missing_as_negative = false, mean_over_selected = false;
};

/// Blocks of the loss's passes over `entries` entries (the partial sums it needs: blocks + 2 doubles and a T).
unsigned loss_blocks(std::size_t entries);

/// *value = scale * (sum of the trained terms); grad (may be null) their gradients.
template <class T>
void loss(cudaStream_t stream, const device_loss_plan<T>& plan, std::size_t rows, const T* logits, const T* targets,
          const std::int32_t* domains, const std::uint8_t* known, T* grad, T* value, T scale, double* partial);

}  // namespace sjmt::detail::cuda
