#pragma once
// Per-space evaluation of a joint output, fed batch by batch.
//
//   using domains = dataset_union<joint_layout<emotion, aus>, sfew, emotionet>;
//   sjmt::metrics::evaluator<domains> eval;              // scores are logits
//   for (auto& b : test_batches) eval.update(b.logits, b.targets, b.domains, b.known);
//   sjmt::metrics::evaluation_result r = eval.result();  // one result per space
//
// Shapes: scores, targets, known (N, layout size); domains (N); the known-mask
// may be omitted (every label known). Arguments in the losses' order.
// What counts: an output counts only where the sample's dataset annotates its
// space AND its known flag is set. Per kind of space:
//   exclusive   a sample counts when every output of the space is known; its
//               true class is the single output with target >= 0.5 (value_error
//               when there is not exactly one), its prediction the argmax;
//   multilabel  each annotated, known output counts on its own;
//   regression  each annotated, known value counts; NME over known points.
// Definitions: exclusive_metrics.hpp, multilabel_metrics.hpp,
// regression_metrics.hpp; docs/metrics.md.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "../tensor/compute_type.hpp"
#include "../error.hpp"
#include "../labels/dataset_union.hpp"
#include "exclusive_metrics.hpp"
#include "multilabel_metrics.hpp"
#include "regression_metrics.hpp"
#include "scores.hpp"

namespace sjmt::metrics {

/// How one regression space, named, is read (overrides evaluation_options::regression).
struct regression_space_reading {
  std::string space{};             ///< the name of a regression space of the layout
  regression_options options{};
};

struct evaluation_options {
  score_kind scores = score_kind::logits;
  double threshold = 0.5;            ///< on the probability, for multilabel spaces
  regression_options regression{};   ///< for every regression space regression_spaces does not name
  /// Per regression space, by name (landmarks by inter-ocular NME beside a 2-value gaze
  /// space read as plain values). A name that is not a regression space of the layout,
  /// or one named twice, is a value_error.
  std::vector<regression_space_reading> regression_spaces{};
};

/// The result of one space, by its kind.
using space_result = std::variant<exclusive_result, multilabel_result, regression_result>;

inline const std::string& space_name(const space_result& r) {
  return std::visit([](const auto& x) -> const std::string& { return x.space; }, r);
}

/// One result per space of the layout, in layout order.
struct evaluation_result {
  std::vector<space_result> spaces;
  std::uint64_t samples = 0;  ///< rows fed, whatever they annotate

  /// The result of the space called `name` if it is of kind R, else nullptr.
  template <class R>
  const R* find(std::string_view name) const {
    for (const space_result& s : spaces)
      if (const R* r = std::get_if<R>(&s); r && r->space == name) return r;
    return nullptr;
  }
};

template <dataset_union_type Union, std::floating_point T = float>
class evaluator {
  static_assert(::sjmt::detail::supported_compute_type<T>());
 public:
  using union_type = Union;
  using layout = typename Union::layout;
  using value_type = T;

  explicit evaluator(evaluation_options options = {}) : m_options(options) {
    for (std::size_t i = 0; i < options.regression_spaces.size(); ++i) {
      bool found = false;
      for (const space_info& s : layout::space_infos)
        found = found || (s.kind == kind::regression && s.name == options.regression_spaces[i].space);
      SJMT_CHECK(value_error, found, "evaluator: regression_spaces names '", options.regression_spaces[i].space,
                 "', which is not a regression space of the layout");
      for (std::size_t j = 0; j < i; ++j)
        SJMT_CHECK(value_error, options.regression_spaces[j].space != options.regression_spaces[i].space,
                   "evaluator: regression_spaces names '", options.regression_spaces[i].space, "' twice");
    }
    for (const space_info& s : layout::space_infos) {
      std::vector<std::string> names;
      for (std::size_t i = 0; i < s.outputs.size; ++i)
        names.emplace_back(layout::output(s.outputs.offset + i).label);
      std::string space(s.name);
      switch (s.kind) {
        case kind::exclusive:
          m_acc.emplace_back(exclusive_accumulator(space, std::move(names)));
          break;
        case kind::multilabel:
          m_acc.emplace_back(multilabel_accumulator(space, std::move(names), options.threshold));
          break;
        case kind::regression:
        {
          regression_options reading = options.regression;
          for (const regression_space_reading& r : options.regression_spaces)
            if (r.space == s.name) reading = r.options;
          m_acc.emplace_back(regression_accumulator(space, std::move(names), reading));
        }
          break;
      }
    }
  }

  const evaluation_options& options() const { return m_options; }

  template <detail::buffer_of<const T> Scores, detail::buffer_of<const T> Targets,
            detail::buffer_of<const std::int32_t> Domains>
  void update(const Scores& scores, const Targets& targets, const Domains& domains) {
    feed(scores, targets, domains, std::span<const std::uint8_t>{});
  }
  template <detail::buffer_of<const T> Scores, detail::buffer_of<const T> Targets,
            detail::buffer_of<const std::int32_t> Domains,
            detail::buffer_of<const std::uint8_t> Known>
  void update(const Scores& scores, const Targets& targets, const Domains& domains,
              const Known& known) {
    feed(scores, targets, domains,
         detail::view_of<const std::uint8_t>(known, layout::size, "evaluator", "known-mask"));
  }

  void reset() {
    for (auto& a : m_acc) std::visit([](auto& x) { x.reset(); }, a);
    m_samples = 0;
  }

  evaluation_result result() const {
    evaluation_result r;
    r.samples = m_samples;
    for (const auto& a : m_acc) std::visit([&](const auto& x) { r.spaces.emplace_back(x.result()); }, a);
    return r;
  }

 private:
  using accumulator = std::variant<exclusive_accumulator, multilabel_accumulator, regression_accumulator>;

  template <class Scores, class Targets, class Domains>
  void feed(const Scores& scores, const Targets& targets, const Domains& domains,
            std::span<const std::uint8_t> known) {
    constexpr std::size_t W = layout::size;
    const auto b = detail::check_metric_batch<T>(
        "evaluator", detail::view_of<const T>(scores, W, "evaluator", "scores"),
        detail::view_of<const T>(targets, W, "evaluator", "targets"), known,
        std::span<const std::int32_t>(std::data(domains), std::size(domains)), W,
        Union::num_domains);
    for (std::size_t r = 0; r < b.rows(); ++r) {
      for (std::size_t s = 0; s < layout::num_spaces; ++s) {
        if (!Union::annotates_space(b.domain(r), s)) continue;
        const slice out = layout::space_infos[s].outputs;
        std::visit([&](auto& acc) { add(acc, b, r, out); }, m_acc[s]);
      }
    }
    m_samples += b.rows();
  }

  void add(exclusive_accumulator& acc, const detail::metric_batch<T>& b, std::size_t r, slice out) {
    std::size_t truth = out.size, positives = 0;
    for (std::size_t i = 0; i < out.size; ++i) {
      if (!b.is_known(r, out.offset + i)) return;
      if (b.target(r, out.offset + i) >= T(0.5)) truth = i, ++positives;
    }
    SJMT_CHECK(value_error, positives == 1, "evaluator: sample ", r, " has ", positives,
               " targets >= 0.5 in exclusive space '", layout::space_infos[layout::space_of(out.offset)].name,
               "', expected exactly one (a one-hot class)");
    const std::size_t predicted =
        detail::argmax(std::span<const T>(b.scores.data() + r * b.width + out.offset, out.size));
    acc.add(truth, predicted);
  }

  void add(multilabel_accumulator& acc, const detail::metric_batch<T>& b, std::size_t r, slice out) {
    for (std::size_t i = 0; i < out.size; ++i) {
      const std::size_t c = out.offset + i;
      if (b.is_known(r, c)) acc.add(i, probability(b.score(r, c), m_options.scores), b.target(r, c));
    }
  }

  void add(regression_accumulator& acc, const detail::metric_batch<T>& b, std::size_t r, slice out) {
    m_pred.resize(out.size);
    m_truth.resize(out.size);
    m_known.resize(out.size);
    for (std::size_t i = 0; i < out.size; ++i) {
      const std::size_t c = out.offset + i;
      m_pred[i] = b.score(r, c);
      m_truth[i] = b.target(r, c);
      m_known[i] = b.is_known(r, c) ? 1 : 0;
    }
    acc.add(m_pred, m_truth, m_known);
  }

  evaluation_options m_options;
  std::vector<accumulator> m_acc;  // one per space, layout order
  std::uint64_t m_samples = 0;
  std::vector<double> m_pred, m_truth;  // scratch for regression rows
  std::vector<std::uint8_t> m_known;
};

}  // namespace sjmt::metrics
