#pragma once
// The SGD update on the CPU, PyTorch's form, for every slot of one step:
//   v = momentum v + (g + weight_decay w);  w -= lr v.
// Shapes are checked by the caller (backend/ops.hpp).

#include <cstddef>

#include "../sgd_rule.hpp"
#include "parallel.hpp"

namespace sjmt::detail::cpu {

template <class T>
void sgd_update(T* pw, const T* pg, T* pv, std::size_t n, T lr, T momentum, T weight_decay) {
#pragma omp parallel for simd schedule(static) if (worth_threads(n))
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i)
    sgd_element(pw[i], pg[i], pv[i], lr, momentum, weight_decay);
}

}  // namespace sjmt::detail::cpu
