// An AU space with no Action Unit.
// expect: sjmt::au_space: the space is empty
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using aus = au_space<"aus", 6, 12>;
#else
using aus = au_space<"aus">;
#endif
static_assert(aus::size > 0);
