#pragma once
// Scratch memory of one CPU backend instance: growing, 64-byte aligned
// buffers that a training step reuses, so that no step allocates (or
// page-faults fresh memory: clear_page was ~10% of a step before buffers were
// reused) once the first step has run.
//
// Two kinds of buffer, by slot:
//   shared<T, Slot>(n)   a buffer of the calling thread, which it may share
//                        with its OpenMP team (partial sums, a transformed
//                        filter). Slots 1 and 2.
//   per_thread<T>(n)     the calling thread's own buffer inside a parallel
//                        region (a padded image, an im2col block).
// A buffer is valid until the next request of the same slot (or, for
// per_thread, of the same thread). Requires: prepare() ran on the calling
// thread before the parallel region that uses per_thread. A backend instance,
// and so its scratch, is used by one thread at a time (as a CUDA stream is).

#include <cassert>
#include <cstddef>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "../../tensor/aligned_allocator.hpp"

namespace sjmt::detail::cpu {

class scratch {
 public:
  /// Makes room for one per-thread buffer per thread of the next parallel region.
  void prepare() {
    const std::size_t threads = max_threads();
    if (m_threads.size() < threads) m_threads.resize(threads);
  }

  template <class T, int Slot>
  T* shared(std::size_t n) {
    static_assert(Slot == 1 || Slot == 2, "scratch::shared: slots 1 and 2 are shared buffers.");
    return grow<T>(m_shared[Slot - 1], n);
  }

  template <class T>
  T* per_thread(std::size_t n) {
    assert(thread_index() < m_threads.size() && "scratch::per_thread: prepare() before the parallel region");
    return grow<T>(m_threads[thread_index()], n);
  }

 private:
  using bytes = std::vector<std::byte, aligned_allocator<std::byte>>;

  template <class T>
  static T* grow(bytes& b, std::size_t n) {
    if (b.size() < n * sizeof(T)) b.resize(n * sizeof(T));
    return reinterpret_cast<T*>(b.data());
  }
  static std::size_t max_threads() {
#if defined(_OPENMP)
    return static_cast<std::size_t>(omp_get_max_threads());
#else
    return 1;
#endif
  }
  static std::size_t thread_index() {
#if defined(_OPENMP)
    return static_cast<std::size_t>(omp_get_thread_num());
#else
    return 0;
#endif
  }

  bytes m_shared[2];
  std::vector<bytes> m_threads = std::vector<bytes>(1);
};

}  // namespace sjmt::detail::cpu
