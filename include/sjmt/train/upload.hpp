#pragma once
// From the sampler's host batch to a labelled batch on a backend: the labels
// are checked against the loss on the host (domain indices, target ranges),
// then every tensor is uploaded once. The host batch is a data::union_batch of
// the loss's union; one of another union does not compile.

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <span>

#include "../data/pipeline/batch.hpp"
#include "../error.hpp"
#include "../loss/batch.hpp"
#include "../loss/union_loss.hpp"
#include "../tensor/host_tensor.hpp"

namespace sjmt {

/// Uploads b's images (N, H, W, C) into batch.images. Any host batch will do:
/// images carry no labels, so no union to match.
template <class Union, class B, class T>
void upload_images(B& be, const data::batch& b, device_batch<Union, B, T>& batch) {
  SJMT_CHECK(shape_error, b.images.size() == b.size * b.height * b.width * b.channels, "upload_batch: ",
             b.images.size(), " image values for ", b.size, " images of ", b.height, "x", b.width, "x", b.channels);
  host_tensor<T> x({b.size, b.height, b.width, b.channels});
  std::copy(b.images.begin(), b.images.end(), x.begin());
  be.upload(batch.images, x);
  batch.rows = b.size;
}

/// Checks b's labels against `loss` and uploads all of b into `batch`.
template <class Union, class B, class T>
void upload_batch(B& be, const data::union_batch<Union>& b, const union_loss<Union, T>& loss,
                  device_batch<Union, B, T>& batch) {
  SJMT_CHECK(shape_error, b.outputs == Union::size, "upload_batch: the batch has ", b.outputs,
             " outputs per row, the union's layout ", Union::size);
  SJMT_CHECK(shape_error, b.domain.size() == b.size, "upload_batch: ", b.domain.size(), " domain indices for ",
             b.size, " rows");
  // The host batch holds float; a loss over double checks the widened (exact) copy.
  host_tensor<T> targets({b.size, 1, 1, Union::size});
  SJMT_CHECK(shape_error, b.targets.size() == targets.size(), "upload_batch: ", b.targets.size(),
             " target values for ", b.size, " rows of ", Union::size);
  std::copy(b.targets.begin(), b.targets.end(), targets.begin());
  loss.validate(std::span<const T>(targets.data(), targets.size()), b.domain, b.known);
  upload_images(be, b, batch);
  be.upload(batch.targets, targets);
  batch.has_known = !b.known.empty();  // empty: every label of an annotated output is known
  if (batch.has_known) {
    host_tensor<std::uint8_t> known({b.size, 1, 1, Union::size});
    std::copy(b.known.begin(), b.known.end(), known.begin());
    be.upload(batch.known, known);
  }
  host_tensor<std::int32_t> domains({b.size, 1, 1, 1});
  std::copy(b.domain.begin(), b.domain.end(), domains.begin());
  be.upload(batch.domains, domains);
}

// A host batch of another union, or an untyped one: one sentence instead of a
// page of candidates.
template <class Union, class B, class T, class Batch>
  requires(std::derived_from<Batch, data::batch> && !data::union_batch_of<Batch, Union>)
void upload_batch(B&, const Batch&, const union_loss<Union, T>&, device_batch<Union, B, T>&) {
  static_assert(detail::always_false<Batch>,
                "sjmt::upload_batch: the host batch is not a data::union_batch of the loss's dataset union; sample "
                "it with a data::union_sampler of that union, or check untyped data into one with "
                "data::to_union_batch<Union>(batch).");
}

}  // namespace sjmt
