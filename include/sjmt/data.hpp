#pragma once
// Data: the synthetic FACS face world (renderer, domains), loaders of the real
// datasets' released formats, augmentation and the dataset-union sampler.
//
// Three rooms over shared basics:
//   data/world/     the synthetic face world: FACS expressions, the procedural face,
//                   the renderer and the synthetic domains.
//   data/formats/   the real datasets' released formats (FER2013, SFEW, EmotioNet,
//                   CK+) and the load report their loaders return.
//   data/pipeline/  from samples to batches: augmentation, targets, host batches typed
//                   by their union, the dataset-union sampler and its sources, ordered
//                   test batches (read_batch), prefetching.
// The basics stay at data/ because every room uses them and none owns them: the
// image and its files (image.hpp, image_io.hpp), the landmarks, the labelled sample
// (sample.hpp), the deterministic rng (random.hpp); and contact_sheet.hpp, which
// shows labelled faces from any room. world/ and formats/ depend on the basics
// only; pipeline/ on the basics and world/ (a synthetic domain as a source).

#include "data/contact_sheet.hpp"
#include "data/formats/ckplus.hpp"
#include "data/formats/emotionet.hpp"
#include "data/formats/fer2013.hpp"
#include "data/formats/load_report.hpp"
#include "data/formats/sfew.hpp"
#include "data/image.hpp"
#include "data/image_io.hpp"
#include "data/landmarks.hpp"
#include "data/pipeline/augment.hpp"
#include "data/pipeline/batch.hpp"
#include "data/pipeline/paper_sources.hpp"
#include "data/pipeline/prefetch.hpp"
#include "data/pipeline/read_batch.hpp"
#include "data/pipeline/sampler.hpp"
#include "data/pipeline/targets.hpp"
#include "data/random.hpp"
#include "data/sample.hpp"
#include "data/world/expression.hpp"
#include "data/world/face.hpp"
#include "data/world/render.hpp"
#include "data/world/synthetic.hpp"
