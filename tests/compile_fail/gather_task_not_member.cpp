// Gathering the task columns of a dataset the union does not hold.
// expect: sjmt::gather_task_columns: the dataset is not in this union
#include <sjmt/labels.hpp>
#include <sjmt/loss.hpp>
#include <vector>
using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
int main() {
  std::vector<float> joint(18), task(7);
#ifdef SJMT_FAILTEST_OK
  gather_task_columns<domains, datasets::sfew, float>(joint, 1, task);
#else
  gather_task_columns<domains, datasets::fer2013, float>(joint, 1, task);
#endif
}
