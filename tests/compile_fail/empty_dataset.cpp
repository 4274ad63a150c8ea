// A dataset that annotates nothing.
// expect: the dataset annotates no label space
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using d = dataset<"d", spaces::emotion>;
#else
using d = dataset<"d">;
#endif
static_assert(d::num_spaces > 0);
