#pragma once
// The calling surface of every loss of loss/ (selective_loss, naive_joint_loss,
// selective_softmax_loss, task_loss): a loss over the joint outputs of a
// dataset union. They differ only in the plan they build (detail/plan.hpp);
// computing a plan is an op of the backend (backend/loss_plan.hpp), reached
// through here only.
//
//   sjmt::cpu_backend cpu;
//   sjmt::selective_loss<domains> loss;
//   float v = loss.forward_backward(cpu, logits, targets, domain_of_sample, known, grad);  // host buffers
//   float w = loss.forward_backward(be, logits_tensor, batch, grad_tensor);                // any backend
//
// Shapes: logits, targets, grad, known (N, layout size) — host buffers of
// N x size values, or tensors (N, 1, 1, size) as the heads return them;
// domains (N). The known-mask may be omitted: every label of an annotated
// output is then known.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../backend/backend.hpp"
#include "../backend/loss_plan.hpp"
#include "../detail/buffer.hpp"
#include "../error.hpp"
#include "../labels/dataset_union.hpp"
#include "../tensor/compute_type.hpp"
#include "../tensor/shape.hpp"
#include "batch.hpp"
#include "detail/plan.hpp"
#include "detail/validate.hpp"
#include "options.hpp"

namespace sjmt {
namespace detail {

template <class>
inline constexpr bool always_false = false;

template <class X>
inline constexpr bool is_device_batch_v = false;
template <class U, class B, class T>
inline constexpr bool is_device_batch_v<device_batch<U, B, T>> = true;

/// Whether (logits, targets, domains[, known], grad) fit the span overloads of a loss over T.
template <class T, class Logits, class Targets, class Domains, class... Rest>
inline constexpr bool span_call_fits = false;
template <class T, class Logits, class Targets, class Domains, class Grad>
inline constexpr bool span_call_fits<T, Logits, Targets, Domains, Grad> =
    buffer_of<Logits, const T> && buffer_of<Targets, const T> && buffer_of<Domains, const std::int32_t> &&
    buffer_of<Grad, T>;
template <class T, class Logits, class Targets, class Domains, class Known, class Grad>
inline constexpr bool span_call_fits<T, Logits, Targets, Domains, Known, Grad> =
    span_call_fits<T, Logits, Targets, Domains, Grad> && buffer_of<Known, const std::uint8_t>;

/// Whether (logits, targets, domains[, known]) fit the span overloads of value().
template <class T, class Logits, class Targets, class Domains, class... Known>
inline constexpr bool span_value_fits =
    buffer_of<Logits, const T> && buffer_of<Targets, const T> && buffer_of<Domains, const std::int32_t> &&
    (buffer_of<Known, const std::uint8_t> && ...);

}  // namespace detail

template <dataset_union_type Union, std::floating_point T = float>
class union_loss {
  static_assert(detail::supported_compute_type<T>());

 public:
  using union_type = Union;
  using layout = typename Union::layout;
  using value_type = T;

  // ---- tensors of any backend ----

  /// Loss of the batch, and its gradient with respect to the logits in `grad`
  /// (zero on every output the sample's dataset does not annotate). Waits for
  /// the backend to read the value back.
  template <class B>
    requires backend_for<B, T>
  T forward_backward(B& be, const typename B::template tensor<T>& logits, const device_batch<Union, B, T>& batch,
                     typename B::template tensor<T>& grad) const {
    typename B::template tensor<T> value;
    be.resize(value, {1, 1, 1, 1});
    forward_backward(be, logits, batch, &grad, value);
    return be.download(value).data()[0];
  }

  /// As above, leaving the value in the one-element tensor `value` on the
  /// backend (no wait: a captured training step reads it later); grad may be null.
  /// Requires: the batch's targets were validated (upload_batch does it); on a
  /// host-memory backend its domain indices are checked here as well.
  template <class B>
    requires backend_for<B, T>
  void forward_backward(B& be, const typename B::template tensor<T>& logits, const device_batch<Union, B, T>& batch,
                        typename B::template tensor<T>* grad, typename B::template tensor<T>& value) const {
    run_plan(be, m_plan, logits, batch, grad, value);
  }

 private:
  template <class B>
  void run_plan(B& be, const loss_plan<T>& plan, const typename B::template tensor<T>& logits,
                const device_batch<Union, B, T>& batch, typename B::template tensor<T>* grad,
                typename B::template tensor<T>& value) const {
    const shape4 want = rows_shape(batch.rows, m_plan.width);
    check(be.shape(logits) == want, "logits", be.shape(logits), want);
    check(be.shape(batch.targets) == want, "the batch's targets", be.shape(batch.targets), want);
    check(be.shape(batch.domains) == rows_shape(batch.rows, 1), "the batch's domains", be.shape(batch.domains),
          rows_shape(batch.rows, 1));
    if (batch.has_known) check(be.shape(batch.known) == want, "the batch's known-mask", be.shape(batch.known), want);
    check(be.shape(value) == shape4{1, 1, 1, 1}, "value", be.shape(value), {1, 1, 1, 1});
    if constexpr (host_memory_backend<B>) {  // a kernel indexes its tables by domain
      const std::int32_t* d = be.data(batch.domains);
      for (std::size_t r = 0; r < batch.rows; ++r)
        SJMT_CHECK(value_error, d[r] >= 0 && static_cast<std::size_t>(d[r]) < m_plan.num_domains, m_plan.loss_name,
                   ": domain index ", d[r], " of sample ", r, " is out of range [0, ", m_plan.num_domains, ")");
    }
    if (grad) be.resize(*grad, want);
    loss_operands<T> op{batch.rows,
                        be.data(logits),
                        be.data(batch.targets),
                        be.data(batch.domains),
                        batch.has_known ? be.data(batch.known) : nullptr,
                        grad ? be.data(*grad) : nullptr,
                        be.data(value),
                        scale(batch.rows)};
    be.loss_forward(plan, op);
  }

 public:

  // ---- one label space ----
  // The loss restricted to space `space` of the layout (index into
  // layout::space_infos): the same rule, reduction and known-mask, with every
  // output outside the space ignored. For mean_over_samples and sum the
  // spaces' values add up to the loss, and their gradients (each zero outside
  // its space) to its gradient; mean_over_selected divides each space by its
  // own count. Task weighting (train/weighting.hpp) is built on it.

  /// Whether the loss splits into spaces: not a naive joint loss (it trains
  /// every output on every sample), and no softmax segment across spaces
  /// (selective_softmax_loss).
  bool splits_by_space() const { return !m_space_plans.empty(); }

  /// As forward_backward(be, logits, batch, grad, value), for space `space` only.
  /// Throws value_error when the loss does not split by space or `space` is out of range.
  template <class B>
    requires backend_for<B, T>
  void space_forward_backward(B& be, std::size_t space, const typename B::template tensor<T>& logits,
                              const device_batch<Union, B, T>& batch, typename B::template tensor<T>* grad,
                              typename B::template tensor<T>& value) const {
    SJMT_CHECK(value_error, splits_by_space(), m_plan.loss_name,
               " does not split into label spaces (it trains outputs across spaces); per-space task weighting ",
               "needs selective_loss or task_loss");
    SJMT_CHECK(value_error, space < m_space_plans.size(), m_plan.loss_name, ": space ", space, ", expected < ",
               m_space_plans.size());
    run_plan(be, m_space_plans[space], logits, batch, grad, value);
  }

  /// Whether space `space` trains some entry of the host batch (domains (N),
  /// known (N, width) or empty): a sample of a domain that annotates an output
  /// of the space, with that label known.
  bool space_present(std::size_t space, std::span<const std::int32_t> domains,
                     std::span<const std::uint8_t> known = {}) const {
    SJMT_CHECK(value_error, space < layout::num_spaces, m_plan.loss_name, ": space ", space, ", expected < ",
               layout::num_spaces);
    const slice out = layout::space_infos[space].outputs;
    const std::size_t W = m_plan.width;
    for (std::size_t r = 0; r < domains.size(); ++r) {
      const auto d = static_cast<std::size_t>(domains[r]);
      if (d >= m_plan.num_domains) continue;
      for (std::size_t c = out.offset; c < out.end(); ++c)
        if (m_plan.annotated[d * W + c] && (known.empty() || known[r * W + c])) return true;
    }
    return false;
  }

  /// Loss of the batch, without the gradient.
  template <class B>
    requires backend_for<B, T>
  T value(B& be, const typename B::template tensor<T>& logits, const device_batch<Union, B, T>& batch) const {
    typename B::template tensor<T> v;
    be.resize(v, {1, 1, 1, 1});
    forward_backward(be, logits, batch, nullptr, v);
    return be.download(v).data()[0];
  }

  // ---- host buffers, on a backend whose memory is the host's ----
  // Anything with data() and size() (std::vector, std::span, xtensor containers
  // of shape (N, size) or (N, 1, 1, size)). The labels are validated here
  // (detail/validate.hpp): a bad target throws value_error naming it.

  template <host_memory_backend B, detail::buffer_of<const T> Logits, detail::buffer_of<const T> Targets,
            detail::buffer_of<const std::int32_t> Domains, detail::buffer_of<T> Grad>
  T forward_backward(B& be, const Logits& logits, const Targets& targets, const Domains& domains, Grad&& grad) const {
    return run(be, view(logits, "logits"), view(targets, "targets"), span_of(domains), {}, view(grad, "grad"));
  }
  template <host_memory_backend B, detail::buffer_of<const T> Logits, detail::buffer_of<const T> Targets,
            detail::buffer_of<const std::int32_t> Domains, detail::buffer_of<const std::uint8_t> Known,
            detail::buffer_of<T> Grad>
  T forward_backward(B& be, const Logits& logits, const Targets& targets, const Domains& domains, const Known& known,
                     Grad&& grad) const {
    return run(be, view(logits, "logits"), view(targets, "targets"), span_of(domains), known_view(known),
               view(grad, "grad"));
  }
  template <host_memory_backend B, detail::buffer_of<const T> Logits, detail::buffer_of<const T> Targets,
            detail::buffer_of<const std::int32_t> Domains>
  T value(B& be, const Logits& logits, const Targets& targets, const Domains& domains) const {
    return run(be, view(logits, "logits"), view(targets, "targets"), span_of(domains), {}, {});
  }
  template <host_memory_backend B, detail::buffer_of<const T> Logits, detail::buffer_of<const T> Targets,
            detail::buffer_of<const std::int32_t> Domains, detail::buffer_of<const std::uint8_t> Known>
  T value(B& be, const Logits& logits, const Targets& targets, const Domains& domains, const Known& known) const {
    return run(be, view(logits, "logits"), view(targets, "targets"), span_of(domains), known_view(known), {});
  }

  // Host buffers of element types that do not fit (double logits for a float
  // loss, 64-bit domains, a read-only gradient, ...): one sentence instead of a
  // page of candidates. Tensor calls (a device_batch) never reach these.
  template <host_memory_backend B, class Logits, class Targets, class Domains, class... Rest>
    requires(!detail::is_device_batch_v<std::remove_cvref_t<Targets>> && (sizeof...(Rest) == 1 || sizeof...(Rest) == 2) &&
             !detail::span_call_fits<T, Logits, Targets, Domains, Rest...>)
  T forward_backward(B&, const Logits&, const Targets&, const Domains&, Rest&&...) const {
    static_assert(detail::always_false<B>,
                  "sjmt::union_loss::forward_backward: the host buffers do not fit. logits and targets hold the "
                  "loss's value type T (float unless the loss was declared with double), domains std::int32_t, "
                  "the known-mask std::uint8_t, and the gradient is a writable buffer of T; or pass the backend's "
                  "tensors with a device_batch.");
    return T(0);
  }
  template <host_memory_backend B, class Logits, class Targets, class Domains, class... Rest>
    requires(!detail::is_device_batch_v<std::remove_cvref_t<Targets>> && sizeof...(Rest) <= 1 &&
             !detail::span_value_fits<T, Logits, Targets, Domains, Rest...>)
  T value(B&, const Logits&, const Targets&, const Domains&, const Rest&...) const {
    static_assert(detail::always_false<B>,
                  "sjmt::union_loss::value: the host buffers do not fit. logits and targets hold the loss's value "
                  "type T (float unless the loss was declared with double), domains std::int32_t and the "
                  "known-mask std::uint8_t.");
    return T(0);
  }

  /// Checks a batch's labels (host memory) against the rules of this loss:
  /// domain indices in range, classification targets in [0, 1], regression
  /// targets finite, where trained. Throws value_error naming the entry.
  void validate(std::span<const T> targets, std::span<const std::int32_t> domains,
                std::span<const std::uint8_t> known = {}) const {
    check_sizes(targets.size(), known.size(), domains.size(), 0, false);
    detail::validate_labels(m_plan, targets, domains, known);
  }

  std::size_t width() const { return m_plan.width; }
  sjmt::reduction reduction() const { return m_reduction; }
  std::string_view name() const { return m_plan.loss_name; }
  const loss_plan<T>& plan() const { return m_plan; }

 protected:
  union_loss(loss_plan<T> plan, sjmt::reduction r)
      : m_plan(std::move(plan)), m_space_plans(detail::space_plans<layout>(m_plan)), m_reduction(r) {}

 private:
  T scale(std::size_t rows) const {
    if (m_reduction == reduction::mean_over_samples) return rows ? T(1) / T(rows) : T(0);
    return T(1);  // sum; mean_over_selected is scaled by the backend (plan.mean_over_selected)
  }

  void check(bool ok, std::string_view what, const shape4& got, const shape4& want) const {
    SJMT_CHECK(shape_error, ok, m_plan.loss_name, ": ", what, " is ", to_string(got), ", expected ", to_string(want));
  }

  template <class X>
  std::span<std::remove_pointer_t<decltype(std::data(std::declval<X&>()))>> view(X& x, std::string_view what) const {
    using E = std::remove_pointer_t<decltype(std::data(x))>;
    if constexpr (requires { x.shape(); x.dimension(); }) {
      const std::size_t dims = x.dimension();
      const bool rows2 = dims == 2 && x.shape()[1] == m_plan.width;
      const bool rows4 = dims == 4 && x.shape()[1] == 1 && x.shape()[2] == 1 && x.shape()[3] == m_plan.width;
      SJMT_CHECK(shape_error, rows2 || rows4, m_plan.loss_name, ": ", what, " must have shape (N, ", m_plan.width,
                 ") or (N, 1, 1, ", m_plan.width, "); it has ", dims, " dimensions, the last of ",
                 dims ? x.shape()[dims - 1] : 0);
    }
    return std::span<E>(std::data(x), std::size(x));
  }
  template <class D>
  static std::span<const std::int32_t> span_of(const D& d) {
    return std::span<const std::int32_t>(std::data(d), std::size(d));
  }
  template <class K>
  std::span<const std::uint8_t> known_view(const K& known) const {
    return view(known, "known-mask");
  }

  void check_sizes(std::size_t targets, std::size_t known, std::size_t n, std::size_t logits, bool with_logits) const {
    const std::size_t W = m_plan.width;
    auto one = [&](std::size_t got, const char* what) {
      SJMT_CHECK(shape_error, got == n * W, m_plan.loss_name, ": ", what, " has ", got,
                 " values, expected N x layout size = ", n, " x ", W, " = ", n * W,
                 " (N is the number of domain indices)");
    };
    if (with_logits) one(logits, "logits");
    one(targets, "targets");
    if (known) one(known, "known-mask");
  }

  template <class B>
  T run(B& be, std::span<const T> logits, std::span<const T> targets, std::span<const std::int32_t> domains,
        std::span<const std::uint8_t> known, std::span<T> grad) const {
    const std::size_t n = domains.size();
    check_sizes(targets.size(), known.size(), n, logits.size(), true);
    if (!grad.empty() || grad.data()) {
      SJMT_CHECK(shape_error, grad.size() == n * m_plan.width, m_plan.loss_name, ": grad has ", grad.size(),
                 " values, expected N x layout size = ", n, " x ", m_plan.width, " = ", n * m_plan.width,
                 " (N is the number of domain indices)");
    }
    detail::validate_labels(m_plan, targets, domains, known);
    T value = T(0);
    be.loss_forward(m_plan, loss_operands<T>{n, logits.data(), targets.data(), domains.data(),
                                             known.empty() ? nullptr : known.data(),
                                             grad.empty() ? nullptr : grad.data(), &value, scale(n)});
    return value;
  }

  loss_plan<T> m_plan;
  std::vector<loss_plan<T>> m_space_plans;  ///< [space]: m_plan restricted to it; empty if it does not split
  sjmt::reduction m_reduction;
};

}  // namespace sjmt
