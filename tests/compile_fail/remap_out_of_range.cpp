// A remapping target beyond the destination space.
// expect: a target index is out of range
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using r = label_remap<spaces::fer2013_emotion, spaces::emotion, 0, 1, 2, 3, 5, 6, 4>;
#else
using r = label_remap<spaces::fer2013_emotion, spaces::emotion, 0, 1, 2, 3, 5, 6, 7>;
#endif
static_assert(r::apply(0) == 0);
