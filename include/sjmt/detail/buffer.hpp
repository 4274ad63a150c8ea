#pragma once
// Contiguous input buffers of the batch-level APIs (losses, metrics): anything
// with data() and size() (std::vector, std::array, std::span, xt::xtensor).
// Where the buffer has a shape (xtensor), it is checked to be (N, width).

#include <concepts>
#include <cstddef>
#include <iterator>
#include <span>
#include <string_view>

#include "../error.hpp"

namespace sjmt::detail {

/// A contiguous buffer whose elements can be read (T const) or written (T) as T.
template <class X, class T>
concept buffer_of = requires(X& x) {
  { std::data(x) } -> std::convertible_to<T*>;
  { std::size(x) } -> std::convertible_to<std::size_t>;
};

/// View of a buffer; a shaped buffer must be (N, width). `who` and `what` name
/// the caller and the argument in the error.
template <class T, class X>
std::span<T> view_of(X& x, std::size_t width, std::string_view who, std::string_view what) {
  if constexpr (requires { x.shape(); x.dimension(); }) {
    SJMT_CHECK(shape_error, x.dimension() == 2 && x.shape()[1] == width, who, ": ", what,
               " must have shape (N, ", width, "); it has ", x.dimension(), " dimensions",
               x.dimension() >= 2 ? " and the wrong number of columns" : "");
  }
  return std::span<T>(std::data(x), std::size(x));
}

}  // namespace sjmt::detail
