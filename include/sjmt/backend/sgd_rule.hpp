#pragma once
// The per-element SGD update, PyTorch's momentum form, written once for every
// backend's kernel (a host-device function: the CUDA kernels call the same
// code the CPU loops do, and it is tested on the CPU):
//   v = momentum v + (g + weight_decay w);  w -= lr v.

#include "../config.hpp"

namespace sjmt::detail {

template <class T>
SJMT_HOST_DEVICE inline void sgd_element(T& w, T g, T& v, T lr, T momentum, T weight_decay) {
  v = momentum * v + (g + weight_decay * w);
  w -= lr * v;
}

}  // namespace sjmt::detail
