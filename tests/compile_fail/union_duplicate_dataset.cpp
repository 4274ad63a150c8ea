// Two datasets of a union with one name.
// expect: two datasets share one name (or one is listed twice)
#include <sjmt/labels.hpp>
using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
#ifdef SJMT_FAILTEST_OK
using other = dataset<"affectnet", spaces::emotion>;
#else
using other = dataset<"sfew", spaces::emotion>;
#endif
static_assert(dataset_union<layout, datasets::sfew, other>::num_domains == 2);
