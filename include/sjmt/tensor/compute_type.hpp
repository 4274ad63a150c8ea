#pragma once
// compute_type<T>: the element types sjmt computes in.
//
// Requires: T is float or double. Every backend implements exactly these two (the
// CPU's xsimd kernels, the CUDA kernels, cuDNN and cuBLAS); long double satisfies
// std::floating_point but has no kernel, and used to fail deep inside xsimd.

#include <concepts>

namespace sjmt {

template <class T>
concept compute_type = std::same_as<T, float> || std::same_as<T, double>;

namespace detail {

/// True, or a compile error with a sentence (a failed concept in a template head says only
/// "constraints not satisfied"). Use as static_assert(detail::supported_compute_type<T>()),
/// or as the first conjunct of a concept, where it stops with the same sentence.
template <class T>
consteval bool supported_compute_type() {
  static_assert(compute_type<T>,
                "sjmt: the value type T must be float or double. long double and other floating-point "
                "types are not supported, because the CPU (xsimd) and CUDA kernels implement float and "
                "double only; use double for more precision.");
  return true;
}

}  // namespace detail
}  // namespace sjmt
