#pragma once
// A 64-byte aligned allocator for host tensors: one cache line, one AVX-512
// register, so that every tensor row handed to Eigen's GEMM starts aligned.

#include <cstddef>
#include <new>

namespace sjmt::detail {

template <class T, std::size_t Alignment = 64>
struct aligned_allocator {
  using value_type = T;
  static constexpr std::align_val_t alignment{Alignment};

  template <class U>
  struct rebind {
    using other = aligned_allocator<U, Alignment>;
  };

  aligned_allocator() noexcept = default;
  template <class U>
  aligned_allocator(const aligned_allocator<U, Alignment>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, alignment); }

  template <class U>
  bool operator==(const aligned_allocator<U, Alignment>&) const noexcept { return true; }
};

}  // namespace sjmt::detail
