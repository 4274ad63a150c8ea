#pragma once
// The SGD update on the CPU, PyTorch's form:
//   v = momentum v + (g + weight_decay w);  w -= lr v.

#include <cstddef>

#include "../../tensor/host_tensor.hpp"
#include "parallel.hpp"

namespace sjmt::detail::cpu {

template <class T>
void sgd_update(host_tensor<T>& w, const host_tensor<T>& g, host_tensor<T>& v, T lr, T momentum, T weight_decay) {
  SJMT_CHECK(shape_error, w.shape() == g.shape() && w.shape() == v.shape(),
             "sgd_update: weight, gradient and velocity differ in shape");
  T* pw = w.data();
  const T* pg = g.data();
  T* pv = v.data();
#pragma omp parallel for simd schedule(static) if (worth_threads(w.size()))
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(w.size()); ++i) {
    pv[i] = momentum * pv[i] + (pg[i] + weight_decay * pw[i]);
    pw[i] -= lr * pv[i];
  }
}

}  // namespace sjmt::detail::cpu
