#pragma once
// Using a trained network: the predictor (a checkpoint in, named answers per
// label space out), its result types and raw-pixel input, and the ONNX export.
// Aggregator of deploy/.

#include "deploy/input.hpp"
#include "deploy/onnx.hpp"
#include "deploy/prediction.hpp"
#include "deploy/predictor.hpp"
