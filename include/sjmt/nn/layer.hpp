#pragma once
// What every layer of nn/ shares: the mode, named parameters, and the layer
// concept.
//
// A layer owns its output and its input gradient, so that a training step
// allocates nothing once shapes are known. (Some layers also offer overloads
// that write into a caller's buffer, e.g. conv2d::backward(dy, dx): composite
// layers such as basic_block use them to share scratch between layers.) Contract of a layer L over backend B:
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
#include <random>
#include <string>
#include <vector>

#include "../backend/backend.hpp"

namespace sjmt {

/// Training uses batch statistics and dropout; inference uses running statistics.
enum class mode : unsigned char { train, infer };

/// How a parameter maps to the usual PyTorch layout (checkpoints convert):
/// filter (R, S, C, K) <-> (K, C, R, S); matrix (1, 1, In, Out) <-> (Out, In);
/// vector (1, 1, 1, C) <-> (C).
enum class tensor_role : unsigned char { vector, matrix, filter };

/// A named tensor of a model. Trainable parameters have a gradient; buffers
/// (batch-norm running averages) have grad == nullptr. `decay` says whether
/// weight decay applies (by default: convolution and linear weights only).
template <class Backend, class T>
struct parameter {
  std::string name;
  typename Backend::template tensor<T>* value = nullptr;
  typename Backend::template tensor<T>* grad = nullptr;
  bool decay = false;
  tensor_role role = tensor_role::vector;
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

namespace detail {

/// A host tensor of `shape` with values from N(0, stddev^2).
template <class T>
host_tensor<T> normal_init(const shape4& shape, double stddev, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, stddev);
  host_tensor<T> t(shape);
  for (auto& v : t) v = static_cast<T>(normal(rng));
  return t;
}

/// A host tensor of `shape` with values from U(-bound, bound).
template <class T>
host_tensor<T> uniform_init(const shape4& shape, double bound, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> uniform(-bound, bound);
  host_tensor<T> t(shape);
  for (auto& v : t) v = static_cast<T>(uniform(rng));
  return t;
}

}  // namespace detail
}  // namespace sjmt
