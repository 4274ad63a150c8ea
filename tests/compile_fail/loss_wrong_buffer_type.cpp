// Host buffers of the wrong element type (double logits and targets for a float loss).
// expect: sjmt::union_loss::forward_backward: the host buffers do not fit
#include <sjmt/backend.hpp>
#include <sjmt/labels.hpp>
#include <sjmt/loss.hpp>

#include <cstdint>
#include <vector>
using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
#ifdef SJMT_FAILTEST_OK
using V = float;
#else
using V = double;
#endif
int main() {
  cpu_backend be;
  std::vector<V> z(18), y(18, 0);
  std::vector<float> g(18);
  std::vector<std::int32_t> d(1, 0);
  return int(selective_loss<domains>().forward_backward(be, z, y, d, g));
}
