#pragma once
// The CUDA backend: the backend concept (backend.hpp) on one NVIDIA GPU.
//   storage      cuda_tensor<T> (cuda/tensor.hpp) from a caching pool; uploads
//                through pinned host buffers; everything on one stream per instance
//   convolution  cuDNN, NHWC (filters transposed to cuDNN's (K, R, S, C) order in scratch)
//   batch norm   our fused kernels (cuda/batch_norm.cuh), residual add and ReLU in the same pass
//   linear       cuBLAS
//   the rest     our kernels (cuda/kernels.cuh, cuda/loss.cuh): ReLU, add, pooling,
//                the zero-padded shortcut, columns, dropout, the selective loss family,
//                a multi-tensor SGD
//   graphs       begin_capture / end_capture / launch: the trainer captures a
//                training step once and replays it (train/trainer.hpp)
// Every CUDA, cuDNN and cuBLAS status is checked; failures throw cuda_error,
// cudnn_error or cublas_error (cuda/error.hpp) naming the call and its values.
//
// This header is host code (g++ compiles it; it includes the CUDA runtime's,
// cuDNN's and cuBLAS's host headers). The kernels it launches are compiled
// once by nvcc: link a translation unit that includes
// <sjmt/backend/cuda_kernels.cuh> (CMake: sjmt_add_cuda_kernels, or the
// sjmt::cuda target's documented one-line .cu). Code that does not use the
// CUDA backend never includes this header.

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../tensor/host_tensor.hpp"
#include "backend.hpp"
#include "rules.hpp"
#include "cuda/dnn.hpp"
#include "cuda/error.hpp"
#include "cuda/launch.hpp"
#include "cuda/memory.hpp"
#include "cuda/tensor.hpp"

namespace sjmt {

struct cuda_options {
  int device = 0;                 ///< the CUDA device ordinal
  bool tf32 = false;              ///< let float convolutions and GEMMs use TF32 tensor cores
  bool timed_algorithms = true;   ///< time cuDNN's candidate algorithms once per shape (else heuristics only)
  bool deterministic = true;      ///< prefer convolution algorithms without atomics (the same bits on every run)
  std::size_t workspace_limit = std::size_t(256) << 20;  ///< cuDNN workspace bytes an algorithm may use
};

/// A captured and instantiated CUDA graph; valid while the backend's memory
/// epoch it was captured at lasts (no tensor of the backend was allocated or
/// released since).
class cuda_graph {
 public:
  cuda_graph(cudaGraphExec_t exec, std::uint64_t epoch) : m_exec(exec), m_epoch(epoch) {}
  cuda_graph(const cuda_graph&) = delete;
  cuda_graph& operator=(const cuda_graph&) = delete;
  cuda_graph(cuda_graph&& o) noexcept : m_exec(std::exchange(o.m_exec, nullptr)), m_epoch(o.m_epoch) {}
  cuda_graph& operator=(cuda_graph&& o) noexcept {
    if (this != &o) {
      if (m_exec) cudaGraphExecDestroy(m_exec);
      m_exec = std::exchange(o.m_exec, nullptr);
      m_epoch = o.m_epoch;
    }
    return *this;
  }
  ~cuda_graph() {
    if (m_exec) cudaGraphExecDestroy(m_exec);
  }
  std::uint64_t epoch() const { return m_epoch; }
  cudaGraphExec_t exec() const { return m_exec; }

 private:
  cudaGraphExec_t m_exec = nullptr;
  std::uint64_t m_epoch = 0;
};

class cuda_backend {
 public:
  static constexpr std::string_view name = "cuda";
  static constexpr bool host_memory = false;

  template <class T>
  using tensor = cuda_tensor<T>;
  using graph = cuda_graph;

  /// Number of CUDA devices present; 0 where there is no driver, no device or no CUDA runtime.
  static int device_count() noexcept {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      (void)cudaGetLastError();
      return 0;
    }
    return n;
  }

  /// Throws cuda_error when the device cannot be used (none present, a bad ordinal).
  explicit cuda_backend(cuda_options options = {}) : m_options(options), m_pool(std::make_shared<detail::cuda::memory_pool>()) {
    int count = 0;
    SJMT_CUDA(cudaGetDeviceCount(&count), "looking for a CUDA device");
    SJMT_CHECK(cuda_error, options.device >= 0 && options.device < count, "cuda_backend: device ", options.device,
               " asked for, ", count, " present");
    SJMT_CUDA(cudaSetDevice(options.device), "device ", options.device);
    SJMT_CUDA(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking));
    SJMT_CUDNN(cudnnCreate(&m_handles.dnn));
    SJMT_CUDNN(cudnnSetStream(m_handles.dnn, m_stream));
    SJMT_CUBLAS(cublasCreate(&m_handles.blas));
    SJMT_CUBLAS(cublasSetStream(m_handles.blas, m_stream));
    SJMT_CUBLAS(cublasSetMathMode(m_handles.blas, options.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    // A workspace of our own, so that captured GEMMs allocate nothing.
    reserve(m_blas_workspace, std::size_t(32) << 20);
    SJMT_CUBLAS(cublasSetWorkspace(m_handles.blas, m_blas_workspace.data, m_blas_workspace.bytes));
    cudaDeviceProp prop{};
    SJMT_CUDA(cudaGetDeviceProperties(&prop, options.device));
    m_device = std::string(prop.name) + " (sm_" + std::to_string(prop.major * 10 + prop.minor) + ", " +
               std::to_string(prop.totalGlobalMem >> 30) + " GiB), cuDNN " + std::to_string(cudnnGetVersion());
  }
  cuda_backend(const cuda_backend&) = delete;
  cuda_backend& operator=(const cuda_backend&) = delete;
  ~cuda_backend() {
    (void)cudaStreamSynchronize(m_stream);
    m_plans.clear();
    m_loss_plans.clear();
    m_handles.reset();
    (void)cudaStreamDestroy(m_stream);
    // The scratch blocks go with the pool, once no tensor holds it.
  }

  /// "NVIDIA H200 (sm_90, 139 GiB), cuDNN 9...".
  const std::string& device() const { return m_device; }
  const cuda_options& options() const { return m_options; }
  cudaStream_t stream() const { return m_stream; }
  /// Waits for every op issued so far.
  void synchronize() { SJMT_CUDA(cudaStreamSynchronize(m_stream)); }
  std::size_t bytes_in_use() const { return m_pool->bytes_in_use(); }
  std::size_t peak_bytes() const { return m_pool->peak_bytes(); }

  // ---- storage ----
  template <class T>
  shape4 shape(const tensor<T>& t) const { return t.shape(); }

  template <class T>
  void resize(tensor<T>& t, const shape4& s) {
    if (t.m_shape == s) return;
    if (!t.m_pool) t.m_pool = m_pool;
    if (element_count(s) != t.size() || t.m_pool != m_pool) {
      SJMT_CHECK(cuda_error, !m_capturing, "resize: a tensor of ", to_string(t.m_shape), " would become ",
                 to_string(s), " while a CUDA graph is being captured");
      t.m_pool->deallocate(t.m_data);
      t.m_data = nullptr;
      t.m_pool = m_pool;
      t.m_data = static_cast<T*>(m_pool->allocate(element_count(s) * sizeof(T)));
    }
    t.m_shape = s;
  }

  template <class T>
  void fill(tensor<T>& t, T value) {
    detail::cuda::fill(m_stream, t.data(), t.size(), value);
  }

  /// Copies `h` into a pinned buffer of the tensor's, then to the device
  /// asynchronously (the call returns before the copy is done).
  template <class T>
  void upload(tensor<T>& t, const host_tensor<T>& h) {
    SJMT_CHECK(cuda_error, !m_capturing, "upload: host data cannot be read into a CUDA graph being captured");
    resize(t, h.shape());
    if (t.size() == 0) return;
    if (t.m_staged)
      SJMT_CUDA(cudaEventSynchronize(t.m_staged), "waiting for the last upload into ", to_string(t.shape()));
    else
      SJMT_CUDA(cudaEventCreateWithFlags(&t.m_staged, cudaEventDisableTiming));
    void* staging = t.m_staging.reserve(t.bytes());
    std::memcpy(staging, h.data(), t.bytes());
    SJMT_CUDA(cudaMemcpyAsync(t.data(), staging, t.bytes(), cudaMemcpyHostToDevice, m_stream), t.bytes(), " bytes");
    SJMT_CUDA(cudaEventRecord(t.m_staged, m_stream));
  }

  /// Waits for the ops before it and copies the tensor to the host.
  template <class T>
  host_tensor<T> download(const tensor<T>& t) const {
    SJMT_CHECK(cuda_error, !m_capturing, "download: not possible while a CUDA graph is being captured");
    host_tensor<T> h(t.shape());
    if (t.size() == 0) return h;
    SJMT_CUDA(cudaMemcpyAsync(h.data(), t.data(), t.bytes(), cudaMemcpyDeviceToHost, m_stream), t.bytes(), " bytes");
    SJMT_CUDA(cudaStreamSynchronize(m_stream), "downloading ", to_string(t.shape()));
    return h;
  }

  template <class T>
  T* data(tensor<T>& t) { return t.data(); }
  template <class T>
  const T* data(const tensor<T>& t) const { return t.data(); }

  template <class T>
  void copy(const tensor<T>& src, tensor<T>& dst) {
    if (&src == &dst) return;
    resize(dst, src.shape());
    if (src.size() == 0) return;
    SJMT_CUDA(cudaMemcpyAsync(dst.data(), src.data(), src.bytes(), cudaMemcpyDeviceToDevice, m_stream));
  }

  // ---- convolution (cuDNN) ----
  template <class T>
  void conv2d_forward(const conv2d_geometry& g, const tensor<T>& x, const tensor<T>& w, tensor<T>& y) {
    detail::cuda::conv_plan& p = plan<T>(g, x.shape(), w.shape());
    const T* wt = filter_to_krsc(w);
    if (!p.has_fwd) choose_forward<T>(p, x.data(), wt, y.data());
    void* ws = reserve(m_workspace, p.fwd_bytes);
    const T one = 1, zero = 0;
    SJMT_CUDNN(cudnnConvolutionForward(m_handles.dnn, &one, p.x, x.data(), p.w, wt, p.conv, p.fwd, ws, p.fwd_bytes,
                                       &zero, p.y, y.data()),
               "input ", to_string(x.shape()), " filter ", to_string(w.shape()), " algorithm ", int(p.fwd));
  }

  /// The convolution, then the batch norm's affine (+ z, ReLU) in place in
  /// one elementwise pass (cudnnConvolutionBiasActivationForward could fuse it
  /// further; not measured yet).
  template <class T>
  void conv2d_bn_add_relu_forward_infer(const conv2d_geometry& g, const tensor<T>& x, const tensor<T>& w,
                                        const tensor<T>& gamma, const tensor<T>& beta,
                                        const tensor<T>& running_mean, const tensor<T>& running_var, T epsilon,
                                        const tensor<T>* z, bool relu, tensor<T>& y) {
    conv2d_forward(g, x, w, y);
    bn_infer(y, z, gamma, beta, running_mean, running_var, epsilon, y, relu);
  }
  template <class T>
  void conv2d_backward_data(const conv2d_geometry& g, const tensor<T>& dy, const tensor<T>& w, tensor<T>& dx) {
    detail::cuda::conv_plan& p = plan<T>(g, dx.shape(), w.shape());
    const T* wt = filter_to_krsc(w);
    if (!p.has_bwd_data) choose_backward_data<T>(p, dy.data(), wt, dx.data());
    void* ws = reserve(m_workspace, p.bwd_data_bytes);
    const T one = 1, zero = 0;
    SJMT_CUDNN(cudnnConvolutionBackwardData(m_handles.dnn, &one, p.w, wt, p.y, dy.data(), p.conv, p.bwd_data, ws,
                                            p.bwd_data_bytes, &zero, p.x, dx.data()),
               "input ", to_string(dx.shape()), " filter ", to_string(w.shape()), " algorithm ", int(p.bwd_data));
  }

  template <class T>
  void conv2d_backward_filter(const conv2d_geometry& g, const tensor<T>& x, const tensor<T>& dy, tensor<T>& dw) {
    detail::cuda::conv_plan& p = plan<T>(g, x.shape(), dw.shape());
    const shape4 ws_shape = dw.shape();
    const std::size_t rsc = ws_shape[0] * ws_shape[1] * ws_shape[2], k = ws_shape[3];
    T* dwt = static_cast<T*>(reserve(m_filter_grad, dw.bytes()));
    if (!p.has_bwd_filter) choose_backward_filter<T>(p, x.data(), dy.data(), dwt);
    void* ws = reserve(m_workspace, p.bwd_filter_bytes);
    const T one = 1, zero = 0;
    SJMT_CUDNN(cudnnConvolutionBackwardFilter(m_handles.dnn, &one, p.x, x.data(), p.y, dy.data(), p.conv,
                                              p.bwd_filter, ws, p.bwd_filter_bytes, &zero, p.w, dwt),
               "input ", to_string(x.shape()), " filter ", to_string(ws_shape), " algorithm ", int(p.bwd_filter));
    launch_transpose(dwt, dw.data(), k, rsc);  // (K, RSC) -> (RSC, K)
  }

  // ---- batch normalisation (our kernels) ----
  template <class T>
  void batch_norm_forward_train(const tensor<T>& x, const tensor<T>& gamma, const tensor<T>& beta, T momentum,
                                T epsilon, tensor<T>& running_mean, tensor<T>& running_var, tensor<T>& saved_mean,
                                tensor<T>& saved_invstd, tensor<T>& y) {
    bn_train(x, static_cast<const tensor<T>*>(nullptr), gamma, beta, momentum, epsilon, running_mean, running_var, saved_mean, saved_invstd, y, false);
  }
  template <class T>
  void batch_norm_forward_infer(const tensor<T>& x, const tensor<T>& gamma, const tensor<T>& beta,
                                const tensor<T>& running_mean, const tensor<T>& running_var, T epsilon, tensor<T>& y) {
    bn_infer(x, static_cast<const tensor<T>*>(nullptr), gamma, beta, running_mean, running_var, epsilon, y, false);
  }
  template <class T>
  void batch_norm_backward(const tensor<T>& x, const tensor<T>& dy, const tensor<T>& gamma,
                           const tensor<T>& saved_mean, const tensor<T>& saved_invstd, tensor<T>& dx,
                           tensor<T>& dgamma, tensor<T>& dbeta) {
    bn_backward(x, static_cast<const tensor<T>*>(nullptr), dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta,
                static_cast<tensor<T>*>(nullptr));
  }
  template <class T>
  void batch_norm_add_relu_forward_train(const tensor<T>& x, const tensor<T>* z, const tensor<T>& gamma,
                                         const tensor<T>& beta, T momentum, T epsilon, tensor<T>& running_mean,
                                         tensor<T>& running_var, tensor<T>& saved_mean, tensor<T>& saved_invstd,
                                         tensor<T>& y) {
    bn_train(x, z, gamma, beta, momentum, epsilon, running_mean, running_var, saved_mean, saved_invstd, y, true);
  }
  template <class T>
  void batch_norm_add_relu_forward_infer(const tensor<T>& x, const tensor<T>* z, const tensor<T>& gamma,
                                         const tensor<T>& beta, const tensor<T>& running_mean,
                                         const tensor<T>& running_var, T epsilon, tensor<T>& y) {
    bn_infer(x, z, gamma, beta, running_mean, running_var, epsilon, y, true);
  }
  template <class T>
  void batch_norm_relu_backward(const tensor<T>& x, const tensor<T>& y, const tensor<T>& dy, const tensor<T>& gamma,
                                const tensor<T>& saved_mean, const tensor<T>& saved_invstd, tensor<T>& dx,
                                tensor<T>& dgamma, tensor<T>& dbeta, tensor<T>* dz) {
    bn_backward(x, &y, dy, gamma, saved_mean, saved_invstd, dx, dgamma, dbeta, dz);
  }

  // ---- elementwise, pooling, columns ----
  template <class T>
  void relu_forward(const tensor<T>& x, tensor<T>& y) {
    detail::cuda::relu_forward(m_stream, x.data(), y.data(), x.size());
  }
  template <class T>
  void relu_backward(const tensor<T>& y, const tensor<T>& dy, tensor<T>& dx) {
    detail::cuda::relu_backward(m_stream, y.data(), dy.data(), dx.data(), y.size());
  }
  template <class T>
  void add(const tensor<T>& a, const tensor<T>& b, tensor<T>& y) {
    detail::cuda::add(m_stream, a.data(), b.data(), y.data(), a.size());
  }
  template <class T>
  void global_avg_pool_forward(const tensor<T>& x, tensor<T>& y) {
    const auto [N, H, W, C] = x.shape();
    detail::cuda::global_avg_pool_forward(m_stream, x.data(), y.data(), N,
           H * W, C);
  }
  template <class T>
  void global_avg_pool_backward(const tensor<T>& dy, tensor<T>& dx) {
    const auto [N, H, W, C] = dx.shape();
    detail::cuda::global_avg_pool_backward(m_stream, dy.data(),
           dx.data(), N, H * W, C);
  }
  template <class T>
  void max_pool2_forward(const tensor<T>& x, tensor<T>& y) {
    const auto [N, H, W, C] = x.shape();
    detail::cuda::max_pool2_forward(m_stream, x.data(), y.data(), N, H, W, C);
  }
  template <class T>
  void max_pool2_backward(const tensor<T>& x, const tensor<T>& y, const tensor<T>& dy, tensor<T>& dx) {
    const auto [N, H, W, C] = x.shape();
    detail::cuda::max_pool2_backward(m_stream, x.data(), y.data(), dy.data(),
           dx.data(), N, H, W, C);
  }
  template <class T>
  void soft_argmax_forward(const tensor<T>& z, tensor<T>& p, tensor<T>& y) {
    const auto [N, H, W, P] = z.shape();
    detail::cuda::soft_argmax_forward(m_stream, z.data(), p.data(), y.data(), N, H, W, P);
  }
  template <class T>
  void soft_argmax_backward(const tensor<T>& p, const tensor<T>& y, const tensor<T>& dy, tensor<T>& dz) {
    const auto [N, H, W, P] = p.shape();
    detail::cuda::soft_argmax_backward(m_stream, p.data(), y.data(), dy.data(), dz.data(), N, H, W, P);
  }
  template <class T>
  void subsample_pad_forward(std::size_t stride, const tensor<T>& x, tensor<T>& y) {
    const auto [N, H, W, C] = x.shape();
    const auto [yN, P, Q, K] = y.shape();
    detail::cuda::subsample_pad_forward(m_stream, x.data(), y.data(), N, H, W, C, P, Q, K, stride);
  }
  template <class T>
  void subsample_pad_backward(std::size_t stride, const tensor<T>& dy, tensor<T>& dx) {
    const auto [N, H, W, C] = dx.shape();
    const auto [yN, P, Q, K] = dy.shape();
    detail::cuda::subsample_pad_backward(m_stream, dy.data(), dx.data(), N, H, W, C, P, Q, K, stride);
  }
  template <class T>
  void gather_columns(const tensor<T>& x, const tensor<std::int32_t>& index, tensor<T>& y) {
    const std::size_t N = x.shape()[0], W = x.shape()[3], k = index.size();
    detail::cuda::gather_columns(m_stream, x.data(), index.data(), y.data(), N, W, k);
  }
  template <class T>
  void scatter_columns(const tensor<T>& x, const tensor<std::int32_t>& index, tensor<T>& y) {
    const std::size_t N = y.shape()[0], W = y.shape()[3], k = index.size();
    detail::cuda::scatter_columns(m_stream, x.data(), index.data(), y.data(), N, W,
           k);
  }

  // ---- linear (cuBLAS), dropout ----
  /// y (N, Out) = x (N, In) w (In, Out) + b: in cuBLAS's column-major terms y^T = w^T x^T.
  template <class T>
  void linear_forward(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, tensor<T>& y) {
    const int N = detail::cuda::as_int(x.shape()[0]), in = detail::cuda::as_int(w.shape()[2]),
              out = detail::cuda::as_int(w.shape()[3]);
    detail::cuda::broadcast_rows(m_stream, b.data(), y.data(), x.shape()[0],
           w.shape()[3]);
    if (y.size() == 0 || in == 0) return;
    if (out == 0) return;
    const T one = 1;
    detail::cuda::gemm(m_handles.blas, CUBLAS_OP_N, CUBLAS_OP_N, out, N, in, &one, w.data(), out, x.data(), in, &one,
                       y.data(), out);
  }
  template <class T>
  void linear_backward(const tensor<T>& x, const tensor<T>& w, const tensor<T>& dy, tensor<T>& dx, tensor<T>& dw,
                       tensor<T>& db) {
    const int N = detail::cuda::as_int(x.shape()[0]), in = detail::cuda::as_int(w.shape()[2]),
              out = detail::cuda::as_int(w.shape()[3]);
    const T one = 1, zero = 0;
    if (N == 0 || in == 0 || out == 0) {  // cuBLAS refuses a leading dimension of 0
      fill(dw, T(0));
      fill(db, T(0));
      fill(dx, T(0));
      return;
    }
    detail::cuda::gemm(m_handles.blas, CUBLAS_OP_T, CUBLAS_OP_N, in, N, out, &one, w.data(), out, dy.data(), out,
                       &zero, dx.data(), in);
    detail::cuda::gemm(m_handles.blas, CUBLAS_OP_N, CUBLAS_OP_T, out, in, N, &one, dy.data(), out, x.data(), in,
                       &zero, dw.data(), out);
    detail::cuda::column_sums(m_stream, dy.data(), db.data(), x.shape()[0],
           w.shape()[3]);
  }
  /// The same mask as the CPU backend's for the same seed (backend/rules.hpp).
  /// Its seed is a kernel argument: a graph being captured is marked unusable.
  template <class T>
  void dropout_forward(const tensor<T>& x, double p, std::uint64_t seed, tensor<T>& mask, tensor<T>& y) {
    if (m_capturing) m_capture_ok = false;
    const T keep = static_cast<T>(1.0 / (1.0 - p));
    const auto threshold = static_cast<std::uint64_t>(p * 18446744073709551616.0);
    detail::cuda::dropout_forward(m_stream, x.data(), mask.data(), y.data(),
           x.size(), detail::mix64(seed), threshold, keep);
  }
  template <class T>
  void dropout_backward(const tensor<T>& mask, const tensor<T>& dy, tensor<T>& dx) {
    detail::cuda::multiply(m_stream, dy.data(), mask.data(), dx.data(),
           dy.size());
  }

  // ---- loss, optimiser ----
  template <class T>
  void loss_forward(const loss_plan<T>& plan, const loss_operands<T>& op) {
    const detail::cuda::device_loss_plan<T> p = device_plan(plan);
    const unsigned blocks = detail::cuda::loss_blocks(op.rows * plan.width);
    auto* partial = static_cast<double*>(reserve(m_partial, (blocks + 2) * sizeof(double) + sizeof(T) + 16));
    detail::cuda::loss(m_stream, p, op.rows, op.logits, op.targets, op.domains, op.known, op.grad, op.value, op.scale,
                       partial);
  }

  /// Every slot in launches of up to 48 tensors; the rate is read from `lr` on the device.
  template <class T>
  void sgd_update(std::span<const sgd_slot<cuda_backend, T>> slots, const tensor<T>& lr, T momentum) {
    namespace k = detail::cuda;
    for (std::size_t at = 0; at < slots.size(); at += k::sgd_tensors_per_launch) {
      k::sgd_batch<T> batch{};
      const std::size_t count = std::min<std::size_t>(k::sgd_tensors_per_launch, slots.size() - at);
      for (std::size_t i = 0; i < count; ++i) {
        const sgd_slot<cuda_backend, T>& s = slots[at + i];
        batch.t[i] = {s.w->data(), s.g->data(), s.v->data(), s.w->size(), s.weight_decay};
      }
      batch.count = static_cast<int>(count);
      k::sgd(m_stream, batch, lr.data(), momentum);
    }
  }

  // ---- CUDA graphs ----
  /// Starts capturing this backend's stream: the ops that follow are recorded, not run.
  void begin_capture() {
    SJMT_CHECK(cuda_error, !m_capturing, "begin_capture: a capture is already under way");
    SJMT_CUDA(cudaStreamBeginCapture(m_stream, cudaStreamCaptureModeThreadLocal));
    m_capturing = true;
    m_capture_ok = true;
  }
  /// Ends the capture; nullopt when an op captured could not be replayed
  /// (dropout's seed, a first use that chose an algorithm): then nothing of
  /// the captured ops has run, and the caller runs them again without capture.
  std::optional<cuda_graph> end_capture() {
    SJMT_CHECK(cuda_error, m_capturing, "end_capture: no capture under way");
    m_capturing = false;
    cudaGraph_t g = nullptr;
    // A capture that CUDA invalidated, or a graph it cannot instantiate, is
    // a graph we do without: the caller runs the ops plainly.
    if (cudaStreamEndCapture(m_stream, &g) != cudaSuccess || !m_capture_ok) {
      if (g) cudaGraphDestroy(g);
      (void)cudaGetLastError();
      return std::nullopt;
    }
    cudaGraphExec_t exec = nullptr;
    const cudaError_t s = cudaGraphInstantiate(&exec, g, 0);
    cudaGraphDestroy(g);
    if (s != cudaSuccess) {
      (void)cudaGetLastError();
      return std::nullopt;
    }
    return cuda_graph(exec, m_pool->epoch());
  }
  /// Ends a capture that an exception interrupted, dropping what it recorded.
  void abort_capture() noexcept {
    if (!m_capturing) return;
    m_capturing = false;
    cudaGraph_t g = nullptr;
    (void)cudaStreamEndCapture(m_stream, &g);
    if (g) cudaGraphDestroy(g);
    (void)cudaGetLastError();
  }
  void launch(const cuda_graph& g) {
    SJMT_CHECK(cuda_error, g.epoch() == m_pool->epoch(), "launch: the graph was captured before tensors were "
               "allocated or released (epoch ", g.epoch(), ", now ", m_pool->epoch(), ")");
    SJMT_CUDA(cudaGraphLaunch(g.exec(), m_stream));
  }
  /// Changes whenever a tensor of this backend is allocated or released.
  std::uint64_t memory_epoch() const { return m_pool->epoch(); }
  bool capturing() const { return m_capturing; }

 private:
  /// A grow-only block of the pool (scratch of the ops: workspace, transposed
  /// filters, partial sums), freed with the pool.
  struct scratch {
    void* data = nullptr;
    std::size_t bytes = 0;
  };

  /// s's memory, grown to `want` bytes. Growing inside a capture would call
  /// cudaMalloc: it throws instead (the trainer then runs the step uncaptured).
  void* reserve(scratch& s, std::size_t want) {
    if (want > s.bytes) {
      SJMT_CHECK(cuda_error, !m_capturing, "scratch of ", want, " bytes needed while a CUDA graph is being captured (",
                 s.bytes, " reserved)");
      m_pool->deallocate(s.data);
      s.data = m_pool->allocate(want);
      s.bytes = detail::cuda::rounded_size(want);
    }
    return s.data;
  }

  template <class T>
  void launch_transpose(const T* in, T* out, std::size_t rows, std::size_t cols) {
    detail::cuda::transpose(m_stream, in, out, rows, cols);
  }

  /// The filter (R, S, C, K) in cuDNN's (K, R, S, C) order, in scratch.
  template <class T>
  const T* filter_to_krsc(const tensor<T>& w) {
    const shape4 s = w.shape();
    T* wt = static_cast<T*>(reserve(m_filter, w.bytes()));
    launch_transpose(w.data(), wt, s[0] * s[1] * s[2], s[3]);
    return wt;
  }

  template <class T>
  detail::cuda::conv_plan& plan(const conv2d_geometry& g, const shape4& xs, const shape4& ws) {
    const detail::cuda::conv_key key{xs, ws, g.kernel, g.stride, g.pad, sizeof(T)};
    auto it = m_plans.find(key);
    if (it == m_plans.end())
      it = m_plans.emplace(key, detail::cuda::make_conv_plan<T>(g, xs, ws, m_options.tf32)).first;
    return *it->second;
  }

  /// Choosing runs the candidates: not inside a capture (the trainer then runs the step plainly, and
  /// records it on a later step).
  bool can_time() {
    SJMT_CHECK(cuda_error, !m_capturing, "a convolution shape met for the first time inside a CUDA graph capture");
    return m_options.timed_algorithms;
  }

  /// The fastest candidate within the workspace limit, deterministic ones first when asked.
  template <class Perf>
  const Perf* first_fitting(const Perf* perf, int n) const {
    const std::size_t limit = m_options.workspace_limit;
    if (m_options.deterministic)
      for (int i = 0; i < n; ++i)
        if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= limit &&
            perf[i].determinism == CUDNN_DETERMINISTIC)
          return perf + i;
    for (int i = 0; i < n; ++i)
      if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= limit) return perf + i;
    return nullptr;
  }

  template <class T>
  void choose_forward(detail::cuda::conv_plan& p, const T* x, const T* w, T* y) {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int n = 0;
    if (can_time()) {
      void* ws = reserve(m_workspace, m_options.workspace_limit);
      SJMT_CUDNN(cudnnFindConvolutionForwardAlgorithmEx(m_handles.dnn, p.x, x, p.w, w, p.conv, p.y, y,
                                                        CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, perf, ws,
                                                        m_options.workspace_limit));
    } else {
      SJMT_CUDNN(cudnnGetConvolutionForwardAlgorithm_v7(m_handles.dnn, p.x, p.w, p.conv, p.y,
                                                        CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, perf));
    }
    const auto* best = first_fitting(perf, n);
    SJMT_CHECK(cudnn_error, best, "conv2d_forward: cuDNN offers no algorithm within ", m_options.workspace_limit,
               " bytes of workspace for this shape");
    p.fwd = best->algo;
    p.fwd_bytes = best->memory;
    p.has_fwd = true;
  }

  template <class T>
  void choose_backward_data(detail::cuda::conv_plan& p, const T* dy, const T* w, T* dx) {
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int n = 0;
    if (can_time()) {
      void* ws = reserve(m_workspace, m_options.workspace_limit);
      SJMT_CUDNN(cudnnFindConvolutionBackwardDataAlgorithmEx(m_handles.dnn, p.w, w, p.y, dy, p.conv, p.x, dx,
                                                             CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, perf, ws,
                                                             m_options.workspace_limit));
    } else {
      SJMT_CUDNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(m_handles.dnn, p.w, p.y, p.conv, p.x,
                                                             CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, perf));
    }
    const auto* best = first_fitting(perf, n);
    SJMT_CHECK(cudnn_error, best, "conv2d_backward_data: cuDNN offers no algorithm within ",
               m_options.workspace_limit, " bytes of workspace for this shape");
    p.bwd_data = best->algo;
    p.bwd_data_bytes = best->memory;
    p.has_bwd_data = true;
  }

  template <class T>
  void choose_backward_filter(detail::cuda::conv_plan& p, const T* x, const T* dy, T* dw) {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int n = 0;
    if (can_time()) {
      void* ws = reserve(m_workspace, m_options.workspace_limit);
      SJMT_CUDNN(cudnnFindConvolutionBackwardFilterAlgorithmEx(m_handles.dnn, p.x, x, p.y, dy, p.conv, p.w, dw,
                                                               CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, perf, ws,
                                                               m_options.workspace_limit));
    } else {
      SJMT_CUDNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(m_handles.dnn, p.x, p.y, p.conv, p.w,
                                                               CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, perf));
    }
    const auto* best = first_fitting(perf, n);
    SJMT_CHECK(cudnn_error, best, "conv2d_backward_filter: cuDNN offers no algorithm within ",
               m_options.workspace_limit, " bytes of workspace for this shape");
    p.bwd_filter = best->algo;
    p.bwd_filter_bytes = best->memory;
    p.has_bwd_filter = true;
  }

  template <class T>
  void bn_train(const tensor<T>& x, const tensor<T>* z, const tensor<T>& gamma, const tensor<T>& beta, T momentum,
                T epsilon, tensor<T>& running_mean, tensor<T>& running_var, tensor<T>& saved_mean,
                tensor<T>& saved_invstd, tensor<T>& y, bool relu) {
    const std::size_t C = x.shape()[3], M = x.size() / C;
    auto* partial = static_cast<double*>(reserve(m_partial, 2 * detail::cuda::batch_norm_slices(M) * C * sizeof(double)));
    T* coeff = static_cast<T*>(reserve(m_coeff, 3 * C * sizeof(T)));
    detail::cuda::batch_norm_train(m_stream, x.data(), z ? z->data() : nullptr, M, C, gamma.data(), beta.data(),
                                   momentum, epsilon, running_mean.data(), running_var.data(), saved_mean.data(),
                                   saved_invstd.data(), y.data(), relu, partial, coeff);
  }

  template <class T>
  void bn_infer(const tensor<T>& x, const tensor<T>* z, const tensor<T>& gamma, const tensor<T>& beta,
                const tensor<T>& running_mean, const tensor<T>& running_var, T epsilon, tensor<T>& y, bool relu) {
    const std::size_t C = x.shape()[3], M = x.size() / C;
    T* coeff = static_cast<T*>(reserve(m_coeff, 3 * C * sizeof(T)));
    detail::cuda::batch_norm_infer(m_stream, x.data(), z ? z->data() : nullptr, M, C, gamma.data(), beta.data(),
                                   running_mean.data(), running_var.data(), epsilon, y.data(), relu, coeff);
  }

  template <class T>
  void bn_backward(const tensor<T>& x, const tensor<T>* y, const tensor<T>& dy, const tensor<T>& gamma,
                   const tensor<T>& saved_mean, const tensor<T>& saved_invstd, tensor<T>& dx, tensor<T>& dgamma,
                   tensor<T>& dbeta, tensor<T>* dz) {
    const std::size_t C = x.shape()[3], M = x.size() / C;
    auto* partial = static_cast<double*>(reserve(m_partial, 2 * detail::cuda::batch_norm_slices(M) * C * sizeof(double)));
    T* coeff = static_cast<T*>(reserve(m_coeff, 3 * C * sizeof(T)));
    detail::cuda::batch_norm_backward(m_stream, x.data(), y ? y->data() : nullptr, dy.data(), M, C, gamma.data(),
                                      saved_mean.data(), saved_invstd.data(), dx.data(), dgamma.data(), dbeta.data(),
                                      dz ? dz->data() : nullptr, partial, coeff);
  }

  /// The plan's tables on the device, uploaded on its first use (cached under plan.id).
  template <class T>
  detail::cuda::device_loss_plan<T> device_plan(const loss_plan<T>& plan) {
    auto it = m_loss_plans.find(plan.id);
    if (it == m_loss_plans.end()) {
      SJMT_CHECK(cuda_error, !m_capturing, plan.loss_name, ": its tables are uploaded on its first use, which "
                 "must not be inside a CUDA graph capture");
      it = m_loss_plans.emplace(plan.id, upload_plan(plan)).first;
    }
    detail::cuda::device_loss_plan<T> p;
    const stored_plan& s = it->second;
    const auto* base = static_cast<const unsigned char*>(s.memory.data);
    p.width = plan.width;
    p.num_domains = plan.num_domains;
    p.num_segments = plan.segments.size();
    p.bce_mask = reinterpret_cast<const T*>(base + s.offsets[0]);
    p.annotated = base + s.offsets[1];
    p.in_active_segment = base + s.offsets[2];
    p.pos_weight = plan.pos_weight.empty() ? nullptr : reinterpret_cast<const T*>(base + s.offsets[3]);
    p.segment_range = reinterpret_cast<const std::uint32_t*>(base + s.offsets[4]);
    p.segment_active = base + s.offsets[5];
    p.segment_wing = reinterpret_cast<const T*>(base + s.offsets[6]);
    p.missing_as_negative = plan.missing_as_negative;
    p.mean_over_selected = plan.mean_over_selected;
    return p;
  }

  struct stored_plan {
    scratch memory;
    std::size_t offsets[7] = {};
    std::shared_ptr<detail::cuda::memory_pool> pool;
    stored_plan() = default;
    stored_plan(const stored_plan&) = delete;
    stored_plan(stored_plan&& o) noexcept : memory(o.memory), pool(std::move(o.pool)) {
      std::copy(o.offsets, o.offsets + 7, offsets);
      o.memory = {};
    }
    ~stored_plan() {
      if (pool) pool->deallocate(memory.data);
    }
  };

  template <class T>
  stored_plan upload_plan(const loss_plan<T>& plan) {
    const std::size_t W = plan.width, D = plan.num_domains, S = plan.segments.size();
    std::vector<unsigned char> in_segment(D * W, 0), segment_active(std::max<std::size_t>(S * D, 1), 0);
    std::vector<std::uint32_t> range(std::max<std::size_t>(3 * S, 1), 0);
    std::vector<T> wing(std::max<std::size_t>(2 * S, 1), T(0));
    for (std::size_t s = 0; s < S; ++s) {
      const loss_segment& seg = plan.segments[s];
      wing[2 * s] = static_cast<T>(seg.wing_width);
      wing[2 * s + 1] = static_cast<T>(seg.wing_epsilon);
      range[3 * s] = static_cast<std::uint32_t>(seg.begin);
      range[3 * s + 1] = static_cast<std::uint32_t>(seg.end);
      range[3 * s + 2] = static_cast<std::uint32_t>(seg.rule);
      for (std::size_t d = 0; d < D; ++d) {
        segment_active[s * D + d] = seg.active[d];
        if (seg.active[d])
          for (std::size_t c = seg.begin; c < seg.end; ++c) in_segment[d * W + c] = 1;
      }
    }
    // One blob: each table at an offset aligned to 16 bytes.
    std::vector<unsigned char> blob;
    stored_plan out;
    const auto put = [&blob](const void* src, std::size_t bytes) {
      const std::size_t at = (blob.size() + 15) / 16 * 16;
      blob.resize(at + std::max<std::size_t>(bytes, 1), 0);
      if (bytes) std::memcpy(blob.data() + at, src, bytes);
      return at;
    };
    out.offsets[0] = put(plan.bce_mask.data(), plan.bce_mask.size() * sizeof(T));
    out.offsets[1] = put(plan.annotated.data(), plan.annotated.size());
    out.offsets[2] = put(in_segment.data(), in_segment.size());
    out.offsets[3] = put(plan.pos_weight.data(), plan.pos_weight.size() * sizeof(T));
    out.offsets[4] = put(range.data(), range.size() * sizeof(std::uint32_t));
    out.offsets[5] = put(segment_active.data(), segment_active.size());
    out.offsets[6] = put(wing.data(), wing.size() * sizeof(T));
    out.pool = m_pool;
    reserve(out.memory, blob.size());
    SJMT_CUDA(cudaMemcpyAsync(out.memory.data, blob.data(), blob.size(), cudaMemcpyHostToDevice, m_stream),
              plan.loss_name, "'s tables");
    SJMT_CUDA(cudaStreamSynchronize(m_stream));  // blob is pageable and about to go
    return out;
  }

  cuda_options m_options;
  std::shared_ptr<detail::cuda::memory_pool> m_pool;
  cudaStream_t m_stream = nullptr;
  detail::cuda::library_handles m_handles;
  std::string m_device;
  std::map<detail::cuda::conv_key, std::unique_ptr<detail::cuda::conv_plan>> m_plans;
  std::unordered_map<std::uint64_t, stored_plan> m_loss_plans;
  scratch m_workspace, m_filter, m_filter_grad, m_partial, m_coeff, m_blas_workspace;
  bool m_capturing = false, m_capture_ok = true;
};

static_assert(backend_for<cuda_backend, float> && backend_for<cuda_backend, double>,
              "cuda_backend must satisfy the backend concept for float and double.");

}  // namespace sjmt
