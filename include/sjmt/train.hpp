#pragma once
// Training support: checkpoints. Aggregator of train/.

#include "train/checkpoint.hpp"
