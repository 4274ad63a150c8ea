// Reporting: markdown, CSV and JSON of the per-space results and of the
// Figure-2 matrix, written atomically and read back; the io errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <sjmt/labels.hpp>
#include <sjmt/metrics/report.hpp>
#include <sjmt/metrics/seed_summary.hpp>
#include <string>
#include <vector>

#include <unistd.h>  // getpid, for a per-process temporary folder

namespace {

using namespace sjmt;
namespace fs = std::filesystem;

using emo = label_space<"emo", kind::exclusive, "a", "b", "c">;
using aus = au_space<"aus", 6, 12>;
using pts = coordinate_space<"pts", 2>;
using layout = joint_layout<emo, aus, pts>;
using domains = dataset_union<layout, dataset<"de", emo>, dataset<"da", aus>, dataset<"dp", pts>>;
constexpr std::size_t W = layout::size;

/// A small evaluated batch: 3 emotion rows, 2 AU rows, 1 landmark row.
metrics::evaluation_result sample_result() {
  // columns: a b c | AU6 AU12 | x0 y0 x1 y1
  const std::vector<float> z{2, 1, 0, 0, 0, 0, 0, 0, 0,   0, 3, 1, 0, 0, 0, 0, 0, 0,
                             0, 0, 5, 0, 0, 0, 0, 0, 0,   0, 0, 0, 1, -1, 0, 0, 0, 0,
                             0, 0, 0, 1, 1, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0, 0, 3, 4};
  const std::vector<float> y{1, 0, 0, 0, 0, 0, 0, 0, 0,   1, 0, 0, 0, 0, 0, 0, 0, 0,
                             0, 0, 1, 0, 0, 0, 0, 0, 0,   0, 0, 0, 1, 0, 0, 0, 0, 0,
                             0, 0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<std::int32_t> d{0, 0, 0, 1, 1, 2};
  metrics::evaluator<domains> eval;
  eval.update(z, y, d);
  return eval.result();
}

metrics::au_by_emotion_result sample_figure2() {
  metrics::au_by_emotion_result r;
  r.emotion_space = "emo";
  r.au_space = "aus";
  r.emotions = {"a", "b"};
  r.aus = {"AU6", "AU12"};
  r.counts = {2, 0};
  r.mean = {{0.25, 0.75}, {metrics::undefined, metrics::undefined}};
  return r;
}

/// A fresh empty folder under the system's temporary folder.
struct temp_folder {
  fs::path path;
  explicit temp_folder(const std::string& name)
      : path(fs::temp_directory_path() / ("sjmt_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_folder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::size_t files() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), fs::directory_iterator{}));
  }
};

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

TEST_CASE("markdown: qualified labels, summary figures, confusion, n/a for undefined") {
  const std::string md = metrics::to_markdown(sample_result());
  CHECK(md.find("### emo (exclusive)") != std::string::npos);
  CHECK(md.find("accuracy 0.6667 (2 of 3)") != std::string::npos);
  CHECK(md.find("| emo/a | 1 | 1 | 0 |") != std::string::npos);  // confusion row of true a
  CHECK(md.find("| aus/AU12 |") != std::string::npos);
  CHECK(md.find("| emo/b | 0 | n/a |") != std::string::npos);  // class b: no sample, recall undefined
  CHECK(md.find("NME 2.5000 over 1 samples") != std::string::npos);
}

TEST_CASE("CSV: long form with a header, empty field for undefined values") {
  const std::string csv = metrics::to_csv(sample_result());
  CHECK(csv.starts_with("space,kind,label,metric,value\n"));
  CHECK(csv.find("emo,exclusive,,accuracy,0.66666666666666663\n") != std::string::npos);
  CHECK(csv.find("emo,exclusive,emo/b,recall,\n") != std::string::npos);
  CHECK(csv.find("emo,exclusive,emo/a,confusion:emo/b,1\n") != std::string::npos);
  CHECK(csv.find("aus,multilabel,aus/AU6,tp,1\n") != std::string::npos);
  CHECK(csv.find("pts,regression,,nme,2.5\n") != std::string::npos);
  CHECK(detail::csv_field("a,b\"c") == "\"a,b\"\"c\"");
}

TEST_CASE("JSON round trip through a report folder: every field, NaN included") {
  temp_folder dir("report");
  const metrics::evaluation_result r = sample_result();
  const metrics::report_paths p = metrics::write_report(dir.path, "run", r);
  CHECK(fs::exists(p.markdown));
  CHECK(fs::exists(p.csv));
  CHECK(dir.files() == 3);  // no temporary left behind
  const nlohmann::json raw = metrics::read_json(p.json);
  CHECK(raw["spaces"][1]["per_label"][1]["label"] == "aus/AU12");
  CHECK(raw["spaces"][0]["per_label"][1]["recall"].is_null());

  const metrics::evaluation_result back = metrics::read_evaluation(p.json);
  CHECK(back.samples == r.samples);
  REQUIRE(back.spaces.size() == 3);
  const auto& e0 = *r.find<metrics::exclusive_result>("emo");
  const auto& e1 = *back.find<metrics::exclusive_result>("emo");
  CHECK(e1.classes == e0.classes);
  CHECK(e1.confusion == e0.confusion);
  CHECK(e1.support == e0.support);
  CHECK(e1.accuracy == e0.accuracy);
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(same(e1.recall[c], e0.recall[c]));
    CHECK(same(e1.precision[c], e0.precision[c]));
    CHECK(same(e1.f1[c], e0.f1[c]));
  }
  const auto& m0 = *r.find<metrics::multilabel_result>("aus");
  const auto& m1 = *back.find<metrics::multilabel_result>("aus");
  CHECK(m1.labels == m0.labels);
  CHECK(m1.counts == m0.counts);
  CHECK(m1.mean_accuracy == m0.mean_accuracy);
  CHECK(same(m1.macro_precision, m0.macro_precision));
  const auto& g0 = *r.find<metrics::regression_result>("pts");
  const auto& g1 = *back.find<metrics::regression_result>("pts");
  CHECK(g1.rmse == g0.rmse);
  CHECK(g1.nme == g0.nme);
  CHECK(g1.count_per_output == g0.count_per_output);
  CHECK(nlohmann::json(back) == nlohmann::json(r));

  // Rewriting replaces the file whole.
  metrics::write_file_atomic(p.csv, "x\n");
  CHECK(metrics::read_file(p.csv) == "x\n");
  CHECK(dir.files() == 3);
}

TEST_CASE("Figure 2 report: table, Table 3, CSV and JSON round trip") {
  temp_folder dir("figure2");
  const metrics::au_by_emotion_result r = sample_figure2();
  const std::string md = metrics::to_markdown(r, 1);
  CHECK(md.find("| emo/a | 2 | 0.250 | 0.750 |") != std::string::npos);
  CHECK(md.find("| emo/a | AU12 (0.750) |") != std::string::npos);
  CHECK(md.find("| emo/b | never predicted |") != std::string::npos);
  CHECK(metrics::to_csv(r) == "emotion,images,aus/AU6,aus/AU12\nemo/a,2,0.25,0.75\nemo/b,0,,\n");
  const metrics::report_paths p = metrics::write_report(dir.path, "figure2", r, 2);
  const metrics::au_by_emotion_result back = metrics::read_au_by_emotion(p.json);
  CHECK(back.emotions == r.emotions);
  CHECK(back.aus == r.aus);
  CHECK(back.counts == r.counts);
  CHECK(back.mean[0] == r.mean[0]);
  CHECK(std::isnan(back.mean[1][1]));
}

TEST_CASE("errors: unwritable and missing paths name the path; malformed JSON") {
  temp_folder dir("errors");
  const fs::path missing = dir.path / "no_such_folder" / "run.json";
  CHECK_THROWS_WITH_AS(metrics::write_json(missing, nlohmann::json::object()),
                       doctest::Contains(missing.string().c_str()), io_error);
  CHECK_THROWS_WITH_AS(metrics::write_report(dir.path / "absent", "run", sample_result()),
                       doctest::Contains("absent"), io_error);
  CHECK_THROWS_WITH_AS(metrics::read_json(missing), doctest::Contains(missing.string().c_str()), io_error);
  // A folder where the file should go: the rename fails, the temporary is removed.
  fs::create_directories(dir.path / "taken.json" / "inside");
  CHECK_THROWS_WITH_AS(metrics::write_json(dir.path / "taken.json", nlohmann::json::object()),
                       doctest::Contains("taken.json"), io_error);
  CHECK(dir.files() == 1);
  metrics::write_file_atomic(dir.path / "bad.json", "{ not json");
  CHECK_THROWS_WITH_AS(metrics::read_json(dir.path / "bad.json"), doctest::Contains("not valid JSON"),
                       io_error);
  metrics::write_file_atomic(dir.path / "odd.json", R"({"samples": 1, "spaces": [{"kind": "ranking"}]})");
  CHECK_THROWS_AS(metrics::read_evaluation(dir.path / "odd.json"), value_error);
  metrics::write_file_atomic(dir.path / "short.json", R"({"spaces": []})");
  CHECK_THROWS_WITH_AS(metrics::read_evaluation(dir.path / "short.json"), doctest::Contains("samples"),
                       value_error);
}

TEST_CASE("seed summary: mean, sample std, min, max of the headline metrics over runs") {
  metrics::evaluation_result a = sample_result(), b = sample_result(), c = sample_result();
  std::get<metrics::exclusive_result>(a.spaces[0]).accuracy = 0.5;
  std::get<metrics::exclusive_result>(b.spaces[0]).accuracy = 0.7;
  std::get<metrics::exclusive_result>(c.spaces[0]).accuracy = 0.6;
  std::get<metrics::multilabel_result>(c.spaces[1]).macro_f1 = metrics::undefined;
  const metrics::seed_summary s = metrics::summarize_runs({a, b, c});
  const metrics::metric_spread* acc = s.find("emo", "accuracy");
  REQUIRE(acc != nullptr);
  CHECK(acc->runs == 3);
  CHECK(acc->mean == doctest::Approx(0.6));
  CHECK(acc->std == doctest::Approx(0.1));  // sqrt((0.01 + 0.01 + 0) / 2)
  CHECK(acc->min == doctest::Approx(0.5));
  CHECK(acc->max == doctest::Approx(0.7));
  const metrics::metric_spread* f1 = s.find("aus", "macro_f1");
  CHECK(f1->runs == 2);  // undefined in run c
  CHECK(f1->std == doctest::Approx(0.0));
  CHECK(s.find("pts", "nme") != nullptr);
  CHECK(s.find("aus", "rmse") == nullptr);
  const std::string md = metrics::to_markdown(s);
  CHECK(md.find("| emo | accuracy | 0.6000 ± 0.1000 | 0.5000 | 0.7000 | 3/3 |") != std::string::npos);
  CHECK(md.find("| aus | macro_f1 |") != std::string::npos);
  CHECK(nlohmann::json(s)[0]["values"].size() == 3);

  CHECK(std::isnan(metrics::summarize_runs({a}).find("emo", "accuracy")->std));  // one run
  CHECK_THROWS_AS(metrics::summarize_runs({}), value_error);
  metrics::evaluation_result fewer = a;
  fewer.spaces.pop_back();
  CHECK_THROWS_WITH_AS(metrics::summarize_runs({a, fewer}), doctest::Contains("run 1"), value_error);
}

TEST_CASE("errors: a report value of the wrong JSON type is a value_error naming the file") {
  temp_folder dir("types");
  metrics::write_file_atomic(dir.path / "typed.json", R"({"samples": "many", "spaces": []})");
  CHECK_THROWS_WITH_AS(metrics::read_evaluation(dir.path / "typed.json"), doctest::Contains("typed.json"),
                       value_error);
  CHECK_THROWS_WITH_AS(io::write_json(dir.path / "utf8.json", nlohmann::json("\xff")),
                       doctest::Contains("utf8.json"), io_error);
}
