#pragma once
// Host batches: the rows that a training step or an evaluation uploads.
//
//   sjmt::data::union_batch<domains> b = sampler.next();            // typed by the union it was sampled for
//   sjmt::data::union_batch<domains> c = sjmt::data::to_union_batch<domains>(std::move(mine));  // untyped data
//
// `batch` is the untyped row-major record. `union_batch<Union>` is that record
// with the dataset union it was made for as part of its type: the sampler and
// read_batch return it, and upload_batch and trainer::step take only the one of
// their loss's union, so a batch sampled for another union of the same width is
// a compile error instead of a silently wrong step. Host data of one's own
// becomes a union_batch through to_union_batch, which checks its shapes.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "../../error.hpp"
#include "../../labels/dataset_union.hpp"

namespace sjmt::data {

/// One batch, row-major, of no union in particular.
struct batch {
  std::size_t size = 0, channels = 0, height = 0, width = 0, outputs = 0;
  std::vector<float> images;          ///< (N, H, W, C), channels last as data::image
  std::vector<std::int32_t> domain;   ///< (N)
  std::vector<float> targets;         ///< (N, outputs)
  std::vector<std::uint8_t> known;    ///< (N, outputs)
  std::vector<std::uint64_t> index;   ///< (N) the sample's index within its domain
};

/// A batch of the dataset union Union: targets and known (N, Union::size), domain
/// indices into Union's domains. Code that reads the fields of a `batch` reads it as
/// one; the other way round takes to_union_batch.
template <dataset_union_type Union>
struct union_batch : batch {
  using union_type = Union;
  union_batch() { outputs = Union::size; }
};

/// Whether Batch is the host batch of the dataset union Union (what upload_batch and
/// trainer::step take).
template <class Batch, class Union>
concept union_batch_of = std::same_as<std::remove_cvref_t<Batch>, union_batch<Union>>;

/// The untyped batch `b` as a batch of Union, for host data that did not come from
/// a union_sampler. Throws shape_error naming the field whose size does not fit:
/// outputs == Union::size; images N x H x W x C values; domain N; targets N x
/// Union::size; known and index empty or of N rows.
template <dataset_union_type Union>
union_batch<Union> to_union_batch(batch b) {
  constexpr std::size_t W = Union::size;
  const std::size_t n = b.size;
  SJMT_CHECK(shape_error, b.outputs == W, "data::to_union_batch: outputs is ", b.outputs,
             ", the union's layout has ", W);
  SJMT_CHECK(shape_error, b.images.size() == n * b.height * b.width * b.channels, "data::to_union_batch: images has ",
             b.images.size(), " values, expected size x height x width x channels = ", n, " x ", b.height, " x ",
             b.width, " x ", b.channels);
  SJMT_CHECK(shape_error, b.domain.size() == n, "data::to_union_batch: domain has ", b.domain.size(),
             " values, expected size = ", n);
  SJMT_CHECK(shape_error, b.targets.size() == n * W, "data::to_union_batch: targets has ", b.targets.size(),
             " values, expected size x outputs = ", n, " x ", W, " = ", n * W);
  SJMT_CHECK(shape_error, b.known.empty() || b.known.size() == n * W, "data::to_union_batch: known has ",
             b.known.size(), " values, expected none or size x outputs = ", n, " x ", W, " = ", n * W);
  SJMT_CHECK(shape_error, b.index.empty() || b.index.size() == n, "data::to_union_batch: index has ",
             b.index.size(), " values, expected none or size = ", n);
  union_batch<Union> typed;
  static_cast<batch&>(typed) = std::move(b);
  return typed;
}

}  // namespace sjmt::data
