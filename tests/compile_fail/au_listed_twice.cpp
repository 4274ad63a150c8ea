// An AU listed twice.
// expect: an Action Unit is listed twice; list each AU number once
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using aus = au_space<"aus", 6, 12>;
#else
using aus = au_space<"aus", 12, 12>;
#endif
static_assert(aus::size == 2);
