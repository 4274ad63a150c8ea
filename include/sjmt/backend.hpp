#pragma once
// Backends: the concept, the one door to the compute (sjmt::ops) and the CPU
// backend.

#include "backend/backend.hpp"
#include "backend/conv2d_geometry.hpp"
#include "backend/cpu_backend.hpp"
#include "backend/loss_plan.hpp"
#include "backend/ops.hpp"
