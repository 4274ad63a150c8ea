#pragma once
// Task weighting per label space: how the losses of the spaces of a layout
// (emotion, Action Units, landmarks, ...) are combined into the gradient of
// a step. The trainer (train/trainer.hpp) runs it when
// trainer_options::weighting asks for it; the math is here, on the host, in
// double, so that each rule is tested with known values.
//
//   sjmt::trainer<domains, net_type> t(be, net, sjmt::selective_loss<domains>(),
//       {.weighting = {.method = sjmt::task_weighting::uncertainty}});
//
// L_s is the loss restricted to space s (union_loss::space_forward_backward).
// Every method knows missing labels: a space is *present* in a batch when
// some sample of the batch trains an entry of it (its dataset annotates the
// space and the label is known). An absent space weighs 0 in that step, and
// its state (learned weight, log-variance, loss history) is left as it was;
// nothing is divided by its (zero) loss or gradient norm.
//
//   static_weights  sum_s w_s L_s, w_s given per space name (default 1).
//   uncertainty     Kendall, Gal & Cipolla 2018, with s_k = log sigma_k^2 learned:
//                     classification  L / sigma^2 + log sigma     = exp(-s) L + s / 2
//                     regression      L / (2 sigma^2) + log sigma = exp(-s) L / 2 + s / 2
//   dwa             Liu, Johns & Davison 2019: w_k = n exp(r_k / T) / sum_i exp(r_i / T)
//                     over the n present spaces, r_k = A_k(last) / A_k(before) the ratio of
//                     the space's last two loss averages (a window of steps each), 1 before
//                     two averages exist.
//   gradnorm        Chen et al. 2018: learned w_k; G_k = w_k |grad_W L_k| on the last shared
//                     layer W; targets G_bar r_k^alpha, r_k = (L_k / L_k(0)) / mean, held
//                     constant; w -= rate d/dw sum_k |G_k - target_k|; renormalised.
//   pcgrad          Yu et al. 2020: per-space gradients of w_s L_s on the trunk, each
//                     projected off every other it conflicts with (negative dot product),
//                     in random order, then summed; head parameters get the plain sum.
//                     With two spaces no pair conflicts afterwards (the paper's analysis);
//                     with three or more a projection can reintroduce a conflict with a
//                     space projected on earlier, as in the paper's algorithm.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../error.hpp"
#include "../labels/joint_layout.hpp"
#include "../labels/label_space.hpp"

namespace sjmt {

enum class task_weighting : unsigned char { static_weights, uncertainty, dwa, gradnorm, pcgrad };

constexpr std::string_view to_string(task_weighting m) {
  switch (m) {
    case task_weighting::static_weights:
      return "static_weights";
    case task_weighting::uncertainty:
      return "uncertainty";
    case task_weighting::dwa:
      return "dwa";
    case task_weighting::gradnorm:
      return "gradnorm";
    case task_weighting::pcgrad:
      return "pcgrad";
  }
  return "?";
}

struct weighting_options {
  task_weighting method = task_weighting::static_weights;
  /// static_weights and pcgrad: the weight of each space named here (>= 0);
  /// spaces not named weigh 1. Empty with static_weights: the plain step.
  std::map<std::string, double> weights{};
  double dwa_temperature = 2.0;      ///< T of DWA (the paper: 2)
  std::size_t dwa_window = 100;      ///< steps per loss average of DWA (the paper: an epoch)
  double gradnorm_alpha = 1.5;       ///< the asymmetry alpha of GradNorm
  double gradnorm_rate = 0.025;      ///< the learning rate of GradNorm's weights
  double gradnorm_floor = 1e-3;      ///< a weight never drops below this (before renormalising)
  double uncertainty_rate = 0.05;    ///< SGD learning rate of the log-variances s = log sigma^2
  double uncertainty_initial = 0.0;  ///< s at the start (sigma = 1)
  std::uint64_t pcgrad_seed = 0;     ///< the order of PCGrad's projections
};

// ---- the rules, as functions (tested with known values) ----

/// Kendall et al.: 1 for classification (exclusive, multilabel), 1/2 for regression.
constexpr double uncertainty_factor(kind k) {
  return k == kind::regression ? 0.5 : 1.0;
}
/// The weight of L in the objective at log-variance s: factor exp(-s).
inline double uncertainty_weight(kind k, double s) {
  return uncertainty_factor(k) * std::exp(-s);
}
/// factor exp(-s) L + s / 2.
inline double uncertainty_objective(kind k, double loss, double s) {
  return uncertainty_weight(k, s) * loss + 0.5 * s;
}
/// d/ds of the objective: -factor exp(-s) L + 1/2.
inline double uncertainty_log_variance_gradient(kind k, double loss, double s) {
  return -uncertainty_weight(k, s) * loss + 0.5;
}

/// DWA's weights: n exp(ratio_k / T) / sum over present i of exp(ratio_i / T),
/// 0 for absent spaces (n = the number present).
inline std::vector<double> dwa_weights(std::span<const double> ratio, std::span<const bool> present,
                                       double temperature) {
  std::vector<double> w(ratio.size(), 0.0);
  double sum = 0, n = 0, top = -HUGE_VAL;
  for (std::size_t k = 0; k < ratio.size(); ++k)
    if (present[k]) top = std::max(top, ratio[k] / temperature);
  for (std::size_t k = 0; k < ratio.size(); ++k)
    if (present[k])
      w[k] = std::exp(ratio[k] / temperature - top), sum += w[k], ++n;  // shifted: no overflow
  for (double& x : w) x = sum > 0 ? x * n / sum : 0.0;
  return w;
}

/// GradNorm's targets G_bar r_k^alpha over the present spaces: G_k = w_k
/// norm_k, G_bar their mean, r_k = loss_ratio_k / mean of the present
/// loss_ratio (loss_ratio_k = L_k / L_k(0)). 0 for absent spaces.
inline std::vector<double> gradnorm_targets(std::span<const double> weights,
                                            std::span<const double> norms,
                                            std::span<const double> loss_ratio,
                                            std::span<const bool> present, double alpha) {
  double g_bar = 0, r_bar = 0, n = 0;
  for (std::size_t k = 0; k < weights.size(); ++k)
    if (present[k]) g_bar += weights[k] * norms[k], r_bar += loss_ratio[k], ++n;
  std::vector<double> t(weights.size(), 0.0);
  if (n == 0 || r_bar <= 0) return t;
  g_bar /= n, r_bar /= n;
  for (std::size_t k = 0; k < weights.size(); ++k)
    if (present[k]) t[k] = g_bar * std::pow(loss_ratio[k] / r_bar, alpha);
  return t;
}

/// GradNorm's loss sum over present k of |w_k norm_k - target_k|, the targets held constant.
inline double gradnorm_loss(std::span<const double> weights, std::span<const double> norms,
                            std::span<const double> targets, std::span<const bool> present) {
  double l = 0;
  for (std::size_t k = 0; k < weights.size(); ++k)
    if (present[k]) l += std::abs(weights[k] * norms[k] - targets[k]);
  return l;
}

/// Its gradient with respect to the weights: sign(w_k norm_k - target_k) norm_k (0 when absent).
inline std::vector<double> gradnorm_gradient(std::span<const double> weights,
                                             std::span<const double> norms,
                                             std::span<const double> targets,
                                             std::span<const bool> present) {
  std::vector<double> g(weights.size(), 0.0);
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const double d = weights[k] * norms[k] - targets[k];
    if (present[k]) g[k] = d > 0 ? norms[k] : d < 0 ? -norms[k] : 0.0;
  }
  return g;
}

/// One GradNorm update of `weights` (in place): a gradient step on
/// gradnorm_loss, each weight kept >= floor, then the present weights scaled
/// back to the sum they had. Absent weights are not touched; keeping the
/// present sum (rather than setting it to the number present) keeps the sum
/// of all weights at the number of spaces however the batches mix.
inline void gradnorm_update(std::span<double> weights, std::span<const double> norms,
                            std::span<const double> loss_ratio, std::span<const bool> present,
                            double alpha, double rate, double floor) {
  const std::vector<double> t = gradnorm_targets(weights, norms, loss_ratio, present, alpha);
  const std::vector<double> g = gradnorm_gradient(weights, norms, t, present);
  double before = 0, after = 0;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    if (!present[k]) continue;
    before += weights[k];
    weights[k] = std::max(weights[k] - rate * g[k], floor);
    after += weights[k];
  }
  if (after > 0)
    for (std::size_t k = 0; k < weights.size(); ++k)
      if (present[k]) weights[k] *= before / after;
}

/// PCGrad's projection (Yu et al. 2020, Algorithm 1): each of `grads` (one
/// vector per task, all of one length), projected in place onto the normal
/// plane of every other task's original gradient it conflicts with, the
/// others taken in a random order per task. Sum them for the update. A zero
/// gradient is never projected on.
inline void pcgrad_project(std::vector<std::vector<double>>& grads, std::mt19937_64& rng) {
  const std::vector<std::vector<double>> original = grads;
  const auto dot = [](const std::vector<double>& a, const std::vector<double>& b) {
    return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
  };
  std::vector<double> norm2(grads.size());
  for (std::size_t j = 0; j < grads.size(); ++j) norm2[j] = dot(original[j], original[j]);
  std::vector<std::size_t> order(grads.size());
  for (std::size_t i = 0; i < grads.size(); ++i) {
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t j : order) {
      if (j == i || norm2[j] == 0) continue;
      const double d = dot(grads[i], original[j]);
      if (d >= 0) continue;
      const double c = d / norm2[j];
      for (std::size_t e = 0; e < grads[i].size(); ++e) grads[i][e] -= c * original[j][e];
    }
  }
}

// ---- the state of a run ----

/// The weights of the spaces of one run and what they learn from step to step.
class task_weights {
 public:
  /// The spaces of a layout (name, kind). Throws value_error for options out of range,
  /// naming the field.
  task_weights(const weighting_options& o, std::vector<space_info> spaces)
      : m_options(o), m_spaces(std::move(spaces)) {
    const std::size_t n = m_spaces.size();
    m_static.assign(n, 1.0);
    for (const auto& [name, w] : o.weights) {
      std::size_t k = 0;
      while (k < n && m_spaces[k].name != name) ++k;
      if (k == n) {
        std::string known;
        for (const space_info& s : m_spaces) known.append(known.empty() ? "" : ", ").append(s.name);
        detail::throw_error<value_error>(std::source_location::current(),
                                         "weighting_options.weights: no space named '", name,
                                         "'; the layout's spaces are ", known);
      }
      SJMT_CHECK(value_error, std::isfinite(w) && w >= 0, "weighting_options.weights['", name,
                 "'] is ", w, ", expected a finite weight >= 0");
      m_static[k] = w;
    }
    SJMT_CHECK(value_error, o.dwa_temperature > 0 && std::isfinite(o.dwa_temperature),
               "weighting_options.dwa_temperature is ", o.dwa_temperature, ", expected > 0");
    SJMT_CHECK(value_error, o.dwa_window >= 1,
               "weighting_options.dwa_window is 0, expected >= 1 step");
    SJMT_CHECK(value_error, o.gradnorm_alpha >= 0 && std::isfinite(o.gradnorm_alpha),
               "weighting_options.gradnorm_alpha is ", o.gradnorm_alpha, ", expected >= 0");
    SJMT_CHECK(value_error, o.gradnorm_rate > 0 && std::isfinite(o.gradnorm_rate),
               "weighting_options.gradnorm_rate is ", o.gradnorm_rate, ", expected > 0");
    SJMT_CHECK(value_error, o.gradnorm_floor > 0 && o.gradnorm_floor < 1,
               "weighting_options.gradnorm_floor is ", o.gradnorm_floor, ", expected in (0, 1)");
    SJMT_CHECK(value_error, o.uncertainty_rate > 0 && std::isfinite(o.uncertainty_rate),
               "weighting_options.uncertainty_rate is ", o.uncertainty_rate, ", expected > 0");
    SJMT_CHECK(value_error, std::isfinite(o.uncertainty_initial),
               "weighting_options.uncertainty_initial is ", o.uncertainty_initial,
               ", expected finite");
    m_log_variance.assign(n, o.uncertainty_initial);
    m_learned.assign(n, 1.0);
    m_initial_loss.assign(n, 0.0);
    m_average.assign(n, {});
    m_window_sum.assign(n, 0.0);
    m_window_count.assign(n, 0);
  }

  /// The plain step: static weights, none given.
  bool plain() const {
    return m_options.method == task_weighting::static_weights && m_options.weights.empty();
  }
  task_weighting method() const { return m_options.method; }
  const weighting_options& options() const { return m_options; }
  std::size_t size() const { return m_spaces.size(); }

  /// The weight of each space in a step whose present spaces are `present` (0 where absent).
  std::vector<double> weights(std::span<const bool> present) const {
    check_size(present.size(), "present");
    std::vector<double> w(size(), 0.0);
    std::vector<double> ratio;
    if (m_options.method == task_weighting::dwa) {
      ratio.assign(size(), 1.0);
      for (std::size_t k = 0; k < size(); ++k)
        if (m_average[k].size() == 2 && m_average[k][0] > 0)
          ratio[k] = m_average[k][1] / m_average[k][0];
      return dwa_weights(ratio, present, m_options.dwa_temperature);
    }
    for (std::size_t k = 0; k < size(); ++k) {
      if (!present[k]) continue;
      switch (m_options.method) {
        case task_weighting::uncertainty:
          w[k] = uncertainty_weight(m_spaces[k].kind, m_log_variance[k]);
          break;
        case task_weighting::gradnorm:
          w[k] = m_learned[k];
          break;
        default:
          w[k] = m_static[k];
          break;
      }
    }
    return w;
  }

  /// After a step: what the method learns from its spaces' losses `loss` (and,
  /// for GradNorm, `norms`: |grad_W L_k| on the last shared layer). Absent
  /// spaces keep their state.
  void update(std::span<const bool> present, std::span<const double> loss,
              std::span<const double> norms = {}) {
    check_size(present.size(), "present");
    check_size(loss.size(), "loss");
    switch (m_options.method) {
      case task_weighting::uncertainty:
        for (std::size_t k = 0; k < size(); ++k)
          if (present[k])
            m_log_variance[k] -=
                m_options.uncertainty_rate *
                uncertainty_log_variance_gradient(m_spaces[k].kind, loss[k], m_log_variance[k]);
        break;
      case task_weighting::dwa:
        for (std::size_t k = 0; k < size(); ++k)
          if (present[k]) m_window_sum[k] += loss[k], ++m_window_count[k];
        if (++m_window_steps == m_options.dwa_window) {
          for (std::size_t k = 0; k < size(); ++k) {
            if (m_window_count[k] == 0) continue;  // absent all window: its averages stay
            if (m_average[k].size() == 2) m_average[k].erase(m_average[k].begin());
            m_average[k].push_back(m_window_sum[k] / double(m_window_count[k]));
            m_window_sum[k] = 0, m_window_count[k] = 0;
          }
          m_window_steps = 0;
        }
        break;
      case task_weighting::gradnorm: {
        check_size(norms.size(), "norms");
        const auto use =
            std::make_unique<bool[]>(size());  // present, with a loss and a norm to divide by
        std::vector<double> ratio(size(), 1.0);
        std::size_t used = 0;
        for (std::size_t k = 0; k < size(); ++k) {
          if (!present[k]) continue;
          if (m_initial_loss[k] <= 0)
            m_initial_loss[k] = loss[k];  // L_k(0): the first step it is present
          if (m_initial_loss[k] <= 0 || !(norms[k] > 0)) continue;  // it keeps its weight
          use[k] = true, ++used;
          ratio[k] = loss[k] / m_initial_loss[k];
        }
        if (used >= 2)  // one space alone has nothing to balance
          gradnorm_update(m_learned, norms, ratio, std::span<const bool>(use.get(), size()),
                          m_options.gradnorm_alpha, m_options.gradnorm_rate,
                          m_options.gradnorm_floor);
        break;
      }
      default:
        break;
    }
  }

  /// What the method has learnt, for a checkpoint (trainer::save writes it as
  /// sjmt.weighting): every double as JSON writes it, which reads back exactly.
  nlohmann::json state() const {
    return {{"method", std::string(to_string(m_options.method))},
            {"log_variance", m_log_variance},
            {"learned", m_learned},
            {"initial_loss", m_initial_loss},
            {"average", m_average},
            {"window_sum", m_window_sum},
            {"window_count", m_window_count},
            {"window_steps", m_window_steps}};
  }

  /// Restores state() of a run of the same method and spaces; `file` names the
  /// checkpoint in errors. Throws value_error for another method or another
  /// number of spaces, io_error for a malformed state; nothing changes then.
  void restore(const nlohmann::json& j, const std::string& file) {
    std::string method;
    task_weights next = *this;
    try {
      method = j.at("method").get<std::string>();
      if (method == to_string(m_options.method)) {
        j.at("log_variance").get_to(next.m_log_variance);
        j.at("learned").get_to(next.m_learned);
        j.at("initial_loss").get_to(next.m_initial_loss);
        j.at("average").get_to(next.m_average);
        j.at("window_sum").get_to(next.m_window_sum);
        j.at("window_count").get_to(next.m_window_count);
        j.at("window_steps").get_to(next.m_window_steps);
      }
    } catch (const nlohmann::json::exception& e) {
      detail::throw_error<io_error>(std::source_location::current(), "checkpoint ", file,
                                    ": sjmt.weighting is malformed (", e.what(), ")");
    }
    SJMT_CHECK(value_error, method == to_string(m_options.method), "checkpoint ", file,
               " was trained with task weighting '", method, "'; this trainer's is '",
               to_string(m_options.method), "'");
    const std::size_t n = size();
    const bool sizes = next.m_log_variance.size() == n && next.m_learned.size() == n &&
                       next.m_initial_loss.size() == n && next.m_average.size() == n &&
                       next.m_window_sum.size() == n && next.m_window_count.size() == n;
    SJMT_CHECK(io_error, sizes, "checkpoint ", file, ": sjmt.weighting holds state for another number of spaces than ",
               n);
    *this = std::move(next);
  }

  const std::vector<double>& log_variances() const { return m_log_variance; }
  const std::vector<double>& learned_weights() const { return m_learned; }
  const std::vector<double>& initial_losses() const { return m_initial_loss; }
  /// DWA: the last (at most two) loss averages of space k, oldest first.
  const std::vector<double>& loss_averages(std::size_t k) const { return m_average.at(k); }
  const std::vector<space_info>& spaces() const { return m_spaces; }

 private:
  void check_size(std::size_t got, const char* what) const {
    SJMT_CHECK(shape_error, got == size(), "task_weights: ", what, " has ", got,
               " values, expected one per space (", size(), ")");
  }

  weighting_options m_options;
  std::vector<space_info> m_spaces;
  std::vector<double> m_static, m_log_variance, m_learned, m_initial_loss;
  std::vector<std::vector<double>> m_average;  ///< DWA: [space] the last two window averages
  std::vector<double> m_window_sum;
  std::vector<std::size_t> m_window_count;
  std::size_t m_window_steps = 0;
};

}  // namespace sjmt
