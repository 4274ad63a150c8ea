// A class name with '/', the separator of output names ("space/class").
// expect: sjmt::label_space: a class name contains '/'
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using pose = label_space<"pose", kind::regression, "yaw", "pitch_roll">;
#else
using pose = label_space<"pose", kind::regression, "yaw", "pitch/roll">;
#endif
static_assert(pose::size == 2);
