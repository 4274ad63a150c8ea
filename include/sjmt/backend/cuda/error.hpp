#pragma once
// Typed errors of the CUDA backend: every CUDA runtime, cuDNN and cuBLAS
// status is checked, and a failure throws cuda_error, cudnn_error or
// cublas_error naming the call, its status and the values it was given.
// Host code of the CUDA backend only (it includes the CUDA headers).

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <source_location>
#include <string>

#include "../../error.hpp"

namespace sjmt {

/// A CUDA runtime call failed (no device, out of memory, a launch failed, ...).
class cuda_error : public error {
 public:
  cuda_error(const std::string& what, std::source_location where, int status = 0)
      : error(what, where), m_status(status) {}
  int status() const noexcept { return m_status; }

 private:
  int m_status;
};

/// A cuDNN call failed.
class cudnn_error : public cuda_error {
  using cuda_error::cuda_error;
};

/// A cuBLAS call failed.
class cublas_error : public cuda_error {
  using cuda_error::cuda_error;
};

namespace detail::cuda {

inline const char* cublas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "an unknown cuBLAS status";
  }
}

template <class... Parts>
[[noreturn, gnu::cold]] void throw_cuda(std::source_location where, const char* call, cudaError_t s,
                                        const Parts&... context) {
  std::ostringstream out;
  out << call << " failed: " << cudaGetErrorName(s) << " (" << cudaGetErrorString(s) << ")";
  if constexpr (sizeof...(context) > 0) (out << ", " << ... << context);
  throw cuda_error(out.str(), where, static_cast<int>(s));
}

template <class... Parts>
[[noreturn, gnu::cold]] void throw_cudnn(std::source_location where, const char* call, cudnnStatus_t s,
                                         const Parts&... context) {
  std::ostringstream out;
  out << call << " failed: " << cudnnGetErrorString(s);
  if constexpr (sizeof...(context) > 0) (out << ", " << ... << context);
  throw cudnn_error(out.str(), where, static_cast<int>(s));
}

template <class... Parts>
[[noreturn, gnu::cold]] void throw_cublas(std::source_location where, const char* call, cublasStatus_t s,
                                          const Parts&... context) {
  std::ostringstream out;
  out << call << " failed: " << cublas_status_name(s);
  if constexpr (sizeof...(context) > 0) (out << ", " << ... << context);
  throw cublas_error(out.str(), where, static_cast<int>(s));
}

}  // namespace detail::cuda
}  // namespace sjmt

/// Checks a CUDA runtime call; the extra arguments are streamed into the message.
#define SJMT_CUDA(call, ...)                                                                            \
  do {                                                                                                  \
    const cudaError_t sjmt_status_ = (call);                                                            \
    if (sjmt_status_ != cudaSuccess) [[unlikely]]                                                       \
      ::sjmt::detail::cuda::throw_cuda(std::source_location::current(), #call, sjmt_status_ __VA_OPT__(, ) \
                                       __VA_ARGS__);                                                    \
  } while (0)

#define SJMT_CUDNN(call, ...)                                                                             \
  do {                                                                                                    \
    const cudnnStatus_t sjmt_status_ = (call);                                                            \
    if (sjmt_status_ != CUDNN_STATUS_SUCCESS) [[unlikely]]                                                \
      ::sjmt::detail::cuda::throw_cudnn(std::source_location::current(), #call, sjmt_status_ __VA_OPT__(, ) \
                                        __VA_ARGS__);                                                     \
  } while (0)

#define SJMT_CUBLAS(call, ...)                                                                             \
  do {                                                                                                     \
    const cublasStatus_t sjmt_status_ = (call);                                                            \
    if (sjmt_status_ != CUBLAS_STATUS_SUCCESS) [[unlikely]]                                                \
      ::sjmt::detail::cuda::throw_cublas(std::source_location::current(), #call, sjmt_status_ __VA_OPT__(, ) \
                                         __VA_ARGS__);                                                     \
  } while (0)
