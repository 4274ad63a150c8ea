#pragma once
// Files: atomic writes, JSON files (nlohmann) and safetensors tensors, each
// failure an io_error naming the file. Aggregator of io/.

#include "io/atomic_file.hpp"
#include "io/json.hpp"
#include "io/safetensors.hpp"
