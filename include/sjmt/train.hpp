#pragma once
// Training support: checkpoints and Ctrl-C handling. Aggregator of train/.

#include "train/checkpoint.hpp"
#include "train/interrupt.hpp"
