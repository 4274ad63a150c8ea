#pragma once
// Optimisers and learning-rate schedules. Aggregator of optim/.

#include "optim/schedule.hpp"
#include "optim/sgd.hpp"
