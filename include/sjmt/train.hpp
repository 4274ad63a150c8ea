#pragma once
// Training: the trainer (step, fit, evaluate), batch upload, checkpoints,
// Ctrl-C handling and the progress bar. Aggregator of train/.

#include "train/checkpoint.hpp"
#include "train/interrupt.hpp"
#include "train/progress.hpp"
#include "train/run_folder.hpp"
#include "train/trainer.hpp"
#include "train/upload.hpp"
#include "train/weighting.hpp"
