// An AU number that FACS does not define.
// expect: an Action Unit number is not in the FACS table
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using aus = au_space<"aus", 6, 12>;
#else
using aus = au_space<"aus", 6, 3>;
#endif
static_assert(aus::size == 2);
