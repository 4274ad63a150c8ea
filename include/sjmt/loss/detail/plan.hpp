#pragma once
// The plan of a loss of the selective family over a dataset union: a
// run-time table (backend/loss_plan.hpp) derived once from the compile-time
// union, which any backend computes. The losses of loss/ differ only in the
// plan they build.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../backend/loss_plan.hpp"
#include "../../error.hpp"
#include "../../labels/dataset_union.hpp"
#include "../options.hpp"

namespace sjmt::detail {

/// Plan of the selective loss over the union U: the annotated table, and for
/// each space of the layout, the rule that trains it.
template <class U, class T>
loss_plan<T> make_plan(std::string_view loss_name, const loss_options<T>& options) {
  using layout = typename U::layout;
  constexpr std::size_t W = layout::size, D = U::num_domains;
  loss_plan<T> plan;
  plan.loss_name = loss_name;
  plan.width = W;
  plan.num_domains = D;
  plan.mean_over_selected = options.reduction == reduction::mean_over_selected;
  plan.wing_width = options.wing_width;
  plan.wing_epsilon = options.wing_epsilon;
  plan.annotated.resize(D * W);
  plan.bce_mask.assign(D * W, T(0));
  plan.bounded.assign(D * W, 0);
  for (std::size_t d = 0; d < D; ++d)
    for (std::size_t c = 0; c < W; ++c) plan.annotated[d * W + c] = U::masks[d][c];
  for (std::size_t c = 0; c < W; ++c) plan.output_names.push_back(layout::output(c).qualified());

  SJMT_CHECK(shape_error, options.pos_weight.empty() || options.pos_weight.size() == W, loss_name,
             ": pos_weight has ", options.pos_weight.size(), " values, expected 0 or the layout size ", W);
  for (std::size_t c = 0; c < options.pos_weight.size(); ++c)
    SJMT_CHECK(value_error, options.pos_weight[c] >= T(0), loss_name, ": pos_weight[", c, "] (",
               plan.output_names[c], ") is ", options.pos_weight[c], ", expected >= 0");
  plan.pos_weight = options.pos_weight;

  // Per-space regression options: each names a regression space of the layout, once.
  std::vector<const regression_space_options<T>*> own(layout::num_spaces, nullptr);
  for (const regression_space_options<T>& r : options.regression_spaces) {
    std::size_t at = layout::num_spaces;
    std::string regression_names;
    for (std::size_t i = 0; i < layout::num_spaces; ++i) {
      if (layout::space_infos[i].kind != kind::regression) continue;
      if (layout::space_infos[i].name == r.space) at = i;
      if (!regression_names.empty()) regression_names += ", ";
      regression_names += layout::space_infos[i].name;
    }
    SJMT_CHECK(value_error, at < layout::num_spaces, loss_name, ": regression_spaces names '", r.space,
               "', which is not a regression space of the layout (its regression spaces: ",
               regression_names.empty() ? std::string("none") : regression_names, ")");
    SJMT_CHECK(value_error, own[at] == nullptr, loss_name, ": regression_spaces names '", r.space, "' twice");
    own[at] = &r;
  }
  for (std::size_t i = 0; i < layout::num_spaces; ++i) {
    const space_info& s = layout::space_infos[i];
    const bool softmax = s.kind == kind::exclusive && options.exclusive == exclusive_rule::softmax;
    const bool regression = s.kind == kind::regression;
    if (softmax || regression) {
      const regression_rule rule = own[i] ? own[i]->rule : options.regression;
      const T width = own[i] ? own[i]->wing_width : options.wing_width;
      const T epsilon = own[i] ? own[i]->wing_epsilon : options.wing_epsilon;
      if (regression && rule == regression_rule::wing)
        SJMT_CHECK(value_error, width > T(0) && epsilon > T(0) && std::isfinite(double(width)) &&
                                    std::isfinite(double(epsilon)),
                   loss_name, ": the wing loss of space '", s.name, "' has width ", width, " and epsilon ", epsilon,
                   "; both must be finite and > 0");
      loss_segment seg{s.outputs.offset, s.outputs.end(),
                       softmax ? segment_rule::softmax
                       : rule == regression_rule::wing ? segment_rule::wing
                                                       : segment_rule::l2,
                       std::vector<unsigned char>(D, 0), static_cast<double>(width), static_cast<double>(epsilon)};
      for (std::size_t d = 0; d < D; ++d) seg.active[d] = plan.annotated[d * W + s.outputs.offset];
      plan.segments.push_back(std::move(seg));
    }
    for (std::size_t d = 0; d < D; ++d)
      for (std::size_t c = s.outputs.offset; c < s.outputs.end(); ++c) {
        if (!plan.annotated[d * W + c]) continue;
        if (!softmax && !regression) plan.bce_mask[d * W + c] = T(1);
        if (!regression) plan.bounded[d * W + c] = 1;
      }
  }
  return plan;
}

/// `plan` restricted to each space of Layout in turn: outputs outside the
/// space are neither annotated nor trained, segments of other spaces are
/// inactive. Empty when the plan does not split by space: a naive joint plan
/// (it trains outputs no dataset annotates), or a segment across spaces.
template <class Layout, class T>
std::vector<loss_plan<T>> space_plans(const loss_plan<T>& plan) {
  if (plan.missing_as_negative) return {};
  for (const loss_segment& seg : plan.segments)
    if (Layout::space_of(seg.begin) != Layout::space_of(seg.end - 1)) return {};
  const std::size_t W = plan.width;
  std::vector<loss_plan<T>> out;
  for (const space_info& s : Layout::space_infos) {
    loss_plan<T> p = plan;
    p.id = loss_plan<T>::next_id();  // other tables: a device backend caches its copy under the id
    for (std::size_t d = 0; d < plan.num_domains; ++d)
      for (std::size_t c = 0; c < W; ++c)
        if (!s.outputs.contains(c)) p.annotated[d * W + c] = 0, p.bce_mask[d * W + c] = T(0);
    for (loss_segment& seg : p.segments)
      if (!s.outputs.contains(seg.begin)) std::fill(seg.active.begin(), seg.active.end(), 0);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace sjmt::detail
