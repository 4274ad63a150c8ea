// The naive joint baseline over a layout with a regression space.
// expect: sjmt::naive_joint_loss: the layout has a regression space
#include <sjmt/labels.hpp>
#include <sjmt/loss.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using layout = joint_layout<spaces::emotion>;
#else
using layout = joint_layout<spaces::emotion, spaces::landmarks68>;
#endif
using domains = dataset_union<layout, datasets::sfew>;
int main() { naive_joint_loss<domains> loss; (void)loss; }
