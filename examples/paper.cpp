// Brief: the paper's experiments (Pons & Masip), one subcommand each, on the built-in
// synthetic faces or on your copies of the real datasets.
//
//   build/examples/paper table2                      # quick profile: ResNet-8, 2,500 steps, classical vs SJMT
//   build/examples/paper table2 --methods classical,sjmt,naive,softmax --steps 3000 --seeds 3
//   build/examples/paper table2 --profile paper      # the paper's: ResNet-32 and -110, 80,000 steps, batch 128
//   build/examples/paper table1 --models resnet32,vgg16 --seeds 3
//   build/examples/paper table4
//   build/examples/paper figure2 --out runs/table2   # reuses table2's SJMT networks when present
//   build/examples/paper table2 --data real --sfew ~/SFEW_2.0 --emotionet ~/emotionet/aus.csv
//       --emotionet-images ~/emotionet/images       (one line)
//   build/examples/paper --check                     # what ctest runs: tiny runs, resume == uninterrupted
//
// table1: single-task networks (one per task and dataset). table2: classical multi-task
// (one head per dataset, alternating batches) against SJMT (one joint head, mixed batches,
// the selective loss), with the naive joint loss and the selective softmax as two more rows.
// table4: compound emotions, 15 training images per class, single task against SJMT (with
// the AU data). figure2: mean AU score per predicted emotion on emotion-only test images,
// with the paper's Table 3 (top AUs per emotion) derived from it.
//
// Each run writes <out>/<run>.{md,json,csv} and a checkpoint; the experiment writes
// <out>/<experiment>.{md,json,csv} with mean and standard deviation over --seeds;
// <out>/log.txt has every run's losses and speed. Ctrl-C writes a checkpoint and stops;
// the same command then resumes and ends where an uninterrupted run would have.
#include <CLI/CLI.hpp>
#include <sjmt/sjmt.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <algorithm>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "paper/run.hpp"

namespace {

using namespace paper;
namespace sp = sjmt::spaces;
namespace ds = sjmt::datasets;
namespace data = sjmt::data;
namespace metrics = sjmt::metrics;

// ---- label spaces and dataset unions of the experiments ------------------------------------

using compound = sjmt::dataset<"compound", sp::compound_emotion>;
using ck_emotion = sjmt::dataset<"ck", sp::emotion>;
using ck_aus = sjmt::dataset<"ck", sp::emotionet_aus>;
using table2_union = sjmt::dataset_union<sjmt::joint_layout<sp::emotion, sp::emotionet_aus>, ds::sfew, ds::emotionet>;
using emotion_only = sjmt::dataset_union<sjmt::joint_layout<sp::emotion>, ds::sfew>;
using ck_emotion_only = sjmt::dataset_union<sjmt::joint_layout<sp::emotion>, ck_emotion>;
using aus_only = sjmt::dataset_union<sjmt::joint_layout<sp::emotionet_aus>, ds::emotionet>;
using ck_aus_only = sjmt::dataset_union<sjmt::joint_layout<sp::emotionet_aus>, ck_aus>;
using fer_only = sjmt::dataset_union<sjmt::joint_layout<sp::emotion>, ds::fer2013>;
using compound_only = sjmt::dataset_union<sjmt::joint_layout<sp::compound_emotion>, compound>;
using compound_sjmt = sjmt::dataset_union<sjmt::joint_layout<sp::compound_emotion, sp::emotionet_aus>, compound, ds::emotionet>;
using figure2_of = metrics::au_by_emotion<table2_union, sp::emotion, sp::emotionet_aus>;

// ---- options ---------------------------------------------------------------------------------

struct model_choice {
  std::string arch;
  std::size_t depth;
  std::string label() const { return arch == "vgg16" ? "VGG-16" : "ResNet-" + std::to_string(depth); }
  std::string tag() const { return arch == "vgg16" ? "vgg16" : "resnet" + std::to_string(depth); }
};

struct options {
  std::string experiment;
  std::string profile = "quick";
  std::vector<std::string> models;  // empty: the profile's
  std::vector<std::string> methods;  // table2 rows; empty: the profile's
  std::size_t seeds = 1, first_seed = 1, pretrain_steps = 0;
  std::uint64_t data_seed = 1;
  bool pretrain = false;
  int threads = 0;
  std::string data = "synthetic";
  fs::path sfew, emotionet, emotionet_images, ckplus, fer2013, compound_csv;
  settings run;
};

model_choice parse_model(const std::string& s) {
  if (s == "vgg16") return {"vgg16", 16};
  SJMT_CHECK(value_error, s.rfind("resnet", 0) == 0 && s.size() > 6,
             "--models: '", s, "', expected resnet<depth> (resnet8, resnet32, resnet110, ...) or vgg16");
  std::size_t depth = 0;
  try {
    depth = std::stoul(s.substr(6));
  } catch (const std::exception&) {
    SJMT_CHECK(value_error, false, "--models: '", s, "': the depth is not a number");
  }
  return {"resnet", depth};
}

// ---- data ----------------------------------------------------------------------------------

/// The rows of `domain` whose category `keep` accepts, as a source.
data::sample_source subset(const data::synthetic_domain& domain, const std::function<bool(std::size_t)>& keep) {
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < domain.size(); ++i)
    if (keep(i)) rows.push_back(i);
  auto shared = std::make_shared<const data::synthetic_domain>(domain);
  auto idx = std::make_shared<const std::vector<std::size_t>>(std::move(rows));
  return {idx->size(), [shared, idx](std::size_t i) { return (*shared)[(*idx)[i]]; }};
}

/// Train and test sources of one task.
struct split_sources {
  data::sample_source train, test;
};

data::sample_source loaded(const data::loaded_faces& l) {
  if (!l.report.problems.empty()) std::fprintf(stderr, "paper: %s\n", l.report.summary().c_str());
  return data::source(l.faces);
}

data::sfew_options sfew_split(const char* split) {
  data::sfew_options o;
  o.split = split, o.width = 32, o.height = 32;
  return o;
}

/// Emotion, in-the-wild (sfew-like / SFEW 2.0 Train and Val).
split_sources emotion_wild(const options& o) {
  if (o.data == "real") {
    SJMT_CHECK(value_error, !o.sfew.empty(), "--data real needs --sfew <SFEW 2.0 folder with Train/ and Val/>");
    return {loaded(data::load_sfew(o.sfew, sfew_split("Train"))),
            loaded(data::load_sfew(o.sfew, sfew_split("Val")))};
  }
  return {data::source(data::sfew_like(data::split::train, o.data_seed)),
          data::source(data::sfew_like(data::split::test, o.data_seed))};
}

/// AUs, in-the-wild (emotionet-like / EmotioNet AU table, the last 1,000 rows held out).
split_sources aus_wild(const options& o) {
  if (o.data == "real") {
    SJMT_CHECK(value_error, !o.emotionet.empty() && !o.emotionet_images.empty(),
               "--data real needs --emotionet <AU table> and --emotionet-images <folder of its images>");
    data::loaded_faces all = data::load_emotionet_aus(o.emotionet, {});
    SJMT_CHECK(value_error, all.faces.size() > 2000, o.emotionet.string(), ": ", all.faces.size(),
               " labelled images; the trainer holds out 1,000 and needs more than 2,000");
    std::vector<data::labelled_face> test(all.faces.end() - 1000, all.faces.end());
    all.faces.resize(all.faces.size() - 1000);
    auto picture = data::emotionet_picture_reader(o.emotionet_images);
    return {data::lazy_source(std::move(all.faces), picture), data::lazy_source(std::move(test), picture)};
  }
  return {data::source(data::emotionet_like(data::split::train, o.data_seed)),
          data::source(data::emotionet_like(data::split::test, o.data_seed))};
}

/// CK+-like posed faces, split 80 / 20 by sample (every 5th sample tested); contempt (no
/// SFEW class) left out of the emotion task.
split_sources ck_task(const options& o, bool emotion) {
  SJMT_CHECK(value_error, o.data == "synthetic" || !o.ckplus.empty(), "--data real needs --ckplus <CK+ folder>");
  if (o.data == "real") {
    data::ckplus_options co;
    co.labelled_only = emotion, co.channels = 3, co.width = 32, co.height = 32;
    data::loaded_faces all = data::load_ckplus(o.ckplus, co);
    std::vector<data::labelled_face> train, test;
    for (std::size_t i = 0; i < all.faces.size(); ++i) {
      if (emotion && all.faces[i].emotion < 0) continue;
      (i % 5 == 4 ? test : train).push_back(all.faces[i]);
    }
    return {data::source(std::move(train)), data::source(std::move(test))};
  }
  const data::synthetic_domain ck = data::ck_like(o.data_seed);
  auto keep = [&ck, emotion](std::size_t i, bool test) {
    if (emotion && ck.category(i) == data::contempt_category) return false;
    return (i % 5 == 4) == test;
  };
  return {subset(ck, [&](std::size_t i) { return keep(i, false); }), subset(ck, [&](std::size_t i) { return keep(i, true); })};
}

/// Compound emotions: the first 15 images of each class train, the rest test (Table 4).
split_sources compound_task(const options& o) {
  SJMT_CHECK(value_error, o.data == "synthetic" || !o.compound_csv.empty(),
             "--data real needs --compound <EmotioNet emotion-category CSV> and --emotionet-images");
  std::vector<data::labelled_face> train, test;
  if (o.data == "real") {
    data::emotionet_options eo;
    eo.image_root = o.emotionet_images, eo.width = 32, eo.height = 32;
    data::loaded_faces all = data::load_emotionet_emotions(o.compound_csv, eo);
    std::array<std::size_t, 8> taken{};
    for (auto& f : all.faces) {
      if (f.compound < 0) continue;
      (taken[std::size_t(f.compound)]++ < 15 ? train : test).push_back(std::move(f));
    }
    return {data::source(std::move(train)), data::source(std::move(test))};
  }
  const data::synthetic_domain c = data::emotionet_compound_like(o.data_seed);
  auto first15 = std::make_shared<std::vector<bool>>(c.size());
  std::array<std::size_t, data::num_categories> taken{};
  for (std::size_t i = 0; i < c.size(); ++i) (*first15)[i] = taken[c.category(i)]++ < 15;
  return {subset(c, [first15](std::size_t i) { return (*first15)[i]; }),
          subset(c, [first15](std::size_t i) { return !(*first15)[i]; })};
}

// ---- summaries ------------------------------------------------------------------------------

/// One column of an experiment's table: a metric of a space.
struct column {
  std::string space, metric, title;
};

/// Rows (method, model) of runs over seeds -> mean ± std per column, in markdown, CSV, JSON.
class summary {
 public:
  summary(std::string title, std::vector<column> columns) : m_title(std::move(title)), m_columns(std::move(columns)) {}

  void add(const std::string& method, const std::string& model, const metrics::evaluation_result& r) {
    const std::string key = method + '\x1f' + model;
    if (!m_runs.contains(key)) m_order.push_back({method, model});
    m_runs[key].push_back(r);
  }

  void write(const fs::path& out, const std::string& stem, const std::string& notes) const {
    std::ostringstream md, csv;
    md << "# " << m_title << "\n\n" << notes << "\n\n| method | model |";
    csv << "method,model,space,metric,mean,std,min,max,runs\n";
    for (const column& c : m_columns) md << ' ' << c.title << " |";
    md << " seeds |\n|---|---|";
    for (std::size_t i = 0; i < m_columns.size(); ++i) md << "---|";
    md << "---|\n";
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [method, model] : m_order) {
      const auto& runs = m_runs.at(method + '\x1f' + model);
      const metrics::seed_summary s = metrics::summarize_runs(runs);
      md << "| " << method << " | " << model << " |";
      nlohmann::json cells = nlohmann::json::object();
      for (const column& c : m_columns) {
        const metrics::metric_spread* m = s.find(c.space, c.metric);
        md << ' ' << cell(m) << " |";
        if (!m) continue;
        csv << method << ',' << model << ',' << c.space << ',' << c.metric << ',' << m->mean << ',' << m->std << ','
            << m->min << ',' << m->max << ',' << m->runs << '\n';
        cells[c.space + "." + c.metric] = {{"mean", number(m->mean)}, {"std", number(m->std)}, {"values", m->values}};
      }
      md << ' ' << runs.size() << " |\n";
      rows.push_back({{"method", method}, {"model", model}, {"seeds", runs.size()}, {"metrics", cells}});
    }
    metrics::write_file_atomic(out / (stem + ".md"), md.str());
    metrics::write_file_atomic(out / (stem + ".csv"), csv.str());
    metrics::write_json(out / (stem + ".json"), {{"title", m_title}, {"notes", notes}, {"rows", rows}});
    std::printf("\n%s", md.str().c_str());
  }

 private:
  static nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
  static std::string cell(const metrics::metric_spread* m) {
    if (!m || !std::isfinite(m->mean)) return "n/a";
    char b[64];
    if (std::isfinite(m->std))
      std::snprintf(b, sizeof b, "%.3f ± %.3f", m->mean, m->std);
    else
      std::snprintf(b, sizeof b, "%.3f", m->mean);
    return b;
  }

  std::string m_title;
  std::vector<column> m_columns;
  std::vector<std::pair<std::string, std::string>> m_order;
  std::map<std::string, std::vector<metrics::evaluation_result>> m_runs;
};

std::string describe(const options& o, const std::vector<model_choice>& models) {
  std::ostringstream s;
  s << "Profile `" << o.profile << "`: " << o.run.steps << " steps of " << o.run.batch << ", SGD momentum "
    << o.run.momentum << ", weight decay " << o.run.weight_decay << ", learning rate " << o.run.lr << ' '
    << o.run.schedule;
  if (o.run.schedule == "exponential") s << " (x" << o.run.decay_factor << " every " << o.run.decay_every << " steps)";
  s << "; models:";
  for (const auto& m : models) s << ' ' << m.label();
  s << "; seeds " << o.first_seed << ".." << o.first_seed + o.seeds - 1 << "; data: " << o.data;
  if (o.data == "synthetic") s << " (world seed " << o.data_seed << ")";
  if (o.pretrain) s << "; trunks pretrained on " << (o.data == "real" ? "FER2013" : "fer-like") << " for " << o.pretrain_steps << " steps";
  s << '.';
  return s.str();
}

// ---- experiments ----------------------------------------------------------------------------

struct context {
  options o;
  std::vector<model_choice> models;
  sjmt::interrupt_guard& guard;
};

/// The trunk to start from for this model and seed: none, or one pretrained on FER(-like).
fs::path pretrained_trunk(const context& c, const model_choice& m, std::uint64_t seed) {
  if (!c.o.pretrain) return {};
  settings s = c.o.run;
  s.steps = c.o.pretrain_steps;
  s.decay_every = std::max<std::size_t>(s.steps / 8, 1);
  job j{.name = "pretrain-fer-" + m.tag() + "-s" + std::to_string(seed), .method = "pretrain", .arch = m.arch,
        .depth = m.depth, .mode = data::batch_mode::single, .seed = seed};
  std::array<data::sample_source, 1> train;
  std::vector<test_set> tests;
  if (c.o.data == "real") {
    SJMT_CHECK(value_error, !c.o.fer2013.empty(), "--pretrain with --data real needs --fer2013 <fer2013.csv>");
    data::fer2013_options fo;
    fo.usage = "Training";
    train[0] = loaded(data::load_fer2013(c.o.fer2013, fo));
    fo.usage = "PublicTest";
    tests.push_back({0, loaded(data::load_fer2013(c.o.fer2013, fo))});
  } else {
    train[0] = data::source(data::fer_like(data::split::train, c.o.data_seed));
    tests.push_back({0, data::source(data::fer_like(data::split::test, c.o.data_seed))});
  }
  s.test_limit = s.test_limit ? s.test_limit : 1000;
  const outcome r = run_job<fer_only>(j, s, std::move(train), tests, c.guard);
  return r.checkpoint;
}

const std::vector<column> emotion_columns{{"emotion", "accuracy", "emotion accuracy"},
                                          {"emotion", "mean_per_class_accuracy", "mean per-class accuracy"},
                                          {"emotion", "macro_f1", "emotion macro F1"}};
const std::vector<column> au_columns{{"aus", "mean_accuracy", "AU accuracy (Eq. 3)"}, {"aus", "macro_f1", "AU macro F1"}};

int table1(context& c) {
  summary sum_sfew("Table 1 — single task, emotion on sfew-like", emotion_columns);
  summary sum_ck("Table 1 — single task, emotion on ck-like", emotion_columns);
  summary sum_en("Table 1 — single task, AUs on emotionet-like", au_columns);
  summary sum_ckau("Table 1 — single task, AUs on ck-like", au_columns);
  const split_sources wild_e = emotion_wild(c.o), wild_a = aus_wild(c.o), ck_e = ck_task(c.o, true), ck_a = ck_task(c.o, false);
  for (std::uint64_t seed = c.o.first_seed; seed < c.o.first_seed + c.o.seeds; ++seed)
    for (const model_choice& m : c.models) {
      const fs::path trunk = pretrained_trunk(c, m, seed);
      auto one = [&]<class U>(summary& sum, const std::string& task, const split_sources& src) {
        job j{.name = "table1-" + task + "-" + m.tag() + "-s" + std::to_string(seed), .method = "single task",
              .arch = m.arch, .depth = m.depth, .mode = data::batch_mode::single, .seed = seed, .pretrained = trunk};
        const outcome r = run_job<U>(j, c.o.run, {src.train}, {{0, src.test}}, c.guard);
        sum.add("single task", m.label(), r.eval);
      };
      one.template operator()<emotion_only>(sum_sfew, "emotion-sfew", wild_e);
      one.template operator()<aus_only>(sum_en, "aus-emotionet", wild_a);
      one.template operator()<ck_emotion_only>(sum_ck, "emotion-ck", ck_e);
      one.template operator()<ck_aus_only>(sum_ckau, "aus-ck", ck_a);
    }
  const std::string notes = describe(c.o, c.models);
  sum_sfew.write(c.o.run.out, "table1_emotion_sfew", notes);
  sum_en.write(c.o.run.out, "table1_aus_emotionet", notes);
  sum_ck.write(c.o.run.out, "table1_emotion_ck", notes);
  sum_ckau.write(c.o.run.out, "table1_aus_ck", notes);
  return 0;
}

/// The four Table 2 methods on the sfew-like + emotionet-like union.
std::vector<job> table2_jobs(const model_choice& m, std::uint64_t seed, const fs::path& trunk) {
  const std::string tail = "-" + m.tag() + "-s" + std::to_string(seed);
  const job base{.arch = m.arch, .depth = m.depth, .proportions = {0.5, 0.5}, .seed = seed, .pretrained = trunk};
  std::vector<job> jobs(4, base);
  const char* keys[] = {"classical", "sjmt", "naive", "softmax"};
  for (std::size_t i = 0; i < 4; ++i) jobs[i].key = keys[i];
  jobs[0].name = "table2-classical" + tail, jobs[0].method = "classical multi-task";
  jobs[0].head = head_kind::per_dataset, jobs[0].mode = data::batch_mode::alternating;
  jobs[1].name = "table2-sjmt" + tail, jobs[1].method = "SJMT (selective loss)";
  jobs[2].name = "table2-naive" + tail, jobs[2].method = "naive joint loss", jobs[2].loss = loss_kind::naive;
  jobs[3].name = "table2-softmax" + tail, jobs[3].method = "selective softmax", jobs[3].loss = loss_kind::softmax;
  return jobs;
}

/// Figure 2 as a PNG a reader can take in alone: the heat map (viridis, 0 to
/// 1) with the emotion names and image counts on the left, the AUs on top,
/// each cell's mean score written in it and the colour bar's ends labelled.
/// The same numbers are in the markdown and CSV beside it.
void write_figure2(const fs::path& out, const std::string& stem, const metrics::au_by_emotion_result& f) {
  metrics::write_report(out, stem, f, 3);
  constexpr int cell = 32, char_w = 6, top = 18, right = 28;
  const metrics::rgb_image map = metrics::render_heat_map(f.mean, {.cell = std::size_t(cell)});
  std::vector<std::string> rows(f.emotions.size());
  std::size_t widest = 0;
  for (std::size_t e = 0; e < rows.size(); ++e) {
    rows[e] = f.emotions[e] + " (" + std::to_string(f.counts[e]) + ")";
    widest = std::max(widest, rows[e].size());
  }
  const int left = static_cast<int>(widest) * char_w + 8;
  data::image img(left + static_cast<int>(map.width) + right, top + static_cast<int>(map.height) + 4, 3);
  for (float& v : img.pixels()) v = 1.0f;  // white page
  for (std::size_t y = 0; y < map.height; ++y)
    for (std::size_t x = 0; x < map.width; ++x)
      for (int ch = 0; ch < 3; ++ch)
        img.at(top + static_cast<int>(y), left + static_cast<int>(x), ch) =
            float(map.rgb[3 * (y * map.width + x) + std::size_t(ch)]) / 255.0f;
  const int text_end = img.width();
  for (std::size_t e = 0; e < rows.size(); ++e)
    data::draw_text(img, 2, top + static_cast<int>(e) * cell + cell / 2 - 4, rows[e], 0.0f, left);
  for (std::size_t a = 0; a < f.aus.size(); ++a)
    data::draw_text(img, left + static_cast<int>(a) * cell + 3, 5, f.aus[a], 0.0f, text_end);
  for (std::size_t e = 0; e < f.mean.size(); ++e)
    for (std::size_t a = 0; a < f.mean[e].size(); ++a) {
      const double v = f.mean[e][a];
      if (std::isnan(v)) continue;
      char text[16];
      std::snprintf(text, sizeof text, "%.2f", v);
      // light text on the dark (purple, blue) end of viridis, dark on the bright end
      data::draw_text(img, left + static_cast<int>(a) * cell + 4,
                              top + static_cast<int>(e) * cell + cell / 2 - 4, text, v < 0.55 ? 1.0f : 0.0f,
                              left + static_cast<int>(a + 1) * cell);
    }
  const int bar_x = left + static_cast<int>(map.width) + 2;
  data::draw_text(img, bar_x, top, "1", 0.0f, text_end);
  data::draw_text(img, bar_x, top + static_cast<int>(map.height) - 8, "0", 0.0f, text_end);
  data::write_png(out / (stem + ".png"), img);
}

int table2(context& c, bool figure_only) {
  std::vector<column> cols = emotion_columns;
  cols.insert(cols.end(), au_columns.begin(), au_columns.end());
  summary sum("Table 2 — multi-task on sfew-like (emotion) + emotionet-like (AUs)", cols);
  const split_sources e = emotion_wild(c.o), a = aus_wild(c.o);
  std::vector<test_set> tests{{0, e.test}, {1, a.test}};
  for (std::uint64_t seed = c.o.first_seed; seed < c.o.first_seed + c.o.seeds; ++seed)
    for (const model_choice& m : c.models) {
      const fs::path trunk = pretrained_trunk(c, m, seed);
      for (const job& j : table2_jobs(m, seed, trunk)) {
        const bool sjmt_row = j.loss == loss_kind::selective && j.head == head_kind::joint;
        const bool asked = std::ranges::find(c.o.methods, j.key) != c.o.methods.end();
        if (figure_only ? !sjmt_row : !asked) continue;
        if (j.loss == loss_kind::selective && j.head == head_kind::joint) {
          const outcome r = run_job<table2_union, figure2_of>(j, c.o.run, {e.train, a.train}, tests, c.guard);
          write_figure2(c.o.run.out, "figure2-" + m.tag() + "-s" + std::to_string(seed), *r.figure2);
          sum.add(j.method, m.label(), r.eval);
        } else {
          sum.add(j.method, m.label(), run_job<table2_union>(j, c.o.run, {e.train, a.train}, tests, c.guard).eval);
        }
      }
    }
  if (!figure_only) sum.write(c.o.run.out, "table2", describe(c.o, c.models));
  const std::string first = "figure2-" + c.models.front().tag() + "-s" + std::to_string(c.o.first_seed);
  std::printf("\nFigure 2 / Table 3 (%s, on emotion-only test images): %s\n", first.c_str(),
              (c.o.run.out / (first + ".md")).string().c_str());
  std::fflush(stdout);
  if (figure_only) std::printf("%s\n", metrics::read_file(c.o.run.out / (first + ".md")).c_str());
  return 0;
}

int table4(context& c) {
  std::vector<column> cols{{"compound_emotion", "accuracy", "accuracy (all images)"},
                           {"compound_emotion", "mean_per_class_accuracy", "mean over classes"}};
  summary sum("Table 4 — compound emotions, 15 training images per class", cols);
  const split_sources comp = compound_task(c.o), a = aus_wild(c.o);
  std::map<std::string, std::vector<std::vector<double>>> per_class;  // method -> per-seed recalls
  for (std::uint64_t seed = c.o.first_seed; seed < c.o.first_seed + c.o.seeds; ++seed)
    for (const model_choice& m : c.models) {
      const fs::path trunk = pretrained_trunk(c, m, seed);
      const std::string tail = "-" + m.tag() + "-s" + std::to_string(seed);
      job single{.name = "table4-single" + tail, .method = "single task", .arch = m.arch, .depth = m.depth,
                 .mode = data::batch_mode::single, .seed = seed, .pretrained = trunk};
      job joint{.name = "table4-sjmt" + tail, .method = "SJMT (with emotionet-like AUs)", .arch = m.arch,
                .depth = m.depth, .proportions = {0.5, 0.5}, .seed = seed, .pretrained = trunk};
      const outcome r1 = run_job<compound_only>(single, c.o.run, {comp.train}, {{0, comp.test}}, c.guard);
      const outcome r2 = run_job<compound_sjmt>(joint, c.o.run, {comp.train, a.train}, {{0, comp.test}}, c.guard);
      for (const auto* r : {&r1, &r2}) {
        const std::string& method = r == &r1 ? single.method : joint.method;
        sum.add(method, m.label(), r->eval);
        per_class[method + " " + m.label()].push_back(r->eval.find<metrics::exclusive_result>("compound_emotion")->recall);
      }
    }
  std::ostringstream notes;
  notes << describe(c.o, c.models) << "\n\nPer-class accuracy (mean over seeds):\n\n| method |";
  for (auto name : sp::compound_emotion::class_names) notes << ' ' << name << " |";
  notes << "\n|---|";
  for (std::size_t i = 0; i < sp::compound_emotion::size; ++i) notes << "---|";
  notes << '\n';
  for (const auto& [method, runs] : per_class) {
    notes << "| " << method << " |";
    for (std::size_t k = 0; k < sp::compound_emotion::size; ++k) {
      double s = 0;
      for (const auto& r : runs) s += r[k];
      char b[16];
      std::snprintf(b, sizeof b, " %.3f |", s / double(runs.size()));
      notes << b;
    }
    notes << '\n';
  }
  sum.write(c.o.run.out, "table4", notes.str());
  return 0;
}

// ---- settings kept with the output folder ----------------------------------------------------

/// Checkpoints are only resumed under the settings they were trained with: the folder keeps
/// them in settings.json and a different invocation is refused (or --fresh starts over).
void check_settings(const options& o) {
  const nlohmann::json now{{"steps", o.run.steps}, {"batch", o.run.batch}, {"lr", o.run.lr},
                           {"schedule", o.run.schedule}, {"decay_factor", o.run.decay_factor},
                           {"decay_every", o.run.decay_every}, {"momentum", o.run.momentum},
                           {"weight_decay", o.run.weight_decay}, {"data", o.data}, {"data_seed", o.data_seed},
                           {"pretrain_steps", o.pretrain ? o.pretrain_steps : 0}};
  const fs::path file = o.run.out / "settings.json";
  if (!o.run.fresh && fs::exists(file)) {
    const nlohmann::json before = metrics::read_json(file);
    std::string diff;
    for (const auto& [k, v] : now.items())
      if (!before.contains(k) || before[k] != v)
        diff += "\n  " + k + ": " + (before.contains(k) ? before[k].dump() : "absent") + " there, " + v.dump() + " now";
    SJMT_CHECK(value_error, diff.empty(), file.string(),
               ": this output folder holds runs made with other settings; pass another --out, or --fresh to "
               "retrain from scratch:", diff);
  }
  metrics::write_json(file, now);
}

void apply_profile(options& o, const CLI::App& app) {
  auto unset = [&](const char* name) { return app.get_option(name)->count() == 0; };
  if (o.profile == "paper") {
    if (unset("--steps")) o.run.steps = 80'000;
    if (unset("--batch")) o.run.batch = 128;
    if (o.models.empty()) o.models = o.experiment == "table1" ? std::vector<std::string>{"resnet32", "resnet110", "vgg16"}
                                                             : std::vector<std::string>{"resnet32", "resnet110"};
  } else {  // quick: fits a 2-core machine; cosine decay (eight halvings in a short run stop it early)
    if (unset("--schedule")) o.run.schedule = "cosine";
    if (unset("--steps")) o.run.steps = 2500;
    if (unset("--batch")) o.run.batch = 64;
    if (o.models.empty()) o.models = {"resnet8"};
    if (o.methods.empty()) o.methods = {"classical", "sjmt"};  // Table 2's comparison; the two other rows on request
  }
  if (o.methods.empty()) o.methods = {"classical", "sjmt", "naive", "softmax"};
  if (unset("--decay-every")) o.run.decay_every = std::max<std::size_t>(o.run.steps / 8, 1);
  if (unset("--pretrain-steps")) o.pretrain_steps = o.run.steps;
}

// ---- --check: what ctest runs ----------------------------------------------------------------

/// Tiny runs of every experiment's code path, and the resume property: a job stopped half
/// way and resumed ends with the same weights as one run straight through.
int check(const fs::path& folder, sjmt::interrupt_guard& guard) {
  fs::remove_all(folder);
  fs::create_directories(folder);
  settings s{.steps = 8, .batch = 8, .lr = 0.05, .schedule = "exponential", .decay_every = 4, .test_limit = 16,
             .quiet = true, .out = folder};
  options o;
  const split_sources e = emotion_wild(o), a = aus_wild(o);
  const std::vector<test_set> tests{{0, e.test}, {1, a.test}};
  bool ok = true;
  for (const job& j : table2_jobs({"resnet", 8}, 1, {})) {
    const outcome r = run_job<table2_union>(j, s, {e.train, a.train}, tests, guard);
    const auto* emo = r.eval.find<metrics::exclusive_result>("emotion");
    const auto* aus = r.eval.find<metrics::multilabel_result>("aus");
    const bool good = emo && aus && emo->count == 16 && aus->counts.size() == 11 && std::isfinite(aus->mean_accuracy);
    std::printf("%-24s emotion acc %.3f, AU acc %.3f: %s\n", j.name.c_str(), emo ? emo->accuracy : 0.0,
                aus ? aus->mean_accuracy : 0.0, good ? "ok" : "FAILED");
    ok = ok && good;
  }
  // Resume: the SJMT job again, in a second folder, stopped after 3 steps, then resumed.
  const fs::path straight = folder / "checkpoints" / "table2-sjmt-resnet8-s1.safetensors";
  settings s2 = s;
  s2.out = folder / "resumed";
  s2.stop_after = 3;
  job j = table2_jobs({"resnet", 8}, 1, {})[1];
  bool stopped = false;
  try {
    run_job<table2_union>(j, s2, {e.train, a.train}, tests, guard);
  } catch (const interrupted&) {
    stopped = true;
  }
  s2.stop_after = 0;
  run_job<table2_union>(j, s2, {e.train, a.train}, tests, guard);
  const std::string x = metrics::read_file(straight), y = metrics::read_file(s2.out / "checkpoints" / (j.name + ".safetensors"));
  const bool same = stopped && x == y;
  std::printf("resume after an interruption at step 3 of 8: %s\n",
              same ? "the same checkpoint, byte for byte" : "DIFFERENT checkpoints");
  ok = ok && same;
  std::printf("%s\n", ok ? "Passed" : "Failed");
  if (ok) fs::remove_all(folder);
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sjmt paper trainer: the experiments of Pons & Masip on synthetic or real faces"};
  app.require_subcommand(0, 1);
  options o;
  bool check_only = false;
  app.add_flag("--check", check_only, "tiny runs of every code path and the resume check (ctest)");
  std::vector<CLI::App*> subs;
  for (const char* name : {"table1", "table2", "table4", "figure2"}) {
    CLI::App* sub = app.add_subcommand(name, name == std::string("table1")   ? "single-task networks per task and dataset"
                                             : name == std::string("table2") ? "classical multi-task vs SJMT (+ naive joint, selective softmax)"
                                             : name == std::string("table4") ? "compound emotions, 15 images per class: single task vs SJMT"
                                                                             : "mean AU scores per predicted emotion (and Table 3)");
    sub->fallthrough();
    subs.push_back(sub);
  }
  app.add_option("--profile", o.profile, "quick (ResNet-8, 2,500 steps of 64, classical vs SJMT) or paper (ResNet-32 and -110, 80,000 steps of 128, every method)")
      ->check(CLI::IsMember({"quick", "paper"}));
  app.add_option("--models", o.models, "comma-separated: resnet8, resnet14, resnet20, resnet32, resnet56, resnet110, vgg16")
      ->delimiter(',');
  app.add_option("--methods", o.methods, "table2 rows, comma-separated: classical, sjmt, naive, softmax (default: all; quick profile: classical,sjmt)")
      ->delimiter(',')
      ->check(CLI::IsMember({"classical", "sjmt", "naive", "softmax"}));
  app.add_option("--steps", o.run.steps, "training steps per network")->check(CLI::PositiveNumber);
  app.add_option("--batch", o.run.batch, "batch size")->check(CLI::PositiveNumber);
  app.add_option("--lr", o.run.lr, "base learning rate")->check(CLI::PositiveNumber);
  app.add_option("--schedule", o.run.schedule, "exponential (the paper's step decay; the paper profile's default), cosine (the quick profile's), constant")
      ->check(CLI::IsMember({"exponential", "cosine", "constant"}));
  app.add_option("--decay-factor", o.run.decay_factor, "exponential: factor per decay (the paper does not state it)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--decay-every", o.run.decay_every, "exponential: steps between decays (default: steps / 8, the paper's 10,000 of 80,000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--weight-decay", o.run.weight_decay, "SGD weight decay");
  app.add_option("--seeds", o.seeds, "networks per row (mean and standard deviation)")->check(CLI::PositiveNumber);
  app.add_option("--first-seed", o.first_seed, "seed of the first network");
  app.add_flag("--pretrain", o.pretrain, "pretrain each trunk on fer-like (or --fer2013) and fine-tune, as the paper does");
  app.add_option("--pretrain-steps", o.pretrain_steps, "pretraining steps (default: --steps)");
  app.add_option("--threads", o.threads, "threads for the network (default: all cores)");
  app.add_option("--data-threads", o.run.data_threads, "threads that render or decode a batch (default 1)");
  app.add_option("--out", o.run.out, "output folder (default runs/<experiment>)");
  app.add_option("--eval-every", o.run.eval_every, "also evaluate every this many steps (learning curves in curves.csv)");
  app.add_option("--test-limit", o.run.test_limit, "evaluate on at most this many images per test set");
  app.add_option("--checkpoint-every", o.run.checkpoint_every, "steps between checkpoints (default: a tenth of the run)");
  app.add_option("--stop-after", o.run.stop_after, "stop as Ctrl-C would after this many steps (testing resume)");
  app.add_flag("--fresh", o.run.fresh, "ignore the output folder's checkpoints and settings: train from scratch");
  app.add_flag("--quiet", o.run.quiet, "no progress bar");
  app.add_option("--data", o.data, "synthetic (built-in faces) or real (the paths below)")->check(CLI::IsMember({"synthetic", "real"}));
  app.add_option("--data-seed", o.data_seed, "seed of the synthetic world (the same for every network)");
  app.add_option("--sfew", o.sfew, "SFEW 2.0 folder (Train/, Val/)");
  app.add_option("--emotionet", o.emotionet, "EmotioNet AU table (automatic tab file or manual 'AU k' CSV)");
  app.add_option("--emotionet-images", o.emotionet_images, "folder of the EmotioNet images named as their URLs");
  app.add_option("--compound", o.compound_csv, "EmotioNet emotion-category CSV (compound emotions)");
  app.add_option("--ckplus", o.ckplus, "CK+ folder (cohn-kanade-images, Emotion, FACS, Landmarks)");
  app.add_option("--fer2013", o.fer2013, "fer2013.csv (for --pretrain)");
  CLI11_PARSE(app, argc, argv);

  sjmt::interrupt_guard guard;
  try {
    if (check_only) return check(fs::temp_directory_path() / ("sjmt-paper-check-" + std::to_string(std::random_device{}())), guard);
    for (CLI::App* sub : subs)
      if (sub->parsed()) o.experiment = sub->get_name();
    SJMT_CHECK(value_error, !o.experiment.empty(), "name an experiment: table1, table2, table4 or figure2 (see --help)");
    apply_profile(o, app);
    if (app.get_option("--out")->count() == 0) o.run.out = fs::path("runs") / (o.experiment == "figure2" ? "table2" : o.experiment);
#if defined(_OPENMP)
    if (o.threads > 0) omp_set_num_threads(o.threads);
#endif
    context c{o, {}, guard};
    for (const std::string& m : o.models) c.models.push_back(parse_model(m));
    fs::create_directories(o.run.out);
    check_settings(o);
    std::printf("paper %s: %s\noutput: %s\n", o.experiment.c_str(), describe(o, c.models).c_str(), o.run.out.string().c_str());
    std::fflush(stdout);
    log_line(o.run.out, "paper " + o.experiment + ": " + describe(o, c.models));
    if (o.experiment == "table1") return table1(c);
    if (o.experiment == "table4") return table4(c);
    return table2(c, o.experiment == "figure2");
  } catch (const interrupted& e) {
    std::fprintf(stderr, "\npaper: %s\n", e.what());
    return 130;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "paper: %s\n", e.what());
    return 1;
  }
}
