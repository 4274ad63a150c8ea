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
//
// A group reads either the pooled features (a linear layer) or the trunk's
// last feature map (head_source::map: soft-argmax points, nn/points.hpp, for
// the columns of coordinate spaces; with_spatial_points moves them there).

#include <concepts>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../error.hpp"
#include "../labels/dataset_union.hpp"
#include "../labels/label_space.hpp"
#include "linear.hpp"
#include "points.hpp"

namespace sjmt {

/// What a group of a head reads.
enum class head_source : unsigned char {
  features,  ///< the trunk's pooled features (N, 1, 1, F): a linear layer
  map        ///< the trunk's last feature map (N, h, w, C): soft-argmax points, columns x0, y0, x1, ...
};

/// One group of a head: the outputs it writes and its parameters' names and group.
struct head_group {
  std::string name{};                 ///< parameters are named <prefix><name>.weight
  std::vector<std::int32_t> columns{};  ///< outputs of the layout, in order
  int group = shared_group;           ///< shared_group or the domain index
  head_source source = head_source::features;
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

/// `heads` with the columns of every coordinate space of Layout moved out of
/// their group into a soft-argmax group of the same domain, named
/// "<group>.points" (a group left with no column is dropped). The checkpoint
/// name of a model with such a head ends in "+points".
template <class Layout>
head_layout with_spatial_points(head_layout heads) {
  SJMT_CHECK(value_error, heads.width == Layout::size, "with_spatial_points: a head of ", heads.width,
             " outputs for a layout of ", Layout::size);
  std::vector<bool> point(Layout::size, false);
  [&]<class... S>(detail::type_list<S...>) {
    std::size_t offset = 0;
    ((std::fill_n(point.begin() + static_cast<std::ptrdiff_t>(offset), S::size, is_coordinate_space_v<S>),
      offset += S::size),
     ...);
  }(typename Layout::spaces{});
  head_layout out{heads.width, {}};
  for (head_group& g : heads.groups) {
    SJMT_CHECK(value_error, g.source == head_source::features, "with_spatial_points: group '", g.name,
               "' already reads the map");
    head_group points{g.name + ".points", {}, g.group, head_source::map};
    head_group rest{g.name, {}, g.group, head_source::features};
    for (std::int32_t c : g.columns) {
      SJMT_CHECK(value_error, c >= 0 && static_cast<std::size_t>(c) < Layout::size, "with_spatial_points: group '",
                 g.name, "' writes output ", c, " of a layout of ", Layout::size);
      (point[static_cast<std::size_t>(c)] ? points : rest).columns.push_back(c);
    }
    if (!rest.columns.empty()) out.groups.push_back(std::move(rest));
    if (!points.columns.empty()) out.groups.push_back(std::move(points));
  }
  return out;
}

/// True when a group of `heads` reads the trunk's map.
inline bool reads_map(const head_layout& heads) {
  for (const head_group& g : heads.groups)
    if (g.source == head_source::map) return true;
  return false;
}

/// True when a group of `heads` belongs to one dataset (per-dataset heads).
inline bool per_dataset(const head_layout& heads) {
  for (const head_group& g : heads.groups)
    if (g.group != shared_group) return true;
  return false;
}

template <class Backend, class T>
  requires backend_for<Backend, T>
class sliced_head {
 public:
  using tensor = typename Backend::template tensor<T>;

  /// One layer per group of `layout`, built (and initialised from rng) in
  /// group order: a linear layer over `features`, or soft-argmax points over
  /// a map of `map_channels` (0: the trunk has no map to offer).
  sliced_head(Backend& be, std::size_t features, head_layout layout, std::mt19937_64& rng, linear_init init = {},
              std::size_t map_channels = 0)
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
    m_points.reserve(m_layout.groups.size());
    for (const head_group& g : m_layout.groups) {
      SJMT_CHECK(value_error, !g.columns.empty(), "sliced_head: group '", g.name, "' has no output");
      if (g.source == head_source::map) {
        SJMT_CHECK(value_error, map_channels > 0, "sliced_head: group '", g.name,
                   "' reads the trunk's feature map, and this trunk offers none (only ResNet trunks do: VGG-16's "
                   "fully connected layers keep position already)");
        SJMT_CHECK(value_error, g.columns.size() % 2 == 0, "sliced_head: group '", g.name, "' reads the map with ",
                   g.columns.size(), " outputs, expected (x, y) pairs");
        for (std::size_t i = 0; i < g.columns.size(); i += 2)
          SJMT_CHECK(value_error, g.columns[i + 1] == g.columns[i] + 1, "sliced_head: group '", g.name,
                     "' reads the map into outputs ", g.columns[i], " and ", g.columns[i + 1],
                     ", expected the adjacent x, y of one point (with_spatial_points builds such groups)");
        m_slot.push_back(m_points.size());
        m_points.emplace_back(be, map_channels, g.columns.size() / 2, rng);
      } else {
        m_slot.push_back(m_layers.size());
        m_layers.emplace_back(be, features, g.columns.size(), rng, init);
      }
      host_tensor<std::int32_t> index({1, 1, 1, g.columns.size()});
      std::copy(g.columns.begin(), g.columns.end(), index.begin());
      m_index.emplace_back();
      be.upload(m_index.back(), index);
    }
    m_identity = m_layout.groups.size() == 1 && m_layout.groups[0].source == head_source::features &&
                 m_layout.groups[0].columns.size() == m_layout.width;
    for (std::size_t c = 0; m_identity && c < m_layout.width; ++c)
      m_identity = m_layout.groups[0].columns[c] == static_cast<std::int32_t>(c);
  }

  std::size_t outputs() const { return m_layout.width; }
  const head_layout& partition() const { return m_layout; }
  /// True when a group reads the trunk's map (forward then needs it).
  bool reads_map() const { return !m_points.empty(); }

  /// (N, 1, 1, F) -> (N, 1, 1, W): every group's outputs in its columns;
  /// `map` (N, h, w, C) is the trunk's last feature map, required when a
  /// group reads it.
  const tensor& forward(const tensor& x, const tensor* map, mode m) {
    m_x_shape = m_be->shape(x);
    if (m_identity) return m_layers[0].forward(x, m);
    SJMT_CHECK(value_error, m_points.empty() || map != nullptr,
               "sliced_head::forward: a group reads the trunk's feature map and none was given");
    m_be->resize(m_y, rows_shape(m_be->shape(x)[0], m_layout.width));
    m_be->fill(m_y, T(0));
    for (std::size_t g = 0; g < m_layout.groups.size(); ++g) {
      const tensor& y = m_layout.groups[g].source == head_source::map ? m_points[m_slot[g]].forward(*map, m)
                                                                       : m_layers[m_slot[g]].forward(x, m);
      ops::scatter_columns(*m_be, y, m_index[g], m_y);
    }
    return m_y;
  }
  const tensor& forward(const tensor& x, mode m) { return forward(x, nullptr, m); }

  /// dy (N, 1, 1, W) -> dL/dx; only the groups that `active` accepts (a
  /// callable of the group's domain index, or shared_group) are reached.
  /// The gradient with respect to the map, when a group reading it was
  /// reached, is then map_gradient().
  template <class Active>
    requires std::predicate<const Active&, int>
  const tensor& backward(const tensor& dy, const Active& active) {
    m_map_reached = false;
    if (m_identity) return m_layers[0].backward(dy);
    bool features_reached = false;
    for (std::size_t g = 0; g < m_layout.groups.size(); ++g) {
      if (!active(m_layout.groups[g].group)) continue;
      ops::gather_columns(*m_be, dy, m_index[g], m_dy);
      const bool map = m_layout.groups[g].source == head_source::map;
      const tensor& d = map ? m_points[m_slot[g]].backward(m_dy) : m_layers[m_slot[g]].backward(m_dy);
      bool& reached = map ? m_map_reached : features_reached;
      tensor& sum = map ? m_dmap : m_dx;
      if (reached) {
        ops::add(*m_be, sum, d, sum);
      } else {
        m_be->resize(sum, m_be->shape(d));
        m_be->copy(d, sum);
      }
      reached = true;
    }
    if (!features_reached) {  // no linear group reached: no gradient flows to the pooled features
      m_be->resize(m_dx, m_x_shape);
      m_be->fill(m_dx, T(0));
    }
    return m_dx;
  }
  const tensor& backward(const tensor& dy) {
    return backward(dy, [](int) { return true; });
  }
  /// dL/dmap of the last backward, or null when no group reading the map was reached.
  const tensor* map_gradient() const { return m_map_reached ? &m_dmap : nullptr; }

  void collect(parameter_list<Backend, T>& out, const std::string& prefix) {
    for (std::size_t g = 0; g < m_layout.groups.size(); ++g) {
      const head_group& group = m_layout.groups[g];
      if (group.source == head_source::map)
        m_points[m_slot[g]].collect(out, prefix + group.name + ".", group.group);
      else
        m_layers[m_slot[g]].collect(out, prefix + group.name + ".", group.group);
    }
  }

 private:
  Backend* m_be;
  head_layout m_layout;
  std::vector<linear<Backend, T>> m_layers;
  std::vector<soft_argmax_points<Backend, T>> m_points;
  std::vector<std::size_t> m_slot;  // group -> its layer in m_layers or m_points
  std::vector<typename Backend::template tensor<std::int32_t>> m_index;
  bool m_identity = false;
  bool m_map_reached = false;
  shape4 m_x_shape{};
  tensor m_y, m_dy, m_dx, m_dmap;
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
