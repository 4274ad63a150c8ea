#pragma once
// The selective joint loss (Pons & Masip, Eq. 1) and the paper's baselines.

#include "loss/batch.hpp"
#include "loss/naive_joint_loss.hpp"
#include "loss/options.hpp"
#include "loss/selective_loss.hpp"
#include "loss/selective_softmax_loss.hpp"
#include "loss/task_loss.hpp"
#include "loss/union_loss.hpp"
