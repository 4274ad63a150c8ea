// A layout without spaces.
// expect: the layout is empty; list the label spaces of the joint output
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
static_assert(joint_layout<spaces::emotion>::size == 7);
#else
static_assert(joint_layout<>::size == 0);
#endif
