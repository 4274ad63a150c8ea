// A host batch sampled for another union of the same width (the domains the other
// way round) uploaded for a loss of this one: it would train SFEW's rows as
// EmotioNet's, so it does not compile.
// expect: sjmt::upload_batch: the host batch is not a data::union_batch of the loss's dataset union
#include <sjmt/backend.hpp>
#include <sjmt/labels.hpp>
#include <sjmt/loss.hpp>
#include <sjmt/train/upload.hpp>

using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
using swapped = dataset_union<layout, datasets::emotionet, datasets::sfew>;
#ifdef SJMT_FAILTEST_OK
using sampled_for = domains;
#else
using sampled_for = swapped;
#endif
int main() {
  cpu_backend be;
  const data::union_batch<sampled_for> b;
  device_batch<domains, cpu_backend> batch;
  upload_batch<domains>(be, b, selective_loss<domains>(), batch);
}
