// A label space with an empty class name.
// expect: sjmt::label_space: a class name is empty
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using gender = label_space<"gender", kind::exclusive, "female", "male">;
#else
using gender = label_space<"gender", kind::exclusive, "female", "">;
#endif
static_assert(gender::size == 2);
