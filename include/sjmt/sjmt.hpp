#pragma once
// sjmt: selective joint multi-task training. The umbrella header.

#include "config.hpp"
#include "data.hpp"
#include "error.hpp"
#include "labels.hpp"
#include "loss.hpp"
#include "metrics.hpp"
