#pragma once
// The calling surface shared by the losses of loss/: they differ only in the
// plan they build; value() and forward_backward() are written once here.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>

#include "../../detail/buffer.hpp"
#include "../../error.hpp"
#include "loss_engine.hpp"

namespace sjmt::detail {

template <class T>
class loss_base {
 public:
  using value_type = T;

  /// Loss of the batch. Shapes: logits, targets (N, width); domains (N);
  /// known (N, width), or omitted when every label is known.
  template <buffer_of<const T> Logits, buffer_of<const T> Targets,
            buffer_of<const std::int32_t> Domains>
  T value(const Logits& logits, const Targets& targets, const Domains& domains) const {
    return run(logits, targets, domains, std::span<const std::uint8_t>{}, std::span<T>{});
  }
  template <buffer_of<const T> Logits, buffer_of<const T> Targets,
            buffer_of<const std::int32_t> Domains, buffer_of<const std::uint8_t> Known>
  T value(const Logits& logits, const Targets& targets, const Domains& domains,
          const Known& known) const {
    return run(logits, targets, domains, known, std::span<T>{});
  }

  /// Loss of the batch, and its gradient with respect to the logits in `grad`
  /// (N, width): zero on every output the sample's dataset does not annotate.
  /// `grad` is a container, or a view such as std::span<T> passed by value.
  template <buffer_of<const T> Logits, buffer_of<const T> Targets,
            buffer_of<const std::int32_t> Domains, buffer_of<T> Grad>
  T forward_backward(const Logits& logits, const Targets& targets, const Domains& domains,
                     Grad&& grad) const {
    return run(logits, targets, domains, std::span<const std::uint8_t>{}, grad_view(grad));
  }
  template <buffer_of<const T> Logits, buffer_of<const T> Targets,
            buffer_of<const std::int32_t> Domains, buffer_of<const std::uint8_t> Known,
            buffer_of<T> Grad>
  T forward_backward(const Logits& logits, const Targets& targets, const Domains& domains,
                     const Known& known, Grad&& grad) const {
    return run(logits, targets, domains, known, grad_view(grad));
  }

  std::size_t width() const { return m_plan.width; }
  sjmt::reduction reduction() const { return m_plan.reduction; }

 protected:
  explicit loss_base(loss_plan<T> plan) : m_plan(std::move(plan)) {}

 private:
  template <class Grad>
  std::span<T> grad_view(Grad& grad) const {
    return view_of<T>(grad, m_plan.width, m_plan.loss_name, "grad");
  }
  template <class Logits, class Targets, class Domains, class Known>
  T run(const Logits& logits, const Targets& targets, const Domains& domains, const Known& known,
        std::span<T> grad) const {
    const std::size_t w = m_plan.width;
    const std::string_view name = m_plan.loss_name;
    return run_loss<T>(m_plan, view_of<const T>(logits, w, name, "logits"),
                       view_of<const T>(targets, w, name, "targets"),
                       std::span<const std::int32_t>(std::data(domains), std::size(domains)),
                       known_view(known, w, name), grad);
  }
  template <class Known>
  static std::span<const std::uint8_t> known_view(const Known& known, std::size_t w, std::string_view name) {
    if constexpr (std::same_as<Known, std::span<const std::uint8_t>>)
      if (known.empty()) return known;
    return view_of<const std::uint8_t>(known, w, name, "known-mask");
  }

  loss_plan<T> m_plan;
};

}  // namespace sjmt::detail
