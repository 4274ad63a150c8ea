#pragma once
// Scratch memory of the CPU backend: one growing, aligned buffer per thread and
// scalar type, so that no step allocates once the first step has run.

#include <cstddef>
#include <vector>

#include "../../tensor/aligned_allocator.hpp"

namespace sjmt::detail::cpu {

/// A buffer of at least `n` elements, valid until the next call on this thread.
template <class T>
T* workspace(std::size_t n) {
  thread_local std::vector<T, aligned_allocator<T>> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

}  // namespace sjmt::detail::cpu
