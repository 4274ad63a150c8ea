// PyTorch twins of every training method (issue 14): single task, classical
// multi-task (per-dataset heads, alternating whole batches), SJMT, naive joint
// and selective softmax. For each, sjmt trains a ResNet-8 in double for 20
// steps through the library's trainer (the paper trainer's calls: a model with
// the method's head partition, the method's loss, SGD with momentum 0.9 and
// weight decay 5e-4, an exponential step schedule) on batches built here, and
// writes the starting weights, every batch, a snapshot after 10 steps and the
// end. tests/pytorch/twins.py then trains the same network from the same
// weights on the same batches with each method written from its definition
// (docs/design.md, the paper) in plain PyTorch (torch.optim.SGD,
// torch.optim.lr_scheduler.StepLR), and requires every weight, batch-norm
// statistic and momentum buffer, and every step's loss, to agree to 1e-6
// relative. Skipped, visibly, where /usr/bin/python3 has no torch.
//
// The batches stand in for the sampler's modes (data::batch_mode): single
// (every sample from the one dataset), alternating (step s all from dataset
// s mod 2) and mixed (each sample's dataset drawn at random). Targets of the
// outputs a sample's dataset does not annotate, and of unknown labels, hold
// garbage in [0, 1]: a twin that read them would disagree.

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sjmt/backend.hpp>
#include <sjmt/labels.hpp>
#include <sjmt/loss.hpp>
#include <sjmt/nn.hpp>
#include <sjmt/optim.hpp>
#include <sjmt/train.hpp>
#include <string>
#include <vector>

#include "temp_path.hpp"

namespace fs = std::filesystem;

namespace {

using B = sjmt::cpu_backend;
using T = double;
namespace sp = sjmt::spaces;
namespace ds = sjmt::datasets;
using table2_union = sjmt::dataset_union<sjmt::joint_layout<sp::emotion, sp::emotionet_aus>, ds::sfew, ds::emotionet>;
using aus_only = sjmt::dataset_union<sjmt::joint_layout<sp::emotionet_aus>, ds::emotionet>;

constexpr std::size_t steps = 20, snapshot_at = 10, batch_size = 8, side = 8;
constexpr double base_lr = 0.05, decay_factor = 0.5;
constexpr std::size_t decay_every = 7;

B& be() {  // the backend the models here run on
  static B instance;
  return instance;
}

enum class batches { single, alternating, mixed };

/// A batch of `domains.size()` random images and labels: one-hot targets on
/// an annotated exclusive space, random bits on a multilabel one with about a
/// fifth of the labels unknown, garbage elsewhere.
template <class Union>
sjmt::data::union_batch<Union> make_batch(const std::vector<std::int32_t>& domains, std::mt19937_64& rng) {
  using layout = typename Union::layout;
  constexpr std::size_t W = Union::size;
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> garbage(0.0f, 1.0f);
  sjmt::data::union_batch<Union> b;
  b.size = domains.size(), b.channels = 3, b.height = side, b.width = side;
  b.domain = domains;
  b.images.resize(b.size * side * side * 3);
  for (float& v : b.images) v = normal(rng);
  b.targets.resize(b.size * W);
  b.known.resize(b.size * W);
  for (std::size_t n = 0; n < b.size; ++n) {
    const auto d = static_cast<std::size_t>(domains[n]);
    for (std::size_t c = 0; c < W; ++c) {
      b.targets[n * W + c] = garbage(rng);
      b.known[n * W + c] = static_cast<std::uint8_t>(rng() % 2);
    }
    for (const sjmt::space_info& s : layout::space_infos) {
      if (!Union::masks[d][s.outputs.offset]) continue;
      const std::size_t first = n * W + s.outputs.offset;
      if (s.kind == sjmt::kind::exclusive) {
        const std::size_t hot = rng() % s.outputs.size;
        for (std::size_t c = 0; c < s.outputs.size; ++c) {
          b.targets[first + c] = c == hot ? 1.0f : 0.0f;
          b.known[first + c] = 1;
        }
      } else {
        for (std::size_t c = 0; c < s.outputs.size; ++c) {
          b.targets[first + c] = static_cast<float>(rng() % 2);
          b.known[first + c] = rng() % 5 != 0;
        }
      }
    }
  }
  return b;
}

std::vector<std::int32_t> domains_of(batches mode, std::size_t step, std::mt19937_64& rng) {
  std::vector<std::int32_t> d(batch_size, 0);
  if (mode == batches::alternating) std::fill(d.begin(), d.end(), static_cast<std::int32_t>(step % 2));
  if (mode == batches::mixed)
    for (auto& v : d) v = static_cast<std::int32_t>(rng() % 2);
  return d;
}

/// A host tensor (1, 1, 1, n) of `values`, for the batches file.
template <class V>
sjmt::host_tensor<T> flat(const std::vector<V>& values) {
  sjmt::host_tensor<T> t({1, 1, 1, values.size()});
  for (std::size_t i = 0; i < values.size(); ++i) t.data()[i] = static_cast<T>(values[i]);
  return t;
}

/// Trains `method` in sjmt and writes what its twin needs into `dir`.
template <class Union>
void train(const fs::path& dir, sjmt::head_layout heads, sjmt::union_loss<Union, T> loss, batches mode) {
  fs::create_directories(dir);
  std::mt19937_64 rng(14);
  sjmt::model<B, T> net(be(), {.arch = "resnet", .depth = 8}, std::move(heads), rng);
  sjmt::trainer<Union, sjmt::model<B, T>> t(
      be(), net, std::move(loss),
      {.optimizer = {.momentum = 0.9, .weight_decay = 5e-4},
       .learning_rate = sjmt::exponential_step_decay{.base = base_lr, .factor = decay_factor, .every = decay_every},
       .model_name = net.name()});
  t.save(dir / "before.safetensors");

  std::vector<sjmt::host_tensor<T>> records;  // per step: images, targets, known, domains
  std::vector<T> losses;
  records.reserve(4 * steps);
  for (std::size_t s = 0; s < steps; ++s) {
    const sjmt::data::union_batch<Union> b = make_batch<Union>(domains_of(mode, s, rng), rng);
    records.push_back(flat(b.images));
    records.push_back(flat(b.targets));
    records.push_back(flat(b.known));
    records.push_back(flat(b.domain));
    losses.push_back(t.step(b));
    if (t.steps_done() == snapshot_at) t.save(dir / "snapshot.safetensors");
  }
  t.save(dir / "after.safetensors");

  sjmt::host_tensor<T> dims = flat(std::vector<std::size_t>{steps, batch_size, side, side, 3, Union::size,
                                                            snapshot_at});
  sjmt::host_tensor<T> loss_values = flat(losses);
  sjmt::parameter_list<B, T> io{{"dims", &dims}, {"losses", &loss_values}};
  const char* names[] = {"images", "targets", "known", "domains"};
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::string name = "step";
    name += std::to_string(i / 4);
    name += '.';
    name += names[i % 4];
    io.push_back({name, &records[i]});
  }
  sjmt::save_checkpoint(be(), dir / "batches.safetensors", io, t.metadata());
}

const char* const methods[] = {"single", "classical", "sjmt", "naive", "softmax"};

/// Trains every method in sjmt, then runs all twins in one Python (importing
/// torch takes seconds). Returns, per method, whether its twin passed (the
/// twin writes DIR/<method>/passed; a twin that crashed writes nothing).
std::map<std::string, bool> run_twins() {
  const fs::path dir = sjmt::test::unique_temp("sjmt_pytorch_twins");
  train<aus_only>(dir / "single", sjmt::joint_head_layout<aus_only::layout>(), sjmt::selective_loss<aus_only, T>(),
                  batches::single);
  train<table2_union>(dir / "classical", sjmt::dataset_head_layout<table2_union>(),
                      sjmt::selective_loss<table2_union, T>(), batches::alternating);
  const sjmt::head_layout joint = sjmt::joint_head_layout<table2_union::layout>();
  train<table2_union>(dir / "sjmt", joint, sjmt::selective_loss<table2_union, T>(), batches::mixed);
  train<table2_union>(dir / "naive", joint, sjmt::naive_joint_loss<table2_union, T>(), batches::mixed);
  train<table2_union>(dir / "softmax", joint, sjmt::selective_softmax_loss<table2_union, T>(), batches::mixed);

  std::string command = "/usr/bin/python3 ";
  command += (fs::path(__FILE__).parent_path() / "pytorch" / "twins.py").string();
  command += ' ';
  command += dir.string();
  for (const char* m : methods) {
    command += ' ';
    command += m;
  }
  const int status = std::system(command.c_str());
  std::map<std::string, bool> passed;
  for (const char* m : methods) passed[m] = status != -1 && fs::exists(dir / m / "passed");
  fs::remove_all(dir);
  return passed;
}

bool torch_available() {  // asked once (importing torch takes seconds), said in every case it skips
  static const bool available = std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") == 0;
  if (!available) MESSAGE("SKIPPED: /usr/bin/python3 cannot import torch (apt-get install python3-torch)");
  return available;
}

}  // namespace

TEST_CASE("pytorch twins: every training method follows PyTorch for 20 steps") {
  if (!torch_available()) return;
  static const std::map<std::string, bool> passed = run_twins();  // once, for every subcase
  SUBCASE("single task (AUs, one dataset)") { CHECK(passed.at("single")); }
  SUBCASE("classical multi-task (per-dataset heads, alternating batches)") { CHECK(passed.at("classical")); }
  SUBCASE("SJMT (joint head, mixed batches, selective loss)") { CHECK(passed.at("sjmt")); }
  SUBCASE("naive joint loss") { CHECK(passed.at("naive")); }
  SUBCASE("selective softmax") { CHECK(passed.at("softmax")); }
}
