// Filling targets of a label space the sampler cannot read from a labelled_face.
// expect: sjmt::data::label_filler: the sampler does not know how to read labels of this label space
#include <sjmt/data/pipeline/targets.hpp>
#include <cstdint>
#include <vector>
using namespace sjmt;
using pose = label_space<"pose", kind::regression, "yaw", "pitch", "roll">;
int main() {
  data::labelled_face face;
  std::vector<float> t(7);
  std::vector<std::uint8_t> k(7);
#ifdef SJMT_FAILTEST_OK
  data::label_filler<spaces::emotion>::fill(face, t, k);
#else
  data::label_filler<pose>::fill(face, t, k);
#endif
}
