#pragma once
// One training run of the paper trainer ("job"), wired from the library: a
// run-time model (sjmt::model), the sjmt::trainer with the job's loss and
// sampler, resume from the job's checkpoint or a pretrained trunk, evaluation
// on the test sets and the report. Every method is the same network type with
// one joint output; classical multi-task and single task use per-dataset
// heads (slices of that output) and alternating or single-domain batches.

#include <sjmt/sjmt.hpp>
#if SJMT_WITH_CUDA
#include <sjmt/backend/cuda_backend.hpp>  // its kernels: sjmt_cuda_kernels (CMake)
#endif

#include <array>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace paper {

namespace fs = std::filesystem;

enum class loss_kind { selective, naive, softmax };
enum class head_kind { joint, per_dataset };

/// What every job of one invocation shares.
struct settings {
  std::size_t steps = 80'000, batch = 128;
  double lr = 0.05;
  std::string schedule = "exponential";  ///< exponential (the paper's), cosine or constant
  double decay_factor = 0.5;
  std::size_t decay_every = 10'000;
  double momentum = 0.9, weight_decay = 5e-4;
  std::size_t checkpoint_every = 0;  ///< 0: a tenth of the steps
  std::size_t eval_every = 0;        ///< 0: evaluate at the end only
  std::size_t test_limit = 0;        ///< 0: every test image
  std::size_t stop_after = 0;        ///< 0: never; else behave as if Ctrl-C came after this many steps
  bool fresh = false;                ///< ignore existing checkpoints
  bool quiet = false;                ///< no progress bar
  int data_threads = 1;              ///< threads that render a batch
  std::string device = "cpu";        ///< where networks train: cpu or cuda (run_job dispatches on it)
  /// How coordinate spaces (landmarks) are read: map (soft-argmax heat maps on the trunk's
  /// last feature map, nn/points.hpp; ResNets only) or linear (the head's linear layer on the
  /// pooled features, which keeps no position: docs/design.md, "Spatial points").
  std::string points = "map";
  fs::path out = "runs";

  std::function<double(std::size_t)> learning_rate() const {
    return sjmt::named_schedule(schedule, lr, steps, decay_factor, decay_every);
  }
};

/// One network trained one way.
struct job {
  std::string key{};     ///< short name of the method: "sjmt", "classical", ...
  std::string name{};    ///< file stem, unique within the output folder
  std::string method{};  ///< the row of the table: "SJMT", "classical multi-task", ...
  std::string arch = "resnet";
  std::size_t depth = 32;
  sjmt::shortcut_kind shortcut = sjmt::shortcut_kind::projection;  ///< resnet: option B (default) or A
  head_kind head = head_kind::joint;
  loss_kind loss = loss_kind::selective;
  sjmt::data::batch_mode mode = sjmt::data::batch_mode::mixed;
  std::vector<double> proportions{};
  std::size_t single_domain = 0;
  std::uint64_t seed = 1;
  fs::path pretrained{};  ///< a checkpoint whose trunk starts this job
  /// How the selective loss weighs the label spaces (train/weighting.hpp): static (1 each,
  /// the paper), uncertainty, dwa, gradnorm or pcgrad. Only a selective loss splits by space.
  std::string weighting = "static";
};

struct outcome {
  sjmt::metrics::evaluation_result eval;
  std::optional<sjmt::metrics::au_by_emotion_result> figure2;
  fs::path checkpoint;
};

struct test_set {  ///< test images of one domain
  std::size_t domain = 0;
  sjmt::data::sample_source source;
};

template <class Union>
sjmt::union_loss<Union, float> make_loss(loss_kind k) {
  if constexpr (sjmt::detail::has_regression_space<typename Union::layout>) {
    // The naive joint loss and the selective softmax train no regression space (landmarks).
    SJMT_CHECK(value_error, k == loss_kind::selective,
               "a layout with a regression space (landmarks) trains with the selective loss only");
  } else {
    if (k == loss_kind::naive) return sjmt::naive_joint_loss<Union>();
    if (k == loss_kind::softmax) return sjmt::selective_softmax_loss<Union>();
  }
  return sjmt::selective_loss<Union>();
}

/// Figure: no Figure 2 accumulated.
struct no_figure {
  void update(std::span<const float>, std::span<const std::int32_t>) {}
  std::nullopt_t result() const { return std::nullopt; }
};

/// True when Layout has a coordinate space (landmarks).
template <class Layout>
constexpr bool has_coordinate_space() {
  return []<class... S>(sjmt::detail::type_list<S...>) {
    return (sjmt::is_coordinate_space_v<S> || ...);
  }(typename Layout::spaces{});
}

/// The network of job `j` (its initial weights drawn from its seed; its head as `s.points` says).
template <class Backend, class Union>
sjmt::model<Backend, float> make_net(Backend& be, const job& j, const settings& s) {
  std::mt19937_64 rng(j.seed);
  // VGG-16's hidden fully connected layers are 512 wide here, not the original's
  // 4096: they read 512 features (32x32 input after five poolings, where the
  // original reads 25,088), and at 4096 they would hold 18.9 M weights, more
  // than the 14.7 M of all 13 convolutions, for a few thousand training images
  // on two cores (docs/design.md, "Models").
  using layout = typename Union::layout;
  sjmt::head_layout heads =
      j.head == head_kind::joint ? sjmt::joint_head_layout<layout>() : sjmt::dataset_head_layout<Union>();
  SJMT_CHECK(value_error, s.points == "map" || s.points == "linear", "--points '", s.points, "', expected map or linear");
  if (s.points == "map" && has_coordinate_space<layout>()) {
    SJMT_CHECK(value_error, j.arch == "resnet", "job ", j.name, ": --points map reads the trunk's last feature map, "
               "which ", j.arch, " does not keep (its head reads pooled features); pass --points linear");
    heads = sjmt::with_spatial_points<layout>(std::move(heads));
  }
  return sjmt::model<Backend, float>(be, {.arch = j.arch, .depth = j.depth, .shortcut = j.shortcut, .fc_width = 512},
                                     std::move(heads), rng);
}

/// The weighting method a --weighting name says.
inline sjmt::task_weighting weighting_method(const std::string& name) {
  for (sjmt::task_weighting m : {sjmt::task_weighting::uncertainty, sjmt::task_weighting::dwa,
                                 sjmt::task_weighting::gradnorm, sjmt::task_weighting::pcgrad})
    if (name == sjmt::to_string(m)) return m;
  SJMT_CHECK(value_error, name == "static", "--weighting '", name, "', expected static, uncertainty, dwa, gradnorm or pcgrad");
  return sjmt::task_weighting::static_weights;
}

template <class Union, class Backend, class Net>
sjmt::trainer<Union, Net> make_trainer(Backend& be, Net& net, const job& j, const settings& s) {
  sjmt::weighting_options w;
  SJMT_CHECK(value_error, j.loss == loss_kind::selective || j.weighting == "static", "job ", j.name, ": ",
             j.weighting, " weighting needs the selective loss (the naive joint loss and the selective softmax do "
             "not split by label space)");
  w.method = weighting_method(j.weighting);
  return sjmt::trainer<Union, Net>(be, net, make_loss<Union>(j.loss),
                                   {.optimizer = {.momentum = s.momentum, .weight_decay = s.weight_decay},
                                    .learning_rate = s.learning_rate(),
                                    .model_name = net.name(),
                                    .weighting = w});
}

/// How Union's spaces are read: a 68-point space (136 outputs) by the inter-ocular NME
/// of 300-W (outer eye corners 36 and 45); every other regression space as plain values.
template <class Union>
sjmt::metrics::evaluation_options evaluation_for() {
  sjmt::metrics::evaluation_options o;
  for (const sjmt::space_info& s : Union::layout::space_infos)
    if (s.kind == sjmt::kind::regression)
      o.regression_spaces.push_back({std::string(s.name), s.outputs.size == 136 ? sjmt::metrics::inter_ocular_68
                                                                                : sjmt::metrics::regression_options{.points = false}});
  return o;
}

/// Trains (or resumes, or reuses a finished checkpoint of) `j`, evaluates it on
/// `tests` and writes its report. `Figure` is sjmt::metrics::au_by_emotion<Union, ...> or no_figure.
template <class Backend, class Union, class Figure>
outcome run_job_on(const job& j, const settings& s, std::array<sjmt::data::sample_source, Union::num_domains> train,
                   const std::vector<test_set>& tests, sjmt::interrupt_guard& guard) {
  using net_type = sjmt::model<Backend, float>;
  Backend be;
  net_type net = make_net<Backend, Union>(be, j, s);
  sjmt::trainer<Union, net_type> t = make_trainer<Union>(be, net, j, s);
  const sjmt::run_folder folder(s.out);
  fs::create_directories(s.out / "checkpoints");
  outcome out;
  out.checkpoint = s.out / "checkpoints" / (j.name + ".safetensors");
  if (!s.fresh && fs::exists(out.checkpoint)) {
    const std::size_t start = t.resume(out.checkpoint);
    SJMT_CHECK(value_error, start <= s.steps, out.checkpoint.string(), " is at step ", start, ", past the ", s.steps,
               " steps asked for; pass --fresh to start over or raise --steps");
    folder.log(j.name + (start == s.steps ? " finished checkpoint found, evaluating"
                                               : " resuming at step " + std::to_string(start)));
  } else if (!j.pretrained.empty()) {
    t.load_trunk(j.pretrained, net.trunk_name());
    folder.log(j.name + " trunk from " + j.pretrained.string());
  }
  const sjmt::predict_options p{.batch = s.batch, .limit = s.test_limit};
  const auto evaluate = [&](sjmt::metrics::evaluator<Union>& eval, Figure* fig) {
    for (const test_set& ts : tests)
      t.predict(ts.source, ts.domain, p, [&](std::span<const float> z, const sjmt::data::batch& b) {
        eval.update(z, b.targets, b.domain, b.known);
        if (fig) fig->update(z, b.domain);
      });
  };
  if (t.steps_done() < s.steps) {
    sjmt::data::union_sampler<Union> sampler(std::move(train), {.batch_size = s.batch, .mode = j.mode,
                                                                .proportions = j.proportions,
                                                                .single_domain = j.single_domain,
                                                                .seed = j.seed, .threads = s.data_threads});
    folder.log(j.name + " training " + j.method + " " + net.name() + " steps " + std::to_string(t.steps_done()) +
                        ".." + std::to_string(s.steps) + " batch " + std::to_string(s.batch) + " seed " +
                        std::to_string(j.seed));
    t.fit(sampler, {.steps = s.steps, .checkpoint = out.checkpoint, .checkpoint_every = s.checkpoint_every,
                    .stop_after = s.stop_after, .progress = !s.quiet, .label = j.name,
                    .log = [&](const std::string& line) { folder.log(line); },
                    .after_step = [&](std::size_t done) {
                      if (!s.eval_every || done % s.eval_every != 0 || done == s.steps) return;
                      sjmt::metrics::evaluator<Union> eval(evaluation_for<Union>());
                      evaluate(eval, nullptr);
                      sjmt::metrics::append_learning_curve(s.out / "curves.csv", j.name, done, eval.result());
                    },
                    .interrupt = &guard});
  }
  sjmt::metrics::evaluator<Union> eval(evaluation_for<Union>());
  Figure fig;
  evaluate(eval, &fig);
  out.eval = eval.result();
  out.figure2 = fig.result();
  sjmt::metrics::write_report(s.out, j.name, out.eval);
  return out;
}

/// Compound emotions inferred, with no compound training, from the finished checkpoint of
/// `j` (a joint-head network of `Union`, whose layout has spaces::emotion and
/// spaces::emotionet_aus) on the compound-labelled `test` images (metrics/compound_inference.hpp:
/// the emotion sigmoids normalised to sum to 1, the AU sigmoids as they are). Evaluated as
/// the `Compound` union's one exclusive space, so that it reads like the trained rows.
template <class Backend, class Union, class Compound>
sjmt::metrics::evaluation_result zero_shot_compound_on(const job& j, const settings& s, const fs::path& checkpoint,
                                                       const sjmt::data::sample_source& test) {
  namespace sp = sjmt::spaces;
  using L = typename Union::layout;
  using C = typename Compound::layout;
  static_assert(L::template contains<sp::emotion> && L::template contains<sp::emotionet_aus>);
  static_assert(C::size == sp::compound_emotion::size && C::template contains<sp::compound_emotion>);
  Backend be;
  auto net = make_net<Backend, Union>(be, j, s);
  auto t = make_trainer<Union>(be, net, j, s);
  SJMT_CHECK(value_error, t.resume(checkpoint) == s.steps, checkpoint.string(), " is not a finished run of ",
             s.steps, " steps: train its Table 2 job first");
  const std::size_t n = s.test_limit ? std::min(s.test_limit, test.size) : test.size;
  std::vector<std::int32_t> truth(n);
  for (std::size_t i = 0; i < n; ++i) truth[i] = test.get(i).compound;
  sjmt::metrics::evaluator<Compound> eval;
  const auto sigmoid = [](double z) { return 1 / (1 + std::exp(-z)); };
  t.predict(test, 0, {.batch = s.batch, .limit = s.test_limit}, [&](std::span<const float> z, const sjmt::data::batch& b) {
    std::vector<float> scores(b.size * C::size), targets(b.size * C::size, 0.0f);
    std::vector<std::int32_t> domain(b.size, 0);
    for (std::size_t r = 0; r < b.size; ++r) {
      const float* row = z.data() + r * L::size;
      std::array<double, sp::emotion::size> e{};
      std::array<double, sp::emotionet_aus::size> a{};
      double sum = 0;
      for (std::size_t k = 0; k < e.size(); ++k) sum += e[k] = sigmoid(row[L::template offset<sp::emotion> + k]);
      for (double& v : e) v /= sum;
      for (std::size_t k = 0; k < a.size(); ++k) a[k] = sigmoid(row[L::template offset<sp::emotionet_aus> + k]);
      const auto c = sjmt::metrics::compound_scores(e, a);
      for (std::size_t k = 0; k < C::size; ++k) scores[r * C::size + k] = static_cast<float>(c[k]);
      const std::int32_t y = truth[b.index[r]];
      SJMT_CHECK(value_error, y >= 0, "zero_shot_compound: test image ", b.index[r], " has no compound label");
      targets[r * C::size + static_cast<std::size_t>(y)] = 1;
    }
    eval.update(scores, targets, domain);
  });
  return eval.result();
}

/// zero_shot_compound_on the backend that s.device names.
template <class Union, class Compound>
sjmt::metrics::evaluation_result zero_shot_compound(const job& j, const settings& s, const fs::path& checkpoint,
                                                    const sjmt::data::sample_source& test) {
#if SJMT_WITH_CUDA
  if (s.device == "cuda") return zero_shot_compound_on<sjmt::cuda_backend, Union, Compound>(j, s, checkpoint, test);
#endif
  SJMT_CHECK(value_error, s.device == "cpu", "device ", s.device, ": this paper trainer was built without CUDA");
  return zero_shot_compound_on<sjmt::cpu_backend, Union, Compound>(j, s, checkpoint, test);
}

/// run_job_on the backend that s.device names.
template <class Union, class Figure = no_figure>
outcome run_job(const job& j, const settings& s, std::array<sjmt::data::sample_source, Union::num_domains> train,
                const std::vector<test_set>& tests, sjmt::interrupt_guard& guard) {
#if SJMT_WITH_CUDA
  if (s.device == "cuda") return run_job_on<sjmt::cuda_backend, Union, Figure>(j, s, std::move(train), tests, guard);
#endif
  SJMT_CHECK(value_error, s.device == "cpu", "device ", s.device, ": this paper trainer was built without CUDA");
  return run_job_on<sjmt::cpu_backend, Union, Figure>(j, s, std::move(train), tests, guard);
}

/// The device that --device names ("auto": the GPU when one is present), and its description.
inline std::pair<std::string, std::string> resolve_device(const std::string& asked) {
#if SJMT_WITH_CUDA
  if (asked == "cuda" || (asked == "auto" && sjmt::cuda_backend::device_count() > 0))
    return {"cuda", sjmt::cuda_backend().device()};
#else
  SJMT_CHECK(value_error, asked != "cuda", "--device cuda: this paper trainer was built without CUDA (configure "
             "where nvcc is on the PATH, or with -DSJMT_WITH_CUDA=ON)");
#endif
  return {"cpu", "CPU"};
}

}  // namespace paper
