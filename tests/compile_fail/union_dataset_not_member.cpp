// Asking a union for the mask of a dataset it does not hold.
// expect: the dataset asked for is not in this union
#include <sjmt/labels.hpp>
using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
#ifdef SJMT_FAILTEST_OK
static_assert(domains::domain_index<datasets::sfew> == 0);
#else
static_assert(domains::domain_index<datasets::fer2013> == 0);
#endif
