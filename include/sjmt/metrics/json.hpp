#pragma once
// Results as JSON (nlohmann::json), both ways, so a report written by one run
// can be read back by another (to compare seeds, to build docs/results.md).
// Labels are written qualified by their space, "aus/AU12", as the layout names
// them; undefined values (NaN) are written as null and read back as NaN.
//
//   nlohmann::json j = result;                          // to_json by ADL
//   auto back = j.get<sjmt::metrics::evaluation_result>();

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "../error.hpp"
#include "au_by_emotion.hpp"
#include "evaluator.hpp"

namespace sjmt::detail {

inline nlohmann::json json_number(double v) {
  return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
}
inline double number_from_json(const nlohmann::json& j) {
  return j.is_null() ? metrics::undefined : j.get<double>();
}
inline std::string qualified(std::string_view space, std::string_view label) {
  std::string out(space);
  out.push_back('/');
  out.append(label);
  return out;
}
/// "space/label" -> "label" (a name without the space's prefix is kept whole).
inline std::string unqualified(std::string_view space, const std::string& name) {
  const bool prefixed = name.size() > space.size() && name.starts_with(space) && name[space.size()] == '/';
  return prefixed ? name.substr(space.size() + 1) : name;
}
inline const nlohmann::json& json_at(const nlohmann::json& j, std::string_view key) {
  SJMT_CHECK(value_error, j.is_object() && j.contains(key), "metrics JSON: missing key '", key, "'");
  return j.at(std::string(key));
}

}  // namespace sjmt::detail

namespace sjmt::metrics {

// ---- exclusive -------------------------------------------------------------

inline void to_json(nlohmann::json& j, const exclusive_result& r) {
  using detail::json_number;
  j = {{"space", r.space}, {"kind", "exclusive"}, {"count", r.count}, {"correct", r.correct},
       {"accuracy", json_number(r.accuracy)},
       {"mean_per_class_accuracy", json_number(r.mean_per_class_accuracy)},
       {"macro_f1", json_number(r.macro_f1)}, {"confusion", r.confusion}};
  nlohmann::json per = nlohmann::json::array();
  for (std::size_t c = 0; c < r.classes.size(); ++c)
    per.push_back({{"label", detail::qualified(r.space, r.classes[c])}, {"support", r.support[c]},
                   {"recall", json_number(r.recall[c])}, {"precision", json_number(r.precision[c])},
                   {"f1", json_number(r.f1[c])}});
  j["per_label"] = std::move(per);
}

inline void from_json(const nlohmann::json& j, exclusive_result& r) {
  using detail::json_at;
  using detail::number_from_json;
  r = {};
  r.space = json_at(j, "space").get<std::string>();
  r.count = json_at(j, "count").get<std::uint64_t>();
  r.correct = json_at(j, "correct").get<std::uint64_t>();
  r.accuracy = number_from_json(json_at(j, "accuracy"));
  r.mean_per_class_accuracy = number_from_json(json_at(j, "mean_per_class_accuracy"));
  r.macro_f1 = number_from_json(json_at(j, "macro_f1"));
  r.confusion = json_at(j, "confusion").get<std::vector<std::vector<std::uint64_t>>>();
  for (const nlohmann::json& p : json_at(j, "per_label")) {
    r.classes.push_back(detail::unqualified(r.space, json_at(p, "label").get<std::string>()));
    r.support.push_back(json_at(p, "support").get<std::uint64_t>());
    r.recall.push_back(number_from_json(json_at(p, "recall")));
    r.precision.push_back(number_from_json(json_at(p, "precision")));
    r.f1.push_back(number_from_json(json_at(p, "f1")));
  }
}

// ---- multilabel ------------------------------------------------------------

inline void to_json(nlohmann::json& j, const multilabel_result& r) {
  using detail::json_number;
  j = {{"space", r.space}, {"kind", "multilabel"}, {"threshold", r.threshold},
       {"mean_accuracy", json_number(r.mean_accuracy)},
       {"pooled_accuracy", json_number(r.pooled_accuracy)},
       {"macro_precision", json_number(r.macro_precision)},
       {"macro_recall", json_number(r.macro_recall)}, {"macro_f1", json_number(r.macro_f1)}};
  nlohmann::json per = nlohmann::json::array();
  for (std::size_t l = 0; l < r.labels.size(); ++l) {
    const binary_counts& c = r.counts[l];
    per.push_back({{"label", detail::qualified(r.space, r.labels[l])}, {"tp", c.tp}, {"fp", c.fp},
                   {"tn", c.tn}, {"fn", c.fn}, {"accuracy", json_number(r.accuracy[l])},
                   {"precision", json_number(r.precision[l])},
                   {"recall", json_number(r.recall[l])}, {"f1", json_number(r.f1[l])}});
  }
  j["per_label"] = std::move(per);
}

inline void from_json(const nlohmann::json& j, multilabel_result& r) {
  using detail::json_at;
  using detail::number_from_json;
  r = {};
  r.space = json_at(j, "space").get<std::string>();
  r.threshold = json_at(j, "threshold").get<double>();
  r.mean_accuracy = number_from_json(json_at(j, "mean_accuracy"));
  r.pooled_accuracy = number_from_json(json_at(j, "pooled_accuracy"));
  r.macro_precision = number_from_json(json_at(j, "macro_precision"));
  r.macro_recall = number_from_json(json_at(j, "macro_recall"));
  r.macro_f1 = number_from_json(json_at(j, "macro_f1"));
  for (const nlohmann::json& p : json_at(j, "per_label")) {
    r.labels.push_back(detail::unqualified(r.space, json_at(p, "label").get<std::string>()));
    r.counts.push_back({json_at(p, "tp").get<std::uint64_t>(), json_at(p, "fp").get<std::uint64_t>(),
                        json_at(p, "tn").get<std::uint64_t>(), json_at(p, "fn").get<std::uint64_t>()});
    r.accuracy.push_back(number_from_json(json_at(p, "accuracy")));
    r.precision.push_back(number_from_json(json_at(p, "precision")));
    r.recall.push_back(number_from_json(json_at(p, "recall")));
    r.f1.push_back(number_from_json(json_at(p, "f1")));
  }
}

// ---- regression ------------------------------------------------------------

inline void to_json(nlohmann::json& j, const regression_result& r) {
  using detail::json_number;
  j = {{"space", r.space}, {"kind", "regression"}, {"count", r.count},
       {"rmse", json_number(r.rmse)}, {"mae", json_number(r.mae)}, {"has_nme", r.has_nme},
       {"nme", json_number(r.nme)}, {"nme_samples", r.nme_samples},
       {"nme_skipped", r.nme_skipped}, {"nme_box", json_number(r.nme_box)},
       {"nme_box_samples", r.nme_box_samples}};
  if (r.has_nme) {
    nlohmann::json points = nlohmann::json::array(), samples = nlohmann::json::array();
    for (double e : r.point_error) points.push_back(json_number(e));
    for (double e : r.nme_per_sample) samples.push_back(json_number(e));
    j["point_error"] = std::move(points);
    j["nme_per_sample"] = std::move(samples);
    j["within_0.08"] = json_number(r.fraction_within(0.08));
    j["within_0.10"] = json_number(r.fraction_within(0.10));
  }
  nlohmann::json per = nlohmann::json::array();
  for (std::size_t c = 0; c < r.labels.size(); ++c)
    per.push_back({{"label", detail::qualified(r.space, r.labels[c])},
                   {"count", r.count_per_output[c]}, {"rmse", json_number(r.rmse_per_output[c])}});
  j["per_label"] = std::move(per);
}

inline void from_json(const nlohmann::json& j, regression_result& r) {
  using detail::json_at;
  using detail::number_from_json;
  r = {};
  r.space = json_at(j, "space").get<std::string>();
  r.count = json_at(j, "count").get<std::uint64_t>();
  r.rmse = number_from_json(json_at(j, "rmse"));
  r.mae = number_from_json(json_at(j, "mae"));
  r.has_nme = json_at(j, "has_nme").get<bool>();
  r.nme = number_from_json(json_at(j, "nme"));
  r.nme_samples = json_at(j, "nme_samples").get<std::uint64_t>();
  r.nme_skipped = json_at(j, "nme_skipped").get<std::uint64_t>();
  if (j.contains("nme_box")) {  // written since the landmark metrics (files of before load without them)
    r.nme_box = number_from_json(json_at(j, "nme_box"));
    r.nme_box_samples = json_at(j, "nme_box_samples").get<std::uint64_t>();
  }
  if (j.contains("point_error"))
    for (const nlohmann::json& e : j["point_error"]) r.point_error.push_back(number_from_json(e));
  if (j.contains("nme_per_sample"))
    for (const nlohmann::json& e : j["nme_per_sample"]) r.nme_per_sample.push_back(number_from_json(e));
  for (const nlohmann::json& p : json_at(j, "per_label")) {
    r.labels.push_back(detail::unqualified(r.space, json_at(p, "label").get<std::string>()));
    r.count_per_output.push_back(json_at(p, "count").get<std::uint64_t>());
    r.rmse_per_output.push_back(number_from_json(json_at(p, "rmse")));
  }
}

// ---- all spaces --------------------------------------------------------------

inline void to_json(nlohmann::json& j, const evaluation_result& r) {
  nlohmann::json spaces = nlohmann::json::array();
  for (const space_result& s : r.spaces)
    std::visit([&](const auto& x) { spaces.push_back(nlohmann::json(x)); }, s);
  j = {{"samples", r.samples}, {"spaces", std::move(spaces)}};
}

inline void from_json(const nlohmann::json& j, evaluation_result& r) {
  r = {};
  r.samples = detail::json_at(j, "samples").get<std::uint64_t>();
  for (const nlohmann::json& s : detail::json_at(j, "spaces")) {
    const std::string k = detail::json_at(s, "kind").get<std::string>();
    if (k == "exclusive") r.spaces.emplace_back(s.get<exclusive_result>());
    else if (k == "multilabel") r.spaces.emplace_back(s.get<multilabel_result>());
    else if (k == "regression") r.spaces.emplace_back(s.get<regression_result>());
    else detail::throw_error<value_error>(std::source_location::current(),
                                          "metrics JSON: unknown space kind '", k, "'");
  }
}

// ---- Figure 2 ----------------------------------------------------------------

inline void to_json(nlohmann::json& j, const au_by_emotion_result& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t e = 0; e < r.emotions.size(); ++e) {
    nlohmann::json means = nlohmann::json::array();
    for (double m : r.mean[e]) means.push_back(detail::json_number(m));
    rows.push_back({{"emotion", detail::qualified(r.emotion_space, r.emotions[e])},
                    {"count", r.counts[e]}, {"mean", std::move(means)}});
  }
  nlohmann::json aus = nlohmann::json::array();
  for (const std::string& a : r.aus) aus.push_back(detail::qualified(r.au_space, a));
  j = {{"emotion_space", r.emotion_space}, {"au_space", r.au_space}, {"aus", std::move(aus)},
       {"rows", std::move(rows)}};
}

inline void from_json(const nlohmann::json& j, au_by_emotion_result& r) {
  using detail::json_at;
  r = {};
  r.emotion_space = json_at(j, "emotion_space").get<std::string>();
  r.au_space = json_at(j, "au_space").get<std::string>();
  for (const nlohmann::json& a : json_at(j, "aus"))
    r.aus.push_back(detail::unqualified(r.au_space, a.get<std::string>()));
  for (const nlohmann::json& row : json_at(j, "rows")) {
    r.emotions.push_back(detail::unqualified(r.emotion_space, json_at(row, "emotion").get<std::string>()));
    r.counts.push_back(json_at(row, "count").get<std::uint64_t>());
    std::vector<double> means;
    for (const nlohmann::json& m : json_at(row, "mean")) means.push_back(detail::number_from_json(m));
    SJMT_CHECK(value_error, means.size() == r.aus.size(), "metrics JSON: a row of '",
               r.emotions.back(), "' has ", means.size(), " means for ", r.aus.size(), " AUs");
    r.mean.push_back(std::move(means));
  }
}

}  // namespace sjmt::metrics
