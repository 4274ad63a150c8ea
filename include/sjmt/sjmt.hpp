#pragma once
// sjmt: selective joint multi-task training. The umbrella header.

#include "backend.hpp"
#include "config.hpp"
#include "data.hpp"
#include "deploy.hpp"
#include "error.hpp"
#include "io.hpp"
#include "labels.hpp"
#include "loss.hpp"
#include "metrics.hpp"
#include "nn.hpp"
#include "optim.hpp"
#include "tensor.hpp"
#include "train.hpp"
