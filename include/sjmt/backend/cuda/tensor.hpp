#pragma once
// The CUDA backend's tensor: rank 4 in the conventions of tensor/shape.hpp
// (NHWC, row-major), in device memory from the backend's pool. Move-only; its
// memory goes back to the pool when it is destroyed or resized (the pool
// outlives the backend while any of its tensors does). Created empty, sized
// by the backend (ops:: sizes outputs); read and written through the backend.

#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>
#include <utility>

#include "../../tensor/shape.hpp"
#include "memory.hpp"

namespace sjmt {

class cuda_backend;

template <class T>
class cuda_tensor {
 public:
  using value_type = T;

  cuda_tensor() = default;
  cuda_tensor(const cuda_tensor&) = delete;
  cuda_tensor& operator=(const cuda_tensor&) = delete;
  cuda_tensor(cuda_tensor&& o) noexcept { swap(o); }
  cuda_tensor& operator=(cuda_tensor&& o) noexcept {
    if (this != &o) {
      release();
      swap(o);
    }
    return *this;
  }
  ~cuda_tensor() { release(); }

  const shape4& shape() const { return m_shape; }
  std::size_t size() const { return element_count(m_shape); }
  std::size_t bytes() const { return size() * sizeof(T); }
  /// Device pointers: never dereference them on the host.
  T* data() { return m_data; }
  const T* data() const { return m_data; }

 private:
  friend class cuda_backend;

  void swap(cuda_tensor& o) noexcept {
    std::swap(m_shape, o.m_shape);
    std::swap(m_data, o.m_data);
    std::swap(m_pool, o.m_pool);
    std::swap(m_staging, o.m_staging);
    std::swap(m_staged, o.m_staged);
  }
  void release() noexcept {
    if (m_pool) m_pool->deallocate(m_data);
    if (m_staged) {  // the pinned buffer goes with the tensor: its last upload must be done
      (void)cudaEventSynchronize(m_staged);
      (void)cudaEventDestroy(m_staged);
    }
    m_data = nullptr;
    m_staged = nullptr;
    m_shape = {0, 0, 0, 0};
  }

  shape4 m_shape{0, 0, 0, 0};
  T* m_data = nullptr;
  std::shared_ptr<detail::cuda::memory_pool> m_pool;
  detail::cuda::pinned_buffer m_staging;  ///< the host side of the last upload
  cudaEvent_t m_staged = nullptr;         ///< recorded when the upload from m_staging is done
};

}  // namespace sjmt
