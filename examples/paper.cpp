// Brief: the paper's experiments (Pons & Masip), one subcommand each, on the built-in
// synthetic faces or on your copies of the real datasets.
//
//   build/examples/paper table2                      # quick profile: ResNet-8, 2,500 steps, classical vs SJMT
//   build/examples/paper table2 --methods classical,sjmt,naive,softmax --steps 3000 --seeds 3
//   build/examples/paper table2 --profile paper      # the paper's: ResNet-32 and -110, 80,000 steps, batch 128
//   build/examples/paper table1 --models resnet32,vgg16 --seeds 3
//   build/examples/paper table4
//   build/examples/paper landmarks --seeds 5       # the paper's future work: landmarks in the joint objective
//   build/examples/paper figure2 --out runs/table2   # reuses table2's SJMT networks when present
//   build/examples/paper table2 --data real --sfew ~/SFEW_2.0 --emotionet ~/emotionet/aus.csv
//       --emotionet-images ~/emotionet/images       (one line)
//   build/examples/paper export runs/table2/checkpoints/table2-sjmt-resnet8-s1.safetensors   # -> .onnx beside it
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
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "paper/run.hpp"
#include "paper/reference.hpp"

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
// The paper's future work: landmarks in the joint objective (issue 13).
using landmark_layout = sjmt::joint_layout<sp::emotion, sp::emotionet_aus, sp::landmarks68>;
// ck-like annotates all three (its contempt faces leave emotion unknown: spaces::emotion has no contempt).
using ck_all = sjmt::dataset<"ck", sp::emotion, sp::emotionet_aus, sp::landmarks68>;
using landmarks_union = sjmt::dataset_union<landmark_layout, ds::sfew, ds::emotionet, ds::w300, ck_all>;
using landmarks_only = sjmt::dataset_union<sjmt::joint_layout<sp::landmarks68>, ds::w300>;

// ---- options ---------------------------------------------------------------------------------

struct model_choice {
  std::string arch;
  std::size_t depth;
  sjmt::shortcut_kind shortcut = sjmt::shortcut_kind::projection;
  bool option_a() const { return shortcut == sjmt::shortcut_kind::zero_pad; }
  std::string label() const {
    if (arch == "vgg16") return "VGG-16";
    std::string s = "ResNet-";
    s += std::to_string(depth);
    if (option_a()) s += " (option A)";
    return s;
  }
  std::string tag() const {
    if (arch == "vgg16") return "vgg16";
    std::string s = "resnet";
    s += std::to_string(depth);
    if (option_a()) s += 'a';
    return s;
  }
};

struct options {
  std::string experiment;
  std::string profile = "quick";
  std::vector<std::string> models;  // empty: the profile's
  std::vector<std::string> methods;  // table2 rows; empty: the profile's
  std::vector<std::string> weightings{"static"};  ///< the SJMT rows' label-space weightings (--weighting)
  std::size_t seeds = 1, first_seed = 1, pretrain_steps = 0;
  bool pretrain = false;
  bool no_pretrain = false;  ///< --no-pretrain: the paper profile's pretraining left out
  bool pretrain_ablation = false;  ///< table2: every row from scratch and pretrained, paired by seed
  bool zero_shot = true;  ///< table4: also infer compounds from Table 2's SJMT network
  int threads = 0;
  std::string data = "synthetic";
  data::paper_sources src;  ///< its paths are set by the options below
  settings run;
  std::optional<settings> vgg;  ///< the paper profile's VGG-16 settings (Section 4), where they differ
};

/// The settings a model trains with: the run's, or the paper profile's VGG-16 ones.
const settings& settings_for(const options& o, const model_choice& m) {
  return m.arch == "vgg16" && o.vgg ? *o.vgg : o.run;
}

/// "vgg16", "resnet<depth>" (option-B shortcuts, sjmt's default) or "resnet<depth>a"
/// (option A, He et al.'s CIFAR networks); checked by the --models option.
model_choice parse_model(const std::string& s) {
  if (s == "vgg16") return {"vgg16", 16};
  const bool a = s.ends_with('a');
  return {"resnet", std::stoul(s.substr(6, s.size() - 6 - (a ? 1 : 0))),
          a ? sjmt::shortcut_kind::zero_pad : sjmt::shortcut_kind::projection};
}

using summary = metrics::experiment_table;
using column = metrics::table_column;

/// Job `j` changed in one respect: `tag` goes into its file stem before "-<model>-s<seed>"
/// (table2-sjmt-<tag>-resnet8-s1) and its key, and ", <what>" after its row's name.
job variant(job j, const std::string& tag, const std::string& what) {
  j.name.insert(j.name.rfind('-', j.name.rfind('-') - 1), "-" + tag);
  j.key += "-" + tag;
  j.method += ", " + what;
  return j;
}

/// The SJMT job `j` once per --weighting: static keeps its name and row (the paper's
/// method); another weighting w gets its own file stem (table2-sjmt-w-resnet8-s1, so one
/// output folder holds them all and each resumes on its own) and its own row.
std::vector<job> weighted(const job& j, const std::vector<std::string>& weightings) {
  std::vector<job> out;
  for (const std::string& w : weightings) {
    job k = j;
    k.weighting = w;
    out.push_back(w == "static" ? std::move(k) : variant(std::move(k), w, w + " weighting"));
  }
  return out;
}

/// The table that compares each weighting's SJMT row with the static one's, seed by seed
/// (written only when --weighting names more than static).
summary weighting_table(const std::string& title, std::vector<column> cols, const std::string& static_method) {
  summary t(title + " — label-space weighting against static weights", std::move(cols));
  t.set_baseline(static_method);
  return t;
}
bool weighs(const options& o) { return o.weightings != std::vector<std::string>{"static"}; }

/// Writes the weighting table and prints it with a verdict per weighted row.
void print_weighting(const options& o, const summary& t, const std::string& stem, const std::string& notes, const job& sjmt_job) {
  std::printf("\n%s", t.write(o.run.out, stem, notes).c_str());
  for (const job& jw : weighted(sjmt_job, o.weightings))
    if (jw.weighting != "static") std::printf("%s", paper::verdict(t, jw.method).c_str());
}

std::string describe(const options& o, const std::vector<model_choice>& models) {
  std::ostringstream s;
  s << "Profile `" << o.profile << "`: " << o.run.steps << " steps of " << o.run.batch << ", SGD momentum "
    << o.run.momentum << ", weight decay " << o.run.weight_decay << ", learning rate " << o.run.lr << ' '
    << o.run.schedule;
  if (o.run.schedule == "exponential") s << " (x" << o.run.decay_factor << " every " << o.run.decay_every << " steps)";
  s << "; models:";
  for (const auto& m : models) s << ' ' << m.label();
  s << "; seeds " << o.first_seed << ".." << o.first_seed + o.seeds - 1 << "; data: " << o.data;
  if (o.data == "synthetic") s << " (world seed " << o.src.world_seed << ")";
  if (o.vgg && std::ranges::any_of(models, [](const model_choice& m) { return m.arch == "vgg16"; }))
    s << "; VGG-16 (Section 4): " << o.vgg->steps << " steps of " << o.vgg->batch << ", learning rate " << o.vgg->lr
      << " exponential (x" << o.vgg->decay_factor << " every " << o.vgg->decay_every << " steps)";
  if (o.weightings != std::vector<std::string>{"static"}) {
    s << "; SJMT rows with the label spaces weighted by";
    for (const std::string& w : o.weightings) s << ' ' << w;
  }
  if (o.pretrain)
    s << (o.pretrain_ablation ? "; every row also from a trunk pretrained on " : "; trunks pretrained on ")
      << (o.data == "real" ? "FER2013" : "fer-like") << " for " << o.pretrain_steps << " steps";
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
/// Under --pretrain-ablation its length is in its name (the folder's settings say 0 steps:
/// those of the networks trained from scratch there).
fs::path pretrained_trunk(const context& c, const model_choice& m, std::uint64_t seed) {
  if (!c.o.pretrain) return {};
  settings s = settings_for(c.o, m);
  s.steps = c.o.pretrain_steps;
  s.decay_every = std::max<std::size_t>(s.steps / 8, 1);
  const std::string tag = c.o.pretrain_ablation ? "fer" + std::to_string(s.steps) : "fer";
  job j{.name = "pretrain-" + tag + "-" + m.tag() + "-s" + std::to_string(seed), .method = "pretrain", .arch = m.arch,
        .depth = m.depth, .shortcut = m.shortcut, .mode = data::batch_mode::single, .seed = seed};
  const data::split_sources fer = c.o.src.fer();
  std::vector<test_set> tests{{0, fer.test}};
  std::array<data::sample_source, 1> train{fer.train};
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
  const data::split_sources wild_e = c.o.src.emotion_wild(), wild_a = c.o.src.aus_wild(), ck_e = c.o.src.ck(true), ck_a = c.o.src.ck(false);
  for (std::uint64_t seed = c.o.first_seed; seed < c.o.first_seed + c.o.seeds; ++seed)
    for (const model_choice& m : c.models) {
      const fs::path trunk = pretrained_trunk(c, m, seed);
      auto one = [&]<class U>(summary& sum, const std::string& task, const data::split_sources& src) {
        job j{.name = "table1-" + task + "-" + m.tag() + "-s" + std::to_string(seed), .method = "single task",
              .arch = m.arch, .depth = m.depth, .shortcut = m.shortcut, .mode = data::batch_mode::single, .seed = seed,
              .pretrained = trunk};
        const outcome r = run_job<U>(j, settings_for(c.o, m), {src.train}, {{0, src.test}}, c.guard);
        sum.add("single task", m.label(), r.eval, seed);
      };
      one.template operator()<emotion_only>(sum_sfew, "emotion-sfew", wild_e);
      one.template operator()<aus_only>(sum_en, "aus-emotionet", wild_a);
      one.template operator()<ck_emotion_only>(sum_ck, "emotion-ck", ck_e);
      one.template operator()<ck_aus_only>(sum_ckau, "aus-ck", ck_a);
    }
  const std::string notes = describe(c.o, c.models);
  std::printf("\n%s", sum_sfew.write(c.o.run.out, "table1_emotion_sfew", notes).c_str());
  std::printf("\n%s", sum_en.write(c.o.run.out, "table1_aus_emotionet", notes).c_str());
  std::printf("\n%s", sum_ck.write(c.o.run.out, "table1_emotion_ck", notes).c_str());
  std::printf("\n%s", sum_ckau.write(c.o.run.out, "table1_aus_ck", notes).c_str());
  std::printf("\n%s", paper::table1_markdown());
  return 0;
}

/// The four Table 2 methods on the sfew-like + emotionet-like union.
std::vector<job> table2_jobs(const model_choice& m, std::uint64_t seed, const fs::path& trunk) {
  const std::string tail = "-" + m.tag() + "-s" + std::to_string(seed);
  const job base{.arch = m.arch, .depth = m.depth, .shortcut = m.shortcut, .proportions = {0.5, 0.5}, .seed = seed,
                 .pretrained = trunk};
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

int table2(context& c, bool figure_only) {
  std::vector<column> cols = emotion_columns;
  cols.insert(cols.end(), au_columns.begin(), au_columns.end());
  summary sum("Table 2 — multi-task on sfew-like (emotion) + emotionet-like (AUs)", cols);
  sum.set_baseline("classical multi-task");
  summary by_weighting = weighting_table("Table 2", cols, "SJMT (selective loss)");
  summary by_pretraining("Table 2 — fer-like pretraining against none", cols);  // --pretrain-ablation
  const std::string fer = "fer" + std::to_string(c.o.pretrain_steps), pretrained = "fer-like pretrained";
  const data::split_sources e = c.o.src.emotion_wild(), a = c.o.src.aus_wild();
  std::vector<test_set> tests{{0, e.test}, {1, a.test}};
  for (std::uint64_t seed = c.o.first_seed; seed < c.o.first_seed + c.o.seeds; ++seed)
    for (const model_choice& m : c.models) {
      const fs::path trunk = pretrained_trunk(c, m, seed);
      for (const job& j : table2_jobs(m, seed, trunk)) {
        const bool sjmt_row = j.loss == loss_kind::selective && j.head == head_kind::joint;
        const bool asked = std::ranges::find(c.o.methods, j.key) != c.o.methods.end();
        if (figure_only ? !sjmt_row : !asked) continue;
        // The row's networks: one per weighting (SJMT), each from scratch and pretrained under
        // --pretrain-ablation (the pretrained one compared with its scratch twin, and in the
        // main table with the pretrained classical multi-task).
        std::vector<job> runs;
        for (const job& jw : sjmt_row ? weighted(j, figure_only ? std::vector<std::string>{"static"} : c.o.weightings)
                                      : std::vector<job>{j}) {
          if (!c.o.pretrain_ablation) {
            runs.push_back(jw);
            continue;
          }
          job scratch = jw;
          scratch.pretrained.clear();
          runs.push_back(scratch);
          runs.push_back(variant(jw, fer, pretrained));
          by_pretraining.set_baseline(runs.back().method, scratch.method);
          if (j.key != "classical") sum.set_baseline(runs.back().method, "classical multi-task, " + pretrained);
        }
        for (const job& jr : runs) {
          const settings& run = settings_for(c.o, m);
          outcome r;
          if (sjmt_row) {
            r = run_job<table2_union, figure2_of>(jr, run, {e.train, a.train}, tests, c.guard);
            // figure2-resnet8-s1, figure2-pcgrad-resnet8-s1, figure2-fer6000-resnet8-s1, ...
            metrics::write_au_by_emotion_figure(c.o.run.out, "figure2" + jr.name.substr(j.name.rfind('-', j.name.rfind('-') - 1)), *r.figure2);
          } else {
            r = run_job<table2_union>(jr, run, {e.train, a.train}, tests, c.guard);
          }
          sum.add(jr.method, m.label(), r.eval, seed);
          // The weighting table compares networks from scratch only under the ablation.
          if (sjmt_row && (!c.o.pretrain_ablation || jr.pretrained.empty())) by_weighting.add(jr.method, m.label(), r.eval, seed);
          if (c.o.pretrain_ablation) by_pretraining.add(jr.method, m.label(), r.eval, seed);
        }
      }
    }
  if (!figure_only) {
    std::printf("\n%s", sum.write(c.o.run.out, "table2", describe(c.o, c.models)).c_str());
    if (weighs(c.o))
      print_weighting(c.o, by_weighting, "table2_weighting", describe(c.o, c.models), table2_jobs(c.models.front(), 1, {})[1]);
    if (c.o.pretrain_ablation) {
      std::printf("\n%s", by_pretraining.write(c.o.run.out, "table2_pretraining", describe(c.o, c.models)).c_str());
      for (const auto& cmp : by_pretraining.comparisons())
        if (cmp.column.title == cols.front().title)  // once per row: verdict() covers every column
          std::printf("%s", paper::verdict(by_pretraining, cmp.method).c_str());
    }
    std::printf("\n%s\n%s", paper::table2_markdown(), paper::verdict(sum, "SJMT (selective loss)").c_str());
  }
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
  sum.set_baseline("single task");
  const data::split_sources comp = c.o.src.compound(), a = c.o.src.aus_wild(), e = c.o.src.emotion_wild();
  const std::string zero_shot_method = "zero-shot from Table 2's SJMT (emotion + AU outputs)";
  for (std::uint64_t seed = c.o.first_seed; seed < c.o.first_seed + c.o.seeds; ++seed)
    for (const model_choice& m : c.models) {
      const fs::path trunk = pretrained_trunk(c, m, seed);
      const std::string tail = "-" + m.tag() + "-s" + std::to_string(seed);
      job single{.name = "table4-single" + tail, .method = "single task", .arch = m.arch, .depth = m.depth,
                 .shortcut = m.shortcut, .mode = data::batch_mode::single, .seed = seed, .pretrained = trunk};
      job joint{.name = "table4-sjmt" + tail, .method = "SJMT (with emotionet-like AUs)", .arch = m.arch,
                .depth = m.depth, .shortcut = m.shortcut, .proportions = {0.5, 0.5}, .seed = seed, .pretrained = trunk};
      const settings& run = settings_for(c.o, m);
      const outcome r1 = run_job<compound_only>(single, run, {comp.train}, {{0, comp.test}}, c.guard);
      sum.add(single.method, m.label(), r1.eval, seed);
      for (const job& jw : weighted(joint, c.o.weightings))
        sum.add(jw.method, m.label(), run_job<compound_sjmt>(jw, run, {comp.train, a.train}, {{0, comp.test}}, c.guard).eval, seed);
      if (!c.o.zero_shot) continue;
      // Third row: Table 2's SJMT network of this seed (trained here, or its finished checkpoint
      // reused), which never saw a compound face, read through the compound prototypes.
      const job t2 = table2_jobs(m, seed, trunk)[1];
      const outcome r3 = run_job<table2_union>(t2, run, {e.train, a.train}, {{0, e.test}, {1, a.test}}, c.guard);
      sum.add(zero_shot_method, m.label(), paper::zero_shot_compound<table2_union, compound_only>(t2, run, r3.checkpoint, comp.test), seed);
    }
  const std::string notes = describe(c.o, c.models) + "\n\nPer-class accuracy (mean over seeds):\n\n" +
                            sum.per_class_markdown("compound_emotion");
  std::printf("\n%s", sum.write(c.o.run.out, "table4", notes).c_str());
  std::printf("\n%s\n%s%s", paper::table4_markdown(), paper::verdict(sum, "SJMT (with emotionet-like AUs)").c_str(),
              paper::verdict(sum, zero_shot_method).c_str());
  return 0;
}

/// The joint landmark network's batches: 30% each from sfew-like (emotion), emotionet-like
/// (AUs) and w300-like (points), 10% from ck-like (all three; 261 training faces, so a
/// tenth is already some 60 passes over them in 2,500 steps of 64).
const std::vector<double> landmark_proportions{0.3, 0.3, 0.3, 0.1};

/// The paper's future work (its Conclusions): do landmarks help emotion, and do emotion and
/// AU data help landmarks? SJMT on emotion + AUs (Table 2's) against SJMT on emotion + AUs +
/// 68 landmarks (sfew-like, emotionet-like, w300-like and ck-like, which annotates all three)
/// against a landmark-only network on w300-like, the same steps, paired by seed. Each
/// --weighting adds a row of the joint landmark network trained with that weighting.
int landmarks(context& c) {
  std::vector<column> cols = emotion_columns;
  cols.insert(cols.end(), au_columns.begin(), au_columns.end());
  summary sum_tasks("Landmarks in the joint objective — emotion on sfew-like, AUs on emotionet-like", cols);
  sum_tasks.set_baseline("SJMT (emotion + AUs)");
  summary sum_points("Landmarks in the joint objective — 68 landmarks on w300-like",
                     {{"landmarks", "nme", "NME (inter-ocular)", true},
                      {"landmarks", "nme_box", "NME (box diagonal)", true},
                      {"landmarks", "within_0.08", "within 8%"},
                      {"landmarks", "within_0.10", "within 10%"}});
  sum_points.set_baseline("landmarks only");
  std::vector<column> all_cols = cols;
  all_cols.insert(all_cols.end(), {{"landmarks", "nme", "NME (inter-ocular)", true}, {"landmarks", "within_0.10", "within 10%"}});
  summary by_weighting = weighting_table("Landmarks in the joint objective", all_cols, "SJMT (emotion + AUs + landmarks)");
  const data::split_sources e = c.o.src.emotion_wild(), a = c.o.src.aus_wild(), w = c.o.src.landmarks_wild(),
                            ck = c.o.src.ck(false);
  std::vector<std::pair<std::string, metrics::regression_result>> first_curves;
  fs::path first_joint;
  for (std::uint64_t seed = c.o.first_seed; seed < c.o.first_seed + c.o.seeds; ++seed)
    for (const model_choice& m : c.models) {
      const fs::path trunk = pretrained_trunk(c, m, seed);
      const std::string tail = "-" + m.tag() + "-s" + std::to_string(seed);
      job two = table2_jobs(m, seed, trunk)[1];
      two.method = "SJMT (emotion + AUs)";
      job three = two;
      three.name = "landmarks-sjmt" + tail, three.method = "SJMT (emotion + AUs + landmarks)";
      three.proportions = landmark_proportions;
      job alone{.name = "landmarks-only" + tail, .method = "landmarks only", .arch = m.arch, .depth = m.depth,
                .shortcut = m.shortcut, .mode = data::batch_mode::single, .seed = seed, .pretrained = trunk};
      const settings& run = settings_for(c.o, m);
      const outcome r2 = run_job<table2_union>(two, run, {e.train, a.train}, {{0, e.test}, {1, a.test}}, c.guard);
      sum_tasks.add(two.method, m.label(), r2.eval, seed);
      std::optional<outcome> r3;  // the static joint network's, for the curves and the sheet
      for (const job& jw : weighted(three, c.o.weightings)) {
        // Tested on the three wild test sets only, so that every row's columns read the same images.
        outcome r = run_job<landmarks_union>(jw, run, {e.train, a.train, w.train, ck.train},
                                             {{0, e.test}, {1, a.test}, {2, w.test}}, c.guard);
        sum_tasks.add(jw.method, m.label(), r.eval, seed);
        sum_points.add(jw.method, m.label(), r.eval, seed);
        by_weighting.add(jw.method, m.label(), r.eval, seed);
        if (jw.weighting == c.o.weightings.front()) r3 = std::move(r);
      }
      const outcome r1 = run_job<landmarks_only>(alone, run, {w.train}, {{0, w.test}}, c.guard);
      sum_points.add(alone.method, m.label(), r1.eval, seed);
      // Uncertainty weighting is the one method that changes a one-space objective: it learns
      // the L2 term's scale (exp(-s), about 1/(2L) at its equilibrium), which acts as a larger
      // learning rate for the points. Its joint row is compared with a landmark-only network
      // weighted the same way, so that "do emotion and AU data help the points" is not answered
      // by the scale alone. (DWA and GradNorm keep one space's weight at 1 and PCGrad has no
      // pair to project: their landmark-only networks would train the static objective.)
      if (std::ranges::find(c.o.weightings, "uncertainty") != c.o.weightings.end()) {
        job alone_u = weighted(alone, {"uncertainty"}).front();
        const outcome ru = run_job<landmarks_only>(alone_u, run, {w.train}, {{0, w.test}}, c.guard);
        sum_points.add(alone_u.method, m.label(), ru.eval, seed);
        sum_points.set_baseline(weighted(three, {"uncertainty"}).front().method, alone_u.method);
      }
      if (first_curves.empty()) {
        first_curves.emplace_back(weighted(three, c.o.weightings).front().method,
                                  *r3->eval.find<metrics::regression_result>("landmarks"));
        first_curves.emplace_back(alone.method, *r1.eval.find<metrics::regression_result>("landmarks"));
        first_joint = r3->checkpoint;
      }
    }
  // The first seed's cumulative error curves, and its joint network's points on 16 test faces.
  const std::string stem = "landmarks-" + c.models.front().tag() + "-s" + std::to_string(c.o.first_seed);
  std::vector<metrics::ced_curve> curves;
  for (const auto& [name, r] : first_curves) curves.emplace_back(name, &r);
  sjmt::io::write_file_atomic(c.o.run.out / (stem + "-ced.csv"), metrics::ced_csv(curves));
  data::write_png(c.o.run.out / (stem + "-ced.png"), metrics::ced_plot(curves));
  sjmt::predictor<landmarks_union> p(first_joint);
  std::vector<data::labelled_face> faces;
  std::vector<data::shape68> predicted;
  for (std::size_t i = 0; i < std::min<std::size_t>(16, w.test.size); ++i) {
    faces.push_back(w.test.get(i));
    const std::vector<data::point>& pts = p.predict(faces.back().picture)["landmarks"].points;
    data::shape68 shape{};
    std::copy_n(pts.begin(), std::min<std::size_t>(68, pts.size()), shape.begin());
    predicted.push_back(shape);
  }
  data::write_png(c.o.run.out / (stem + "-sheet.png"), metrics::landmark_sheet(faces, predicted, {.tile = 96}));

  std::string described = describe(c.o, c.models);
  described.pop_back();  // its full stop
  const std::string notes = described + "; landmarks read " +
                            (c.o.run.points == "map" ? "by soft-argmax from the last feature map (--points map)"
                                                     : "by a linear layer on the pooled features (--points linear)") +
                            ".\n\nFirst seed: cumulative error curves " + stem +
                            "-ced.{csv,png}; the joint network's points (red) against the true ones (green) on 16 "
                            "w300-like test faces: " + stem + "-sheet.png.";
  std::printf("\n%s", sum_tasks.write(c.o.run.out, "landmarks_tasks", notes).c_str());
  std::printf("\n%s", sum_points.write(c.o.run.out, "landmarks_points", notes).c_str());
  if (weighs(c.o)) {
    job three = table2_jobs(c.models.front(), 1, {})[1];
    three.method = "SJMT (emotion + AUs + landmarks)";
    print_weighting(c.o, by_weighting, "landmarks_weighting", notes, three);
  }
  std::printf("\n%s%s", paper::verdict(sum_tasks, "SJMT (emotion + AUs + landmarks)").c_str(),
              paper::verdict(sum_points, "SJMT (emotion + AUs + landmarks)").c_str());
  return 0;
}

/// The settings that must match for a checkpoint in the output folder to be resumed.
nlohmann::json settings_of(const options& o) {
  nlohmann::json j = {{"steps", o.run.steps}, {"batch", o.run.batch}, {"lr", o.run.lr}, {"schedule", o.run.schedule},
          {"decay_factor", o.run.decay_factor}, {"decay_every", o.run.decay_every}, {"momentum", o.run.momentum},
          {"weight_decay", o.run.weight_decay}, {"data", o.data}, {"data_seed", o.src.world_seed},
          {"pretrain_steps", o.pretrain && !o.pretrain_ablation ? o.pretrain_steps : 0}};  // ablation: in the names
  if (o.vgg) j["vgg"] = {{"steps", o.vgg->steps}, {"batch", o.vgg->batch}, {"lr", o.vgg->lr}};  // paper profile only
  // The landmark head: map is the default now and linear the head of before the option, so the
  // landmark experiment records it always (a folder of linear-head runs is then refused by its settings).
  if (o.experiment == "landmarks") j["points"] = o.run.points;
  // The joint landmark network's domains: ck-like joined sfew-, emotionet- and w300-like
  // (a folder of runs without it is refused, not resumed).
  if (o.experiment == "landmarks") j["joint_domains"] = "sfew,emotionet,w300,ck";
  return j;
}

void apply_profile(options& o, const CLI::App& app) {
  auto unset = [&](const char* name) { return app.get_option(name)->count() == 0; };
  if (o.profile == "paper") {
    if (unset("--steps")) o.run.steps = 80'000;
    if (unset("--batch")) o.run.batch = 128;
    // He et al.'s CIFAR ResNets, which the paper follows, use option-A shortcuts.
    if (o.models.empty()) o.models = o.experiment == "table1" ? std::vector<std::string>{"resnet32a", "resnet110a", "vgg16"}
                                                             : std::vector<std::string>{"resnet32a", "resnet110a"};
  } else {  // quick: fits a 2-core machine; cosine decay (eight halvings in a short run stop it early)
    if (unset("--schedule")) o.run.schedule = "cosine";
    if (unset("--steps")) o.run.steps = 2500;
    if (unset("--batch")) o.run.batch = 64;
    if (o.models.empty()) o.models = {"resnet8"};
    if (o.methods.empty()) o.methods = {"classical", "sjmt"};  // Table 2's comparison; the two other rows on request
  }
  if (o.methods.empty()) o.methods = {"classical", "sjmt", "naive", "softmax"};
  if (unset("--decay-every")) o.run.decay_every = std::max<std::size_t>(o.run.steps / 8, 1);
  // Section 4: every network pre-trained on FER2013 first (fer-like with synthetic data), in
  // both profiles unless --no-pretrain: the paper profile for as long as it fine-tunes, the
  // quick one for 1,000 steps of 64 (two passes over fer-like's 28,709 training faces, under
  // a minute and a half on 2 cores), so that the main job stays under ten minutes.
  SJMT_CHECK(value_error, !(o.pretrain && o.no_pretrain), "--pretrain and --no-pretrain: choose one");
  SJMT_CHECK(value_error, !(o.pretrain_ablation && o.no_pretrain), "--pretrain-ablation and --no-pretrain: choose one");
  SJMT_CHECK(value_error, !o.pretrain_ablation || o.experiment == "table2", "--pretrain-ablation is a table2 option");
  o.pretrain = !o.no_pretrain;
  SJMT_CHECK(value_error, !o.pretrain || o.data != "real" || !o.src.fer2013.empty(),
             "--data real pretrains on FER2013, as the paper does: pass --fer2013 <fer2013.csv>, or train from "
             "scratch with --no-pretrain");
  if (unset("--pretrain-steps"))
    o.pretrain_steps = o.profile == "paper" ? o.run.steps : std::min<std::size_t>(1000, o.run.steps);
  if (o.profile == "paper") {
    // VGG-16: batch 32, learning rate 1e-5 decayed exponentially during 2,000 steps. The
    // paper gives no factor: halving every 250 steps keeps the ResNet schedule's shape (8
    // halvings over the run). Its 1e-5 fine-tuned ImageNet weights; from scratch (or from our
    // FER-like pretraining) it barely moves, which results.md must say when it is run.
    settings v = o.run;
    if (unset("--steps")) v.steps = 2'000;
    if (unset("--batch")) v.batch = 32;
    if (unset("--lr")) v.lr = 1e-5;
    if (unset("--schedule")) v.schedule = "exponential";
    if (unset("--decay-every")) v.decay_every = std::max<std::size_t>(v.steps / 8, 1);
    o.vgg = v;
  }
}

// ---- export: a checkpoint as ONNX ----------------------------------------------------------

/// paper export: the checkpoint's network as ONNX, for whichever of the trainer's
/// unions holds its layout (the checkpoint's sjmt.layout says which).
template <class... Unions>
int export_onnx_of(const fs::path& checkpoint, const fs::path& onnx) {
  const sjmt::io::safetensors_contents file = sjmt::io::read_safetensors(checkpoint);
  const std::string* found = file.find_metadata("sjmt.layout");
  const std::string layout = found ? *found : std::string();
  std::optional<sjmt::onnx_export_report> report;
  ((!report && layout == sjmt::layout_fingerprint<typename Unions::layout>()
        ? void(report = sjmt::export_onnx<Unions>(checkpoint, onnx))
        : void()),
   ...);
  if (!report) {
    std::string known;
    ((known += known.empty() ? "" : ", ", known += sjmt::layout_fingerprint<typename Unions::layout>()), ...);
    std::fprintf(stderr, "paper export: checkpoint %s holds layout '%s', which no experiment of this trainer trains (%s)\n",
                 checkpoint.string().c_str(), layout.c_str(), known.c_str());
    return 1;
  }
  std::printf("%s: %s, input %dx%dx%d, %zu nodes, %zu weights, %zu bytes; outputs", onnx.string().c_str(),
              report->model.c_str(), report->input.height, report->input.width, report->input.channels, report->nodes,
              report->weights, report->bytes);
  for (const std::string& name : report->outputs) std::printf(" %s", name.c_str());
  std::printf("\n");
  return 0;
}

// ---- --check: what ctest runs ----------------------------------------------------------------

/// Tiny runs of every experiment's code path, and the resume property: a job stopped half
/// way and resumed ends with the same weights as one run straight through.
int check(const fs::path& folder, sjmt::interrupt_guard& guard, const std::string& device) {
  fs::remove_all(folder);
  fs::create_directories(folder);
  settings s{.steps = 8, .batch = 8, .lr = 0.05, .schedule = "exponential", .decay_every = 4, .test_limit = 16,
             .quiet = true, .out = folder};
  s.device = device;
  options o;
  const data::split_sources e = o.src.emotion_wild(), a = o.src.aus_wild();
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
  // Table 4: the paper's compound split, and compounds inferred from the SJMT network just trained.
  const data::split_sources comp = o.src.compound();
  const bool split_ok = comp.train.size == 120 && comp.test.size == 602;
  const auto zero = paper::zero_shot_compound<table2_union, compound_only>(
      table2_jobs({"resnet", 8}, 1, {})[1], s, folder / "checkpoints" / "table2-sjmt-resnet8-s1.safetensors", comp.test);
  const auto* compound_eval = zero.find<metrics::exclusive_result>("compound_emotion");
  const bool zero_ok = split_ok && compound_eval && compound_eval->count == 16;
  std::printf("%-24s %zu train / %zu test images, zero-shot accuracy %.3f on 16: %s\n", "table4 split, zero-shot",
              comp.train.size, comp.test.size, compound_eval ? compound_eval->accuracy : 0.0, zero_ok ? "ok" : "FAILED");
  ok = ok && zero_ok;
  // The other trunks, a few steps each: SJMT on ResNet-8 with option-A shortcuts, and a
  // single-task VGG-16 (its fully connected layers and dropout; 2 steps, it is slow on a CPU).
  {
    const job ja = table2_jobs({"resnet", 8, sjmt::shortcut_kind::zero_pad}, 1, {})[1];
    const outcome r = run_job<table2_union>(ja, s, {e.train, a.train}, tests, guard);
    const auto* emo = r.eval.find<metrics::exclusive_result>("emotion");
    const auto* aus = r.eval.find<metrics::multilabel_result>("aus");
    const bool good = emo && aus && emo->count == 16 && std::isfinite(aus->mean_accuracy);
    std::printf("%-24s emotion acc %.3f, AU acc %.3f: %s\n", ja.name.c_str(), emo ? emo->accuracy : 0.0,
                aus ? aus->mean_accuracy : 0.0, good ? "ok" : "FAILED");
    ok = ok && good;
    settings sv = s;
    sv.steps = 2;
    sv.test_limit = 8;
    const job jv{.name = "table1-emotion-sfew-vgg16-s1", .method = "single task", .arch = "vgg16", .depth = 16,
                 .mode = data::batch_mode::single, .seed = 1};
    const outcome rv = run_job<emotion_only>(jv, sv, {e.train}, {{0, e.test}}, guard);
    const auto* emo_v = rv.eval.find<metrics::exclusive_result>("emotion");
    const bool good_v = emo_v && emo_v->count == 8 && std::isfinite(emo_v->accuracy);
    std::printf("%-24s emotion acc %.3f: %s\n", jv.name.c_str(), emo_v ? emo_v->accuracy : 0.0,
                good_v ? "ok" : "FAILED");
    ok = ok && good_v;
  }
  // Pretraining (Section 4): a trunk trained on fer-like starts a Table 2 job. With a learning
  // rate too small to move a float weight, the fine-tuned network's trunk weights after one
  // step are the pretrained ones bit for bit (its running statistics do move with the batch).
  {
    options op = o;
    op.run = s, op.pretrain = true, op.pretrain_steps = 8;
    const context cp{op, {}, guard};
    const fs::path trunk = pretrained_trunk(cp, {"resnet", 8}, 1);
    settings sf = s;
    sf.lr = 1e-30, sf.weight_decay = 0, sf.steps = 1, sf.out = folder / "fine-tuned";
    const job jf = table2_jobs({"resnet", 8}, 1, trunk)[1];
    const outcome r = run_job<table2_union>(jf, sf, {e.train, a.train}, tests, guard);
    const auto pre = sjmt::io::read_safetensors(trunk), fine = sjmt::io::read_safetensors(r.checkpoint);
    std::size_t compared = 0, same = 0;
    for (const auto& t : pre.tensors) {
      if (!t.name.starts_with("trunk.") || t.name.find(".running_") != std::string::npos) continue;
      const auto* f = fine.find(t.name);
      ++compared, same += f && f->data == t.data;
    }
    const bool good = compared > 0 && same == compared;
    std::printf("%-24s %zu of %zu trunk weights start from the fer-like pretraining: %s\n", "pretrain, fine-tune", same,
                compared, good ? "ok" : "FAILED");
    ok = ok && good;
  }
  // Task weighting: the SJMT job with learned uncertainty weights (its state goes in the checkpoint).
  {
    const job jw = weighted(table2_jobs({"resnet", 8}, 1, {})[1], {"uncertainty"}).front();
    const outcome r = run_job<table2_union>(jw, s, {e.train, a.train}, tests, guard);
    const auto* emo = r.eval.find<metrics::exclusive_result>("emotion");
    const bool stored = metrics::read_file(r.checkpoint).find("sjmt.weighting") != std::string::npos;
    const bool good = emo && emo->count == 16 && std::isfinite(emo->accuracy) && stored;
    std::printf("%-24s emotion acc %.3f, weighting state in the checkpoint: %s\n", jw.name.c_str(),
                emo ? emo->accuracy : 0.0, good ? "ok" : "FAILED");
    ok = ok && good;
  }
  // Landmarks: a landmark-only ResNet-8 with the spatial head (--points map) learns: its test
  // NME falls well below the untrained network's and below the mean shape's (the training
  // faces' mean points, predicted for every face), which the linear head on pooled features
  // did not reach (docs/results.md); and the three-dataset SJMT network trains and answers
  // all three spaces.
  {
    const data::split_sources w = o.src.landmarks_wild();
    settings sl = s;
    sl.steps = 150, sl.batch = 16, sl.decay_every = 50, sl.test_limit = 64;
    const job jl{.name = "landmarks-only-resnet8-s1", .method = "landmarks only", .arch = "resnet", .depth = 8,
                 .mode = data::batch_mode::single, .seed = 1};
    const outcome r = run_job<landmarks_only>(jl, sl, {w.train}, {{0, w.test}}, guard);
    const auto* lm = r.eval.find<metrics::regression_result>("landmarks");
    settings untrained = sl;
    untrained.steps = 0;
    job j0 = jl;
    j0.name = "landmarks-only-untrained-resnet8-s1";
    const outcome r0 = run_job<landmarks_only>(j0, untrained, {w.train}, {{0, w.test}}, guard);
    const auto* lm_start = r0.eval.find<metrics::regression_result>("landmarks");
    // The mean shape of 256 training faces, in the targets' units (divided by the image size).
    std::vector<float> mean(136, 0.0f);
    for (std::size_t i = 0; i < 256; ++i) {
      const data::labelled_face f = w.train.get(i);
      for (std::size_t p = 0; p < 68; ++p) {
        mean[2 * p] += (*f.landmarks)[p].x / float(f.picture.width()) / 256.0f;
        mean[2 * p + 1] += (*f.landmarks)[p].y / float(f.picture.height()) / 256.0f;
      }
    }
    metrics::evaluator<landmarks_only> base(evaluation_for<landmarks_only>());
    std::vector<float> targets(136), scores;
    for (std::size_t i = 0; i < sl.test_limit; ++i) {
      const data::labelled_face f = w.test.get(i);
      for (std::size_t p = 0; p < 68; ++p) {
        targets[2 * p] = (*f.landmarks)[p].x / float(f.picture.width());
        targets[2 * p + 1] = (*f.landmarks)[p].y / float(f.picture.height());
      }
      base.update(mean, targets, std::vector<std::int32_t>{0});
    }
    const auto mean_shape = base.result();
    const auto* lm0 = mean_shape.find<metrics::regression_result>("landmarks");
    const bool learns = lm && lm0 && lm_start && lm->nme_samples == 64 && lm->nme < 0.5 * lm_start->nme &&
                        (sl.points != "map" || lm->nme < lm0->nme);
    std::printf("%-24s NME %.4f after %zu steps, %.4f untrained (the mean shape: %.4f): %s\n", jl.name.c_str(),
                lm ? lm->nme : 0.0, sl.steps, lm_start ? lm_start->nme : 0.0, lm0 ? lm0->nme : 0.0,
                learns ? "ok" : "FAILED");
    ok = ok && learns;
    job j3 = table2_jobs({"resnet", 8}, 1, {})[1];
    j3.name = "landmarks-sjmt-resnet8-s1", j3.proportions = landmark_proportions;
    const outcome r3 = run_job<landmarks_union>(j3, s, {e.train, a.train, w.train, o.src.ck(false).train},
                                                {{0, e.test}, {1, a.test}, {2, w.test}}, guard);
    const auto* emo = r3.eval.find<metrics::exclusive_result>("emotion");
    const auto* lm3 = r3.eval.find<metrics::regression_result>("landmarks");
    const bool joint = emo && emo->count == 16 && lm3 && lm3->nme_samples == 16 && std::isfinite(lm3->nme);
    std::printf("%-24s emotion acc %.3f, NME %.4f: %s\n", j3.name.c_str(), emo ? emo->accuracy : 0.0,
                lm3 ? lm3->nme : 0.0, joint ? "ok" : "FAILED");
    ok = ok && joint;
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
  } catch (const sjmt::training_interrupted&) {
    stopped = true;
  }
  s2.stop_after = 0;
  run_job<table2_union>(j, s2, {e.train, a.train}, tests, guard);
  const std::string x = metrics::read_file(straight), y = metrics::read_file(s2.out / "checkpoints" / (j.name + ".safetensors"));
  const bool same = stopped && x == y;
  std::printf("resume after an interruption at step 3 of 8: %s\n",
              same ? "the same checkpoint, byte for byte" : "DIFFERENT checkpoints");
  ok = ok && same;
  // Export: the SJMT network as ONNX (tests/test_deploy_onnx.cpp runs such files in OpenCV and numpy).
  const fs::path onnx = folder / "table2-sjmt.onnx";
  const bool exported = export_onnx_of<table2_union, emotion_only>(straight, onnx) == 0 && fs::file_size(onnx) > 0;
  std::printf("export to ONNX: %s\n", exported ? "ok" : "FAILED");
  ok = ok && exported;
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
  for (const char* name : {"table1", "table2", "table4", "figure2", "landmarks"}) {
    CLI::App* sub = app.add_subcommand(name, name == std::string("table1")   ? "single-task networks per task and dataset"
                                             : name == std::string("table2") ? "classical multi-task vs SJMT (+ naive joint, selective softmax)"
                                             : name == std::string("table4") ? "compound emotions, 15 images per class: single task vs SJMT"
                                             : name == std::string("landmarks") ? "the paper's future work: SJMT with 68 landmarks vs without vs landmarks alone"
                                                                             : "mean AU scores per predicted emotion (and Table 3)");
    sub->fallthrough();
    subs.push_back(sub);
  }
  CLI::App* export_sub = app.add_subcommand("export", "a trained network (a checkpoint of any experiment here) as an ONNX model");
  fs::path export_checkpoint, export_onnx;
  export_sub->add_option("checkpoint", export_checkpoint, "the checkpoint (.safetensors) the trainer wrote")->required();
  export_sub->add_option("--onnx", export_onnx, "the ONNX file to write (default: the checkpoint's name with .onnx)");
  app.add_option("--profile", o.profile, "quick (ResNet-8 pretrained on fer-like for 1,000 steps, then 2,500 steps of 64, classical vs SJMT) or paper (ResNet-32 and -110 pretrained for 80,000 steps, then 80,000 steps of 128, every method)")
      ->check(CLI::IsMember({"quick", "paper"}));
  app.add_option("--models", o.models,
                 "comma-separated: resnet8, resnet14, resnet20, resnet32, resnet56, resnet110 (option-B shortcuts), "
                 "the same with an 'a' (resnet32a: option A, parameter-free, as He et al.'s CIFAR networks), vgg16")
      ->delimiter(',')
      ->check(CLI::IsMember({"resnet8", "resnet14", "resnet20", "resnet32", "resnet56", "resnet110", "resnet8a",
                             "resnet14a", "resnet20a", "resnet32a", "resnet56a", "resnet110a", "vgg16"}));
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
  app.add_option("--weighting", o.weightings,
                 "comma-separated: how the SJMT rows weigh the label spaces, one row each: static (1 each, the paper; "
                 "the default), uncertainty (Kendall et al.), dwa (Liu et al.), gradnorm (Chen et al.), pcgrad (Yu et "
                 "al.); with static and another, <experiment>_weighting.md pairs each with static by seed")
      ->delimiter(',')
      ->check(CLI::IsMember({"static", "uncertainty", "dwa", "gradnorm", "pcgrad"}));
  app.add_option("--points", o.run.points,
                 "how landmark coordinates are read: map (soft-argmax heat maps on the ResNet's last feature map, the "
                 "default) or linear (a linear layer on the pooled features, which keeps no position)")
      ->check(CLI::IsMember({"map", "linear"}));
  app.add_option("--seeds", o.seeds, "networks per row (mean and standard deviation)")->check(CLI::PositiveNumber);
  app.add_option("--first-seed", o.first_seed, "seed of the first network");
  app.add_flag("--pretrain", o.pretrain, "pretrain each trunk on fer-like (or --fer2013) and fine-tune, as the paper does (the default of both profiles)");
  app.add_flag("--no-pretrain", o.no_pretrain, "train every network from scratch, with no pretraining");
  app.add_flag("--pretrain-ablation", o.pretrain_ablation,
               "table2: train every row both from scratch and from the fer-like pretrained trunk, and pair them by "
               "seed (table2_pretraining.md); networks from scratch already in the output folder are reused");
  app.add_flag("!--no-zero-shot", o.zero_shot, "table4: leave out the compounds inferred from Table 2's SJMT network (which trains it if it is not in the output folder)");
  app.add_option("--pretrain-steps", o.pretrain_steps, "pretraining steps (default: quick 1,000 or --steps if fewer; paper: --steps)")
      ->check(CLI::PositiveNumber);
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
  app.add_option("--data-seed", o.src.world_seed, "seed of the synthetic world (the same for every network)");
  app.add_option("--sfew", o.src.sfew, "SFEW 2.0 folder (Train/, Val/)");
  app.add_option("--emotionet", o.src.emotionet, "EmotioNet AU table (automatic tab file or manual 'AU k' CSV)");
  app.add_option("--emotionet-images", o.src.emotionet_images, "folder of the EmotioNet images named as their URLs");
  app.add_option("--compound", o.src.compound_csv, "EmotioNet emotion-category CSV (compound emotions)");
  app.add_option("--ckplus", o.src.ckplus, "CK+ folder (cohn-kanade-images, Emotion, FACS, Landmarks)");
  app.add_option("--fer2013", o.src.fer2013, "fer2013.csv (for --pretrain)");
  std::string device = "auto";
  app.add_option("--device", device, "cpu, cuda, or auto: the GPU when one is present")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  CLI11_PARSE(app, argc, argv);
  o.src.real = o.data == "real";

  sjmt::interrupt_guard guard;
  try {
    const auto [device_kind, device_name] = resolve_device(device);
    o.run.device = device_kind;
    std::printf("device: %s\n", device_name.c_str());
    if (export_sub->parsed()) {
      if (export_onnx.empty()) export_onnx = fs::path(export_checkpoint).replace_extension(".onnx");
      return export_onnx_of<table2_union, emotion_only, aus_only, compound_only, compound_sjmt, landmarks_union,
                            landmarks_only>(export_checkpoint,
                                                                                               export_onnx);
    }
    if (check_only) return check(fs::temp_directory_path() / ("sjmt-paper-check-" + std::to_string(std::random_device{}())), guard, device_kind);
    for (CLI::App* sub : subs)
      if (sub->parsed()) o.experiment = sub->get_name();
    SJMT_CHECK(value_error, !o.experiment.empty(), "name an experiment: table1, table2, table4, figure2 or landmarks (see --help)");
    apply_profile(o, app);
    std::vector<std::string> ws = o.weightings;
    std::ranges::sort(ws);
    SJMT_CHECK(value_error, std::ranges::adjacent_find(ws) == ws.end(), "--weighting names a method twice");
    SJMT_CHECK(value_error, !weighs(o) || o.experiment == "table2" || o.experiment == "table4" || o.experiment == "landmarks",
               "--weighting: ", o.experiment, " trains no SJMT network (the weightings apply to table2, table4 and landmarks)");
    if (app.get_option("--out")->count() == 0) {
      o.run.out = fs::path("runs") / (o.experiment == "figure2" ? "table2" : o.experiment);
    }
#if defined(_OPENMP)
    if (o.threads > 0) omp_set_num_threads(o.threads);
#endif
    context c{o, {}, guard};
    for (const std::string& m : o.models) c.models.push_back(parse_model(m));
    fs::create_directories(o.run.out);
    const sjmt::run_folder folder(o.run.out);
    folder.keep_settings(settings_of(o), o.run.fresh);
    std::printf("paper %s: %s\noutput: %s\n", o.experiment.c_str(), describe(o, c.models).c_str(), o.run.out.string().c_str());
    std::fflush(stdout);
    folder.log("paper " + o.experiment + ": " + describe(o, c.models));
    if (o.experiment == "table1") return table1(c);
    if (o.experiment == "table4") return table4(c);
    if (o.experiment == "landmarks") return landmarks(c);
    return table2(c, o.experiment == "figure2");
  } catch (const sjmt::training_interrupted& e) {
    std::fprintf(stderr, "\npaper: %s\n", e.what());
    return 130;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "paper: %s\n", e.what());
    return 1;
  }
}
