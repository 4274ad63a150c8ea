#pragma once
// Metrics and result reporting: per-space evaluation (accuracy, per-class
// accuracy, confusion; per-AU accuracy as the paper's Eq. 3, precision,
// recall, F1; RMSE and NME), the paper's Figure 2 / Table 3 (mean AU score by
// predicted emotion), markdown / CSV / JSON reports written atomically and a
// heat-map renderer (the progress bar is in train/progress.hpp). Definitions: docs/metrics.md.

#include "metrics/au_by_emotion_figure.hpp"
#include "metrics/au_by_emotion.hpp"
#include "metrics/compound_inference.hpp"
#include "metrics/evaluator.hpp"
#include "metrics/exclusive_metrics.hpp"
#include "metrics/experiment_table.hpp"
#include "metrics/heat_map.hpp"
#include "metrics/json.hpp"
#include "metrics/landmark_figures.hpp"
#include "metrics/multilabel_metrics.hpp"
#include "metrics/paired_test.hpp"
#include "metrics/ratio.hpp"
#include "metrics/regression_metrics.hpp"
#include "metrics/report.hpp"
#include "metrics/scores.hpp"
#include "metrics/seed_summary.hpp"
#include "metrics/tables.hpp"
