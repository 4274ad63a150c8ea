#pragma once
// Host-side validation of a batch's labels against a loss plan, run where the
// batch is formed (the trainer, before upload; the losses' host-buffer
// overloads), so that no kernel branches on its inputs.
//
// Rules, for each sample r and output c that the plan trains for r's domain
// (annotated, and known unless the known-mask says 0):
//   - the domain index lies in [0, number of domains);
//   - a classification target (sigmoid or softmax) lies in [0, 1];
//   - a regression target is finite.
// Entries the plan does not train are never read: any value may stand there.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../../backend/loss_plan.hpp"
#include "../../error.hpp"

namespace sjmt::detail {

/// Throws value_error naming the sample, the output and the value of the first
/// violation. Sizes: targets and known (rows x width) or known empty; domains (rows).
template <class T>
void validate_labels(const loss_plan<T>& plan, std::span<const T> targets, std::span<const std::int32_t> domains,
                     std::span<const std::uint8_t> known) {
  const std::size_t W = plan.width, D = plan.num_domains;
  for (std::size_t r = 0; r < domains.size(); ++r) {
    const std::int32_t d = domains[r];
    SJMT_CHECK(value_error, d >= 0 && static_cast<std::size_t>(d) < D, plan.loss_name, ": domain index ", d,
               " of sample ", r, " is out of range [0, ", D, ")");
  }
  // Without a branch per entry (the common case is a valid batch): count the
  // violations, and look for the first one only when there is one.
  std::size_t bad = 0;
  for (std::size_t r = 0; r < domains.size(); ++r) {
    const auto d = static_cast<std::size_t>(domains[r]);
    const unsigned char* a = plan.annotated.data() + d * W;
    const unsigned char* bounded = plan.bounded.data() + d * W;
    const T* y = targets.data() + r * W;
    const std::uint8_t* k = known.empty() ? nullptr : known.data() + r * W;
    for (std::size_t c = 0; c < W; ++c) {
      const bool trained = a[c] && (!k || k[c]);
      const bool in_unit = y[c] >= T(0) && y[c] <= T(1);
      const bool finite = y[c] - y[c] == T(0);  // false for NaN and infinities
      bad += trained && !(bounded[c] ? in_unit : finite);
    }
  }
  if (bad == 0) return;
  for (std::size_t r = 0; r < domains.size(); ++r)
    for (std::size_t c = 0; c < W; ++c) {
      const auto d = static_cast<std::size_t>(domains[r]);
      const T y = targets[r * W + c];
      if (!plan.annotated[d * W + c] || (!known.empty() && !known[r * W + c])) continue;
      if (plan.bounded[d * W + c] && !(y >= T(0) && y <= T(1)))
        throw_error<value_error>(std::source_location::current(), plan.loss_name, ": target[", r, ", ", c, "] (",
                                 plan.output_names[c], ") is ", y, ", expected a probability in [0, 1]");
      if (!plan.bounded[d * W + c] && !std::isfinite(y))
        throw_error<value_error>(std::source_location::current(), plan.loss_name, ": target[", r, ", ", c, "] (",
                                 plan.output_names[c], ") is ", y, ", expected a finite regression target");
    }
}

}  // namespace sjmt::detail
