#pragma once
// The paper trainer's network, chosen at run time: a trunk (ResNet-CIFAR of any
// depth 6n+2 that is compiled in, or VGG-16) and either one joint head of the
// layout's width (SJMT, naive joint, selective softmax) or one head per dataset
// (classical multi-task, single task). Whatever the head, forward() returns
// layout-wide rows, so one loss type and one evaluator serve every method: a
// per-dataset head writes its dataset's columns and leaves the others at 0,
// which neither the selective loss nor the evaluator reads for that dataset's
// rows. (The selective loss of a batch of one domain over the joint layout is
// exactly that domain's own task loss: the same sum over its outputs / N.)

#include <sjmt/sjmt.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace paper {

using backend = sjmt::cpu_backend;
using tensor = backend::tensor<float>;
using parameters = sjmt::parameter_list<backend, float>;

class trunk_base {
 public:
  virtual ~trunk_base() = default;
  virtual const tensor& forward(const tensor& x, sjmt::mode m) = 0;
  virtual const tensor& backward(const tensor& dy) = 0;
  virtual void collect(parameters& out, const std::string& prefix) = 0;
  virtual std::size_t features() const = 0;
};

template <class Trunk>
class trunk_of final : public trunk_base {
 public:
  explicit trunk_of(std::mt19937_64& rng) : m_net(rng) {}
  const tensor& forward(const tensor& x, sjmt::mode m) override { return m_net.forward(x, m); }
  const tensor& backward(const tensor& dy) override { return m_net.backward(dy); }
  void collect(parameters& out, const std::string& prefix) override { m_net.collect(out, prefix); }
  std::size_t features() const override { return Trunk::features; }

 private:
  Trunk m_net;
};

/// Depths compiled into the trainer (each is one instantiation of resnet_cifar).
inline constexpr std::size_t resnet_depths[] = {8, 14, 20, 32, 56, 110};

/// "resnet" with a depth of resnet_depths, or "vgg16" (depth ignored).
inline std::unique_ptr<trunk_base> make_trunk(const std::string& arch, std::size_t depth, std::mt19937_64& rng) {
  if (arch == "vgg16") return std::make_unique<trunk_of<sjmt::vgg16<backend, float>>>(rng);
  SJMT_CHECK(value_error, arch == "resnet", "model: architecture '", arch, "', expected resnet or vgg16");
  switch (depth) {
    case 8: return std::make_unique<trunk_of<sjmt::resnet_cifar<backend, float, 8>>>(rng);
    case 14: return std::make_unique<trunk_of<sjmt::resnet_cifar<backend, float, 14>>>(rng);
    case 20: return std::make_unique<trunk_of<sjmt::resnet_cifar<backend, float, 20>>>(rng);
    case 32: return std::make_unique<trunk_of<sjmt::resnet_cifar<backend, float, 32>>>(rng);
    case 56: return std::make_unique<trunk_of<sjmt::resnet_cifar<backend, float, 56>>>(rng);
    case 110: return std::make_unique<trunk_of<sjmt::resnet_cifar<backend, float, 110>>>(rng);
    default: break;
  }
  SJMT_CHECK(value_error, false, "model: ResNet depth ", depth,
             " is not compiled into the trainer; use 8, 14, 20, 32, 56 or 110");
  return nullptr;
}

enum class head_kind { joint, per_dataset };

class model {
 public:
  /// `columns[d]`: the layout columns that domain d annotates (per_dataset heads: one
  /// head of that many outputs each; joint: one head of `width` outputs).
  model(const std::string& arch, std::size_t depth, head_kind head, std::size_t width,
        std::vector<std::vector<std::size_t>> columns, std::vector<std::string> domain_names, std::uint64_t seed)
      : m_head_kind(head), m_width(width), m_columns(std::move(columns)), m_names(std::move(domain_names)) {
    std::mt19937_64 rng(seed);
    m_trunk = make_trunk(arch, depth, rng);
    m_name = arch == "vgg16" ? "vgg16" : "resnet_cifar-" + std::to_string(depth);
    m_heads.reserve(head == head_kind::joint ? 1 : m_columns.size());
    if (head == head_kind::joint) {
      m_heads.emplace_back(m_trunk->features(), width, rng);
    } else {
      for (const auto& c : m_columns) m_heads.emplace_back(m_trunk->features(), c.size(), rng);
    }
    m_trunk->collect(m_parameters, "trunk.");
    if (head == head_kind::joint) {
      m_heads[0].collect(m_parameters, "head.fc.");
    } else {
      for (std::size_t d = 0; d < m_heads.size(); ++d) m_heads[d].collect(m_parameters, "head." + m_names[d] + ".");
    }
  }

  /// Checkpoint model name: "resnet_cifar-32", "vgg16", with "+heads" for per-dataset heads.
  std::string name() const { return m_head_kind == head_kind::joint ? m_name : m_name + "+heads"; }
  /// The trunk's name alone: what a pretrained trunk must match.
  const std::string& trunk_name() const { return m_name; }
  parameters& params() { return m_parameters; }

  /// x (N, H, W, C) -> logits (N, width), row-major. Per-dataset heads need every row
  /// from one domain (alternating and single-domain batches).
  std::span<const float> forward(const tensor& x, std::span<const std::int32_t> domains, sjmt::mode m) {
    const std::size_t n = domains.size();
    const tensor& features = m_trunk->forward(x, m);
    m_logits.assign(n * m_width, 0.0f);
    if (m_head_kind == head_kind::joint) {
      const tensor& z = m_heads[0].forward(features, m);
      std::copy(z.begin(), z.end(), m_logits.begin());
      return m_logits;
    }
    m_domain = batch_domain(domains);
    const auto& cols = m_columns[m_domain];
    const tensor& z = m_heads[m_domain].forward(features, m);
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t j = 0; j < cols.size(); ++j) m_logits[r * m_width + cols[j]] = z.data()[r * cols.size() + j];
    return m_logits;
  }

  /// Gradient of the loss with respect to the logits of the last forward -> parameter gradients.
  void backward(std::span<const float> dlogits) {
    const std::size_t n = dlogits.size() / m_width;
    if (m_head_kind == head_kind::joint) {
      m_grad.resize({n, 1, 1, m_width});
      std::copy(dlogits.begin(), dlogits.end(), m_grad.begin());
      m_trunk->backward(m_heads[0].backward(m_grad));
      return;
    }
    const auto& cols = m_columns[m_domain];
    m_grad.resize({n, 1, 1, cols.size()});
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t j = 0; j < cols.size(); ++j) m_grad.data()[r * cols.size() + j] = dlogits[r * m_width + cols[j]];
    m_trunk->backward(m_heads[m_domain].backward(m_grad));
  }

 private:
  std::size_t batch_domain(std::span<const std::int32_t> domains) const {
    SJMT_CHECK(value_error, !domains.empty(), "model: empty batch");
    const std::int32_t d = domains[0];
    SJMT_CHECK(value_error, d >= 0 && static_cast<std::size_t>(d) < m_heads.size(), "model: domain ", d,
               " has no head");
    for (std::int32_t e : domains)
      SJMT_CHECK(value_error, e == d,
                 "model: one head per dataset needs batches of one domain (alternating or single mode); "
                 "this batch mixes domains ", d, " and ", e);
    return static_cast<std::size_t>(d);
  }

  head_kind m_head_kind;
  std::size_t m_width;
  std::vector<std::vector<std::size_t>> m_columns;
  std::vector<std::string> m_names;
  std::string m_name;
  std::unique_ptr<trunk_base> m_trunk;
  std::vector<sjmt::linear<backend, float>> m_heads;
  parameters m_parameters;
  std::vector<float> m_logits;
  tensor m_grad;
  std::size_t m_domain = 0;
};

}  // namespace paper
