// A loss over long double, which satisfies std::floating_point but has no kernel.
// expect: sjmt: the value type T must be float or double. long double and other floating-point types are not supported
#include <sjmt/labels.hpp>
#include <sjmt/loss.hpp>
using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
#ifdef SJMT_FAILTEST_OK
using T = double;
#else
using T = long double;
#endif
int main() { selective_loss<domains, T> loss; (void)loss; }
