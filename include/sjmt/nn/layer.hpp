#pragma once
// What every layer of nn/ shares: the mode, named parameters, and the layer
// concept.
//
// A layer is built on one backend instance (it keeps a pointer to it: the
// backend must outlive the layer) and owns its output and input gradient, so
// that a training step allocates nothing once shapes are known. Some layers
// also write into a caller's buffer (conv2d::backward(dy, dx)), so that
// composite layers such as basic_block share scratch between layers.
// Every computation goes through sjmt::ops (backend/ops.hpp).
//
// Contract of a layer L over backend B:
//   const tensor& forward(const tensor& x, mode m)
//       Requires: x stays alive and unchanged until backward() returns.
//       Ensures: the result is L's own output buffer, valid until the next forward.
//   const tensor& backward(const tensor& dy)
//       Requires: a forward() before it; dy has the output's shape.
//       Ensures: parameter gradients are overwritten (not accumulated); the
//       result is the gradient with respect to x.
//   void collect(parameter_list& out, const std::string& prefix)
//       Appends every parameter and buffer, named prefix + local name.

#include <concepts>
#include <cstddef>
#include <string>
#include <vector>

#include "../backend/backend.hpp"
#include "../backend/ops.hpp"
#include "init.hpp"

namespace sjmt {

/// Training uses batch statistics and dropout; inference uses running statistics.
enum class mode : unsigned char { train, infer };

/// How a parameter maps to the usual PyTorch layout (checkpoints convert):
/// filter (R, S, C, K) <-> (K, C, R, S); matrix (1, 1, In, Out) <-> (Out, In);
/// vector (1, 1, 1, C) <-> (C).
enum class tensor_role : unsigned char { vector, matrix, filter };

/// The group of a parameter that every step trains (the trunk, a joint head).
inline constexpr int shared_group = -1;

/// A named tensor of a model. Trainable parameters have a gradient; buffers
/// (batch-norm running averages) have grad == nullptr. `decay` says whether
/// weight decay applies (by default: convolution and linear weights only).
/// `group` is shared_group, or the domain whose own head the parameter belongs
/// to: a step whose batch holds no sample of that domain does not reach it,
/// and the optimiser leaves it alone (no decay, no momentum), as PyTorch skips
/// a parameter whose gradient is None.
template <class Backend, class T>
struct parameter {
  std::string name;
  typename Backend::template tensor<T>* value = nullptr;
  typename Backend::template tensor<T>* grad = nullptr;
  bool decay = false;
  tensor_role role = tensor_role::vector;
  int group = shared_group;
};

template <class Backend, class T>
using parameter_list = std::vector<parameter<Backend, T>>;

template <class L, class Backend, class T>
concept layer_for = requires(L& l, const typename Backend::template tensor<T>& x, parameter_list<Backend, T>& list,
                             const std::string& prefix) {
  { l.forward(x, mode::train) } -> std::same_as<const typename Backend::template tensor<T>&>;
  { l.backward(x) } -> std::same_as<const typename Backend::template tensor<T>&>;
  l.collect(list, prefix);
};

}  // namespace sjmt
