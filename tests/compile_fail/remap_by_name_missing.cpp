// Matching by name where a source class has no counterpart.
// expect: a class of the source space has no class of the same name in the destination
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using r = remap_by_name<spaces::ckplus_emotion, spaces::emotion, partial_remap::allow>;
#else
using r = remap_by_name<spaces::ckplus_emotion, spaces::emotion>;
#endif
static_assert(r::apply(1) == 0);
