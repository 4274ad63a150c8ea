#pragma once
// The dataset-union sampler: batches for training one network on several domains.
//
//   using domains = sjmt::dataset_union<layout, sjmt::datasets::sfew, sjmt::datasets::emotionet>;
//   sjmt::data::union_sampler<domains> s({sjmt::data::source(sfew), sjmt::data::source(emotionet)},
//                                        {.batch_size = 64, .mode = sjmt::data::batch_mode::mixed,
//                                         .proportions = {0.5, 0.5}});
//   sjmt::data::union_batch<domains> b = s.next();  // a batch of `domains` only (batch.hpp)
//   b.images   // (N, H, W, C) float32: row r is the r-th picture's pixels() as is
//   b.domain   // (N) int32: the sample's domain index in the union
//   b.targets  // (N, layout::size) float32
//   b.known    // (N, layout::size) uint8: 0 where the domain does not annotate the output
//              //  or the sample's label is unknown (EmotioNet's 999)
//
// Modes: mixed (each batch draws from every domain in set proportions: SJMT, naive joint,
// selective softmax), alternating (each batch from one domain in turn: classical multi-task),
// single (one domain: single task). Each domain is read in a shuffled order that is
// reshuffled when it runs out. Ensures: the sequence of batches depends only on the
// sources and the options (seed included).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include "../../error.hpp"
#include "../../labels/dataset_union.hpp"
#include "../random.hpp"
#include "../sample.hpp"
#include "../world/synthetic.hpp"
#include "augment.hpp"
#include "batch.hpp"
#include "targets.hpp"

namespace sjmt::data {

/// A domain's samples: how many, and sample i on demand. With sampler_options::threads > 1,
/// `get` is called from several threads at once and must be safe to (the sources below are).
struct sample_source {
  std::size_t size = 0;
  std::function<labelled_face(std::size_t)> get;
};

/// A synthetic domain as a source (rendered lazily; the domain is copied in).
inline sample_source source(synthetic_domain d) {
  auto shared = std::make_shared<const synthetic_domain>(std::move(d));
  return {shared->size(), [shared](std::size_t i) { return (*shared)[i]; }};
}

/// Loaded samples as a source (they are moved in and shared).
inline sample_source source(std::vector<labelled_face> faces) {
  auto shared = std::make_shared<const std::vector<labelled_face>>(std::move(faces));
  return {shared->size(), [shared](std::size_t i) { return (*shared)[i]; }};
}

/// Labels held in memory, pictures decoded when a sample is asked for: for datasets too
/// large to hold decoded (EmotioNet's 950,000 automatically coded images). `picture(f)`
/// returns the picture of the label record `f` (e.g. read_image(root / file of f.source)).
inline sample_source lazy_source(std::vector<labelled_face> labels,
                                 std::function<image(const labelled_face&)> picture) {
  auto shared = std::make_shared<const std::vector<labelled_face>>(std::move(labels));
  return {shared->size(), [shared, picture = std::move(picture)](std::size_t i) {
            labelled_face f = (*shared)[i];
            f.picture = picture(f);
            return f;
          }};
}

enum class batch_mode { mixed, alternating, single };

struct sampler_options {
  std::size_t batch_size = 64;
  int channels = 3, height = 32, width = 32;  ///< the model's input
  batch_mode mode = batch_mode::mixed;
  /// mixed: the share of each domain in a batch (one per domain; empty: proportional to
  /// the domains' sizes). Expected counts are exact; a batch's remainder is drawn at random.
  std::vector<double> proportions{};
  std::size_t single_domain = 0;  ///< single: the domain used
  bool shuffle = true;
  bool augment = true;            ///< pad-4 random crop and horizontal flip
  augment_options augmentation{};
  std::uint64_t seed = 0;
  /// Threads that load and render the rows of a batch (OpenMP; 1: the calling thread only).
  /// The batches do not depend on it: every random draw is made before the parallel part.
  int threads = 1;
};

template <dataset_union_type Union>
class union_sampler {
 public:
  static constexpr std::size_t num_domains = Union::num_domains;

  /// Requires: one non-empty source per domain of Union, in the union's order; options valid.
  union_sampler(std::array<sample_source, num_domains> sources, sampler_options options)
      : m_sources(std::move(sources)), m_options(std::move(options)), m_rng(derive_seed(m_options.seed, 0x5a3b1e)) {
    const sampler_options& o = m_options;
    SJMT_CHECK(value_error, o.batch_size > 0, "union_sampler: batch_size is 0");
    SJMT_CHECK(value_error, o.channels == 1 || o.channels == 3, "union_sampler: ", o.channels,
               " input channels; expected 1 or 3");
    SJMT_CHECK(value_error, o.height > 0 && o.width > 0, "union_sampler: input ", o.height, "x", o.width);
    for (std::size_t d = 0; d < num_domains; ++d) {
      SJMT_CHECK(value_error, m_sources[d].size > 0 && m_sources[d].get, "union_sampler: the source of domain '",
                 Union::domain_names[d], "' is empty");
      m_order[d].resize(m_sources[d].size);
      std::iota(m_order[d].begin(), m_order[d].end(), std::size_t{0});
      reshuffle(d);
    }
    if (o.mode == batch_mode::mixed) {
      if (o.proportions.empty()) {
        for (const sample_source& s : m_sources) m_share.push_back(static_cast<double>(s.size));
      } else {
        SJMT_CHECK(value_error, o.proportions.size() == num_domains, "union_sampler: ", o.proportions.size(),
                   " proportions for ", num_domains, " domains");
        m_share = o.proportions;
      }
      double sum = 0;
      for (double p : m_share) {
        SJMT_CHECK(value_error, p >= 0, "union_sampler: negative proportion ", p);
        sum += p;
      }
      SJMT_CHECK(value_error, sum > 0, "union_sampler: the proportions sum to 0");
      for (double& p : m_share) p /= sum;
    }
    if (o.mode == batch_mode::single)
      SJMT_CHECK(value_error, o.single_domain < num_domains, "union_sampler: single_domain ", o.single_domain,
                 " but the union has ", num_domains, " domains");
  }

  /// Samples in one epoch: the used domains' sizes summed.
  std::size_t epoch_size() const {
    if (m_options.mode == batch_mode::single) return m_sources[m_options.single_domain].size;
    std::size_t n = 0;
    for (std::size_t d = 0; d < num_domains; ++d)
      if (m_options.mode != batch_mode::mixed || m_share[d] > 0) n += m_sources[d].size;
    return n;
  }
  std::size_t batches_per_epoch() const { return (epoch_size() + m_options.batch_size - 1) / m_options.batch_size; }
  /// Completed epochs (samples drawn / epoch_size()).
  std::size_t epoch() const { return m_drawn / epoch_size(); }
  /// Times domain d's order has been exhausted and reshuffled.
  std::size_t passes(std::size_t d) const { return m_passes.at(d); }

  /// The next batch.
  union_batch<Union> next() {
    const sampler_options& o = m_options;
    const std::size_t n = o.batch_size;
    union_batch<Union> b;
    b.size = n, b.channels = static_cast<std::size_t>(o.channels), b.height = static_cast<std::size_t>(o.height);
    b.width = static_cast<std::size_t>(o.width);
    const std::size_t pixels = b.channels * b.height * b.width;
    b.images.resize(n * pixels);
    b.targets.resize(n * Union::size);
    b.known.resize(n * Union::size);
    std::vector<crop_flip> crops = draw(b);
    std::exception_ptr error;
    const auto rows = static_cast<std::ptrdiff_t>(n);
#if defined(_OPENMP)
#pragma omp parallel for num_threads(o.threads > 0 ? o.threads : 1) schedule(dynamic)
#endif
    for (std::ptrdiff_t r = 0; r < rows; ++r) {
      const auto row = static_cast<std::size_t>(r);
      try {
        const auto d = static_cast<std::size_t>(b.domain[row]);
        labelled_face f = m_sources[d].get(b.index[row]);
        fit_to_input(f, o.channels, o.height, o.width);
        apply_crop_flip(f, crops[row]);
        const std::span<const float> in = f.picture.pixels();  // (H, W, C), as a batch row
        std::copy(in.begin(), in.end(), b.images.begin() + static_cast<std::ptrdiff_t>(row * pixels));
        fill_targets<Union>(f, d, std::span(b.targets).subspan(row * Union::size, Union::size),
                            std::span(b.known).subspan(row * Union::size, Union::size));
      } catch (...) {
#if defined(_OPENMP)
#pragma omp critical(sjmt_union_sampler_error)
#endif
        if (!error) error = std::current_exception();
      }
    }
    if (error) std::rethrow_exception(error);
    return b;
  }

  /// Advances past `batches` batches without loading or rendering them: afterwards next()
  /// returns what it would have returned after `batches` calls (resuming a run).
  void skip(std::size_t batches) {
    batch b;
    for (std::size_t i = 0; i < batches; ++i) draw(b);
  }

  /// Batches drawn so far (by next() or skip()).
  std::size_t batches_drawn() const { return m_batches; }

 private:
  /// Every random draw of one batch, in row order, so that batches depend neither on the
  /// threads nor on whether they were rendered: fills b.domain and b.index, returns the crops.
  std::vector<crop_flip> draw(batch& b) {
    const sampler_options& o = m_options;
    const std::size_t n = o.batch_size;
    std::vector<std::size_t> domains(n, 0);
    switch (o.mode) {
      case batch_mode::single: std::fill(domains.begin(), domains.end(), o.single_domain); break;
      case batch_mode::alternating: std::fill(domains.begin(), domains.end(), m_batches % num_domains); break;
      case batch_mode::mixed: domains = mixed_composition(n); break;
    }
    ++m_batches;
    b.domain.resize(n);
    b.index.resize(n);
    std::vector<crop_flip> crops(n);
    for (std::size_t row = 0; row < n; ++row) {
      b.domain[row] = static_cast<std::int32_t>(domains[row]);
      b.index[row] = take(domains[row]);
      if (o.augment) crops[row] = draw_crop_flip(o.augmentation, m_rng);
    }
    m_drawn += n;
    return crops;
  }

  void reshuffle(std::size_t d) {
    if (!m_options.shuffle) return;
    std::vector<std::size_t>& v = m_order[d];
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[m_rng.below(static_cast<std::uint32_t>(i))]);
  }

  std::size_t take(std::size_t d) {
    if (m_cursor[d] == m_order[d].size()) {
      m_cursor[d] = 0, ++m_passes[d];
      reshuffle(d);
    }
    return m_order[d][m_cursor[d]++];
  }

  /// Domains of a mixed batch: floor(n * share) of each, the remainder drawn in proportion
  /// to the fractional parts, then the rows shuffled so that domains interleave.
  std::vector<std::size_t> mixed_composition(std::size_t n) {
    std::vector<std::size_t> rows;
    std::array<double, num_domains> frac{};
    double frac_sum = 0;
    for (std::size_t d = 0; d < num_domains; ++d) {
      const double exact = static_cast<double>(n) * m_share[d];
      const auto whole = static_cast<std::size_t>(exact);
      rows.insert(rows.end(), whole, d);
      frac[d] = exact - static_cast<double>(whole), frac_sum += frac[d];
    }
    while (rows.size() < n) {
      double u = static_cast<double>(m_rng.uniform()) * frac_sum;
      std::size_t d = 0;
      while (d + 1 < num_domains && (frac[d] <= 0 || u >= frac[d])) u -= frac[d], ++d;
      rows.push_back(d);
    }
    for (std::size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[m_rng.below(static_cast<std::uint32_t>(i))]);
    return rows;
  }

  std::array<sample_source, num_domains> m_sources;
  sampler_options m_options;
  rng m_rng;
  std::array<std::vector<std::size_t>, num_domains> m_order{};
  std::array<std::size_t, num_domains> m_cursor{};
  std::array<std::size_t, num_domains> m_passes{};
  std::vector<double> m_share;
  std::size_t m_batches = 0, m_drawn = 0;
};

}  // namespace sjmt::data
