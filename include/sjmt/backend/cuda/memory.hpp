#pragma once
// Device memory of the CUDA backend: a caching pool (a training step, once its
// first run has sized every tensor, calls no cudaMalloc: a freed block goes
// back to the pool's bin of its rounded size and is handed out again), and
// pinned host buffers for uploads.
//
// The pool counts every allocation and release (epoch()): a captured CUDA
// graph holds raw device addresses, and is valid only while the epoch it was
// captured at lasts.

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "error.hpp"

namespace sjmt::detail::cuda {

/// Sizes are rounded up to 512 bytes below 1 MiB and to 2 MiB above, so that
/// blocks of one bin are interchangeable.
constexpr std::size_t rounded_size(std::size_t bytes) {
  constexpr std::size_t small = 512, large = std::size_t(2) << 20;
  if (bytes == 0) return 0;
  if (bytes < (std::size_t(1) << 20)) return (bytes + small - 1) / small * small;
  return (bytes + large - 1) / large * large;
}

class memory_pool {
 public:
  memory_pool() = default;
  memory_pool(const memory_pool&) = delete;
  memory_pool& operator=(const memory_pool&) = delete;
  /// Frees every block, cached or not (the backend's scratch is freed here).
  ~memory_pool() {
    release_cached_locked();
    for (auto& [p, size] : m_sizes) (void)cudaFree(p);
  }

  /// A block of at least `bytes` bytes (nullptr for 0). Retries once after
  /// releasing the cached blocks when the device is out of memory.
  void* allocate(std::size_t bytes) {
    const std::size_t size = rounded_size(bytes);
    if (size == 0) return nullptr;
    std::lock_guard lock(m_mutex);
    ++m_epoch;
    if (auto it = m_free.find(size); it != m_free.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      m_cached -= size;
      m_in_use += size;
      m_sizes[p] = size;
      return p;
    }
    void* p = nullptr;
    cudaError_t s = cudaMalloc(&p, size);
    if (s == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      release_cached_locked();
      s = cudaMalloc(&p, size);
    }
    if (s != cudaSuccess)
      throw_cuda(std::source_location::current(), "cudaMalloc", s, size, " bytes (", m_in_use,
                 " in use, ", m_cached, " cached)");
    m_in_use += size;
    m_peak = std::max(m_peak, m_in_use);
    m_sizes[p] = size;
    return p;
  }

  void deallocate(void* p) noexcept {
    if (!p) return;
    std::lock_guard lock(m_mutex);
    ++m_epoch;
    const auto it = m_sizes.find(p);
    if (it == m_sizes.end()) return;  // not ours: never happens through cuda_tensor
    m_free[it->second].push_back(p);
    m_in_use -= it->second;
    m_cached += it->second;
    m_sizes.erase(it);
  }

  /// Returns every cached (free) block to the device.
  void release_cached() {
    std::lock_guard lock(m_mutex);
    release_cached_locked();
  }

  std::uint64_t epoch() const {
    std::lock_guard lock(m_mutex);
    return m_epoch;
  }
  std::size_t bytes_in_use() const { return m_in_use; }
  std::size_t peak_bytes() const { return m_peak; }

 private:
  void release_cached_locked() noexcept {
    for (auto& [size, blocks] : m_free)
      for (void* p : blocks) (void)cudaFree(p);
    m_free.clear();
    m_cached = 0;
  }

  mutable std::mutex m_mutex;
  std::unordered_map<std::size_t, std::vector<void*>> m_free;
  std::unordered_map<void*, std::size_t> m_sizes;
  std::size_t m_in_use = 0, m_cached = 0, m_peak = 0;
  std::uint64_t m_epoch = 0;
};

/// Page-locked host memory (cudaMallocHost), grown on demand; the source of
/// asynchronous uploads.
class pinned_buffer {
 public:
  pinned_buffer() = default;
  pinned_buffer(const pinned_buffer&) = delete;
  pinned_buffer& operator=(const pinned_buffer&) = delete;
  pinned_buffer(pinned_buffer&& o) noexcept
      : m_data(std::exchange(o.m_data, nullptr)), m_bytes(std::exchange(o.m_bytes, 0)) {}
  pinned_buffer& operator=(pinned_buffer&& o) noexcept {
    if (this != &o) {
      reset();
      m_data = std::exchange(o.m_data, nullptr);
      m_bytes = std::exchange(o.m_bytes, 0);
    }
    return *this;
  }
  ~pinned_buffer() { reset(); }

  void* reserve(std::size_t bytes) {
    if (bytes > m_bytes) {
      reset();
      SJMT_CUDA(cudaMallocHost(&m_data, bytes), bytes, " bytes of pinned host memory");
      m_bytes = bytes;
    }
    return m_data;
  }
  void* data() const { return m_data; }

 private:
  void reset() noexcept {
    if (m_data) (void)cudaFreeHost(m_data);
    m_data = nullptr;
    m_bytes = 0;
  }
  void* m_data = nullptr;
  std::size_t m_bytes = 0;
};

}  // namespace sjmt::detail::cuda
