#pragma once
// Training support: checkpoints, Ctrl-C handling and the progress bar. Aggregator of train/.

#include "train/checkpoint.hpp"
#include "train/interrupt.hpp"
#include "train/progress.hpp"
