#pragma once
// cuDNN convolutions and cuBLAS handles for the CUDA backend (host code).
//
// Convolutions run in NHWC with filters in cuDNN's (K, R, S, C) order; sjmt
// keeps filters as (R, S, C, K), so the backend transposes a filter into its
// scratch before a forward or backward-data call and the filter gradient back
// after a backward-filter call (a filter is small next to its activations).
// One plan per (input shape, filter shape, geometry, type): descriptors and
// the three algorithms, chosen on the plan's first use by cuDNN's heuristics,
// then by timing the candidates once where `timed` is set.

#include <cublas_v2.h>
#include <cudnn.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <type_traits>

#include "../../tensor/shape.hpp"
#include "../conv2d_geometry.hpp"
#include "error.hpp"

namespace sjmt::detail::cuda {

template <class T>
constexpr cudnnDataType_t cudnn_type() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "cuDNN convolutions: float or double");
  return std::is_same_v<T, float> ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
}

inline int as_int(std::size_t v) { return static_cast<int>(v); }

/// The descriptors and algorithms of one convolution shape.
struct conv_plan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  std::size_t fwd_bytes = 0, bwd_data_bytes = 0, bwd_filter_bytes = 0;
  bool has_fwd = false, has_bwd_data = false, has_bwd_filter = false;

  conv_plan() = default;
  conv_plan(const conv_plan&) = delete;
  conv_plan& operator=(const conv_plan&) = delete;
  ~conv_plan() {
    if (x) cudnnDestroyTensorDescriptor(x);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (conv) cudnnDestroyConvolutionDescriptor(conv);
  }
};

using conv_key = std::tuple<shape4, shape4, std::size_t, std::size_t, std::size_t, int>;

/// Creates the descriptors of x (N, H, W, C) * w (R, S, C, K) -> y, NHWC.
template <class T>
std::unique_ptr<conv_plan> make_conv_plan(const conv2d_geometry& g, const shape4& xs, const shape4& ws, bool tf32) {
  auto p = std::make_unique<conv_plan>();
  const cudnnDataType_t dt = cudnn_type<T>();
  const shape4 ys = g.output_shape(xs, ws);
  SJMT_CUDNN(cudnnCreateTensorDescriptor(&p->x));
  SJMT_CUDNN(cudnnCreateTensorDescriptor(&p->y));
  SJMT_CUDNN(cudnnCreateFilterDescriptor(&p->w));
  SJMT_CUDNN(cudnnCreateConvolutionDescriptor(&p->conv));
  SJMT_CUDNN(cudnnSetTensor4dDescriptor(p->x, CUDNN_TENSOR_NHWC, dt, as_int(xs[0]), as_int(xs[3]), as_int(xs[1]),
                                        as_int(xs[2])),
             "input ", to_string(xs));
  SJMT_CUDNN(cudnnSetTensor4dDescriptor(p->y, CUDNN_TENSOR_NHWC, dt, as_int(ys[0]), as_int(ys[3]), as_int(ys[1]),
                                        as_int(ys[2])),
             "output ", to_string(ys));
  SJMT_CUDNN(cudnnSetFilter4dDescriptor(p->w, dt, CUDNN_TENSOR_NHWC, as_int(ws[3]), as_int(ws[2]), as_int(ws[0]),
                                        as_int(ws[1])),
             "filter ", to_string(ws));
  SJMT_CUDNN(cudnnSetConvolution2dDescriptor(p->conv, as_int(g.pad), as_int(g.pad), as_int(g.stride),
                                             as_int(g.stride), 1, 1, CUDNN_CROSS_CORRELATION, dt),
             "pad ", g.pad, " stride ", g.stride);
  // Without TF32, float convolutions use FMA only (cuDNN's default math may take TF32 tensor cores).
  SJMT_CUDNN(cudnnSetConvolutionMathType(p->conv, std::is_same_v<T, float> && tf32 ? CUDNN_TENSOR_OP_MATH
                                                                                  : CUDNN_FMA_MATH));
  return p;
}

/// RAII over a cuDNN handle, a cuBLAS handle, both bound to one stream.
struct library_handles {
  cudnnHandle_t dnn = nullptr;
  cublasHandle_t blas = nullptr;

  library_handles() = default;
  library_handles(const library_handles&) = delete;
  library_handles& operator=(const library_handles&) = delete;
  ~library_handles() { reset(); }
  void reset() noexcept {
    if (blas) cublasDestroy(blas);
    if (dnn) cudnnDestroy(dnn);
    blas = nullptr;
    dnn = nullptr;
  }
};

/// cuBLAS GEMM in column-major terms, for float and double.
inline void gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float* alpha,
                 const float* a, int lda, const float* b, int ldb, const float* beta, float* c, int ldc) {
  SJMT_CUBLAS(cublasSgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), "m ", m, " n ", n, " k ", k);
}
inline void gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                 const double* alpha, const double* a, int lda, const double* b, int ldb, const double* beta,
                 double* c, int ldc) {
  SJMT_CUBLAS(cublasDgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), "m ", m, " n ", n, " k ", k);
}

}  // namespace sjmt::detail::cuda
