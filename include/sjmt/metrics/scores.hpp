#pragma once
// What metrics are fed: a batch of scores (N, layout size), the targets of the
// same shape, a known-mask (uint8, 0 = unknown) of the same shape or none, and
// one domain index per sample. Scores are logits (the default: what the
// network's joint head emits) or probabilities (sigmoid already applied).
//
// Requires (checked, shape_error / value_error): every buffer holds N x width
// values, N = number of domain indices; every domain index in [0, domains).

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>

#include "../detail/buffer.hpp"
#include "../error.hpp"

namespace sjmt::metrics {

/// What the scores handed to a metric are.
enum class score_kind : unsigned char {
  logits,         ///< raw outputs z; probability = sigmoid(z)
  probabilities,  ///< already sigmoid(z), in [0, 1]
};

constexpr std::string_view to_string(score_kind k) {
  return k == score_kind::logits ? "logits" : "probabilities";
}

/// The probability of one score: sigmoid(s) for logits, s itself otherwise.
inline double probability(double s, score_kind k) {
  if (k == score_kind::probabilities) return s;
  return s >= 0 ? 1.0 / (1.0 + std::exp(-s)) : std::exp(s) / (1.0 + std::exp(s));
}

}  // namespace sjmt::metrics

namespace sjmt::detail {

/// A read-only view of one batch, checked against the layout width.
template <class T>
struct metric_batch {
  std::span<const T> scores;
  std::span<const T> targets;
  std::span<const std::uint8_t> known;  // empty: every label known
  std::span<const std::int32_t> domains;
  std::size_t width = 0;

  std::size_t rows() const { return domains.size(); }
  T score(std::size_t r, std::size_t c) const { return scores[r * width + c]; }
  T target(std::size_t r, std::size_t c) const { return targets[r * width + c]; }
  bool is_known(std::size_t r, std::size_t c) const {
    return known.empty() || known[r * width + c] != 0;
  }
  std::size_t domain(std::size_t r) const { return static_cast<std::size_t>(domains[r]); }
};

/// Checks the sizes and domain indices of a batch and returns its view.
template <class T>
metric_batch<T> check_metric_batch(std::string_view who, std::span<const T> scores,
                                   std::span<const T> targets, std::span<const std::uint8_t> known,
                                   std::span<const std::int32_t> domains, std::size_t width,
                                   std::size_t num_domains) {
  const std::size_t n = domains.size();
  auto check = [&](std::size_t got, std::string_view what) {
    SJMT_CHECK(shape_error, got == n * width, who, ": ", what, " has ", got,
               " values, expected N x layout size = ", n, " x ", width, " = ", n * width,
               " (N is the number of domain indices)");
  };
  check(scores.size(), "scores");
  check(targets.size(), "targets");
  if (!known.empty()) check(known.size(), "known-mask");
  for (std::size_t r = 0; r < n; ++r)
    SJMT_CHECK(value_error, domains[r] >= 0 && std::size_t(domains[r]) < num_domains, who,
               ": domain index ", domains[r], " of sample ", r, " is out of range [0, ",
               num_domains, ")");
  return {scores, targets, known, domains, width};
}

}  // namespace sjmt::detail
