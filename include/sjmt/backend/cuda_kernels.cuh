#pragma once
// The CUDA backend's kernels: include this header in exactly one translation
// unit compiled by nvcc (a .cu file of yours, or the one that CMake's
// sjmt::cuda target would have you add), and link it with the code that uses
// sjmt::cuda_backend (<sjmt/backend/cuda_backend.hpp>, which g++ compiles).
//
//   // sjmt_kernels.cu
//   #include <sjmt/backend/cuda_kernels.cuh>
//
// It defines the launchers of cuda/launch.hpp and instantiates them for float
// and double (and the index types where an op takes them). Including it twice
// in one program gives duplicate symbols at link time.

#if !defined(__CUDACC__)
#error "sjmt/backend/cuda_kernels.cuh holds CUDA kernels: include it from a .cu file compiled by nvcc"
#endif

#include "cuda/batch_norm.cuh"
#include "cuda/kernels.cuh"
#include "cuda/launch.hpp"
#include "cuda/loss.cuh"

namespace sjmt::detail::cuda {

#define SJMT_CUDA_INSTANTIATE(T)                                                                                    \
  template void fill<T>(cudaStream_t, T*, std::size_t, T);                                                          \
  template void relu_forward<T>(cudaStream_t, const T*, T*, std::size_t);                                           \
  template void relu_backward<T>(cudaStream_t, const T*, const T*, T*, std::size_t);                                \
  template void add<T>(cudaStream_t, const T*, const T*, T*, std::size_t);                                          \
  template void multiply<T>(cudaStream_t, const T*, const T*, T*, std::size_t);                                     \
  template void global_avg_pool_forward<T>(cudaStream_t, const T*, T*, std::size_t, std::size_t, std::size_t);      \
  template void global_avg_pool_backward<T>(cudaStream_t, const T*, T*, std::size_t, std::size_t, std::size_t);     \
  template void max_pool2_forward<T>(cudaStream_t, const T*, T*, std::size_t, std::size_t, std::size_t,             \
                                     std::size_t);                                                                  \
  template void max_pool2_backward<T>(cudaStream_t, const T*, const T*, const T*, T*, std::size_t, std::size_t,     \
                                      std::size_t, std::size_t);                                                    \
  template void soft_argmax_forward<T>(cudaStream_t, const T*, T*, T*, std::size_t, std::size_t, std::size_t,       \
                                       std::size_t);                                                                \
  template void soft_argmax_backward<T>(cudaStream_t, const T*, const T*, const T*, T*, std::size_t, std::size_t,   \
                                        std::size_t, std::size_t);                                                  \
  template void subsample_pad_forward<T>(cudaStream_t, const T*, T*, std::size_t, std::size_t, std::size_t,         \
                                         std::size_t, std::size_t, std::size_t, std::size_t, std::size_t);          \
  template void subsample_pad_backward<T>(cudaStream_t, const T*, T*, std::size_t, std::size_t, std::size_t,        \
                                          std::size_t, std::size_t, std::size_t, std::size_t, std::size_t);         \
  template void gather_columns<T>(cudaStream_t, const T*, const std::int32_t*, T*, std::size_t, std::size_t,        \
                                  std::size_t);                                                                     \
  template void scatter_columns<T>(cudaStream_t, const T*, const std::int32_t*, T*, std::size_t, std::size_t,       \
                                   std::size_t);                                                                    \
  template void dropout_forward<T>(cudaStream_t, const T*, T*, T*, std::size_t, std::uint64_t, std::uint64_t, T);   \
  template void transpose<T>(cudaStream_t, const T*, T*, std::size_t, std::size_t);                                 \
  template void broadcast_rows<T>(cudaStream_t, const T*, T*, std::size_t, std::size_t);                            \
  template void column_sums<T>(cudaStream_t, const T*, T*, std::size_t, std::size_t);                               \
  template void sgd<T>(cudaStream_t, const sgd_batch<T>&, const T*, T);                                             \
  template void batch_norm_train<T>(cudaStream_t, const T*, const T*, std::size_t, std::size_t, const T*, const T*, \
                                    T, T, T*, T*, T*, T*, T*, bool, double*, T*);                                   \
  template void batch_norm_infer<T>(cudaStream_t, const T*, const T*, std::size_t, std::size_t, const T*, const T*, \
                                    const T*, const T*, T, T*, bool, T*);                                           \
  template void batch_norm_backward<T>(cudaStream_t, const T*, const T*, const T*, std::size_t, std::size_t,        \
                                       const T*, const T*, const T*, T*, T*, T*, T*, double*, T*);                  \
  template void loss<T>(cudaStream_t, const device_loss_plan<T>&, std::size_t, const T*, const T*,                  \
                        const std::int32_t*, const std::uint8_t*, T*, T*, T, double*);

SJMT_CUDA_INSTANTIATE(float)
SJMT_CUDA_INSTANTIATE(double)
template void fill<std::int32_t>(cudaStream_t, std::int32_t*, std::size_t, std::int32_t);
template void fill<std::uint8_t>(cudaStream_t, std::uint8_t*, std::size_t, std::uint8_t);

#undef SJMT_CUDA_INSTANTIATE

}  // namespace sjmt::detail::cuda
