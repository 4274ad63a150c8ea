#pragma once
// Host tensors (xtensor underneath). Aggregator of tensor/.

#include "tensor/aligned_allocator.hpp"
#include "tensor/compute_type.hpp"
#include "tensor/host_tensor.hpp"
