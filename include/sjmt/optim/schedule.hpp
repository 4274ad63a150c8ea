#pragma once
// Learning-rate schedules: functions of the step (0-based) to a learning rate.

#include <cmath>
#include <cstddef>
#include <functional>
#include <string_view>
#include <numbers>
#include <vector>

#include "../error.hpp"

namespace sjmt {

/// lr = base * factor^floor(step / every): the paper's schedule is base 0.05,
/// decayed every 10,000 steps over 80,000 steps. The paper does not state the
/// factor; 0.5 is our default (0.05 -> 0.00039 at step 70,000).
struct exponential_step_decay {
  double base = 0.05;
  double factor = 0.5;
  std::size_t every = 10'000;

  double operator()(std::size_t step) const {
    SJMT_CHECK(value_error, every > 0, "exponential_step_decay: every = 0, expected > 0");
    return base * std::pow(factor, static_cast<double>(step / every));
  }
};

/// lr = base * factor^(number of milestones <= step) (PyTorch's MultiStepLR).
struct multi_step_decay {
  double base = 0.1;
  double factor = 0.1;
  std::vector<std::size_t> milestones;

  double operator()(std::size_t step) const {
    double lr = base;
    for (std::size_t m : milestones) lr *= step >= m ? factor : 1.0;
    return lr;
  }
};

/// Cosine annealing from base to minimum over `total` steps, then minimum.
struct cosine_decay {
  double base = 0.1;
  double minimum = 0.0;
  std::size_t total = 80'000;

  double operator()(std::size_t step) const {
    SJMT_CHECK(value_error, total > 0, "cosine_decay: total = 0, expected > 0");
    if (step >= total) return minimum;
    const double t = static_cast<double>(step) / static_cast<double>(total);
    return minimum + 0.5 * (base - minimum) * (1.0 + std::cos(std::numbers::pi * t));
  }
};

/// A schedule chosen by name at run time: "exponential" (exponential_step_decay
/// of `factor` every `every` steps), "cosine" (cosine_decay to base / 100 over
/// `total` steps) or "constant". Throws value_error for another name.
inline std::function<double(std::size_t)> named_schedule(std::string_view name, double base, std::size_t total,
                                                         double factor = 0.5, std::size_t every = 10'000) {
  if (name == "cosine") return cosine_decay{.base = base, .minimum = base / 100, .total = total};
  if (name == "constant") return [base](std::size_t) { return base; };
  SJMT_CHECK(value_error, name == "exponential", "schedule '", name, "', expected exponential, cosine or constant");
  return exponential_step_decay{.base = base, .factor = factor, .every = every};
}

}  // namespace sjmt
