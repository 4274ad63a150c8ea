#pragma once
// Ratios and means that may be undefined. An undefined value (a ratio whose
// denominator is 0, a mean over nothing) is a quiet NaN; reports write it as
// null (JSON), "n/a" (markdown) or an empty field (CSV), never as 0.

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace sjmt::metrics {

/// The value of an undefined metric.
inline constexpr double undefined = std::numeric_limits<double>::quiet_NaN();

inline bool is_defined(double v) { return !std::isnan(v); }

}  // namespace sjmt::metrics

namespace sjmt::detail {

/// num / den, or undefined where den == 0.
inline double ratio(std::uint64_t num, std::uint64_t den) {
  return den == 0 ? metrics::undefined : static_cast<double>(num) / static_cast<double>(den);
}

/// Mean of the defined values of v, or undefined where none is.
inline double mean_of_defined(const std::vector<double>& v) {
  double sum = 0;
  std::size_t n = 0;
  for (double x : v)
    if (metrics::is_defined(x)) sum += x, ++n;
  return n == 0 ? metrics::undefined : sum / static_cast<double>(n);
}

}  // namespace sjmt::detail
