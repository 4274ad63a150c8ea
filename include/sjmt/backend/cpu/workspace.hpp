#pragma once
// Scratch memory of the CPU backend: one growing, aligned buffer per thread and
// scalar type, so that no step allocates once the first step has run.

#include <cstddef>
#include <vector>

#include "../../tensor/aligned_allocator.hpp"

namespace sjmt::detail::cpu {

/// A buffer of at least `n` elements, valid until the next call on this thread
/// with the same Slot. Slot 0 is per-thread scratch inside kernels; slots 1 and
/// 2 hold per-call buffers that a calling thread shares with its OpenMP team
/// (partial sums, a transformed filter), so that steps do not allocate and
/// page-fault fresh memory (clear_page was ~10% of a step before).
template <class T, int Slot = 0>
T* workspace(std::size_t n) {
  thread_local std::vector<T, aligned_allocator<T>> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

}  // namespace sjmt::detail::cpu
