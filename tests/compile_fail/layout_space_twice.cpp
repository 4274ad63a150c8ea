// One space listed twice in a layout.
// expect: two label spaces share one name (or one space is listed twice)
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
static_assert(joint_layout<spaces::emotion, spaces::emotionet_aus>::size == 18);
#else
static_assert(joint_layout<spaces::emotion, spaces::emotion>::size == 14);
#endif
