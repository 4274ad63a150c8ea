#pragma once
// Per-task losses for the classical multi-task baseline and for single-task
// networks: one head and one loss per dataset. The head of dataset D has
// exactly D's spaces (its "task layout"), every output of it is annotated, and
// the loss is the selective loss over the one-dataset union.
//
//   sjmt::task_loss<sjmt::datasets::sfew> emotion_loss;     // 7 outputs
//   // targets from a joint-layout batch: gather_task_columns<domains, sfew>(joint, n, task)

#include <concepts>
#include <cstddef>
#include <span>

#include "../error.hpp"
#include "../labels/dataset_union.hpp"
#include "selective_loss.hpp"

namespace sjmt {

template <class D>
struct task_layout;
template <detail::fixed_string Name, class... Spaces>
struct task_layout<dataset<Name, Spaces...>> {
  using type = joint_layout<Spaces...>;
};
/// The layout of dataset D's own head: D's spaces, in D's order.
template <dataset_type D>
using task_layout_t = typename task_layout<D>::type;

/// The one-dataset union of D's own head.
template <dataset_type D>
using task_union = dataset_union<task_layout_t<D>, D>;

/// The loss of D's own head: the selective loss over task_union<D>.
template <dataset_type D, std::floating_point T = float>
using task_loss = selective_loss<task_union<D>, T>;

/// Copies dataset D's outputs out of joint-layout rows:
/// joint (n, Union::size) -> task (n, task_layout_t<D>::size).
template <dataset_union_type Union, dataset_type D, class T>
void gather_task_columns(std::span<const T> joint, std::size_t n, std::span<T> task) {
  static_assert(Union::template contains<D>,
                "sjmt::gather_task_columns: the dataset is not in this union; add it to the "
                "dataset_union's list of datasets.");
  using joint_layout_type = typename Union::layout;
  using own = task_layout_t<D>;
  SJMT_CHECK(shape_error, joint.size() == n * joint_layout_type::size, "gather_task_columns: joint has ",
             joint.size(), " values, expected ", n, " x ", joint_layout_type::size);
  SJMT_CHECK(shape_error, task.size() == n * own::size, "gather_task_columns: task has ", task.size(),
             " values, expected ", n, " x ", own::size);
  for (std::size_t s = 0; s < own::num_spaces; ++s) {
    const space_info& to = own::space_infos[s];
    std::size_t from = 0;
    for (const space_info& j : joint_layout_type::space_infos)
      if (j.name == to.name) from = j.outputs.offset;
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t c = 0; c < to.outputs.size; ++c)
        task[r * own::size + to.outputs.offset + c] = joint[r * joint_layout_type::size + from + c];
  }
}

}  // namespace sjmt
