// Tests of <sjmt/data/pipeline/batch.hpp>: host batches typed by their dataset
// union. The sampler, read_batch and a prefetcher over the sampler give
// union_batch<Union>; a batch of another union of the same width is not one (the
// concept that upload_batch and trainer::step are constrained on; the calls
// themselves are compile-fail tests: tests/compile_fail/upload_batch_other_union.cpp
// and trainer_step_untyped_batch.cpp);
// untyped data becomes one only through to_union_batch, which names the field
// that does not fit.
#include <doctest/doctest.h>

#include <concepts>
#include <cstdint>
#include <type_traits>
#include <utility>

#include <sjmt/data/pipeline/batch.hpp>
#include <sjmt/data/pipeline/prefetch.hpp>
#include <sjmt/data/pipeline/read_batch.hpp>
#include <sjmt/data/pipeline/sampler.hpp>
#include <sjmt/error.hpp>
#include <sjmt/labels.hpp>

using namespace sjmt::data;
namespace sp = sjmt::spaces;

namespace {

using layout = sjmt::joint_layout<sp::emotion, sp::emotionet_aus>;
using domains = sjmt::dataset_union<layout, sjmt::datasets::sfew, sjmt::datasets::emotionet>;
// The same layout and width, the domains the other way round: a batch of one read as
// the other would train SFEW's rows as EmotioNet's.
using swapped = sjmt::dataset_union<layout, sjmt::datasets::emotionet, sjmt::datasets::sfew>;
static_assert(domains::size == swapped::size);

/// A well-formed untyped batch of `domains`: 2 rows of 1x1x3 pictures.
batch untyped() {
  batch b;
  b.size = 2, b.channels = 3, b.height = 1, b.width = 1, b.outputs = domains::size;
  b.images.assign(2 * 3, 0.5f);
  b.domain = {0, 1};
  b.targets.assign(2 * domains::size, 0.f);
  b.known.assign(2 * domains::size, 1);
  b.index = {4, 7};
  return b;
}

}  // namespace

TEST_CASE("union_batch: the union is part of the type") {
  static_assert(union_batch_of<union_batch<domains>, domains>);
  static_assert(union_batch_of<const union_batch<domains>&, domains>);
  static_assert(!union_batch_of<union_batch<swapped>, domains>);  // same width, another union
  static_assert(!union_batch_of<union_batch<domains>, swapped>);
  static_assert(!union_batch_of<batch, domains>);                 // untyped
  // No way from one union to another, nor from untyped data, but through to_union_batch.
  static_assert(!std::is_constructible_v<union_batch<domains>, union_batch<swapped>>);
  static_assert(!std::is_constructible_v<union_batch<domains>, batch>);
  // Code that reads the fields of a batch reads a union_batch.
  static_assert(std::is_convertible_v<const union_batch<domains>&, const batch&>);
  CHECK(union_batch<domains>().outputs == domains::size);
}

TEST_CASE("union_batch: the sampler, read_batch and a prefetcher over the sampler give the union's batches") {
  union_sampler<domains> s({source(sfew_like(split::train, 1)), source(emotionet_like(split::train, 1))},
                           {.batch_size = 4, .height = 8, .width = 8, .seed = 2});
  static_assert(std::same_as<decltype(s.next()), union_batch<domains>>);
  static_assert(std::same_as<decltype(read_batch<domains>(std::declval<const sample_source&>(), 0, 0, 1, {})),
                             union_batch<domains>>);
  prefetcher p([&s] { return s.next(); }, 2);
  static_assert(std::same_as<decltype(p), prefetcher<union_batch<domains>>>);
  const union_batch<domains> b = p.next();
  CHECK(b.size == 4);
  CHECK(b.outputs == domains::size);
  CHECK(b.targets.size() == 4 * domains::size);
}

TEST_CASE("to_union_batch: untyped data of the union's width and consistent sizes becomes a union_batch") {
  const union_batch<domains> b = to_union_batch<domains>(untyped());
  CHECK(b.size == 2);
  CHECK(b.domain == std::vector<std::int32_t>{0, 1});
  CHECK(b.index == std::vector<std::uint64_t>{4, 7});
  CHECK(b.targets.size() == 2 * domains::size);
  batch bare = untyped();  // known and index may be left empty
  bare.known.clear(), bare.index.clear();
  CHECK(to_union_batch<domains>(std::move(bare)).known.empty());
}

TEST_CASE("to_union_batch: a width or a size that does not fit throws shape_error naming the field") {
  const auto fails = [](auto change, const char* message) {
    batch b = untyped();
    change(b);
    CHECK_THROWS_WITH_AS(to_union_batch<domains>(std::move(b)), doctest::Contains(message), sjmt::shape_error);
  };
  fails([](batch& b) { b.outputs = 7; }, "data::to_union_batch: outputs is 7, the union's layout has 18");
  fails([](batch& b) { b.images.pop_back(); }, "images has 5 values, expected size x height x width x channels");
  fails([](batch& b) { b.domain.push_back(0); }, "domain has 3 values, expected size = 2");
  fails([](batch& b) { b.targets.resize(2 * 7); }, "targets has 14 values, expected size x outputs = 2 x 18 = 36");
  fails([](batch& b) { b.known.resize(18); }, "known has 18 values, expected none or size x outputs");
  fails([](batch& b) { b.index = {1}; }, "index has 1 values, expected none or size = 2");
}
