#pragma once
// When the CPU backend's loops use threads: only above a grain of work, since
// an OpenMP fork/join costs microseconds, and far more when the machine is
// shared and a thread is descheduled at the barrier.

#include <cstddef>
#include <omp.h>

namespace sjmt::detail::cpu {

/// Elements touched by a loop from which it runs on all threads.
inline constexpr std::size_t parallel_grain = std::size_t(1) << 17;

constexpr bool worth_threads(std::size_t elements) { return elements >= parallel_grain; }

/// Runs f with Eigen's GEMM kept single-threaded. Eigen threads a product of
/// more than 50,000 multiply-adds by itself and synchronises its threads by
/// spinning; on a shared machine a descheduled thread then costs a whole
/// scheduler slice per GEMM. Eigen asks omp_get_max_threads(), a per-task
/// setting, so a one-thread region that lowers it confines the change to f.
template <class F>
void with_serial_eigen(F&& f) {
#pragma omp parallel num_threads(1)
  {
    omp_set_num_threads(1);
    f();
  }
}

}  // namespace sjmt::detail::cpu
