#pragma once
// Compile-time label spaces, joint layouts, datasets and dataset unions.

#include "labels/dataset.hpp"
#include "labels/dataset_union.hpp"
#include "labels/facs.hpp"
#include "labels/joint_layout.hpp"
#include "labels/label_space.hpp"
#include "labels/remap.hpp"
#include "labels/spaces.hpp"
