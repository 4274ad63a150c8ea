// An untyped host batch handed to the trainer: its width alone says nothing of the
// union it was made for, so it must be checked into a union_batch first.
// expect: sjmt::trainer::step: the host batch is not a data::union_batch of the trainer's dataset union
#include <sjmt/backend.hpp>
#include <sjmt/labels.hpp>
#include <sjmt/loss.hpp>
#include <sjmt/nn.hpp>
#include <sjmt/train.hpp>

#include <random>
using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
using net_type = model<cpu_backend, float>;
int main() {
  cpu_backend be;
  std::mt19937_64 rng(1);
  net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng);
  trainer<domains, net_type> t(be, net, selective_loss<domains>());
  data::batch mine;
#ifdef SJMT_FAILTEST_OK
  return int(t.step(data::to_union_batch<domains>(mine)));
#else
  return int(t.step(mine));
#endif
}
