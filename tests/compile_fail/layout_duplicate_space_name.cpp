// Two label spaces of a layout share one name.
// expect: two label spaces share one name (or one space is listed twice); give each space of a layout its own name
#include <sjmt/labels.hpp>
using namespace sjmt;
using a = label_space<"expression", kind::exclusive, "smile", "frown">;
#ifdef SJMT_FAILTEST_OK
using b = label_space<"eyes", kind::multilabel, "open", "closed">;
#else
using b = label_space<"expression", kind::multilabel, "open", "closed">;
#endif
static_assert(joint_layout<a, b>::size == 4);
