#pragma once
// Training: the trainer (step, fit, evaluate), batch upload, checkpoints and
// Ctrl-C handling. Aggregator of train/.

#include "train/checkpoint.hpp"
#include "train/interrupt.hpp"
#include "train/trainer.hpp"
#include "train/upload.hpp"
