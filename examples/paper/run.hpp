#pragma once
// One training run of the paper trainer ("job"): build the model, resume from its
// checkpoint or load a pretrained trunk, train with the sampler, log, checkpoint,
// stop cleanly on Ctrl-C, evaluate on the test sources and write the report.
//
// Resuming: a job's checkpoint (<out>/checkpoints/<job>.safetensors) holds the
// weights, the batch-norm statistics, the momentum buffers and the step; the
// sampler is rebuilt from the job's seed and skips the batches already used, so
// a resumed run takes the same batches and reaches the same weights as an
// uninterrupted one (tested by `paper --check`).

#include <sjmt/sjmt.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model.hpp"

namespace paper {

namespace fs = std::filesystem;

enum class loss_kind { selective, naive, softmax };

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
  fs::path out = "runs";

  double lr_at(std::size_t step) const {
    if (schedule == "cosine") return sjmt::cosine_decay{.base = lr, .minimum = lr / 100, .total = steps}(step);
    if (schedule == "constant") return lr;
    return sjmt::exponential_step_decay{.base = lr, .factor = decay_factor, .every = decay_every}(step);
  }
};

/// One network trained one way.
struct job {
  std::string key{};     ///< short name of the method: "sjmt", "classical", ...
  std::string name{};    ///< file stem, unique within the output folder
  std::string method{};  ///< the row of the table: "SJMT", "classical multi-task", ...
  std::string arch = "resnet";
  std::size_t depth = 32;
  head_kind head = head_kind::joint;
  loss_kind loss = loss_kind::selective;
  sjmt::data::batch_mode mode = sjmt::data::batch_mode::mixed;
  std::vector<double> proportions{};
  std::size_t single_domain = 0;
  std::uint64_t seed = 1;
  fs::path pretrained{};  ///< a checkpoint whose trunk starts this job
};

struct outcome {
  sjmt::metrics::evaluation_result eval;
  std::optional<sjmt::metrics::au_by_emotion_result> figure2;
  double train_seconds = 0;
  std::size_t steps_done = 0;
  bool resumed = false;
  fs::path checkpoint;
};

/// Thrown when Ctrl-C (or --stop-after) stopped a job after its checkpoint was written.
struct interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Appends a time-stamped line to <out>/log.txt.
inline void log_line(const fs::path& out, const std::string& text) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::ofstream log(out / "log.txt", std::ios::app);
  log << stamp << ' ' << text << '\n';
  SJMT_CHECK(io_error, log.good(), "cannot append to ", (out / "log.txt").string());
}

template <class Union>
std::vector<std::vector<std::size_t>> annotated_columns() {
  std::vector<std::vector<std::size_t>> cols(Union::num_domains);
  for (std::size_t d = 0; d < Union::num_domains; ++d)
    for (std::size_t j = 0; j < Union::size; ++j)
      if (Union::masks[d][j]) cols[d].push_back(j);
  return cols;
}

template <class Union>
std::function<float(std::span<const float>, const sjmt::data::batch&, std::span<float>)> make_loss(loss_kind k) {
  using fn = std::function<float(std::span<const float>, const sjmt::data::batch&, std::span<float>)>;
  auto wrap = [](auto loss) -> fn {
    return [loss](std::span<const float> z, const sjmt::data::batch& b, std::span<float> g) {
      return loss.forward_backward(z, b.targets, b.domain, b.known, g);
    };
  };
  switch (k) {
    case loss_kind::naive: return wrap(sjmt::naive_joint_loss<Union>());
    case loss_kind::softmax: return wrap(sjmt::selective_softmax_loss<Union>());
    case loss_kind::selective: break;
  }
  return wrap(sjmt::selective_loss<Union>());
}

/// Figure: no Figure 2 accumulated.
struct no_figure {
  template <class Scores, class Domains>
  void update(const Scores&, const Domains&) {}
};

/// Test images of one domain for evaluation.
struct test_set {
  std::size_t domain = 0;
  sjmt::data::sample_source source;
};

/// Runs the model over `tests` and accumulates the evaluator (and Figure 2 when the
/// union has an emotion and an AU space and `figure2` is set).
template <class Union, class Figure>
void evaluate(model& net, const std::vector<test_set>& tests, const settings& s,
              sjmt::metrics::evaluator<Union>& eval, Figure* figure2) {
  constexpr std::size_t W = Union::size;
  for (const test_set& t : tests) {
    const std::size_t n = s.test_limit ? std::min(s.test_limit, t.source.size) : t.source.size;
    for (std::size_t begin = 0; begin < n; begin += s.batch) {
      const std::size_t rows = std::min(s.batch, n - begin);
      tensor x({rows, 32, 32, 3});
      std::vector<float> targets(rows * W);
      std::vector<std::uint8_t> known(rows * W);
      std::vector<std::int32_t> dom(rows, static_cast<std::int32_t>(t.domain));
      for (std::size_t r = 0; r < rows; ++r) {
        sjmt::data::labelled_face f = t.source.get(begin + r);
        sjmt::data::fit_to_input(f, 3, 32, 32);
        const auto in = f.picture.pixels();  // (H, W, C): row r as is
        std::copy(in.begin(), in.end(), x.data() + r * 32 * 32 * 3);
        sjmt::data::fill_targets<Union>(f, t.domain, std::span(targets).subspan(r * W, W),
                                        std::span(known).subspan(r * W, W));
      }
      const std::span<const float> z = net.forward(x, dom, sjmt::mode::infer);
      eval.update(z, targets, dom, known);
      if (figure2) figure2->update(z, dom);
    }
  }
}

/// Trains (or resumes, or reuses a finished checkpoint of) `j` and evaluates it.
/// `Figure` is sjmt::metrics::au_by_emotion<Union, ...>, or no_figure.
template <class Union, class Figure = no_figure>
outcome run_job(const job& j, const settings& s, std::array<sjmt::data::sample_source, Union::num_domains> train,
                const std::vector<test_set>& tests, sjmt::interrupt_guard& guard) {
  using namespace sjmt;
  std::vector<std::string> names(Union::domain_names.begin(), Union::domain_names.end());
  model net(j.arch, j.depth, j.head, Union::size, annotated_columns<Union>(), names, j.seed);
  parameters& params = net.params();
  sgd<backend, float> opt(params, {.momentum = s.momentum, .weight_decay = s.weight_decay});
  checkpoint_metadata expected;
  expected.model = net.name();
  expected.layout = layout_fingerprint<typename Union::layout>();

  fs::create_directories(s.out / "checkpoints");
  outcome out;
  out.checkpoint = s.out / "checkpoints" / (j.name + ".safetensors");
  std::size_t start = 0;
  if (!s.fresh && fs::exists(out.checkpoint)) {
    start = load_checkpoint(out.checkpoint, params, expected, load_scope::everything, &opt).step;
    SJMT_CHECK(value_error, start <= s.steps, out.checkpoint.string(), " is at step ", start, ", past the ", s.steps,
               " steps asked for; pass --fresh to start over or raise --steps");
    out.resumed = start > 0;
    log_line(s.out, j.name + (start == s.steps ? " finished checkpoint found, evaluating" : " resuming at step " + std::to_string(start)));
  } else if (!j.pretrained.empty()) {
    checkpoint_metadata trunk_only;
    trunk_only.model = net.trunk_name();
    load_checkpoint(j.pretrained, params, trunk_only, load_scope::trunk);
    log_line(s.out, j.name + " trunk from " + j.pretrained.string());
  }
  auto save = [&](std::size_t step) {
    checkpoint_metadata meta = expected;
    meta.step = step;
    save_checkpoint(out.checkpoint, params, meta, &opt);
  };

  if (start < s.steps) {
    data::union_sampler<Union> sampler(std::move(train), {.batch_size = s.batch,
                                                          .mode = j.mode,
                                                          .proportions = j.proportions,
                                                          .single_domain = j.single_domain,
                                                          .seed = j.seed,
                                                          .threads = s.data_threads});
    sampler.skip(start);
    data::prefetcher<data::batch> batches([&sampler] { return sampler.next(); }, 2);
    const auto loss = make_loss<Union>(j.loss);
    const std::size_t every = s.checkpoint_every ? s.checkpoint_every : std::max<std::size_t>(s.steps / 10, 1);
    log_line(s.out, j.name + " training " + j.method + " " + net.name() + " steps " + std::to_string(start) + ".." +
                        std::to_string(s.steps) + " batch " + std::to_string(s.batch) + " seed " + std::to_string(j.seed));
    std::optional<metrics::progress_bar> bar;
    if (!s.quiet) bar.emplace(stderr, s.steps, metrics::progress_options{.label = j.name, .unit = "step", .start = start});
    tensor x;
    std::vector<float> grad;
    double loss_sum = 0;
    std::size_t loss_count = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t step = start; step < s.steps; ++step) {
      if (guard.requested() || (s.stop_after && step - start == s.stop_after)) {
        save(step);
        if (bar) bar->finish();
        log_line(s.out, j.name + " interrupted at step " + std::to_string(step) + ", checkpoint written");
        throw interrupted(j.name + ": stopped at step " + std::to_string(step) + "; " + out.checkpoint.string() +
                          " holds it, run the same command again to resume");
      }
      const data::batch b = batches.next();
      x.resize({b.size, b.height, b.width, b.channels});
      std::copy(b.images.begin(), b.images.end(), x.begin());
      const std::span<const float> z = net.forward(x, b.domain, mode::train);
      grad.resize(z.size());
      const float value = loss(z, b, grad);
      SJMT_CHECK(value_error, std::isfinite(value), j.name, ": the loss is ", value, " at step ", step,
                 " (learning rate ", s.lr_at(step), "); lower --lr");
      net.backward(grad);
      opt.step(s.lr_at(step));
      loss_sum += value, ++loss_count;
      if (bar) bar->advance();
      const std::size_t done = step + 1;
      if (done % std::max<std::size_t>(s.steps / 20, 1) == 0 || done == s.steps) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        char text[160];
        std::snprintf(text, sizeof text, " step %zu lr %.5f loss %.4f (mean of %zu) %.0f img/s", done, s.lr_at(step),
                      loss_sum / double(loss_count), loss_count, double((done - start) * s.batch) / secs);
        log_line(s.out, j.name + text);
        loss_sum = 0, loss_count = 0;
      }
      if (s.eval_every && done % s.eval_every == 0 && done < s.steps) {
        metrics::evaluator<Union> eval;
        evaluate<Union, Figure>(net, tests, s, eval, nullptr);
        std::ofstream curve(s.out / "curves.csv", std::ios::app);
        for (const auto& space : eval.result().spaces)
          for (const auto& [metric, v] : metrics::headline_metrics(space))
            curve << j.name << ',' << done << ',' << metrics::space_name(space) << ',' << metric << ',' << v << '\n';
      }
      if (done % every == 0 && done < s.steps) save(done);
    }
    if (bar) bar->finish();
    out.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    save(s.steps);
  }
  out.steps_done = s.steps;

  metrics::evaluator<Union> eval;
  if constexpr (std::is_same_v<Figure, no_figure>) {
    evaluate<Union, Figure>(net, tests, s, eval, nullptr);
  } else {
    Figure fig;
    evaluate<Union, Figure>(net, tests, s, eval, &fig);
    out.figure2 = fig.result();
  }
  out.eval = eval.result();
  metrics::write_report(s.out, j.name, out.eval);
  return out;
}

}  // namespace paper
