#pragma once
// The generic finite-difference gradient checker every layer passes (STYLE.md 13).
//
// The scalar probed is L = sum(y * r) for a fixed random r, so dL/dy = r. The
// analytic gradients come from one backward(r); each sampled coordinate of the
// input and of every trainable parameter is then compared with the central
// difference (L(v + h) - L(v - h)) / 2h, in double precision.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <sjmt/backend.hpp>
#include <sjmt/nn/layer.hpp>
#include <string>
#include <vector>

namespace sjmt_test {

using tensor = sjmt::host_tensor<double>;
using params = sjmt::parameter_list<sjmt::cpu_backend, double>;

struct gradient_check_options {
  std::size_t samples = 24;  // coordinates per tensor (all of them when fewer)
  double step = 1e-6;
  double tolerance = 1e-6;  // on |analytic - numeric| / max(1, |numeric|)
  bool check_input = true;
};

inline tensor random_tensor(const sjmt::shape4& s, std::mt19937_64& rng, double scale = 1.0) {
  std::normal_distribution<double> normal(0.0, scale);
  tensor t(s);
  for (auto& v : t) v = normal(rng);
  return t;
}

/// forward(x) -> y, backward(dy) -> dx; `parameters` are the trainable tensors
/// reached by both. Returns the number of coordinates compared.
inline std::size_t check_gradients(const std::function<const tensor&(const tensor&)>& forward,
                                   const std::function<const tensor&(const tensor&)>& backward, tensor& x,
                                   const params& parameters, gradient_check_options options = {},
                                   std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  const tensor r = random_tensor(forward(x).shape(), rng);
  const tensor dx = backward(r);
  std::vector<tensor> grads;
  for (const auto& p : parameters) grads.push_back(p.grad ? *p.grad : tensor{});

  const auto loss = [&] {
    const tensor& y = forward(x);
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += y.data()[i] * r.data()[i];
    return s;
  };
  std::size_t compared = 0;
  const auto probe = [&](tensor& v, const tensor& analytic, const std::string& name) {
    std::vector<std::size_t> idx(v.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::shuffle(idx.begin(), idx.end(), rng);
    idx.resize(std::min(idx.size(), options.samples));
    for (std::size_t i : idx) {
      const double saved = v.data()[i];
      v.data()[i] = saved + options.step;
      const double up = loss();
      v.data()[i] = saved - options.step;
      const double down = loss();
      v.data()[i] = saved;
      const double numeric = (up - down) / (2 * options.step);
      const double a = analytic.data()[i];
      INFO(name, "[", i, "]: analytic ", a, ", numeric ", numeric);
      CHECK(std::abs(a - numeric) / std::max(1.0, std::abs(numeric)) < options.tolerance);
      ++compared;
    }
  };
  if (options.check_input) {
    REQUIRE(dx.shape() == x.shape());
    probe(x, dx, "input");
  }
  for (std::size_t k = 0; k < parameters.size(); ++k)
    if (parameters[k].grad) probe(*parameters[k].value, grads[k], parameters[k].name);
  return compared;
}

/// check_gradients for a layer with the nn/layer.hpp interface in mode::train.
template <class Layer>
std::size_t check_layer_gradients(Layer& layer, tensor& x, gradient_check_options options = {},
                                  std::uint64_t seed = 1) {
  params ps;
  layer.collect(ps, "");
  return check_gradients([&](const tensor& in) -> const tensor& { return layer.forward(in, sjmt::mode::train); },
                         [&](const tensor& dy) -> const tensor& { return layer.backward(dy); }, x, ps, options,
                         seed);
}

}  // namespace sjmt_test
