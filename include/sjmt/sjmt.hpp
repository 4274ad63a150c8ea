#pragma once
// sjmt: selective joint multi-task training. The umbrella header.

#include "config.hpp"
#include "error.hpp"
#include "labels.hpp"
#include "tensor.hpp"
#include "backend.hpp"
#include "nn.hpp"
#include "optim.hpp"
#include "train.hpp"
