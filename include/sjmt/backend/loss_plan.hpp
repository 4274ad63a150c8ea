#pragma once
// What a backend is told to compute for a loss of the selective family: a
// plan, built once on the host from the compile-time dataset union (loss/),
// and the operands of one call, in the backend's own memory.
//
// For row r of domain d = domains[r], output c of the layout is
//   trained by sigmoid cross-entropy   if bce_mask[d W + c] != 0 and known[r W + c] != 0
//   (naive joint: every output, target taken as 0 unless annotated and known)
//   trained by a segment's rule        if c lies in a segment active for d, the
//                                      domain annotates c and the label is known
//   ignored                            otherwise: it adds nothing to the value,
//                                      whatever its logit or target (NaN and
//                                      infinities included), and gets gradient 0.
// The value is the sum of the trained entries' terms, times `scale` (the
// reduction). Targets are valid where trained: the caller checked them on the
// host when the batch was formed (loss/detail/validate.hpp), so a kernel
// never branches on them.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sjmt {

/// How a segment of outputs is trained per row.
enum class segment_rule : unsigned char { softmax, l2, wing };

/// Outputs [begin, end) trained per row by a softmax or a regression rule.
struct loss_segment {
  std::size_t begin = 0, end = 0;
  segment_rule rule = segment_rule::softmax;
  std::vector<unsigned char> active;  ///< [domain]: the domain annotates some output of the segment
  double wing_width = 10, wing_epsilon = 2;  ///< rule wing: its w and epsilon (per space)
};

template <class T>
struct loss_plan {
  std::string_view loss_name;  ///< for messages: "selective_loss", ...
  std::size_t width = 0, num_domains = 0;
  std::vector<T> bce_mask;               ///< [domain][output]: 1 where trained by sigmoid cross-entropy
  std::vector<unsigned char> annotated;  ///< [domain][output]: the dataset annotates the output
  std::vector<unsigned char> bounded;    ///< [domain][output]: the target must lie in [0, 1]
  std::vector<T> pos_weight;             ///< [output], or empty (1 everywhere)
  std::vector<loss_segment> segments;
  std::vector<std::string> output_names;  ///< "space/class", for messages
  bool missing_as_negative = false;       ///< naive joint: every output trained, missing targets 0
  bool mean_over_selected = false;        ///< scale is 1 / (entries trained), computed by the backend
  T wing_width = 10, wing_epsilon = 2;  ///< the options' defaults; each segment holds its own
  /// Unique per plan (a device backend caches its copy of the tables under it).
  std::uint64_t id = next_id();

  static std::uint64_t next_id() {
    static std::atomic<std::uint64_t> counter{0};
    return ++counter;
  }
};

/// The operands of one loss call: `rows` rows of `plan.width` values, all in
/// the memory of the backend that runs it.
///   logits, targets, grad: (rows, width); known: (rows, width), or null when
///   every label is known; domains: (rows). grad may be null (value only).
///   value: one element, receives the loss.
/// `scale` multiplies the sum (mean over samples: 1 / rows; sum: 1), unless
/// plan.mean_over_selected.
template <class T>
struct loss_operands {
  std::size_t rows = 0;
  const T* logits = nullptr;
  const T* targets = nullptr;
  const std::int32_t* domains = nullptr;
  const std::uint8_t* known = nullptr;
  T* grad = nullptr;
  T* value = nullptr;
  T scale = T(1);
};

}  // namespace sjmt
