#pragma once
// Heads: from trunk features (N, 1, 1, F) to the joint output (N, 1, 1, W) of
// a layout. Every head returns layout-wide rows, so that one loss type and
// one evaluator serve every training method of the paper.
//
// A head is a partition of the W outputs into groups, one linear layer per
// group, each writing its own columns:
//   joint        one group of all W outputs (SJMT, naive joint, selective softmax);
//   per dataset  one group per dataset of a union, its annotated outputs (classical
//                multi-task, single task). The datasets must annotate disjoint outputs.
// The per-dataset heads are separate parameters (group = the domain index), so
// a step whose batch holds no sample of a domain neither computes nor applies
// anything to that domain's head (parameter::group, optim/sgd.hpp).

#include <concepts>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../error.hpp"
#include "../labels/dataset_union.hpp"
#include "linear.hpp"

namespace sjmt {

/// One group of a head: the outputs it writes and its parameters' names and group.
struct head_group {
  std::string name{};                 ///< parameters are named <prefix><name>.weight
  std::vector<std::int32_t> columns{};  ///< outputs of the layout, in order
  int group = shared_group;           ///< shared_group or the domain index
};

/// The partition of a head.
struct head_layout {
  std::size_t width = 0;  ///< outputs of the layout
  std::vector<head_group> groups{};
};

/// One linear layer over every output of Layout, named "fc".
template <class Layout>
head_layout joint_head_layout() {
  head_group g{"fc", {}, shared_group};
  for (std::size_t c = 0; c < Layout::size; ++c) g.columns.push_back(static_cast<std::int32_t>(c));
  return {Layout::size, {g}};
}

/// One linear layer per dataset of Union over the outputs it annotates, named
/// after the dataset. Throws value_error when two datasets share an output.
template <dataset_union_type Union>
head_layout dataset_head_layout() {
  head_layout h{Union::size, {}};
  std::vector<int> owner(Union::size, -1);
  for (std::size_t d = 0; d < Union::num_domains; ++d) {
    head_group g{std::string(Union::domain_names[d]), {}, static_cast<int>(d)};
    for (std::size_t c = 0; c < Union::size; ++c) {
      if (!Union::masks[d][c]) continue;
      SJMT_CHECK(value_error, owner[c] < 0, "dataset heads: datasets '", Union::domain_names[owner[c] < 0 ? 0 : owner[c]],
                 "' and '", Union::domain_names[d], "' both annotate output ", Union::layout::output(c).qualified(),
                 "; per-dataset heads are slices of one output and need disjoint outputs (declare a space per "
                 "dataset, or use a joint head)");
      owner[c] = static_cast<int>(d);
      g.columns.push_back(static_cast<std::int32_t>(c));
    }
    h.groups.push_back(std::move(g));
  }
  return h;
}

template <class Backend, class T>
  requires backend_for<Backend, T>
class sliced_head {
 public:
  using tensor = typename Backend::template tensor<T>;

  /// One linear layer per group of `layout`, built (and initialised from rng)
  /// in group order.
  sliced_head(Backend& be, std::size_t features, head_layout layout, std::mt19937_64& rng, linear_init init = {})
      : m_be(&be), m_layout(std::move(layout)) {
    SJMT_CHECK(value_error, !m_layout.groups.empty(), "sliced_head: no group of outputs");
    std::vector<bool> taken(m_layout.width, false);
    for (const head_group& g : m_layout.groups)
      for (std::int32_t c : g.columns) {
        SJMT_CHECK(value_error, c >= 0 && static_cast<std::size_t>(c) < m_layout.width, "sliced_head: group '",
                   g.name, "' writes output ", c, " of a layout of ", m_layout.width);
        SJMT_CHECK(value_error, !taken[static_cast<std::size_t>(c)], "sliced_head: output ", c,
                   " is written by two groups (the second is '", g.name, "'); groups must be disjoint");
        taken[static_cast<std::size_t>(c)] = true;
      }
    m_layers.reserve(m_layout.groups.size());
    for (const head_group& g : m_layout.groups) {
      SJMT_CHECK(value_error, !g.columns.empty(), "sliced_head: group '", g.name, "' has no output");
      m_layers.emplace_back(be, features, g.columns.size(), rng, init);
      host_tensor<std::int32_t> index({1, 1, 1, g.columns.size()});
      std::copy(g.columns.begin(), g.columns.end(), index.begin());
      m_index.emplace_back();
      be.upload(m_index.back(), index);
    }
    m_identity = m_layout.groups.size() == 1 && m_layout.groups[0].columns.size() == m_layout.width;
    for (std::size_t c = 0; m_identity && c < m_layout.width; ++c)
      m_identity = m_layout.groups[0].columns[c] == static_cast<std::int32_t>(c);
  }

  std::size_t outputs() const { return m_layout.width; }
  const head_layout& partition() const { return m_layout; }

  /// (N, 1, 1, F) -> (N, 1, 1, W): every group's outputs in its columns.
  const tensor& forward(const tensor& x, mode m) {
    m_x_shape = m_be->shape(x);
    if (m_identity) return m_layers[0].forward(x, m);
    m_be->resize(m_y, rows_shape(m_be->shape(x)[0], m_layout.width));
    m_be->fill(m_y, T(0));
    for (std::size_t g = 0; g < m_layers.size(); ++g)
      ops::scatter_columns(*m_be, m_layers[g].forward(x, m), m_index[g], m_y);
    return m_y;
  }

  /// dy (N, 1, 1, W) -> dL/dx; only the groups that `active` accepts (a
  /// callable of the group's domain index, or shared_group) are reached.
  template <class Active>
    requires std::predicate<const Active&, int>
  const tensor& backward(const tensor& dy, const Active& active) {
    if (m_identity) return m_layers[0].backward(dy);
    bool first = true;
    for (std::size_t g = 0; g < m_layers.size(); ++g) {
      if (!active(m_layout.groups[g].group)) continue;
      ops::gather_columns(*m_be, dy, m_index[g], m_dy);
      const tensor& dx = m_layers[g].backward(m_dy);
      if (first) {
        m_be->resize(m_dx, m_be->shape(dx));
        m_be->copy(dx, m_dx);
      } else {
        ops::add(*m_be, m_dx, dx, m_dx);
      }
      first = false;
    }
    if (first) {  // no group reached: no gradient flows to the trunk
      m_be->resize(m_dx, m_x_shape);
      m_be->fill(m_dx, T(0));
    }
    return m_dx;
  }
  const tensor& backward(const tensor& dy) {
    return backward(dy, [](int) { return true; });
  }

  void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
    for (std::size_t g = 0; g < m_layers.size(); ++g)
      m_layers[g].collect(out, prefix + m_layout.groups[g].name + ".", m_layout.groups[g].group);
  }

 private:
  Backend* m_be;
  head_layout m_layout;
  std::vector<linear<Backend, T>> m_layers;
  std::vector<typename Backend::template tensor<std::int32_t>> m_index;
  bool m_identity = false;
  shape4 m_x_shape{};
  tensor m_y, m_dy, m_dx;
};

/// One linear layer of Layout::size outputs (SJMT, naive joint, selective softmax).
template <class Backend, class T, class Layout>
  requires backend_for<Backend, T>
class joint_head : public sliced_head<Backend, T> {
 public:
  using layout = Layout;
  static constexpr std::size_t width = Layout::size;
  joint_head(Backend& be, std::size_t features, std::mt19937_64& rng, linear_init init = {})
      : sliced_head<Backend, T>(be, features, joint_head_layout<Layout>(), rng, init) {}
};

/// One linear layer per dataset of Union, each over the outputs it annotates
/// (classical multi-task, single task), writing layout-wide rows.
template <class Backend, class T, class Union>
  requires backend_for<Backend, T>
class dataset_heads : public sliced_head<Backend, T> {
 public:
  using layout = typename Union::layout;
  static constexpr std::size_t width = Union::size;
  static constexpr std::size_t num_domains = Union::num_domains;
  dataset_heads(Backend& be, std::size_t features, std::mt19937_64& rng, linear_init init = {})
      : sliced_head<Backend, T>(be, features, dataset_head_layout<Union>(), rng, init) {}
};

}  // namespace sjmt
