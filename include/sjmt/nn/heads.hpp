#pragma once
// Heads: from trunk features (N, 1, 1, F) to outputs.
//
// joint_head<Layout>: one linear layer of Layout::size outputs, for the
// selective joint loss (SJMT), the naive joint loss and selective softmax.
// dataset_heads<Union>: one linear layer per dataset of the union, each with as
// many outputs as its dataset annotates, for classical multi-task learning and
// single-task networks (a union of one dataset).

#include <random>
#include <string>
#include <vector>

#include "../labels/dataset_union.hpp"
#include "linear.hpp"

namespace sjmt {

template <class Backend, class T, class Layout>
  requires backend_for<Backend, T>
class joint_head {
 public:
  using tensor = typename Backend::template tensor<T>;
  using layout = Layout;
  static constexpr std::size_t outputs = Layout::size;

  joint_head(std::size_t features, std::mt19937_64& rng) : m_fc(features, Layout::size, rng) {}

  /// (N, 1, 1, F) -> (N, 1, 1, Layout::size): row-major (N, Layout::size) logits.
  const tensor& forward(const tensor& x, mode m) { return m_fc.forward(x, m); }
  const tensor& backward(const tensor& dy) { return m_fc.backward(dy); }
  void collect(parameter_list<Backend, T>& out, const std::string& prefix) { m_fc.collect(out, prefix + "fc."); }

 private:
  linear<Backend, T> m_fc;
};

template <class Backend, class T, class Union>
  requires backend_for<Backend, T>
class dataset_heads {
 public:
  using tensor = typename Backend::template tensor<T>;
  static constexpr std::size_t num_domains = Union::num_domains;

  /// Outputs of dataset d: the number of joint-layout outputs it annotates.
  static constexpr std::size_t outputs(std::size_t d) {
    std::size_t n = 0;
    for (bool b : Union::masks[d]) n += b;
    return n;
  }

  dataset_heads(std::size_t features, std::mt19937_64& rng) {
    m_heads.reserve(num_domains);
    for (std::size_t d = 0; d < num_domains; ++d) m_heads.emplace_back(features, outputs(d), rng);
  }

  /// (N, 1, 1, F) -> (N, 1, 1, outputs(domain)), in the joint layout's order of
  /// the dataset's outputs. Requires: domain < num_domains.
  const tensor& forward(const tensor& x, std::size_t domain, mode m) { return head(domain).forward(x, m); }
  const tensor& backward(const tensor& dy, std::size_t domain) { return head(domain).backward(dy); }

  void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
    for (std::size_t d = 0; d < num_domains; ++d)
      m_heads[d].collect(out, prefix + "heads." + std::string(Union::domain_names[d]) + ".");
  }

 private:
  linear<Backend, T>& head(std::size_t domain) {
    SJMT_CHECK(value_error, domain < num_domains, "dataset_heads: domain ", domain, ", expected < ", num_domains);
    return m_heads[domain];
  }
  std::vector<linear<Backend, T>> m_heads;
};

}  // namespace sjmt
