#pragma once
// A trunk and a head, kept separable: the trunk's parameters are named
// "trunk.*" and the head's "head.*", so a trunk trained under one layout loads
// under another (the head is simply not loaded).
//
//   sjmt::cpu_backend be;
//   std::mt19937_64 rng(1);
//   sjmt::network<sjmt::resnet_cifar<sjmt::cpu_backend, float, 32>,
//                 sjmt::joint_head<sjmt::cpu_backend, float, layout>> net(be, rng, {.in_channels = 1});
//
// Any type with the members below is a trainable network (the trainer's
// concept, trainable_network): network<Trunk, Head> and the run-time model
// (nn/model.hpp).

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "heads.hpp"
#include "layer.hpp"

namespace sjmt {

struct network_options {
  std::size_t in_channels = 3;  ///< of the input images: 1 grey, 3 RGB, or any count
  linear_init head_init{};      ///< the head's initialisers (PyTorch's default)
};

/// What the trainer needs of a network: forward to layout-wide rows, backward
/// reaching only the head groups that a batch uses, its named parameters.
template <class N>
concept trainable_network = requires(N& n, const typename N::tensor& x, parameter_list<typename N::backend, typename N::value_type>& ps) {
  typename N::backend;
  typename N::value_type;
  { n.forward(x, mode::train) } -> std::same_as<const typename N::tensor&>;
  n.backward(x, [](int) { return true; });
  n.collect(ps, std::string());
  { n.outputs() } -> std::convertible_to<std::size_t>;
};

template <class Trunk, class Head>
  requires layer_for<Trunk, typename Trunk::backend, typename Trunk::value_type>
class network {
 public:
  using backend = typename Trunk::backend;
  using value_type = typename Trunk::value_type;
  using tensor = typename Trunk::tensor;

  network(backend& be, std::mt19937_64& rng, network_options options = {})
      : m_trunk(be, rng, options.in_channels), m_head(be, Trunk::features, rng, options.head_init) {}

  /// (N, H, W, C) -> head outputs (N, 1, 1, outputs).
  const tensor& forward(const tensor& x, mode m) { return m_head.forward(m_trunk.forward(x, m), m); }
  /// Gradient of the outputs -> fills every parameter gradient.
  void backward(const tensor& dy) { m_trunk.backward(m_head.backward(dy)); }
  /// As backward(dy), reaching only the head groups that `active` accepts.
  template <class Active>
  void backward(const tensor& dy, const Active& active) {
    m_trunk.backward(m_head.backward(dy, active));
  }

  /// Before training step `step`: a trunk with a per-step state (VGG-16's
  /// dropout masks) is told the step; for the others this does nothing.
  void begin_step(std::uint64_t step) {
    if constexpr (requires { m_trunk.begin_step(step); }) m_trunk.begin_step(step);
  }

  void collect(parameter_list<backend, value_type>& out, const std::string& prefix = "") {
    m_trunk.collect(out, prefix + "trunk.");
    m_head.collect(out, prefix + "head.");
  }

  std::size_t outputs() const { return m_head.outputs(); }
  Trunk& trunk() { return m_trunk; }
  Head& head() { return m_head; }

 private:
  Trunk m_trunk;
  Head m_head;
};

}  // namespace sjmt
