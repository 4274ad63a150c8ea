// The offset of a space the layout lacks.
// expect: the label space asked for is not in this layout
#include <sjmt/labels.hpp>
using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
#ifdef SJMT_FAILTEST_OK
static_assert(layout::offset<spaces::emotionet_aus> == 7);
#else
static_assert(layout::offset<spaces::landmarks68> == 18);
#endif
