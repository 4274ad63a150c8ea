#pragma once
// Batches of consecutive samples of one domain, in order, without
// augmentation: what evaluation and prediction read.
//
//   sjmt::data::union_batch<domains> b =
//       sjmt::data::read_batch<domains>(test, 0, 128, 64, {.channels = 3, .height = 32, .width = 32});
//   // b.images (64, 32, 32, 3), b.targets / b.known (64, domains::size), b.domain all 0

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../../error.hpp"
#include "../../labels/dataset_union.hpp"
#include "../sample.hpp"
#include "batch.hpp"
#include "sampler.hpp"
#include "targets.hpp"

namespace sjmt::data {

/// The model's input: images are brought to it by fit_to_input.
struct input_shape {
  int channels = 3, height = 32, width = 32;
};

/// Samples [begin, begin + count) of `source`, all of domain `domain` of Union.
template <dataset_union_type Union>
union_batch<Union> read_batch(const sample_source& source, std::size_t domain, std::size_t begin,
                              std::size_t count, const input_shape& in) {
  SJMT_CHECK(value_error, begin + count <= source.size, "read_batch: samples [", begin, ", ", begin + count,
             ") of a source of ", source.size);
  SJMT_CHECK(value_error, domain < Union::num_domains, "read_batch: domain ", domain, ", expected < ",
             Union::num_domains);
  union_batch<Union> b;
  b.size = count, b.channels = static_cast<std::size_t>(in.channels);
  b.height = static_cast<std::size_t>(in.height), b.width = static_cast<std::size_t>(in.width);
  const std::size_t pixels = b.channels * b.height * b.width;
  b.images.resize(count * pixels);
  b.targets.resize(count * Union::size);
  b.known.resize(count * Union::size);
  b.domain.assign(count, static_cast<std::int32_t>(domain));
  b.index.resize(count);
  for (std::size_t r = 0; r < count; ++r) {
    labelled_face f = source.get(begin + r);
    fit_to_input(f, in.channels, in.height, in.width);
    const auto px = f.picture.pixels();  // (H, W, C): one row of the batch as it is
    std::copy(px.begin(), px.end(), b.images.begin() + static_cast<std::ptrdiff_t>(r * pixels));
    fill_targets<Union>(f, domain, std::span(b.targets).subspan(r * Union::size, Union::size),
                        std::span(b.known).subspan(r * Union::size, Union::size));
    b.index[r] = begin + r;
  }
  return b;
}

}  // namespace sjmt::data
