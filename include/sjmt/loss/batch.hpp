#pragma once
// A labelled batch on a backend, typed by its dataset union, so that a loss
// of another layout does not compile with it. The trainer fills one from the
// sampler's host batch once per step (train/upload.hpp), after checking its
// labels.

#include <cstddef>
#include <cstdint>

#include "../labels/dataset_union.hpp"

namespace sjmt {

template <dataset_union_type Union, class Backend, class T = float>
struct device_batch {
  using union_type = Union;
  using backend = Backend;
  template <class U>
  using tensor = typename Backend::template tensor<U>;

  std::size_t rows = 0;
  tensor<T> images;               ///< (N, H, W, C)
  tensor<T> targets;              ///< (N, 1, 1, Union::size)
  tensor<std::uint8_t> known;     ///< (N, 1, 1, Union::size): 0 where a label is unknown
  tensor<std::int32_t> domains;   ///< (N, 1, 1, 1): each sample's domain index in Union
  bool has_known = false;         ///< false: every label of the annotated outputs is known
};

}  // namespace sjmt
