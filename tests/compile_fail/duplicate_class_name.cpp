// Two classes of one space with one name.
// expect: two classes of the space share one name
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using s = label_space<"s", kind::exclusive, "a", "b">;
#else
using s = label_space<"s", kind::exclusive, "a", "a">;
#endif
static_assert(s::size == 2);
