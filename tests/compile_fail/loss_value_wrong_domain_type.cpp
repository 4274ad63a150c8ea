// Domain indices of a 64-bit type, where the loss reads std::int32_t.
// expect: sjmt::union_loss::value: the host buffers do not fit
#include <sjmt/backend.hpp>
#include <sjmt/labels.hpp>
#include <sjmt/loss.hpp>

#include <cstdint>
#include <vector>
using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
#ifdef SJMT_FAILTEST_OK
using D = std::int32_t;
#else
using D = std::int64_t;
#endif
int main() {
  cpu_backend be;
  std::vector<float> z(18), y(18, 0);
  std::vector<D> d(1, 0);
  return int(selective_loss<domains>().value(be, z, y, d));
}
