#pragma once
// The train / test sources of the paper's tasks (Pons & Masip, Section 4), from
// the built-in synthetic world or from the released datasets, split as the
// paper trainer splits them:
//   emotion in the wild   sfew-like, or SFEW 2.0 Train / Val
//   AUs in the wild       emotionet-like, or an EmotioNet AU table with its last 1,000 rows held out
//   posed (CK+)           ck-like or CK+, every 5th sample tested; contempt (no SFEW class)
//                         left out of the emotion task
//   compound emotions     the first 15 images of each class train, the rest test (Table 4);
//                         synthetic: the paper's per-class counts (722 images, 602 tested)
//   FER pretraining       fer-like, or FER2013's Training / PublicTest
// Loaders' reports of skipped records go to stderr.
//
//   sjmt::data::paper_sources src{.real = false, .world_seed = 1};
//   sjmt::data::split_sources e = src.emotion_wild();   // e.train, e.test

#include <array>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "../../error.hpp"
#include "../formats/ckplus.hpp"
#include "../formats/emotionet.hpp"
#include "../formats/fer2013.hpp"
#include "../formats/sfew.hpp"
#include "../world/synthetic.hpp"
#include "sampler.hpp"

namespace sjmt::data {

/// Train and test sources of one task.
struct split_sources {
  sample_source train, test;
};

/// The rows i of `domain` that `keep(i)` accepts, as a source.
inline sample_source subset(const synthetic_domain& domain, const std::function<bool(std::size_t)>& keep) {
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < domain.size(); ++i)
    if (keep(i)) rows.push_back(i);
  auto shared = std::make_shared<const synthetic_domain>(domain);
  auto idx = std::make_shared<const std::vector<std::size_t>>(std::move(rows));
  return {idx->size(), [shared, idx](std::size_t i) { return (*shared)[(*idx)[i]]; }};
}

struct paper_sources {
  bool real = false;            ///< the released datasets at the paths below, else the synthetic world
  std::uint64_t world_seed = 1;  ///< of the synthetic world
  std::filesystem::path sfew{}, emotionet{}, emotionet_images{}, ckplus{}, compound_csv{}, fer2013{};
  int width = 32, height = 32;  ///< real images are brought to this size
  /// Per-class counts of the synthetic compound subset: the paper's Table 4 (722 images).
  std::array<std::size_t, 8> compound_counts = paper_compound_counts;

  split_sources emotion_wild() const {
    if (!real) return {source(sfew_like(split::train, world_seed)), source(sfew_like(split::test, world_seed))};
    SJMT_CHECK(value_error, !sfew.empty(), "real data needs the SFEW 2.0 folder (with Train/ and Val/)");
    const auto part = [&](const char* name) {
      sfew_options o;
      o.split = name, o.width = width, o.height = height;
      return loaded(load_sfew(sfew, o));
    };
    return {part("Train"), part("Val")};
  }

  /// Faces with 68 landmarks only (300-W-like). Synthetic only: sjmt has no 300-W loader yet
  /// (CK+'s landmark files are read by load_ckplus).
  split_sources landmarks_wild() const {
    SJMT_CHECK(value_error, !real, "the landmark experiment runs on the synthetic world only: sjmt has no 300-W "
               "loader yet (use --data synthetic)");
    return {source(w300_like(split::train, world_seed)), source(w300_like(split::test, world_seed))};
  }

  split_sources aus_wild() const {
    if (!real) return {source(emotionet_like(split::train, world_seed)), source(emotionet_like(split::test, world_seed))};
    SJMT_CHECK(value_error, !emotionet.empty() && !emotionet_images.empty(),
               "real data needs the EmotioNet AU table and the folder of its images");
    loaded_faces all = load_emotionet_aus(emotionet, {});
    SJMT_CHECK(value_error, all.faces.size() > 2000, emotionet.string(), ": ", all.faces.size(),
               " labelled images; 1,000 are held out and more than 2,000 are needed");
    std::vector<labelled_face> test(all.faces.end() - 1000, all.faces.end());
    all.faces.resize(all.faces.size() - 1000);
    auto picture = emotionet_picture_reader(emotionet_images);
    return {lazy_source(std::move(all.faces), picture), lazy_source(std::move(test), picture)};
  }

  /// `emotion`: the emotion task (labelled sequences only, no contempt); else the AU task.
  split_sources ck(bool emotion) const {
    if (!real) {
      const synthetic_domain c = ck_like(world_seed);
      auto keep = [&c, emotion](std::size_t i, bool test) {
        return !(emotion && c.category(i) == contempt_category) && (i % 5 == 4) == test;
      };
      return {subset(c, [&](std::size_t i) { return keep(i, false); }),
              subset(c, [&](std::size_t i) { return keep(i, true); })};
    }
    SJMT_CHECK(value_error, !ckplus.empty(), "real data needs the CK+ folder");
    ckplus_options o;
    o.labelled_only = emotion, o.channels = 3, o.width = width, o.height = height;
    loaded_faces all = load_ckplus(ckplus, o);
    std::vector<labelled_face> train, test;
    for (std::size_t i = 0; i < all.faces.size(); ++i)
      if (!emotion || all.faces[i].emotion >= 0) (i % 5 == 4 ? test : train).push_back(all.faces[i]);
    return {source(std::move(train)), source(std::move(test))};
  }

  split_sources compound() const {
    if (!real) {
      const synthetic_domain c = emotionet_compound_like(world_seed, compound_counts);
      auto first15 = std::make_shared<std::vector<bool>>(c.size());
      std::array<std::size_t, num_categories> taken{};
      for (std::size_t i = 0; i < c.size(); ++i) (*first15)[i] = taken[c.category(i)]++ < 15;
      return {subset(c, [first15](std::size_t i) { return (*first15)[i]; }),
              subset(c, [first15](std::size_t i) { return !(*first15)[i]; })};
    }
    SJMT_CHECK(value_error, !compound_csv.empty(),
               "real data needs the EmotioNet emotion-category CSV and the folder of its images");
    emotionet_options o;
    o.image_root = emotionet_images, o.width = width, o.height = height;
    loaded_faces all = load_emotionet_emotions(compound_csv, o);
    std::vector<labelled_face> train, test;
    std::array<std::size_t, 8> taken{};
    for (auto& f : all.faces)
      if (f.compound >= 0) (taken[std::size_t(f.compound)]++ < 15 ? train : test).push_back(std::move(f));
    return {source(std::move(train)), source(std::move(test))};
  }

  split_sources fer() const {
    if (!real) return {source(fer_like(split::train, world_seed)), source(fer_like(split::test, world_seed))};
    SJMT_CHECK(value_error, !fer2013.empty(), "real data needs fer2013.csv for pretraining");
    const auto part = [&](const char* usage) {
      fer2013_options o;
      o.usage = usage;
      return loaded(load_fer2013(fer2013, o));
    };
    return {part("Training"), part("PublicTest")};
  }

 private:
  static sample_source loaded(const loaded_faces& l) {
    if (!l.report.problems.empty()) std::fprintf(stderr, "sjmt: %s\n", l.report.summary().c_str());
    return source(l.faces);
  }
};

}  // namespace sjmt::data
