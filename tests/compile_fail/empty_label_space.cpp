// A label space with no classes.
// expect: the space is empty; list at least one class name after the kind
#include <sjmt/labels.hpp>
using namespace sjmt;
#ifdef SJMT_FAILTEST_OK
using gender = label_space<"gender", kind::exclusive, "female", "male">;
#else
using gender = label_space<"gender", kind::exclusive>;
#endif
static_assert(gender::size > 0);
