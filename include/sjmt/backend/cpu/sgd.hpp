#pragma once
// The SGD update on the CPU, PyTorch's form, for every slot of one step:
//   v = momentum v + (g + weight_decay w);  w -= lr v.
// Shapes are checked by the caller (backend/ops.hpp).

#include <cstddef>

#include "../../tensor/host_tensor.hpp"
#include "parallel.hpp"

namespace sjmt::detail::cpu {

template <class T>
void sgd_update(T* pw, const T* pg, T* pv, std::size_t n, T lr, T momentum, T weight_decay) {
#pragma omp parallel for simd schedule(static) if (worth_threads(n))
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i) {
    pv[i] = momentum * pv[i] + (pg[i] + weight_decay * pw[i]);
    pw[i] -= lr * pv[i];
  }
}

}  // namespace sjmt::detail::cpu
