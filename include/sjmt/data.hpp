#pragma once
// Data: the synthetic FACS face world (renderer, domains), loaders of the real
// datasets' released formats, augmentation and the dataset-union sampler.

#include "data/augment.hpp"
#include "data/ckplus.hpp"
#include "data/contact_sheet.hpp"
#include "data/emotionet.hpp"
#include "data/expression.hpp"
#include "data/face.hpp"
#include "data/fer2013.hpp"
#include "data/image.hpp"
#include "data/image_io.hpp"
#include "data/load_report.hpp"
#include "data/pipeline/read_batch.hpp"
#include "data/prefetch.hpp"
#include "data/random.hpp"
#include "data/render.hpp"
#include "data/sample.hpp"
#include "data/sampler.hpp"
#include "data/sfew.hpp"
#include "data/synthetic.hpp"
#include "data/targets.hpp"
