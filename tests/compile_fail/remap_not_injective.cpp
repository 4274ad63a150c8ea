// Two source classes mapped to one target.
// expect: two source classes map to one target
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using r = label_remap<spaces::fer2013_emotion, spaces::emotion, 0, 1, 2, 3, 5, 6, 4>;
#else
using r = label_remap<spaces::fer2013_emotion, spaces::emotion, 0, 1, 2, 3, 5, 5, 4>;
#endif
static_assert(r::apply(0) == 0);
