// A space name with '/', the separator of output names ("space/class").
// expect: sjmt::label_space: the space name contains '/'
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using pose = label_space<"head_pose", kind::regression, "yaw", "pitch">;
#else
using pose = label_space<"head/pose", kind::regression, "yaw", "pitch">;
#endif
static_assert(pose::size == 2);
