#pragma once
// Weight initialisers of the layers: a rule and its scale, drawn on the host
// from the caller's random engine and uploaded to the layer's backend, so
// they work the same on every backend.

#include <cmath>
#include <cstddef>
#include <random>

#include "../error.hpp"
#include "../tensor/host_tensor.hpp"

namespace sjmt {

enum class init_rule : unsigned char {
  he_normal,       ///< N(0, gain^2 2 / fan_in) (Kaiming normal, PyTorch's kaiming_normal_ with fan_in)
  he_uniform,      ///< U(-b, b), b = gain sqrt(6 / fan_in)
  xavier_normal,   ///< N(0, gain^2 2 / (fan_in + fan_out))
  xavier_uniform,  ///< U(-b, b), b = gain sqrt(6 / (fan_in + fan_out))
  fan_in_uniform,  ///< U(-b, b), b = gain / sqrt(fan_in): PyTorch's default for nn.Linear
  normal,          ///< N(0, gain^2)
  zeros,           ///< every value 0
};

/// A rule and its gain (the standard deviation for `normal`).
struct initializer {
  init_rule rule = init_rule::he_normal;
  double gain = 1.0;
};

namespace detail {

/// A host tensor of `shape` drawn by `init` for a layer with the given fans.
template <class T>
host_tensor<T> initial_values(const shape4& shape, initializer init, std::size_t fan_in, std::size_t fan_out,
                              std::mt19937_64& rng) {
  SJMT_CHECK(value_error, fan_in > 0 && fan_out > 0, "initializer: fan_in ", fan_in, ", fan_out ", fan_out,
             ", expected both > 0");
  const double in = static_cast<double>(fan_in), sum = static_cast<double>(fan_in + fan_out), g = init.gain;
  host_tensor<T> t(shape);
  const auto normal = [&](double stddev) {
    std::normal_distribution<double> d(0.0, stddev);
    for (auto& v : t) v = static_cast<T>(d(rng));
  };
  const auto uniform = [&](double bound) {
    std::uniform_real_distribution<double> d(-bound, bound);
    for (auto& v : t) v = static_cast<T>(d(rng));
  };
  switch (init.rule) {
    case init_rule::he_normal: normal(g * std::sqrt(2.0 / in)); break;
    case init_rule::he_uniform: uniform(g * std::sqrt(6.0 / in)); break;
    case init_rule::xavier_normal: normal(g * std::sqrt(2.0 / sum)); break;
    case init_rule::xavier_uniform: uniform(g * std::sqrt(6.0 / sum)); break;
    case init_rule::fan_in_uniform: uniform(g / std::sqrt(in)); break;
    case init_rule::normal: normal(g); break;
    case init_rule::zeros: t.fill(T(0)); break;
  }
  return t;
}

}  // namespace detail
}  // namespace sjmt
