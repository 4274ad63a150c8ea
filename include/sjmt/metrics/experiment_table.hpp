#pragma once
// An experiment's table: rows (method, model) of runs over seeds, columns
// chosen metrics of chosen spaces, each cell mean ± sample std over the
// seeds (seed_summary.hpp), written as <stem>.md, .csv and .json.
//
//   sjmt::metrics::experiment_table t("Table 2", {{"emotion", "accuracy", "emotion accuracy"}});
//   t.add("SJMT", "ResNet-8", run_result);           // once per seed
//   std::string md = t.write(folder, "table2", "notes printed under the title");

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "evaluator.hpp"
#include "report.hpp"
#include "seed_summary.hpp"

namespace sjmt::metrics {

/// One column: a metric of a space (the names headline_metrics uses) and its title.
struct table_column {
  std::string space, metric, title;
};

class experiment_table {
 public:
  experiment_table(std::string title, std::vector<table_column> columns)
      : m_title(std::move(title)), m_columns(std::move(columns)) {}

  /// Adds one run (one seed) to the row (method, model); rows keep the order of their first run.
  void add(const std::string& method, const std::string& model, const evaluation_result& r) {
    const std::string key = method + '\x1f' + model;
    if (!m_runs.contains(key)) m_order.emplace_back(method, model);
    m_runs[key].push_back(r);
  }

  /// Writes <folder>/<stem>.{md,csv,json}; returns the markdown.
  std::string write(const std::filesystem::path& folder, const std::string& stem, const std::string& notes) const {
    std::ostringstream md, csv;
    md << "# " << m_title << "\n\n" << notes << "\n\n| method | model |";
    csv << "method,model,space,metric,mean,std,min,max,runs\n";
    for (const table_column& c : m_columns) md << ' ' << c.title << " |";
    md << " seeds |\n|---|---|";
    for (std::size_t i = 0; i < m_columns.size(); ++i) md << "---|";
    md << "---|\n";
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [method, model] : m_order) {
      const auto& runs = m_runs.at(method + '\x1f' + model);
      const seed_summary s = summarize_runs(runs);
      md << "| " << method << " | " << model << " |";
      nlohmann::json cells = nlohmann::json::object();
      for (const table_column& c : m_columns) {
        const metric_spread* m = s.find(c.space, c.metric);
        md << ' ' << cell(m) << " |";
        if (!m) continue;
        csv << method << ',' << model << ',' << c.space << ',' << c.metric << ',' << m->mean << ',' << m->std << ','
            << m->min << ',' << m->max << ',' << m->runs << '\n';
        cells[c.space + "." + c.metric] = {{"mean", number(m->mean)}, {"std", number(m->std)}, {"values", m->values}};
      }
      md << ' ' << runs.size() << " |\n";
      rows.push_back({{"method", method}, {"model", model}, {"seeds", runs.size()}, {"metrics", cells}});
    }
    write_file_atomic(folder / (stem + ".md"), md.str());
    write_file_atomic(folder / (stem + ".csv"), csv.str());
    write_json(folder / (stem + ".json"), {{"title", m_title}, {"notes", notes}, {"rows", rows}});
    return md.str();
  }

  /// Markdown of the per-class accuracy (recall) of exclusive space `space`,
  /// mean over each row's runs: one line per row, one column per class.
  std::string per_class_markdown(const std::string& space) const {
    std::ostringstream md;
    bool header = false;
    for (const auto& [method, model] : m_order) {
      const auto& runs = m_runs.at(method + '\x1f' + model);
      std::vector<double> sum;
      std::size_t n = 0;
      for (const evaluation_result& r : runs)
        if (const exclusive_result* e = r.find<exclusive_result>(space)) {
          if (!header) {
            md << "| method | model |";
            for (const std::string& c : e->classes) md << ' ' << c << " |";
            md << "\n|---|---|";
            for (std::size_t k = 0; k < e->classes.size(); ++k) md << "---|";
            md << '\n';
            header = true;
          }
          sum.resize(e->recall.size(), 0.0);
          for (std::size_t k = 0; k < e->recall.size(); ++k) sum[k] += e->recall[k];
          ++n;
        }
      if (!n) continue;
      md << "| " << method << " | " << model << " |";
      for (double v : sum) md << ' ' << cell_value(v / double(n)) << " |";
      md << '\n';
    }
    return md.str();
  }

 private:
  static std::string cell_value(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", v);
    return b;
  }
  static nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
  static std::string cell(const metric_spread* m) {
    if (!m || !std::isfinite(m->mean)) return "n/a";
    char b[64];
    if (std::isfinite(m->std))
      std::snprintf(b, sizeof b, "%.3f ± %.3f", m->mean, m->std);
    else
      std::snprintf(b, sizeof b, "%.3f", m->mean);
    return b;
  }

  std::string m_title;
  std::vector<table_column> m_columns;
  std::vector<std::pair<std::string, std::string>> m_order;
  std::map<std::string, std::vector<evaluation_result>> m_runs;
};

}  // namespace sjmt::metrics
