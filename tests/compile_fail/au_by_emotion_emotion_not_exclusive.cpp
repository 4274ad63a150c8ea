// Figure-2 means asked for with spaces that do not fit.
// expect: sjmt::metrics::au_by_emotion: the emotion space must be kind::exclusive
#include <sjmt/labels.hpp>
#include <sjmt/metrics/au_by_emotion.hpp>
using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
#ifdef SJMT_FAILTEST_OK
using figure = metrics::au_by_emotion<domains, spaces::emotion, spaces::emotionet_aus>;
#else
using figure = metrics::au_by_emotion<domains, spaces::emotionet_aus, spaces::emotionet_aus>;
#endif
int main() { figure f; (void)f; }
