#pragma once
// The trainer: one network, one loss, one optimiser and a learning-rate
// schedule, on one backend. Every training method of the paper is this
// trainer with a different loss and sampler (and, for classical multi-task
// and single task, per-dataset heads): nothing in it knows the method.
// How the label spaces' losses are weighted (static, uncertainty, DWA,
// GradNorm, PCGrad) is an option, trainer_options::weighting
// (train/weighting.hpp); the default is the plain step.
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
// back one number (the loss; a weighted step also reads back each space's
// loss and logit gradient, train/weighting.hpp). Backward reaches only the
// head groups of the domains that the batch holds, and the optimiser updates
// only those (parameter::group): a per-dataset head that a batch does not
// use is not touched by that step, neither decayed nor moved by its momentum.
// Evaluation downloads the logits once per batch. Nothing here reads host
// memory of a backend tensor except through download.

#include <algorithm>
#include <array>
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
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

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
#include "weighting.hpp"

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
  /// How the label spaces' losses are combined (train/weighting.hpp). The
  /// default (static weights, none given) is the plain step; any other runs
  /// the loss once per space present in the batch, and PCGrad and GradNorm a
  /// backward pass per present space. Captured steps (capture_steps) are the
  /// plain step's only.
  weighting_options weighting{};
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
        m_opt(be, m_params, m_options.optimizer),
        m_weights(m_options.weighting, std::vector<space_info>(layout::space_infos.begin(), layout::space_infos.end())),
        m_rng(m_options.weighting.pcgrad_seed) {
    SJMT_CHECK(shape_error, net.outputs() == Union::size, "trainer: the network has ", net.outputs(),
               " outputs, the union's layout ", Union::size);
    SJMT_CHECK(value_error, m_weights.plain() || m_loss.splits_by_space(), "trainer_options.weighting: ",
               to_string(m_options.weighting.method), " weighs the label spaces, and ", m_loss.name(),
               " does not split into them; use selective_loss or task_loss");
    if (m_options.weighting.method == task_weighting::gradnorm) {
      // The trunk's last weight tensor off the shortcuts: a projection
      // shortcut (ResNet option B) is collected after its block's conv2, but
      // the block's output is conv2's.
      for (std::size_t i = 0; i < m_params.size(); ++i)
        if (m_params[i].grad && m_params[i].role != tensor_role::vector && m_params[i].name.starts_with("trunk.") &&
            m_params[i].name.find(".shortcut.") == std::string::npos)
          m_last_shared = i;
      SJMT_CHECK(value_error, m_last_shared < m_params.size(), "trainer_options.weighting: gradnorm needs a trunk ",
                 "weight tensor (a parameter \"trunk.*\" of a convolution or linear layer); the network has none");
    }
    be.resize(m_value, {1, 1, 1, 1});
    be.resize(m_space_value, {1, 1, 1, 1});
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
    if (!m_weights.plain()) return weighted_step(lr, b, active);
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
  /// The task weighting's state: learned weights, log-variances, loss averages.
  const task_weights& weighting() const { return m_weights; }
  /// The weight of each space in the last step (0 for spaces absent from it;
  /// empty before a step of a weighting other than the plain one).
  const std::vector<double>& last_weights() const { return m_last_weights; }
  /// GradNorm's last shared layer: the name of the trunk's last weight tensor ("" otherwise).
  std::string last_shared_layer() const { return m_last_shared < m_params.size() ? m_params[m_last_shared].name : ""; }

  // ---- checkpoints ----

  checkpoint_metadata metadata() const {
    checkpoint_metadata m;
    m.model = m_options.model_name;
    m.layout = layout_fingerprint<typename Union::layout>();
    m.step = m_step;
    m.optimizer = std::string(sgd<backend, T>::name);
    m.loss = std::string(m_loss.name());
    m.input = m_input;
    if (!m_weights.plain()) {  // what the weighting has learnt, and PCGrad's order, so that a resume is exact
      nlohmann::json state = m_weights.state();
      std::ostringstream rng;
      rng << m_rng;
      state["rng"] = rng.str();
      m.weighting = state.dump();
    }
    return m;
  }

  /// Writes weights, batch-norm statistics, momentum buffers and the step, atomically.
  void save(const std::filesystem::path& path) { save_checkpoint(*m_be, path, m_params, metadata(), m_opt.state()); }

  /// Loads everything save() wrote (checking the model name and layout) and
  /// continues from its step. Returns that step.
  std::size_t resume(const std::filesystem::path& path) {
    // The weighting's state is checked before anything is loaded, so a refusal changes nothing.
    const io::safetensors_contents contents = io::read_safetensors(path);
    const std::string* stored = contents.find_metadata("sjmt.weighting");
    std::optional<std::pair<task_weights, std::mt19937_64>> weighting;
    if (!m_weights.plain() || stored) weighting = restored_weighting(stored ? *stored : std::string(), path.string());
    const checkpoint_metadata found =
        load_checkpoint(*m_be, path, m_params, metadata(), load_scope::everything, m_opt.state());
    if (weighting) m_weights = std::move(weighting->first), m_rng = weighting->second;
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

 private:
  /// This trainer's weighting with the state a checkpoint holds (sjmt.weighting), and PCGrad's engine.
  std::pair<task_weights, std::mt19937_64> restored_weighting(const std::string& text, const std::string& file) const {
    SJMT_CHECK(value_error, !text.empty(), "checkpoint ", file, " holds no task weighting state (sjmt.weighting): it "
               "was trained with static weights, this trainer uses '", to_string(m_weights.method()), "'");
    SJMT_CHECK(value_error, !m_weights.plain(), "checkpoint ", file, " was trained with task weighting (sjmt.weighting); "
               "this trainer has static weights: give it the run's trainer_options::weighting");
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    SJMT_CHECK(io_error, j.is_object() && j.contains("rng") && j["rng"].is_string(), "checkpoint ", file,
               ": sjmt.weighting is not the JSON object trainer::save writes");
    std::pair<task_weights, std::mt19937_64> out{m_weights, std::mt19937_64{}};
    out.first.restore(j, file);
    std::istringstream rng(j["rng"].get<std::string>());
    rng >> out.second;
    SJMT_CHECK(io_error, !rng.fail(), "checkpoint ", file, ": sjmt.weighting's rng is malformed");
    return out;
  }

 public:

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
  using layout = typename Union::layout;
  static constexpr std::size_t num_spaces = layout::num_spaces;

  /// A step of a weighting other than the plain one: the loss of each space
  /// present in the batch, then either one backward pass of the weighted sum
  /// of their logit gradients (static, uncertainty, DWA), or one per present
  /// space (PCGrad, GradNorm), combined on the host.
  ///
  /// Why on the host: the backend interface has no scale or dot product, and
  /// the combination is small next to a backward pass ((N, W) logit gradients,
  /// or the gradients of one step per space); download and upload are the
  /// only doors used, so any backend runs it.
  template <class Active>
  T weighted_step(double lr, const data::union_batch<Union>& b, const Active& active) {
    const tensor& z = m_net->forward(m_batch.images, mode::train);
    m_loss.forward_backward(*m_be, z, m_batch, nullptr, m_value);
    const T value = checked_value(lr);
    std::array<bool, num_spaces> present{};
    std::array<double, num_spaces> losses{}, norms{};
    for (std::size_t s = 0; s < num_spaces; ++s) {
      present[s] = m_loss.space_present(s, b.domain, b.known);
      if (!present[s]) continue;
      m_loss.space_forward_backward(*m_be, s, z, m_batch, &m_space_grad[s], m_space_value);
      losses[s] = static_cast<double>(m_be->download(m_space_value).data()[0]);
    }
    m_last_weights = m_weights.weights(present);
    const task_weighting method = m_weights.method();
    if (method == task_weighting::pcgrad || method == task_weighting::gradnorm) {
      per_space_backward(present, active, norms);
    } else {
      host_tensor<T> g(m_be->shape(z));  // (N, 1, 1, W): sum_s w_s dL_s/dz
      std::fill(g.begin(), g.end(), T(0));
      for (std::size_t s = 0; s < num_spaces; ++s) {
        if (!present[s]) continue;
        const host_tensor<T> gs = m_be->download(m_space_grad[s]);
        const T w = static_cast<T>(m_last_weights[s]);
        for (std::size_t i = 0; i < g.size(); ++i) g.data()[i] += w * gs.data()[i];
      }
      m_be->upload(m_grad, g);
      m_net->backward(m_grad, active);
    }
    m_opt.step(lr, active);
    m_weights.update(present, losses, norms);
    ++m_step;
    return value;
  }

  /// PCGrad and GradNorm: a backward pass per present space s, its
  /// gradients read back; every gradient this step trains is then set to the
  /// sum over s of w_s grad L_s, the trunk's ("trunk.*") first projected by
  /// PCGrad. norms[s] receives |grad_W L_s| on the last shared layer W.
  template <class Active>
  void per_space_backward(const std::array<bool, num_spaces>& present, const Active& active,
                          std::array<double, num_spaces>& norms) {
    const bool pcgrad = m_weights.method() == task_weighting::pcgrad;
    std::vector<std::size_t> reached;  // the parameters this step trains, and where they start in one vector
    std::vector<std::size_t> start, trunk_index;  // trunk_index: vector positions of the trunk's gradients
    std::size_t length = 0;
    for (std::size_t i = 0; i < m_params.size(); ++i) {
      if (!m_params[i].grad || !active(m_params[i].group)) continue;
      const std::size_t n = element_count(m_be->shape(*m_params[i].value));
      if (pcgrad && m_params[i].name.starts_with("trunk."))
        for (std::size_t e = 0; e < n; ++e) trunk_index.push_back(length + e);
      reached.push_back(i), start.push_back(length);
      length += n;
    }
    std::vector<std::vector<double>> grads;  // [present space] w_s grad L_s over the reached parameters
    for (std::size_t s = 0; s < num_spaces; ++s) {
      if (!present[s]) continue;
      m_net->backward(m_space_grad[s], active);
      std::vector<double>& into = grads.emplace_back(length);
      for (std::size_t k = 0; k < reached.size(); ++k) {
        const host_tensor<T> g = m_be->download(*m_params[reached[k]].grad);
        double n2 = 0;
        for (std::size_t e = 0; e < g.size(); ++e) {
          into[start[k] + e] = m_last_weights[s] * double(g.data()[e]);
          n2 += double(g.data()[e]) * double(g.data()[e]);
        }
        if (reached[k] == m_last_shared) norms[s] = std::sqrt(n2);
      }
    }
    if (pcgrad && !trunk_index.empty()) {
      std::vector<std::vector<double>> trunk(grads.size(), std::vector<double>(trunk_index.size()));
      for (std::size_t j = 0; j < grads.size(); ++j)
        for (std::size_t e = 0; e < trunk_index.size(); ++e) trunk[j][e] = grads[j][trunk_index[e]];
      pcgrad_project(trunk, m_rng);
      for (std::size_t j = 0; j < grads.size(); ++j)
        for (std::size_t e = 0; e < trunk_index.size(); ++e) grads[j][trunk_index[e]] = trunk[j][e];
    }
    for (std::size_t k = 0; k < reached.size(); ++k) {
      parameter<backend, T>& p = m_params[reached[k]];
      host_tensor<T> g(m_be->shape(*p.value));
      for (std::size_t e = 0; e < g.size(); ++e) {
        double sum = 0;
        for (const std::vector<double>& v : grads) sum += v[start[k] + e];
        g.data()[e] = static_cast<T>(sum);
      }
      m_be->upload(*p.grad, g);
    }
  }

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
  task_weights m_weights;
  std::mt19937_64 m_rng;                       ///< PCGrad's order
  std::array<tensor, num_spaces> m_space_grad;  ///< [space] dL_s/dz (N, 1, 1, W)
  tensor m_space_value;
  std::vector<double> m_last_weights;
  std::size_t m_last_shared = std::size_t(-1);  ///< GradNorm: index into m_params
  std::string m_input;  ///< "HxWxC" of the training batches, for sjmt.input
  using recorded_step = recorded<typename detail::graph_of<backend>::type>;
  std::map<std::uint64_t, recorded_step> m_graphs;
  std::uint64_t m_graph_epoch = 0;
  std::size_t m_step = 0;
};

}  // namespace sjmt
