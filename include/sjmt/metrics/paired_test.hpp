#pragma once
// Paired comparison of two methods over the same seeds: the differences
// d_r = b_r - a_r of one metric, run by run (same seed: same initial trunk and
// the same images), and two tests of "no difference":
//
//   paired t-test   t = mean(d) / (std(d) / sqrt(n)),  df = n - 1,
//                   p = P(|T_df| >= |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2)
//   sign test       ties dropped, wins w and losses l of m = w + l,
//                   p = min(1, 2 * sum_{k <= min(w, l)} C(m, k) / 2^m)   (exact, two-sided)
//
// The t-test assumes roughly normal differences; the sign test assumes nothing
// but uses only their signs (10 seeds all one way give p = 0.002; 5 give 0.0625,
// so it cannot reach 0.05 below 6 seeds). Both are reported so that a reader
// sees when they disagree. A run where either value is undefined (NaN) is left
// out of the pairs.
//
// I_x(a, b), the regularised incomplete beta function, is evaluated by its
// continued fraction (modified Lentz), on the side of x where it converges fast.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>

#include "../error.hpp"
#include "ratio.hpp"

namespace sjmt::detail {

/// Continued fraction of I_x(a, b) (converges for x < (a + 1) / (a + b + 2)).
inline double incomplete_beta_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300, eps = 1e-16;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 1000; ++m) {
    const double m2 = 2.0 * m;
    double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));  // even step
    d = 1 + num * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));  // odd step
    d = 1 + num * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < eps) break;
  }
  return h;
}

}  // namespace sjmt::detail

namespace sjmt::metrics {

/// The regularised incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1].
inline double regularized_incomplete_beta(double a, double b, double x) {
  SJMT_CHECK(value_error, a > 0 && b > 0, "regularized_incomplete_beta: a = ", a, " and b = ", b,
             " must be positive");
  SJMT_CHECK(value_error, x >= 0 && x <= 1, "regularized_incomplete_beta: x = ", x, " is outside [0, 1]");
  if (x == 0 || x == 1) return x;
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1) / (a + b + 2)) return front * detail::incomplete_beta_fraction(a, b, x) / a;
  return 1 - front * detail::incomplete_beta_fraction(b, a, 1 - x) / b;
}

/// Two-sided p-value of Student's t with `df` degrees of freedom: P(|T| >= |t|).
inline double student_t_two_sided_p(double t, double df) {
  SJMT_CHECK(value_error, df > 0, "student_t_two_sided_p: df = ", df, " must be positive");
  if (std::isnan(t)) return undefined;
  if (std::isinf(t)) return 0;
  return regularized_incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

/// Exact two-sided sign-test p-value for `wins` against `losses` (ties already dropped);
/// 1 when there is nothing to test.
inline double sign_test_two_sided_p(std::size_t wins, std::size_t losses) {
  const std::size_t m = wins + losses, k = std::min(wins, losses);
  if (m == 0) return 1;
  double tail = 0;  // sum_{j <= k} C(m, j) / 2^m, each term from logs (m can be large)
  for (std::size_t j = 0; j <= k; ++j)
    tail += std::exp(std::lgamma(double(m) + 1) - std::lgamma(double(j) + 1) - std::lgamma(double(m - j) + 1) -
                     double(m) * std::log(2.0));
  return std::min(1.0, 2 * tail);
}

/// Differences b - a of paired runs and both tests.
struct paired_comparison {
  std::size_t pairs = 0;             ///< runs where both values are defined
  double mean_difference = undefined;
  double std_difference = undefined;  ///< sample standard deviation of the differences
  double t = undefined;               ///< paired t statistic (n - 1 degrees of freedom)
  double t_p_value = undefined;       ///< two-sided; undefined below 2 pairs
  std::size_t wins = 0, losses = 0, ties = 0;  ///< b > a, b < a, b == a
  double sign_p_value = undefined;    ///< exact two-sided sign test; undefined with no pair
};

/// Compares b against a run by run (a[r] and b[r] are the same seed).
inline paired_comparison compare_paired(std::span<const double> a, std::span<const double> b) {
  SJMT_CHECK(value_error, a.size() == b.size(), "compare_paired: ", a.size(), " runs against ", b.size(),
             " (the runs must pair one to one)");
  paired_comparison c;
  double sum = 0;
  for (std::size_t r = 0; r < a.size(); ++r) {
    if (!is_defined(a[r]) || !is_defined(b[r])) continue;
    const double d = b[r] - a[r];
    ++c.pairs;
    sum += d;
    if (d > 0) ++c.wins;
    else if (d < 0) ++c.losses;
    else ++c.ties;
  }
  if (c.pairs == 0) return c;
  c.mean_difference = sum / double(c.pairs);
  c.sign_p_value = sign_test_two_sided_p(c.wins, c.losses);
  if (c.pairs < 2) return c;
  double sq = 0;
  for (std::size_t r = 0; r < a.size(); ++r)
    if (is_defined(a[r]) && is_defined(b[r])) sq += (b[r] - a[r] - c.mean_difference) * (b[r] - a[r] - c.mean_difference);
  c.std_difference = std::sqrt(sq / double(c.pairs - 1));
  if (c.std_difference == 0) {  // every difference equal: no spread to test against
    c.t = c.mean_difference == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), c.mean_difference);
    c.t_p_value = c.mean_difference == 0 ? 1 : 0;
    return c;
  }
  c.t = c.mean_difference / (c.std_difference / std::sqrt(double(c.pairs)));
  c.t_p_value = student_t_two_sided_p(c.t, double(c.pairs - 1));
  return c;
}

}  // namespace sjmt::metrics
