#pragma once
// Writing results into an output folder: <stem>.md, <stem>.json and <stem>.csv,
// each atomically (io/atomic_file.hpp, io/json.hpp); reading a JSON report back.
//
//   sjmt::metrics::write_report("runs/table2", "sjmt_resnet32", eval.result());
//   auto again = sjmt::metrics::read_evaluation("runs/table2/sjmt_resnet32.json");
//
// Errors: io_error naming the path (folder missing or unwritable, file absent,
// JSON malformed); value_error when the JSON is not a report of that kind.

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "../error.hpp"
#include "../io/atomic_file.hpp"
#include "../io/json.hpp"
#include "json.hpp"
#include "tables.hpp"

namespace sjmt::metrics {

/// The three files of one report.
struct report_paths {
  std::filesystem::path markdown, json, csv;
};

}  // namespace sjmt::metrics

namespace sjmt::detail {

inline metrics::report_paths report_paths_of(const std::filesystem::path& folder, std::string_view stem) {
  const std::string s(stem);
  return {folder / (s + ".md"), folder / (s + ".json"), folder / (s + ".csv")};
}

}  // namespace sjmt::detail

namespace sjmt::metrics {

// Transition: these lived in metrics/ before io/.
using io::read_file;
using io::read_json;
using io::write_file_atomic;
using io::write_json;

/// Writes <folder>/<stem>.{md,json,csv}. The folder must exist.
inline report_paths write_report(const std::filesystem::path& folder, std::string_view stem,
                                 const evaluation_result& r) {
  const report_paths p = detail::report_paths_of(folder, stem);
  write_file_atomic(p.markdown, to_markdown(r));
  write_json(p.json, nlohmann::json(r));
  write_file_atomic(p.csv, to_csv(r));
  return p;
}

/// Writes the Figure-2 matrix and Table 3 (top `k` AUs) as <folder>/<stem>.{md,json,csv}.
inline report_paths write_report(const std::filesystem::path& folder, std::string_view stem,
                                 const au_by_emotion_result& r, std::size_t k = 3) {
  const report_paths p = detail::report_paths_of(folder, stem);
  write_file_atomic(p.markdown, to_markdown(r, k));
  write_json(p.json, nlohmann::json(r));
  write_file_atomic(p.csv, to_csv(r));
  return p;
}

}  // namespace sjmt::metrics

namespace sjmt::detail {

/// The report of type R in the JSON file at `path`; a value of the wrong JSON
/// type is a value_error naming the file, as a missing key is.
template <class R>
R read_report(const std::filesystem::path& path) {
  const nlohmann::json j = io::read_json(path);
  try {
    return j.get<R>();
  } catch (const value_error& e) {
    throw value_error(path.string() + ": " + e.what(), std::source_location::current());
  } catch (const nlohmann::json::exception& e) {
    throw value_error(path.string() + ": metrics JSON: " + e.what(), std::source_location::current());
  }
}

}  // namespace sjmt::detail

namespace sjmt::metrics {

inline evaluation_result read_evaluation(const std::filesystem::path& path) {
  return detail::read_report<evaluation_result>(path);
}

inline au_by_emotion_result read_au_by_emotion(const std::filesystem::path& path) {
  return detail::read_report<au_by_emotion_result>(path);
}

}  // namespace sjmt::metrics
