#pragma once
// The trainer: one network, one loss, one optimiser and a learning-rate
// schedule, on one backend. Every training method of the paper is this
// trainer with a different loss and sampler (and, for classical multi-task
// and single task, per-dataset heads): nothing in it knows the method.
//
//   sjmt::cpu_backend be;
//   sjmt::model<sjmt::cpu_backend, float> net(be, {.arch = "resnet", .depth = 8},
//                                             sjmt::joint_head_layout<layout>(), rng);
//   sjmt::trainer<domains, decltype(net)> t(be, net, sjmt::selective_loss<domains>(),
//                                           {.learning_rate = sjmt::cosine_decay{0.05, 0, 2500}});
//   float loss = t.step(sampler.next());                 // or t.fit(sampler, {.steps = 2500, ...})
//   t.evaluate(test_source, domain, evaluator, {.batch = 128});
//
// A step uploads the host batch once (images, targets, known-mask, domains),
// runs forward, the loss, backward and the update on the backend, and reads
// back one number (the loss). Backward reaches only the head groups of the
// domains that the batch holds, and the optimiser updates only those
// (parameter::group): a per-dataset head that a batch does not use is not
// touched by that step, neither decayed nor moved by its momentum.
// Evaluation downloads the logits once per batch. Nothing here reads host
// memory of a backend tensor except through download.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../data/pipeline/batch.hpp"
#include "../data/pipeline/prefetch.hpp"
#include "../data/pipeline/read_batch.hpp"
#include "../data/pipeline/sampler.hpp"
#include "../error.hpp"
#include "../labels/dataset_union.hpp"
#include "../loss/batch.hpp"
#include "../loss/union_loss.hpp"
#include "../metrics/evaluator.hpp"
#include "progress.hpp"
#include "../nn/network.hpp"
#include "../optim/sgd.hpp"
#include "checkpoint.hpp"
#include "interrupt.hpp"
#include "upload.hpp"

namespace sjmt {

struct trainer_options {
  sgd_options optimizer{};
  /// The learning rate of step s (0-based): a schedule of optim/schedule.hpp, or any callable.
  std::function<double(std::size_t)> learning_rate = [](std::size_t) { return 0.05; };
  /// The model name that checkpoints record and check ("resnet_cifar-32", ...).
  std::string model_name{};
  /// On a backend with graphs (cuda_backend): record each kind of step (batch
  /// size, domains present, known-mask or not) once, after one plain run of it,
  /// and replay it from then on.
  bool capture_steps = true;
};

/// How test images are batched for evaluation.
struct predict_options {
  std::size_t batch = 128;
  std::size_t limit = 0;  ///< 0: every sample of the source
  int channels = 3, height = 32, width = 32;  ///< the model's input
};

/// What fit() does besides stepping.
struct fit_options {
  std::size_t steps = 0;                   ///< train until this many steps are done in all
  std::filesystem::path checkpoint{};      ///< written every checkpoint_every steps and at the end ("" none)
  std::size_t checkpoint_every = 0;        ///< 0: a tenth of the steps
  std::size_t log_every = 0;               ///< 0: a twentieth of the steps
  std::size_t stop_after = 0;              ///< >0: stop as Ctrl-C would after this many steps (tests resume)
  bool progress = true;                    ///< a progress bar on stderr
  std::string label = "train";             ///< the progress bar's and the log's name of the run
  std::size_t prefetch = 2;                ///< batches rendered ahead on a worker thread
  std::function<void(const std::string&)> log{};  ///< receives a line per log_every steps
  std::function<void(std::size_t done)> after_step{};  ///< called after each step (learning curves)
  interrupt_guard* interrupt = nullptr;    ///< polled between steps (Ctrl-C)
};

struct fit_result {
  std::size_t first_step = 0, steps_done = 0;
  double seconds = 0;
  double mean_loss = 0;  ///< over the steps of this call
};

/// Thrown by fit() when an interrupt (Ctrl-C, or fit_options::stop_after) stopped
/// training after its checkpoint was written; the same call resumes it.
class training_interrupted : public error {
  using error::error;
};

namespace detail {
/// The graph type of a graph backend; a stand-in for the others.
template <class B>
struct graph_of {
  struct type {
    std::uint64_t epoch() const { return 0; }
  };
};
template <graph_backend B>
struct graph_of<B> {
  using type = typename B::graph;
};
}  // namespace detail

template <dataset_union_type Union, trainable_network Net>
class trainer {
 public:
  using backend = typename Net::backend;
  using value_type = typename Net::value_type;
  using T = value_type;
  using tensor = typename backend::template tensor<T>;

  /// Requires: be and net outlive the trainer; net has Union::size outputs.
  trainer(backend& be, Net& net, union_loss<Union, T> loss, trainer_options options = {})
      : m_be(&be), m_net(&net), m_loss(std::move(loss)), m_options(std::move(options)), m_params(collect(net)),
        m_opt(be, m_params, m_options.optimizer) {
    SJMT_CHECK(shape_error, net.outputs() == Union::size, "trainer: the network has ", net.outputs(),
               " outputs, the union's layout ", Union::size);
    be.resize(m_value, {1, 1, 1, 1});
  }
  trainer(const trainer&) = delete;
  trainer& operator=(const trainer&) = delete;

  /// One training step on the host batch `b` of Union, at step steps_done(). Returns
  /// the loss. Throws value_error for labels the loss cannot train
  /// (detail/validate.hpp), and when the loss is not finite.
  T step(const data::union_batch<Union>& b) {
    const double lr = rate();
    if constexpr (requires { m_net->begin_step(m_step); }) m_net->begin_step(m_step);  // VGG's dropout masks
    upload_batch<Union>(*m_be, b, m_loss, m_batch);
    if (m_input.empty()) {  // what checkpoints record as sjmt.input (a predictor's default input size)
      m_input = std::to_string(b.height);
      m_input.append("x").append(std::to_string(b.width)).append("x").append(std::to_string(b.channels));
    }
    std::array<bool, Union::num_domains> present{};  // the domains are checked by upload_batch
    for (std::int32_t d : b.domain) present[static_cast<std::size_t>(d)] = true;
    const auto active = [&present](int group) {  // a head layout may name any group
      return group == shared_group || (group >= 0 && static_cast<std::size_t>(group) < present.size() &&
                                       present[static_cast<std::size_t>(group)]);
    };
    if constexpr (graph_backend<backend>) {
      if (m_options.capture_steps) return captured_step(lr, present, active);
    }
    const tensor& z = m_net->forward(m_batch.images, mode::train);
    m_loss.forward_backward(*m_be, z, m_batch, &m_grad, m_value);
    const T value = checked_value(lr);
    m_net->backward(m_grad, active);
    m_opt.step(lr, active);
    ++m_step;
    return value;
  }

  /// A host batch of another union, or an untyped one: one sentence instead of a
  /// page of candidates.
  template <class Batch>
    requires(std::derived_from<Batch, data::batch> && !data::union_batch_of<Batch, Union>)
  T step(const Batch&) {
    static_assert(detail::always_false<Batch>,
                  "sjmt::trainer::step: the host batch is not a data::union_batch of the trainer's dataset union; "
                  "sample it with a data::union_sampler of that union, or check untyped data into one with "
                  "data::to_union_batch<Union>(batch).");
    return T(0);
  }

  std::size_t steps_done() const { return m_step; }
  double rate() const { return m_options.learning_rate(m_step); }
  parameter_list<backend, T>& parameters() { return m_params; }
  sgd<backend, T>& optimizer() { return m_opt; }
  const union_loss<Union, T>& loss() const { return m_loss; }

  // ---- checkpoints ----

  checkpoint_metadata metadata() const {
    checkpoint_metadata m;
    m.model = m_options.model_name;
    m.layout = layout_fingerprint<typename Union::layout>();
    m.step = m_step;
    m.optimizer = std::string(sgd<backend, T>::name);
    m.loss = std::string(m_loss.name());
    m.input = m_input;
    return m;
  }

  /// Writes weights, batch-norm statistics, momentum buffers and the step, atomically.
  void save(const std::filesystem::path& path) { save_checkpoint(*m_be, path, m_params, metadata(), m_opt.state()); }

  /// Loads everything save() wrote (checking the model name and layout) and
  /// continues from its step. Returns that step.
  std::size_t resume(const std::filesystem::path& path) {
    const checkpoint_metadata found =
        load_checkpoint(*m_be, path, m_params, metadata(), load_scope::everything, m_opt.state());
    m_step = found.step;
    if (m_input.empty()) m_input = found.input;
    return m_step;
  }

  /// Loads the trunk ("trunk.*") of another run's checkpoint, whose model
  /// name must be `trunk_name` (a pretrained trunk under another layout).
  void load_trunk(const std::filesystem::path& path, const std::string& trunk_name) {
    checkpoint_metadata expected;
    expected.model = trunk_name;
    load_checkpoint(*m_be, path, m_params, expected, load_scope::trunk);
  }

  // ---- the loop ----

  /// Trains from steps_done() to o.steps, drawing batches from `sampler`
  /// (first skipping those that earlier steps used, so a resumed run sees the
  /// same batches as one run straight through), with checkpoints, log lines,
  /// a progress bar and Ctrl-C. An interrupt writes the checkpoint and throws
  /// training_interrupted.
  fit_result fit(data::union_sampler<Union>& sampler, const fit_options& o) {
    fit_result r;
    r.first_step = m_step;
    SJMT_CHECK(value_error, sampler.batches_drawn() <= m_step, "trainer::fit: the sampler has drawn ",
               sampler.batches_drawn(), " batches for ", m_step, " steps done; pass a fresh sampler (fit skips it to ",
               "the step the trainer is at), as the batches read ahead by an earlier fit are gone");
    sampler.skip(m_step - sampler.batches_drawn());
    if (m_step >= o.steps) {
      r.steps_done = m_step;
      return r;
    }
    data::prefetcher<data::union_batch<Union>> batches([&sampler] { return sampler.next(); },
                                                       std::max<std::size_t>(o.prefetch, 1));
    const std::size_t every = o.checkpoint_every ? o.checkpoint_every : std::max<std::size_t>(o.steps / 10, 1);
    const std::size_t log_every = o.log_every ? o.log_every : std::max<std::size_t>(o.steps / 20, 1);
    std::optional<progress_bar> bar;
    if (o.progress)
      bar.emplace(stderr, o.steps, progress_options{.label = o.label, .unit = "step", .start = m_step});
    double window = 0, all = 0;
    std::size_t in_window = 0, images = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t start = m_step;
    while (m_step < o.steps) {
      if ((o.interrupt && o.interrupt->requested()) || (o.stop_after && m_step - start == o.stop_after)) {
        if (!o.checkpoint.empty()) save(o.checkpoint);
        if (bar) bar->finish();
        if (o.log) o.log(o.label + " interrupted at step " + std::to_string(m_step) + ", checkpoint written");
        detail::throw_error<training_interrupted>(std::source_location::current(), o.label, ": stopped at step ",
                                                  m_step, "; ", o.checkpoint.string(),
                                                  " holds it, run the same command again to resume");
      }
      const data::union_batch<Union> b = batches.next();
      const double lr = rate();
      const T value = step(b);
      window += static_cast<double>(value), all += static_cast<double>(value), ++in_window, images += b.size;
      if (bar) bar->advance();
      if (o.log && (m_step % log_every == 0 || m_step == o.steps)) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        char text[160];
        std::snprintf(text, sizeof text, " step %zu lr %.5f loss %.4f (mean of %zu) %.0f img/s", m_step, lr,
                      window / double(in_window), in_window, double(images) / secs);
        o.log(o.label + text);
        window = 0, in_window = 0;
      }
      if (o.after_step) o.after_step(m_step);
      if (!o.checkpoint.empty() && m_step % every == 0 && m_step < o.steps) save(o.checkpoint);
    }
    if (bar) bar->finish();
    if (!o.checkpoint.empty()) save(o.checkpoint);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.steps_done = m_step;
    r.mean_loss = m_step > start ? all / double(m_step - start) : 0.0;
    return r;
  }

  // ---- evaluation ----

  /// Runs the network in inference over the first o.limit samples of `source`
  /// (every one when 0), all of domain `domain`, and calls
  /// observe(logits, batch) per batch with the logits read back once:
  /// logits (rows, Union::size) row-major, batch the host data::union_batch<Union>
  /// (targets, known).
  template <class Observe>
  void predict(const data::sample_source& source, std::size_t domain, const predict_options& o, Observe&& observe) {
    SJMT_CHECK(value_error, domain < Union::num_domains, "trainer::predict: domain ", domain, ", expected < ",
               Union::num_domains);
    const std::size_t n = o.limit ? std::min(o.limit, source.size) : source.size;
    for (std::size_t begin = 0; begin < n; begin += o.batch) {
      const data::union_batch<Union> b =
          data::read_batch<Union>(source, domain, begin, std::min(o.batch, n - begin),
                                  {.channels = o.channels, .height = o.height, .width = o.width});
      upload_images(*m_be, b, m_batch);
      const host_tensor<T> z = m_be->download(m_net->forward(m_batch.images, mode::infer));
      observe(std::span<const T>(z.data(), z.size()), b);
    }
  }

  /// predict() into an evaluator.
  void evaluate(const data::sample_source& source, std::size_t domain, metrics::evaluator<Union, T>& eval,
                const predict_options& o = {}) {
    predict(source, domain, o, [&](std::span<const T> z, const data::union_batch<Union>& b) {
      eval.update(z, b.targets, b.domain, b.known);
    });
  }

 private:
  T checked_value(double lr) {
    const T value = m_be->download(m_value).data()[0];
    SJMT_CHECK(value_error, std::isfinite(value), m_options.model_name, ": the loss is ", value, " at step ", m_step,
               " (learning rate ", lr, "); lower the learning rate");
    return value;
  }

  /// A step of a graph backend: forward, loss and backward as one recorded
  /// graph, then (once the loss is known to be finite) the update as another,
  /// each replayed for its kind of step. A kind runs plainly once first (it
  /// sizes every tensor and lets the backend choose its algorithms), then is
  /// recorded; where recording fails (an op that allocates, an exception) the
  /// step runs plainly and recording is tried again on a later step, at most
  /// three times; where an op cannot be replayed (dropout), never again.
  template <class Active>
  T captured_step(double lr, const std::array<bool, Union::num_domains>& present, const Active& active) {
    if constexpr (graph_backend<backend>) {
      std::uint64_t key = (static_cast<std::uint64_t>(m_batch.rows) << 32) | (m_batch.has_known ? 1u << 31 : 0u);
      for (std::size_t d = 0; d < present.size() && d < 31; ++d) key |= present[d] ? (std::uint64_t(1) << d) : 0;
      if (m_be->memory_epoch() != m_graph_epoch) {  // some tensor moved: every graph is stale
        m_graphs.clear();
        m_graph_epoch = m_be->memory_epoch();
      }
      recorded_step& rec = m_graphs[key];
      run_recorded(rec.forward, rec, [&] {
        const tensor& z = m_net->forward(m_batch.images, mode::train);
        m_loss.forward_backward(*m_be, z, m_batch, &m_grad, m_value);
        m_net->backward(m_grad, active);
      });
      const T value = checked_value(lr);
      m_opt.prepare(lr, active);
      run_recorded(rec.update, rec, [&] { m_opt.apply(); });
      ++rec.runs;
      m_graph_epoch = m_be->memory_epoch();
      ++m_step;
      return value;
    } else {
      return T(0);
    }
  }

  template <class Graph>
  struct recorded {
    std::optional<Graph> forward, update;
    std::size_t runs = 0, failures = 0;
    bool never = false;
  };

  template <class Graph, class Rec, class Ops>
  void run_recorded(std::optional<Graph>& g, Rec& rec, const Ops& ops) {
    if (g && g->epoch() == m_be->memory_epoch()) {
      m_be->launch(*g);
      return;
    }
    g.reset();
    if (rec.runs == 0 || rec.never || rec.failures >= 3) {
      ops();
      return;
    }
    m_be->begin_capture();
    try {
      ops();
    } catch (...) {
      m_be->abort_capture();
      ++rec.failures;
      ops();
      return;
    }
    auto captured = m_be->end_capture();
    if (!captured) {
      rec.never = true;
      ops();
      return;
    }
    g.emplace(std::move(*captured));
    m_be->launch(*g);
  }

  static parameter_list<backend, T> collect(Net& net) {
    parameter_list<backend, T> p;
    net.collect(p, "");
    return p;
  }

  backend* m_be;
  Net* m_net;
  union_loss<Union, T> m_loss;
  trainer_options m_options;
  parameter_list<backend, T> m_params;
  sgd<backend, T> m_opt;
  device_batch<Union, backend, T> m_batch;
  tensor m_grad, m_value;
  std::string m_input;  ///< "HxWxC" of the training batches, for sjmt.input
  using recorded_step = recorded<typename detail::graph_of<backend>::type>;
  std::map<std::uint64_t, recorded_step> m_graphs;
  std::uint64_t m_graph_epoch = 0;
  std::size_t m_step = 0;
};

}  // namespace sjmt
