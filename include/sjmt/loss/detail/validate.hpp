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
#include <limits>
#include <span>

#include "../../backend/loss_plan.hpp"
#include "../../error.hpp"

namespace sjmt::detail {

/// Trained entries of one row whose target breaks its rule, without a branch
/// per entry (so that the loop vectorises).
template <bool Known, class T>
unsigned row_violations(const T* y, const unsigned char* annotated, const unsigned char* bounded,
                        const std::uint8_t* known, std::size_t W) {
  unsigned bad = 0;
#pragma omp simd reduction(+ : bad)
  for (std::size_t c = 0; c < W; ++c) {
    const T v = y[c];
    // bounded: v in [0, 1]; else finite (|v| <= max: false for NaN and infinities)
    const T lo = bounded[c] ? T(0) : -std::numeric_limits<T>::max();
    const T hi = bounded[c] ? T(1) : std::numeric_limits<T>::max();
    const unsigned valid = (v >= lo) & (v <= hi);
    unsigned trained = annotated[c] != 0;
    if constexpr (Known) trained &= known[c] != 0;
    bad += trained & (valid ^ 1u);
  }
  return bad;
}

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
  // Without a branch per entry (the common case is a valid batch), on all
  // threads for a large batch: count the violations, and look for the first
  // one only when there is one.
  std::size_t bad = 0;
  const auto rows = static_cast<std::ptrdiff_t>(domains.size());
#pragma omp parallel for schedule(static) reduction(+ : bad) if (domains.size() * W >= (1u << 15))
  for (std::ptrdiff_t r = 0; r < rows; ++r) {
    const auto d = static_cast<std::size_t>(domains[static_cast<std::size_t>(r)]);
    const unsigned char* a = plan.annotated.data() + d * W;
    const unsigned char* bounded = plan.bounded.data() + d * W;
    const T* y = targets.data() + static_cast<std::size_t>(r) * W;
    const std::uint8_t* k = known.empty() ? nullptr : known.data() + static_cast<std::size_t>(r) * W;
    bad += k ? row_violations<true>(y, a, bounded, k, W) : row_violations<false>(y, a, bounded, k, W);
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
