// A dataset annotates a space that the joint layout lacks.
// expect: a dataset annotates a label space that the joint_layout lacks; add that space to the joint_layout
#include <sjmt/labels.hpp>
using namespace sjmt;
using pose = label_space<"pose", kind::regression, "yaw", "pitch", "roll">;
#ifdef SJMT_FAILTEST_OK
using layout = joint_layout<spaces::emotion, pose>;
#else
using layout = joint_layout<spaces::emotion>;
#endif
using posed = dataset<"posed", spaces::emotion, pose>;
using domains = dataset_union<layout, posed>;
static_assert(domains::num_domains == 1);
