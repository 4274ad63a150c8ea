// Declares its own label spaces and trains nothing: checks that the package's
// headers, target and dependencies reach a downstream project.
#include <sjmt/sjmt.hpp>

#include <cstdio>

using pose = sjmt::label_space<"pose", sjmt::kind::regression, "yaw", "pitch", "roll">;
using layout = sjmt::joint_layout<pose, sjmt::spaces::emotionet_aus>;
using poses = sjmt::dataset<"poses", pose>;
using domains = sjmt::dataset_union<layout, poses, sjmt::datasets::emotionet>;
static_assert(domains::mask<poses>()[2] && !domains::mask<poses>()[3]);

int main() {
  std::printf("consumer: sjmt %s, layout of %zu outputs, output 3 is %s\n", SJMT_VERSION_STRING,
              layout::size, layout::output(3).qualified().c_str());
  return layout::size == 14 ? 0 : 1;
}
