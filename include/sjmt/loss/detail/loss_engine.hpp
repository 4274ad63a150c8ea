#pragma once
// The one place where every loss of loss/ is computed: a run-time plan built
// once from the compile-time dataset union, and `run_loss`, which checks the
// inputs and dispatches to the backend's loss kernels. A CUDA backend adds its
// kernels behind run_loss; the loss classes do not change.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../../backend/cpu/loss_kernels.hpp"
#include "../../error.hpp"
#include "../../labels/dataset_union.hpp"
#include "../options.hpp"

namespace sjmt::detail {

enum class segment_rule : unsigned char { softmax, l2, wing };

/// Outputs [begin, end) trained per row by a softmax or regression rule.
struct loss_segment {
  std::size_t begin = 0, end = 0;
  segment_rule rule = segment_rule::softmax;
  std::vector<unsigned char> active;  // [domain]: the domain annotates some output of the segment
};

template <class T>
struct loss_plan {
  std::string_view loss_name;
  std::size_t width = 0, num_domains = 0;
  std::vector<T> bce_mask;               // [domain][output]: 1 where trained by sigmoid BCE
  std::vector<unsigned char> annotated;  // [domain][output]: the dataset annotates the output
  std::vector<unsigned char> bounded;    // [domain][output]: the target must lie in [0, 1]
  std::vector<T> pos_weight;             // [output], or empty
  std::vector<loss_segment> segments;
  std::vector<std::string> output_names;  // "space/class", for messages
  bool missing_as_negative = false;  // naive joint: every output trained, missing targets are 0
  sjmt::reduction reduction = reduction::mean_over_samples;
  T wing_width = 10, wing_epsilon = 2;
};

/// Plan of the selective loss family over the union U: the annotated table, and
/// for each space of the layout, the rule that trains it.
template <class U, class T>
loss_plan<T> make_plan(std::string_view loss_name, const loss_options<T>& options) {
  using layout = typename U::layout;
  constexpr std::size_t W = layout::size, D = U::num_domains;
  loss_plan<T> plan;
  plan.loss_name = loss_name;
  plan.width = W;
  plan.num_domains = D;
  plan.reduction = options.reduction;
  plan.wing_width = options.wing_width;
  plan.wing_epsilon = options.wing_epsilon;
  plan.annotated.resize(D * W);
  plan.bce_mask.assign(D * W, T(0));
  plan.bounded.assign(D * W, 0);
  for (std::size_t d = 0; d < D; ++d)
    for (std::size_t c = 0; c < W; ++c) plan.annotated[d * W + c] = U::masks[d][c];
  for (std::size_t c = 0; c < W; ++c) plan.output_names.push_back(layout::output(c).qualified());

  SJMT_CHECK(shape_error, options.pos_weight.empty() || options.pos_weight.size() == W, loss_name,
             ": pos_weight has ", options.pos_weight.size(), " values, expected 0 or the layout size ", W);
  for (std::size_t c = 0; c < options.pos_weight.size(); ++c)
    SJMT_CHECK(value_error, options.pos_weight[c] >= T(0), loss_name, ": pos_weight[", c, "] (",
               plan.output_names[c], ") is ", options.pos_weight[c], ", expected >= 0");
  plan.pos_weight = options.pos_weight;

  for (const space_info& s : layout::space_infos) {
    const bool softmax = s.kind == kind::exclusive && options.exclusive == exclusive_rule::softmax;
    const bool regression = s.kind == kind::regression;
    if (softmax || regression) {
      loss_segment seg{s.outputs.offset, s.outputs.end(),
                       softmax ? segment_rule::softmax
                       : options.regression == regression_rule::wing ? segment_rule::wing
                                                                      : segment_rule::l2,
                       std::vector<unsigned char>(D, 0)};
      for (std::size_t d = 0; d < D; ++d) seg.active[d] = plan.annotated[d * W + s.outputs.offset];
      plan.segments.push_back(std::move(seg));
    }
    for (std::size_t d = 0; d < D; ++d)
      for (std::size_t c = s.outputs.offset; c < s.outputs.end(); ++c) {
        if (!plan.annotated[d * W + c]) continue;
        if (!softmax && !regression) plan.bce_mask[d * W + c] = T(1);
        if (!regression) plan.bounded[d * W + c] = 1;
      }
  }
  return plan;
}

/// Serial search for the first selected target outside [0, 1]; throws value_error naming it.
template <class T>
[[noreturn]] void throw_bad_target(const loss_plan<T>& plan, std::span<const T> targets,
                                   std::span<const std::int32_t> domains,
                                   std::span<const std::uint8_t> known) {
  const std::size_t W = plan.width;
  for (std::size_t r = 0; r < domains.size(); ++r)
    for (std::size_t c = 0; c < W; ++c) {
      const std::size_t i = r * W + c;
      const T y = targets[i];
      const bool selected = plan.bounded[std::size_t(domains[r]) * W + c] && (known.empty() || known[i]);
      if (selected && !(y >= T(0) && y <= T(1)))
        throw_error<value_error>(std::source_location::current(), plan.loss_name, ": target[", r, ", ",
                                 c, "] (", plan.output_names[c], ") is ", y,
                                 ", expected a probability in [0, 1]");
    }
  throw_error<value_error>(std::source_location::current(), plan.loss_name,
                           ": a target is outside [0, 1]");
}

/// Computes the loss of N = domains.size() samples and, if grad is not empty,
/// its gradient with respect to the logits.
///   logits, targets, grad: (N, width) row-major; known: (N, width) or empty
///   (empty: every label known; 0: unknown, as EmotioNet's 999).
/// Throws shape_error on a size mismatch, value_error on a domain index out of
/// range or a selected target outside [0, 1] (grad is then unspecified).
template <class T>
T run_loss(const loss_plan<T>& plan, std::span<const T> logits, std::span<const T> targets,
           std::span<const std::int32_t> domains, std::span<const std::uint8_t> known,
           std::span<T> grad) {
  const std::size_t n = domains.size(), W = plan.width, D = plan.num_domains;
  auto check_size = [&](std::size_t got, const char* what) {
    SJMT_CHECK(shape_error, got == n * W, plan.loss_name, ": ", what, " has ", got,
               " values, expected N x layout size = ", n, " x ", W, " = ", n * W,
               " (N is the number of domain indices)");
  };
  check_size(logits.size(), "logits");
  check_size(targets.size(), "targets");
  if (!grad.empty()) check_size(grad.size(), "grad");
  if (!known.empty()) check_size(known.size(), "known-mask");

  std::size_t selected = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const std::int32_t d = domains[r];
    SJMT_CHECK(value_error, d >= 0 && std::size_t(d) < D, plan.loss_name, ": domain index ", d,
               " of sample ", r, " is out of range [0, ", D, ")");
    if (plan.reduction != reduction::mean_over_selected || plan.missing_as_negative) continue;
    const unsigned char* a = plan.annotated.data() + std::size_t(d) * W;
    for (std::size_t c = 0; c < W; ++c)
      selected += a[c] && (known.empty() || known[r * W + c]);
  }
  if (plan.missing_as_negative) selected = n * W;
  if (n == 0) return T(0);

  T scale = T(1);
  if (plan.reduction == reduction::mean_over_samples) scale = T(1) / T(n);
  if (plan.reduction == reduction::mean_over_selected) scale = selected ? T(1) / T(selected) : T(0);

  // Blocks of whole rows, about 2,048 entries: the scratch stays in L1/L2.
  const std::size_t rows_per_block = std::max<std::size_t>(1, 2048 / W);
  const std::size_t blocks = (n + rows_per_block - 1) / rows_per_block;
  const std::size_t block_size = rows_per_block * W;
  const bool any_bce = std::any_of(plan.bce_mask.begin(), plan.bce_mask.end(), [](T v) { return v != T(0); }) ||
                       plan.missing_as_negative;
  double total = 0;
  bool bad = false;

#pragma omp parallel if (n * W >= (1u << 15)) reduction(+ : total) reduction(|| : bad)
  {
    std::vector<T> m(block_size), y_eff, pw;
    std::vector<unsigned char> sel(W);
    if (plan.missing_as_negative) y_eff.resize(block_size);
    if (!plan.pos_weight.empty()) {
      pw.resize(block_size);
      for (std::size_t i = 0; i < block_size; ++i) pw[i] = plan.pos_weight[i % W];
    }
#pragma omp for schedule(static)
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t r0 = b * rows_per_block, r1 = std::min(n, r0 + rows_per_block);
      const std::size_t base = r0 * W, count = (r1 - r0) * W;
      const T* y = targets.data() + base;
      T* g = grad.empty() ? nullptr : grad.data() + base;

      if (any_bce) {
        for (std::size_t r = r0; r < r1; ++r) {
          const std::size_t d = std::size_t(domains[r]);
          T* mr = m.data() + (r - r0) * W;
          const std::uint8_t* k = known.empty() ? nullptr : known.data() + r * W;
          if (plan.missing_as_negative) {
            const unsigned char* a = plan.annotated.data() + d * W;
            T* yr = y_eff.data() + (r - r0) * W;
            for (std::size_t c = 0; c < W; ++c) {
              mr[c] = T(1);
              yr[c] = (a[c] && (!k || k[c])) ? y[(r - r0) * W + c] : T(0);
            }
          } else {
            const T* bm = plan.bce_mask.data() + d * W;
            if (k)
              for (std::size_t c = 0; c < W; ++c) mr[c] = k[c] ? bm[c] : T(0);
            else
              std::copy(bm, bm + W, mr);
          }
        }
        const cpu::block_sums sums = cpu::sigmoid_bce_block<T>(
            logits.data() + base, plan.missing_as_negative ? y_eff.data() : y, m.data(),
            pw.empty() ? nullptr : pw.data(), g, count, scale);
        total += sums.loss;
        bad = bad || sums.bad_target;
      } else if (g) {
        std::fill(g, g + count, T(0));
      }

      for (const loss_segment& seg : plan.segments)
        for (std::size_t r = r0; r < r1; ++r) {
          const std::size_t d = std::size_t(domains[r]);
          if (!seg.active[d]) continue;
          const std::size_t k = seg.end - seg.begin, at = r * W + seg.begin;
          for (std::size_t i = 0; i < k; ++i)
            sel[i] = plan.annotated[d * W + seg.begin + i] && (known.empty() || known[at + i]);
          T* gs = g ? grad.data() + at : nullptr;
          if (seg.rule == segment_rule::softmax)
            total += cpu::softmax_ce_segment<T>(logits.data() + at, targets.data() + at, sel.data(), gs,
                                                k, scale, bad);
          else
            total += cpu::regression_segment<T>(logits.data() + at, targets.data() + at, sel.data(), gs, k,
                                                scale, seg.rule == segment_rule::wing, plan.wing_width,
                                                plan.wing_epsilon);
        }
    }
  }
  if (bad) throw_bad_target(plan, targets, domains, known);
  return static_cast<T>(total * static_cast<double>(scale));
}

}  // namespace sjmt::detail
