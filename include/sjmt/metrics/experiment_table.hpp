#pragma once
// An experiment's table: rows (method, model) of runs over seeds, columns
// chosen metrics of chosen spaces, each cell mean ± sample std over the
// seeds (seed_summary.hpp), written as <stem>.md, .csv and .json. With a
// baseline method, every other row of the same model is also compared with it
// seed by seed (paired_test.hpp: mean difference, paired t-test, sign test),
// written under the table and to <stem>-paired.csv. A row may name its own
// baseline (an ablation: each method with and without pretraining).
//
//   sjmt::metrics::experiment_table t("Table 2", {{"emotion", "accuracy", "emotion accuracy"}});
//   t.set_baseline("classical multi-task");
//   t.add("SJMT", "ResNet-8", run_result, seed);     // once per seed
//   std::string md = t.write(folder, "table2", "notes printed under the title");

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "evaluator.hpp"
#include "paired_test.hpp"
#include "report.hpp"
#include "seed_summary.hpp"

namespace sjmt::metrics {

/// One column: a metric of a space (the names headline_metrics uses) and its title.
/// `lower_is_better` (errors: NME) turns which differences count as better in the
/// paired comparison; the mean difference stays row minus baseline either way.
struct table_column {
  std::string space, metric, title;
  bool lower_is_better = false;
};

class experiment_table {
 public:
  experiment_table(std::string title, std::vector<table_column> columns)
      : m_title(std::move(title)), m_columns(std::move(columns)) {}

  /// Adds the run of `seed` to the row (method, model); rows keep the order of their first run.
  void add(const std::string& method, const std::string& model, const evaluation_result& r, std::uint64_t seed) {
    const std::string key = method + '\x1f' + model;
    if (!m_runs.contains(key)) m_order.emplace_back(method, model);
    SJMT_CHECK(value_error, !m_seeds[key].contains(seed), "experiment_table: row (", method, ", ", model,
               ") has a run of seed ", seed, " already");
    m_seeds[key][seed] = m_runs[key].size();
    m_runs[key].push_back(r);
  }

  /// Rows of another method are compared with `method`'s row of the same model, seed by seed.
  void set_baseline(std::string method) { m_baseline = std::move(method); }

  /// Rows of `method` are compared with `baseline`'s row instead of the table's baseline
  /// (which need not be set); rows of `baseline` itself are then not compared with it.
  void set_baseline(const std::string& method, std::string baseline) {
    SJMT_CHECK(value_error, method != baseline, "experiment_table: row '", method, "' cannot be its own baseline");
    m_row_baselines[method] = std::move(baseline);
  }

  /// One comparison of a row against the baseline's row of its model, on one column.
  struct comparison {
    std::string method, model, baseline;
    table_column column;
    std::vector<std::uint64_t> seeds;  ///< the seeds both rows ran, ascending
    paired_comparison test;
  };

  /// Every comparison against the baseline (none without one, or for a model the baseline did not run).
  std::vector<comparison> comparisons() const {
    std::vector<comparison> out;
    for (const auto& [method, model] : m_order) {
      const std::string& baseline = baseline_of(method);
      const std::string base_key = baseline + '\x1f' + model, key = method + '\x1f' + model;
      if (baseline.empty() || method == baseline || !m_runs.contains(base_key)) continue;
      std::vector<std::uint64_t> seeds;
      for (const auto& [seed, index] : m_seeds.at(key))
        if (m_seeds.at(base_key).contains(seed)) seeds.push_back(seed);
      for (const table_column& c : m_columns) {
        std::vector<double> a, b;
        for (std::uint64_t seed : seeds) {
          a.push_back(value(m_runs.at(base_key)[m_seeds.at(base_key).at(seed)], c));
          b.push_back(value(m_runs.at(key)[m_seeds.at(key).at(seed)], c));
        }
        paired_comparison test = compare_paired(a, b);
        if (c.lower_is_better) std::swap(test.wins, test.losses);  // wins: the row better than the baseline
        out.push_back({method, model, baseline, c, seeds, test});
      }
    }
    return out;
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
    const std::vector<comparison> paired = comparisons();
    nlohmann::json paired_json = nlohmann::json::array();
    if (!paired.empty()) {
      std::ostringstream pcsv;
      const bool one_baseline = std::ranges::all_of(paired, [&](const comparison& c) { return c.baseline == paired[0].baseline; });
      md << "\nPaired by seed, row minus " << (one_baseline ? paired[0].baseline : "its baseline")
         << " (t: paired t-test, two-sided; sign: exact sign test, two-sided, ties dropped):\n\n"
         << (one_baseline ? "" : "| baseline ")
         << "| method | model | metric | mean difference ± std | better / worse / tied | p (t) | p (sign) | seeds |\n"
         << (one_baseline ? "" : "|---") << "|---|---|---|---|---|---|---|---|\n";
      // wins / losses: runs where the row is better / worse than the baseline (lower_is_better: smaller).
      pcsv << "method,model,baseline,space,metric,pairs,mean_difference,std_difference,t,p_t,wins,losses,ties,p_sign,"
              "lower_is_better\n";
      for (const comparison& c : paired) {
        const paired_comparison& t = c.test;
        std::string spread = signed_value(t.mean_difference);
        if (std::isfinite(t.std_difference)) spread.append(" ± ").append(cell_value(t.std_difference));
        if (!one_baseline) md << "| " << c.baseline << ' ';
        md << "| " << c.method << " | " << c.model << " | " << c.column.title << " | " << spread << " | " << t.wins
           << " / " << t.losses << " / " << t.ties << " | " << p_value(t.t_p_value) << " | "
           << p_value(t.sign_p_value) << " | " << t.pairs << " |\n";
        pcsv << c.method << ',' << c.model << ',' << c.baseline << ',' << c.column.space << ',' << c.column.metric
             << ',' << t.pairs << ',' << t.mean_difference << ',' << t.std_difference << ',' << t.t << ','
             << t.t_p_value << ',' << t.wins << ',' << t.losses << ',' << t.ties << ',' << t.sign_p_value << ','
             << (c.column.lower_is_better ? 1 : 0) << '\n';
        paired_json.push_back({{"method", c.method}, {"model", c.model}, {"baseline", c.baseline},
                               {"space", c.column.space}, {"metric", c.column.metric}, {"seeds", c.seeds},
                               {"pairs", t.pairs}, {"mean_difference", number(t.mean_difference)},
                               {"std_difference", number(t.std_difference)}, {"t", number(t.t)},
                               {"p_t", number(t.t_p_value)}, {"wins", t.wins}, {"losses", t.losses},
                               {"ties", t.ties}, {"p_sign", number(t.sign_p_value)},
                               {"lower_is_better", c.column.lower_is_better}});
      }
      write_file_atomic(folder / (stem + "-paired.csv"), pcsv.str());
    }
    write_file_atomic(folder / (stem + ".md"), md.str());
    write_file_atomic(folder / (stem + ".csv"), csv.str());
    write_json(folder / (stem + ".json"),
               {{"title", m_title}, {"notes", notes}, {"rows", rows}, {"baseline", m_baseline},
                {"row_baselines", m_row_baselines}, {"paired", paired_json}});
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
  const std::string& baseline_of(const std::string& method) const {
    const auto it = m_row_baselines.find(method);
    return it == m_row_baselines.end() ? m_baseline : it->second;
  }
  static double value(const evaluation_result& r, const table_column& c) {
    for (const space_result& s : r.spaces)
      if (space_name(s) == c.space)
        for (const auto& [metric, v] : headline_metrics(s))
          if (metric == c.metric) return v;
    return undefined;
  }
  static std::string signed_value(double v) {
    if (!std::isfinite(v)) return "n/a";
    char b[32];
    std::snprintf(b, sizeof b, "%+.3f", v);
    return b;
  }
  static std::string p_value(double p) {
    if (!std::isfinite(p)) return "n/a";
    char b[32];
    std::snprintf(b, sizeof b, p < 0.001 ? "%.1e" : "%.3f", p);
    return b;
  }
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
  std::map<std::string, std::map<std::uint64_t, std::size_t>> m_seeds;  ///< row -> seed -> index in m_runs
  std::string m_baseline;
  std::map<std::string, std::string> m_row_baselines;  ///< method -> its own baseline
};

}  // namespace sjmt::metrics
