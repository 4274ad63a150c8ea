#pragma once
// Mean and spread of the headline metrics over several runs (seeds), for the
// trainers' --seeds K: one row per (space, metric), with
//
//   mean = (1/n) sum_r v_r,   std = sqrt( sum_r (v_r - mean)^2 / (n - 1) )   (sample std)
//
// over the runs where the value is defined (n of them; std undefined for n < 2).
// Headline metrics: exclusive accuracy, mean_per_class_accuracy, macro_f1;
// multilabel mean_accuracy, macro_f1; regression rmse, and nme where measured.
//
// Requires (value_error): at least one run; every run has the same spaces in
// the same order.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "../error.hpp"
#include "evaluator.hpp"
#include "json.hpp"
#include "ratio.hpp"
#include "tables.hpp"

namespace sjmt::metrics {

/// One metric of one space across runs.
struct metric_spread {
  std::string space;
  std::string metric;
  std::vector<double> values;  ///< one per run, NaN where undefined
  std::size_t runs = 0;        ///< runs where the value is defined
  double mean = undefined;
  double std = undefined;      ///< sample standard deviation
  double min = undefined;
  double max = undefined;
};

struct seed_summary {
  std::vector<metric_spread> rows;

  const metric_spread* find(std::string_view space, std::string_view metric) const {
    for (const metric_spread& r : rows)
      if (r.space == space && r.metric == metric) return &r;
    return nullptr;
  }
};

/// The headline metrics of one space, in report order.
inline std::vector<std::pair<std::string, double>> headline_metrics(const space_result& s) {
  struct visitor {
    std::vector<std::pair<std::string, double>> operator()(const exclusive_result& r) const {
      return {{"accuracy", r.accuracy},
              {"mean_per_class_accuracy", r.mean_per_class_accuracy},
              {"macro_f1", r.macro_f1}};
    }
    std::vector<std::pair<std::string, double>> operator()(const multilabel_result& r) const {
      return {{"mean_accuracy", r.mean_accuracy}, {"macro_f1", r.macro_f1}};
    }
    std::vector<std::pair<std::string, double>> operator()(const regression_result& r) const {
      std::vector<std::pair<std::string, double>> m{{"rmse", r.rmse}};
      if (r.has_nme) {
        m.emplace_back("nme", r.nme);
        m.emplace_back("nme_box", r.nme_box);
        m.emplace_back("within_0.08", r.fraction_within(0.08));
        m.emplace_back("within_0.10", r.fraction_within(0.10));
      }
      return m;
    }
  };
  return std::visit(visitor{}, s);
}

inline seed_summary summarize_runs(const std::vector<evaluation_result>& runs) {
  SJMT_CHECK(value_error, !runs.empty(), "summarize_runs: no runs to summarise");
  seed_summary out;
  const evaluation_result& first = runs.front();
  for (std::size_t r = 1; r < runs.size(); ++r) {
    bool same = runs[r].spaces.size() == first.spaces.size();
    for (std::size_t s = 0; same && s < first.spaces.size(); ++s)
      same = space_name(runs[r].spaces[s]) == space_name(first.spaces[s]) &&
             runs[r].spaces[s].index() == first.spaces[s].index();
    SJMT_CHECK(value_error, same, "summarize_runs: run ", r,
               " does not have the spaces of run 0 (same names, kinds and order)");
  }
  for (std::size_t s = 0; s < first.spaces.size(); ++s) {
    const auto names = headline_metrics(first.spaces[s]);
    for (std::size_t m = 0; m < names.size(); ++m) {
      metric_spread row;
      row.space = space_name(first.spaces[s]);
      row.metric = names[m].first;
      double sum = 0;
      for (const evaluation_result& run : runs) {
        const auto values = headline_metrics(run.spaces[s]);
        const double v = m < values.size() ? values[m].second : undefined;
        row.values.push_back(v);
        if (!is_defined(v)) continue;
        ++row.runs;
        sum += v;
        row.min = is_defined(row.min) ? std::min(row.min, v) : v;
        row.max = is_defined(row.max) ? std::max(row.max, v) : v;
      }
      if (row.runs > 0) row.mean = sum / static_cast<double>(row.runs);
      if (row.runs > 1) {
        double sq = 0;
        for (double v : row.values)
          if (is_defined(v)) sq += (v - row.mean) * (v - row.mean);
        row.std = std::sqrt(sq / static_cast<double>(row.runs - 1));
      }
      out.rows.push_back(std::move(row));
    }
  }
  return out;
}

/// | space | metric | mean ± std | min | max | runs |
inline std::string to_markdown(const seed_summary& s) {
  std::ostringstream o;
  o << detail::md_header({"space", "metric", "mean ± std", "min", "max", "runs"});
  for (const metric_spread& r : s.rows) {
    std::string spread = detail::fixed(r.mean);
    if (is_defined(r.std)) spread.append(" ± ").append(detail::fixed(r.std));
    o << detail::md_row({r.space, r.metric, spread, detail::fixed(r.min), detail::fixed(r.max),
                         std::to_string(r.runs) + "/" + std::to_string(r.values.size())});
  }
  return o.str();
}

inline void to_json(nlohmann::json& j, const seed_summary& s) {
  j = nlohmann::json::array();
  for (const metric_spread& r : s.rows) {
    nlohmann::json values = nlohmann::json::array();
    for (double v : r.values) values.push_back(detail::json_number(v));
    j.push_back({{"space", r.space}, {"metric", r.metric}, {"runs", r.runs},
                 {"mean", detail::json_number(r.mean)}, {"std", detail::json_number(r.std)},
                 {"min", detail::json_number(r.min)}, {"max", detail::json_number(r.max)},
                 {"values", std::move(values)}});
  }
}

/// Appends one line "run,step,space,metric,value" per headline metric of `r` to
/// the CSV file at `path` (a learning curve, one evaluation at a time).
inline void append_learning_curve(const std::filesystem::path& path, const std::string& run, std::size_t step,
                                  const evaluation_result& r) {
  std::ofstream out(path, std::ios::app);
  for (const auto& space : r.spaces)
    for (const auto& [metric, v] : headline_metrics(space))
      out << run << ',' << step << ',' << space_name(space) << ',' << metric << ',' << v << '\n';
  SJMT_CHECK(io_error, out.good(), "cannot append to ", path.string());
}

}  // namespace sjmt::metrics
