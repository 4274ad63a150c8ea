#pragma once
// Backends: the ops interface (concept) and the CPU implementation.

#include "backend/backend.hpp"
#include "backend/conv2d_geometry.hpp"
#include "backend/cpu_backend.hpp"
