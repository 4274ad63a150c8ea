#pragma once
// A trunk and a head, kept separable: the trunk's parameters are named
// "trunk.*" and the head's "head.*", so a trunk trained under one layout loads
// under another (the head is simply not loaded).

#include <random>
#include <string>

#include "layer.hpp"

namespace sjmt {

template <class Trunk, class Head>
class network {
 public:
  using tensor = typename Trunk::tensor;

  explicit network(std::mt19937_64& rng) : m_trunk(rng), m_head(Trunk::features, rng) {}

  /// (N, H, W, C) -> head outputs (N, 1, 1, outputs).
  const tensor& forward(const tensor& x, mode m) { return m_head.forward(m_trunk.forward(x, m), m); }
  /// Gradient of the outputs -> fills every parameter gradient.
  void backward(const tensor& dy) { m_trunk.backward(m_head.backward(dy)); }

  void collect(auto& out, const std::string& prefix = "") {
    m_trunk.collect(out, prefix + "trunk.");
    m_head.collect(out, prefix + "head.");
  }

  Trunk& trunk() { return m_trunk; }
  Head& head() { return m_head; }

 private:
  Trunk m_trunk;
  Head m_head;
};

}  // namespace sjmt
