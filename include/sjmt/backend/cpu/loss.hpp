#pragma once
// The CPU backend's loss: one pass over blocks of whole rows (about 2,048
// entries, so the per-block mask stays in L1/L2), OpenMP over blocks when the
// batch has at least 32,768 entries. Each block's sum is taken in T (SIMD
// lanes, then their horizontal sum) and added in double; the threads' totals
// are then reduced by OpenMP, so below the OpenMP threshold the value does not
// depend on the thread count and above it may differ in the last bits.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../loss_plan.hpp"
#include "loss_kernels.hpp"

namespace sjmt::detail::cpu {

/// Entries trained by the plan in these rows (the divisor of mean_over_selected).
template <class T>
std::size_t selected_entries(const loss_plan<T>& plan, const loss_operands<T>& op) {
  const std::size_t W = plan.width;
  if (plan.missing_as_negative) return op.rows * W;
  std::size_t selected = 0;
  for (std::size_t r = 0; r < op.rows; ++r) {
    const unsigned char* a = plan.annotated.data() + static_cast<std::size_t>(op.domains[r]) * W;
    for (std::size_t c = 0; c < W; ++c) selected += a[c] && (!op.known || op.known[r * W + c]);
  }
  return selected;
}

/// *op.value = scale * (sum of the trained entries' terms); op.grad (if not
/// null) = scale * their gradients, 0 elsewhere. Requires: checked operands.
template <class T>
void loss_forward(const loss_plan<T>& plan, const loss_operands<T>& op) {
  const std::size_t n = op.rows, W = plan.width;
  T scale = op.scale;
  if (plan.mean_over_selected) {
    const std::size_t selected = selected_entries(plan, op);
    scale = selected ? T(1) / T(selected) : T(0);
  }
  if (n == 0) {
    *op.value = T(0);
    return;
  }
  const std::size_t rows_per_block = std::max<std::size_t>(1, 2048 / W);
  const std::size_t blocks = (n + rows_per_block - 1) / rows_per_block;
  const std::size_t block_size = rows_per_block * W;
  const bool any_bce = plan.missing_as_negative ||
                       std::any_of(plan.bce_mask.begin(), plan.bce_mask.end(), [](T v) { return v != T(0); });
  double total = 0;

#pragma omp parallel if (n * W >= (1u << 15)) reduction(+ : total)
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
      const T* y = op.targets + base;
      T* g = op.grad ? op.grad + base : nullptr;

      if (any_bce) {
        for (std::size_t r = r0; r < r1; ++r) {
          const auto d = static_cast<std::size_t>(op.domains[r]);
          T* mr = m.data() + (r - r0) * W;
          const std::uint8_t* k = op.known ? op.known + r * W : nullptr;
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
        total += sigmoid_bce_block<T>(op.logits + base, plan.missing_as_negative ? y_eff.data() : y, m.data(),
                                      pw.empty() ? nullptr : pw.data(), g, count, scale);
      } else if (g) {
        std::fill(g, g + count, T(0));
      }

      for (const loss_segment& seg : plan.segments)
        for (std::size_t r = r0; r < r1; ++r) {
          const auto d = static_cast<std::size_t>(op.domains[r]);
          if (!seg.active[d]) continue;
          const std::size_t k = seg.end - seg.begin, at = r * W + seg.begin;
          for (std::size_t i = 0; i < k; ++i)
            sel[i] = plan.annotated[d * W + seg.begin + i] && (!op.known || op.known[at + i]);
          T* gs = g ? op.grad + at : nullptr;
          if (seg.rule == segment_rule::softmax)
            total += softmax_ce_segment<T>(op.logits + at, op.targets + at, sel.data(), gs, k, scale);
          else
            total += regression_segment<T>(op.logits + at, op.targets + at, sel.data(), gs, k, scale,
                                           seg.rule == segment_rule::wing, static_cast<T>(seg.wing_width),
                                           static_cast<T>(seg.wing_epsilon));
        }
    }
  }
  *op.value = static_cast<T>(total * static_cast<double>(scale));
}

}  // namespace sjmt::detail::cpu
