#pragma once
// Results as text tables: markdown for people (docs/results.md, the log) and
// CSV for spreadsheets and plots. Labels are qualified by their space
// ("aus/AU12"); undefined values print as "n/a" (markdown) or an empty field
// (CSV). Rates are printed in [0, 1] with 4 decimals.
//
// CSV layout (long form, one value per line; header included):
//   space,kind,label,metric,value
//   aus,multilabel,aus/AU12,f1,0.8125
//   aus,multilabel,,mean_accuracy,0.9034        (space-level values: empty label)
//   emo,exclusive,emo/a,confusion:emo/b,3        (row = true a, column = predicted b)

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "au_by_emotion.hpp"
#include "evaluator.hpp"

namespace sjmt::detail {

inline std::string fixed(double v, int decimals = 4) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

inline std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// A CSV field, quoted where it holds a comma, a quote or a line break (RFC 4180).
inline std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out(1, '"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

/// A markdown table cell: '|' escaped.
inline std::string md_cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

inline std::string md_row(const std::vector<std::string>& cells) {
  std::string out(1, '|');
  for (const std::string& c : cells) {
    out.push_back(' ');
    out.append(md_cell(c));
    out.append(" |");
  }
  out.push_back('\n');
  return out;
}

inline std::string md_header(const std::vector<std::string>& cells) {
  std::string out = md_row(cells);
  out.push_back('|');
  for (std::size_t i = 0; i < cells.size(); ++i) out.append(i == 0 ? " --- |" : " ---: |");
  out.push_back('\n');
  return out;
}

inline std::string label_of(std::string_view space, std::string_view label) {
  std::string out(space);
  out.push_back('/');
  out.append(label);
  return out;
}

inline void markdown_space(std::ostringstream& o, const metrics::exclusive_result& r) {
  o << "### " << r.space << " (exclusive)\n\n"
    << "accuracy " << fixed(r.accuracy) << " (" << r.correct << " of " << r.count
    << "), mean per-class accuracy " << fixed(r.mean_per_class_accuracy) << ", macro F1 "
    << fixed(r.macro_f1) << "\n\n";
  o << md_header({"class", "support", "accuracy (recall)", "precision", "F1"});
  for (std::size_t c = 0; c < r.classes.size(); ++c)
    o << md_row({label_of(r.space, r.classes[c]), std::to_string(r.support[c]), fixed(r.recall[c]),
                 fixed(r.precision[c]), fixed(r.f1[c])});
  o << "\nConfusion (rows: true class, columns: predicted class)\n\n";
  std::vector<std::string> head{"true \\ predicted"};
  for (const std::string& c : r.classes) head.push_back(c);
  o << md_header(head);
  for (std::size_t t = 0; t < r.classes.size(); ++t) {
    std::vector<std::string> row{label_of(r.space, r.classes[t])};
    for (std::uint64_t n : r.confusion[t]) row.push_back(std::to_string(n));
    o << md_row(row);
  }
  o << "\n";
}

inline void markdown_space(std::ostringstream& o, const metrics::multilabel_result& r) {
  o << "### " << r.space << " (multilabel, threshold " << fixed(r.threshold, 2) << ")\n\n"
    << "mean accuracy (Eq. 3) " << fixed(r.mean_accuracy) << ", macro F1 " << fixed(r.macro_f1)
    << ", macro precision " << fixed(r.macro_precision) << ", macro recall "
    << fixed(r.macro_recall) << ", pooled accuracy " << fixed(r.pooled_accuracy) << "\n\n";
  o << md_header({"label", "accuracy", "precision", "recall", "F1", "TP", "FP", "TN", "FN"});
  for (std::size_t l = 0; l < r.labels.size(); ++l) {
    const metrics::binary_counts& c = r.counts[l];
    o << md_row({label_of(r.space, r.labels[l]), fixed(r.accuracy[l]), fixed(r.precision[l]),
                 fixed(r.recall[l]), fixed(r.f1[l]), std::to_string(c.tp), std::to_string(c.fp),
                 std::to_string(c.tn), std::to_string(c.fn)});
  }
  o << md_row({"mean", fixed(r.mean_accuracy), fixed(r.macro_precision), fixed(r.macro_recall),
               fixed(r.macro_f1), "", "", "", ""})
    << "\n";
}

inline void markdown_space(std::ostringstream& o, const metrics::regression_result& r) {
  o << "### " << r.space << " (regression)\n\n"
    << "RMSE " << fixed(r.rmse) << ", MAE " << fixed(r.mae) << " over " << r.count << " values";
  if (r.has_nme)
    o << ", NME " << fixed(r.nme) << " over " << r.nme_samples << " samples (" << r.nme_skipped
      << " skipped), within 8% " << fixed(r.fraction_within(0.08)) << ", within 10% "
      << fixed(r.fraction_within(0.10)) << ", NME by the box diagonal " << fixed(r.nme_box);
  o << "\n\n" << md_header({"output", "values", "RMSE"});
  for (std::size_t c = 0; c < r.labels.size(); ++c)
    o << md_row({label_of(r.space, r.labels[c]), std::to_string(r.count_per_output[c]),
                 fixed(r.rmse_per_output[c])});
  o << "\n";
}

inline void csv_line(std::ostringstream& o, std::string_view space, std::string_view kind,
                     std::string_view label, std::string_view metric, const std::string& value) {
  o << csv_field(space) << ',' << kind << ',' << csv_field(label) << ',' << csv_field(metric) << ','
    << value << '\n';
}

inline void csv_space(std::ostringstream& o, const metrics::exclusive_result& r) {
  const char* k = "exclusive";
  csv_line(o, r.space, k, "", "count", std::to_string(r.count));
  csv_line(o, r.space, k, "", "accuracy", csv_number(r.accuracy));
  csv_line(o, r.space, k, "", "mean_per_class_accuracy", csv_number(r.mean_per_class_accuracy));
  csv_line(o, r.space, k, "", "macro_f1", csv_number(r.macro_f1));
  for (std::size_t c = 0; c < r.classes.size(); ++c) {
    const std::string l = label_of(r.space, r.classes[c]);
    csv_line(o, r.space, k, l, "support", std::to_string(r.support[c]));
    csv_line(o, r.space, k, l, "recall", csv_number(r.recall[c]));
    csv_line(o, r.space, k, l, "precision", csv_number(r.precision[c]));
    csv_line(o, r.space, k, l, "f1", csv_number(r.f1[c]));
    for (std::size_t p = 0; p < r.classes.size(); ++p)
      csv_line(o, r.space, k, l, "confusion:" + label_of(r.space, r.classes[p]),
               std::to_string(r.confusion[c][p]));
  }
}

inline void csv_space(std::ostringstream& o, const metrics::multilabel_result& r) {
  const char* k = "multilabel";
  csv_line(o, r.space, k, "", "mean_accuracy", csv_number(r.mean_accuracy));
  csv_line(o, r.space, k, "", "pooled_accuracy", csv_number(r.pooled_accuracy));
  csv_line(o, r.space, k, "", "macro_precision", csv_number(r.macro_precision));
  csv_line(o, r.space, k, "", "macro_recall", csv_number(r.macro_recall));
  csv_line(o, r.space, k, "", "macro_f1", csv_number(r.macro_f1));
  for (std::size_t i = 0; i < r.labels.size(); ++i) {
    const std::string l = label_of(r.space, r.labels[i]);
    const metrics::binary_counts& c = r.counts[i];
    csv_line(o, r.space, k, l, "accuracy", csv_number(r.accuracy[i]));
    csv_line(o, r.space, k, l, "precision", csv_number(r.precision[i]));
    csv_line(o, r.space, k, l, "recall", csv_number(r.recall[i]));
    csv_line(o, r.space, k, l, "f1", csv_number(r.f1[i]));
    csv_line(o, r.space, k, l, "tp", std::to_string(c.tp));
    csv_line(o, r.space, k, l, "fp", std::to_string(c.fp));
    csv_line(o, r.space, k, l, "tn", std::to_string(c.tn));
    csv_line(o, r.space, k, l, "fn", std::to_string(c.fn));
  }
}

inline void csv_space(std::ostringstream& o, const metrics::regression_result& r) {
  const char* k = "regression";
  csv_line(o, r.space, k, "", "count", std::to_string(r.count));
  csv_line(o, r.space, k, "", "rmse", csv_number(r.rmse));
  csv_line(o, r.space, k, "", "mae", csv_number(r.mae));
  if (r.has_nme) {
    csv_line(o, r.space, k, "", "nme", csv_number(r.nme));
    csv_line(o, r.space, k, "", "nme_box", csv_number(r.nme_box));
    csv_line(o, r.space, k, "", "within_0.08", csv_number(r.fraction_within(0.08)));
    csv_line(o, r.space, k, "", "within_0.10", csv_number(r.fraction_within(0.10)));
  }
  for (std::size_t c = 0; c < r.labels.size(); ++c)
    csv_line(o, r.space, k, label_of(r.space, r.labels[c]), "rmse", csv_number(r.rmse_per_output[c]));
}

}  // namespace sjmt::detail

namespace sjmt::metrics {

/// One markdown section per space: summary line, per-label table, confusion.
inline std::string to_markdown(const evaluation_result& r) {
  std::ostringstream o;
  o << "## Evaluation (" << r.samples << " samples)\n\n";
  for (const space_result& s : r.spaces) std::visit([&](const auto& x) { detail::markdown_space(o, x); }, s);
  return o.str();
}

/// Long-form CSV: space,kind,label,metric,value.
inline std::string to_csv(const evaluation_result& r) {
  std::ostringstream o;
  o << "space,kind,label,metric,value\n";
  for (const space_result& s : r.spaces) std::visit([&](const auto& x) { detail::csv_space(o, x); }, s);
  return o.str();
}

/// Figure 2 as a table (rows: predicted emotion, with the number of images;
/// columns: mean AU probability), then Table 3: the top `k` AUs per emotion.
inline std::string to_markdown(const au_by_emotion_result& r, std::size_t k = 3) {
  std::ostringstream o;
  o << "## Mean AU score by predicted emotion (Figure 2)\n\n";
  std::vector<std::string> head{"predicted emotion", "images"};
  for (const std::string& a : r.aus) head.push_back(detail::label_of(r.au_space, a));
  o << detail::md_header(head);
  for (std::size_t e = 0; e < r.emotions.size(); ++e) {
    std::vector<std::string> row{detail::label_of(r.emotion_space, r.emotions[e]),
                                 std::to_string(r.counts[e])};
    for (double m : r.mean[e]) row.push_back(detail::fixed(m, 3));
    o << detail::md_row(row);
  }
  o << "\n## Top " << k << " AUs per emotion (Table 3)\n\n"
    << detail::md_header({"emotion", "top AUs (mean score)"});
  const auto top = r.top_aus(k);
  for (std::size_t e = 0; e < r.emotions.size(); ++e) {
    std::string cell;
    for (std::size_t a : top[e]) {
      if (!cell.empty()) cell.append(", ");
      cell.append(r.aus[a]).append(" (").append(detail::fixed(r.mean[e][a], 3)).push_back(')');
    }
    o << detail::md_row({detail::label_of(r.emotion_space, r.emotions[e]),
                         top[e].empty() ? std::string("never predicted") : cell});
  }
  return o.str() + "\n";
}

/// Figure 2 as CSV: emotion,images,<au>...; undefined means are empty fields.
inline std::string to_csv(const au_by_emotion_result& r) {
  std::ostringstream o;
  o << "emotion,images";
  for (const std::string& a : r.aus) o << ',' << detail::csv_field(detail::label_of(r.au_space, a));
  o << '\n';
  for (std::size_t e = 0; e < r.emotions.size(); ++e) {
    o << detail::csv_field(detail::label_of(r.emotion_space, r.emotions[e])) << ',' << r.counts[e];
    for (double m : r.mean[e]) o << ',' << detail::csv_number(m);
    o << '\n';
  }
  return o.str();
}

}  // namespace sjmt::metrics
