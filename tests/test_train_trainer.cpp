// The library trainer: one step equals the hand-written step on the backend;
// a per-dataset head that a batch does not use is not touched at all by that
// step (classical multi-task); resume continues bit for bit; evaluation reads
// ordered batches; bad labels and a wrong network width are clear errors; a
// double network trains on the float host batches.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <sjmt/sjmt.hpp>
#include <string>
#include <vector>

#include "temp_path.hpp"

namespace {

using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
using B = cpu_backend;
using net_type = model<B, float>;

data::union_sampler<domains> sampler(data::batch_mode mode, std::uint64_t seed = 3) {
  return data::union_sampler<domains>({data::source(data::sfew_like(data::split::train, 1)),
                                       data::source(data::emotionet_like(data::split::train, 1))},
                                      {.batch_size = 8, .mode = mode, .proportions = {0.5, 0.5}, .seed = seed});
}

std::vector<host_tensor<float>> snapshot(B& be, const parameter_list<B, float>& ps) {
  std::vector<host_tensor<float>> out;
  for (const auto& p : ps) out.push_back(be.download(*p.value));
  return out;
}

const parameter<B, float>& named(const parameter_list<B, float>& ps, const std::string& name) {
  for (const auto& p : ps)
    if (p.name == name) return p;
  FAIL("no parameter ", name);
  return ps.front();
}

}  // namespace

TEST_CASE("trainer: one step is forward, the loss, backward and the update on the backend") {
  B be;
  std::mt19937_64 rng_a(5), rng_b(5);
  net_type a(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng_a);
  net_type b(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng_b);
  trainer<domains, net_type> t(be, a, selective_loss<domains>(), {.learning_rate = [](std::size_t) { return 0.05; }});
  auto s = sampler(data::batch_mode::mixed);
  const data::union_batch<domains> batch = s.next();
  const float value = t.step(batch);

  // The same step written out by hand.
  parameter_list<B, float> pb;
  b.collect(pb);
  sgd<B, float> opt(be, pb);
  host_tensor<float> x({batch.size, batch.height, batch.width, batch.channels});
  std::copy(batch.images.begin(), batch.images.end(), x.begin());
  const auto& z = b.forward(x, mode::train);
  host_tensor<float> g(z.shape());
  const float expected = selective_loss<domains>().forward_backward(be, z, batch.targets, batch.domain, batch.known, g);
  b.backward(g);
  opt.step(0.05);
  CHECK(value == expected);
  CHECK(t.steps_done() == 1);
  const auto wa = snapshot(be, t.parameters()), wb = snapshot(be, pb);
  REQUIRE(wa.size() == wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) CHECK(wa[i] == wb[i]);
}

TEST_CASE("trainer: classical multi-task leaves the idle dataset's head alone, as PyTorch does") {
  B be;
  std::mt19937_64 rng(7);
  net_type net(be, {.arch = "resnet", .depth = 8}, dataset_head_layout<domains>(), rng);
  CHECK(net.name() == "resnet_cifar-8+heads");
  trainer<domains, net_type> t(be, net, selective_loss<domains>(), {.model_name = net.name()});
  auto s = sampler(data::batch_mode::alternating);
  const auto& ps = t.parameters();
  CHECK(named(ps, "head.sfew.weight").group == 0);
  CHECK(named(ps, "head.emotionet.weight").group == 1);
  CHECK(named(ps, "trunk.conv1.weight").group == shared_group);

  const data::union_batch<domains> first = s.next();  // sfew only
  REQUIRE(first.domain[0] == 0);
  t.step(first);
  const host_tensor<float> au_head = be.download(*named(ps, "head.emotionet.weight").value);
  const host_tensor<float> emotion_head = be.download(*named(ps, "head.sfew.weight").value);
  const host_tensor<float> trunk = be.download(*named(ps, "trunk.conv1.weight").value);

  t.step(s.next());  // emotionet only: the sfew head rests
  CHECK(be.download(*named(ps, "head.sfew.weight").value) == emotion_head);
  CHECK(be.download(*named(ps, "head.emotionet.weight").value) != au_head);
  CHECK(be.download(*named(ps, "trunk.conv1.weight").value) != trunk);

  // The AU head did not move during the first step either: its momentum is
  // still zero for exactly one step's worth of updates.
  const auto& velocity = t.optimizer().velocity();
  const auto& trainable = t.optimizer().parameters();
  for (std::size_t i = 0; i < trainable.size(); ++i)
    if (trainable[i].name == "head.emotionet.weight") {
      const host_tensor<float> v = be.download(velocity[i]);
      const host_tensor<float> g = be.download(*trainable[i].grad);
      const host_tensor<float> w = be.download(*trainable[i].value);
      // one update from zero momentum: v = g + weight_decay w_before, so |v| is near |g| + |5e-4 w|
      double dv = 0;
      for (std::size_t k = 0; k < v.size(); ++k)
        dv = std::max(dv, std::abs(double(v.data()[k]) - double(g.data()[k]) -
                               5e-4 * double(au_head.data()[k])));
      CHECK(dv < 1e-6);
      CHECK(w != au_head);
    }
}

TEST_CASE("trainer: save, resume and fit continue exactly where a run straight through goes") {
  const std::filesystem::path dir = sjmt::test::unique_temp("trainer_resume");
  std::filesystem::create_directories(dir);
  const auto run = [&](std::size_t steps, std::size_t stop_after, const std::filesystem::path& file) {
    B be;
    std::mt19937_64 rng(11);
    net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng);
    trainer<domains, net_type> t(be, net, selective_loss<domains>(), {.model_name = net.name()});
    if (std::filesystem::exists(file)) CHECK(t.resume(file) == 2);
    auto s = sampler(data::batch_mode::mixed, 9);
    try {
      t.fit(s, {.steps = steps, .checkpoint = file, .stop_after = stop_after, .progress = false});
    } catch (const training_interrupted& e) {
      CHECK(std::string(e.what()).find("stopped at step 2") != std::string::npos);
    }
    return t.steps_done();
  };
  CHECK(run(4, 0, dir / "straight.safetensors") == 4);
  CHECK(run(4, 2, dir / "resumed.safetensors") == 2);
  CHECK(run(4, 0, dir / "resumed.safetensors") == 4);
  CHECK(io::read_file(dir / "straight.safetensors") == io::read_file(dir / "resumed.safetensors"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("trainer: evaluation reads ordered batches, one download each; errors name what is wrong") {
  B be;
  std::mt19937_64 rng(13);
  net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng);
  trainer<domains, net_type> t(be, net, selective_loss<domains>(), {.model_name = net.name()});
  metrics::evaluator<domains> eval;
  std::size_t batches = 0, rows = 0;
  const data::sample_source test = data::source(data::sfew_like(data::split::test, 1));
  t.predict(test, 0, {.batch = 16, .limit = 40}, [&](std::span<const float> z, const data::batch& b) {
    ++batches, rows += b.size;
    CHECK(z.size() == b.size * layout::size);
    CHECK(b.index[0] == (batches - 1) * 16);
    eval.update(z, b.targets, b.domain, b.known);
  });
  CHECK(batches == 3);
  CHECK(rows == 40);
  CHECK(eval.result().samples == 40);
  CHECK_THROWS_AS(t.predict(test, 2, {}, [](auto, const auto&) {}), value_error);

  auto s = sampler(data::batch_mode::mixed);
  data::union_batch<domains> bad = s.next();
  bad.targets[3] = 2.f;
  bad.domain[0] = 0;
  bad.known[3] = 1;
  CHECK_THROWS_WITH_AS(t.step(bad), doctest::Contains("target[0, 3] (emotion/happy) is 2"), value_error);

  std::mt19937_64 rng2(1);
  model<B, float> narrow(be, {.arch = "resnet", .depth = 8}, joint_head_layout<joint_layout<spaces::emotion>>(), rng2);
  CHECK_THROWS_WITH_AS((trainer<domains, model<B, float>>(be, narrow, selective_loss<domains>())),
                       doctest::Contains("the network has 7 outputs, the union's layout 18"), shape_error);
}

TEST_CASE("trainer: a double network trains on the sampler's float batches, and checks their labels in double") {
  B be;
  std::mt19937_64 rng(17);
  model<B, double> net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng);
  trainer<domains, model<B, double>> t(be, net, selective_loss<domains, double>(), {.model_name = net.name()});
  auto s = sampler(data::batch_mode::mixed);
  data::union_batch<domains> b = s.next();
  CHECK(std::isfinite(t.step(b)));
  b.targets[3] = 2.f;
  b.domain[0] = 0;
  b.known[3] = 1;
  CHECK_THROWS_WITH_AS(t.step(b), doctest::Contains("target[0, 3] (emotion/happy) is 2"), value_error);
  CHECK(t.steps_done() == 1);
}

TEST_CASE("trainer: steps on host batches of its union; untyped data is checked into one first") {
  // The calls that must compile; a batch of another union or an untyped one is a
  // compile error with one sentence (tests/compile_fail/upload_batch_other_union.cpp,
  // trainer_step_untyped_batch.cpp), which a requires-expression cannot see.
  static_assert(requires(trainer<domains, net_type>& t, const data::union_batch<domains>& b) { t.step(b); });
  static_assert(requires(B& be, const data::union_batch<domains>& b, const selective_loss<domains>& loss,
                         device_batch<domains, B>& db) { upload_batch<domains>(be, b, loss, db); });
  using swapped = dataset_union<layout, datasets::emotionet, datasets::sfew>;
  static_assert(!data::union_batch_of<data::union_batch<swapped>, domains>);  // what those calls are constrained on

  B be;
  std::mt19937_64 rng(23);
  net_type net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<layout>(), rng);
  trainer<domains, net_type> t(be, net, selective_loss<domains>());
  auto s = sampler(data::batch_mode::mixed);
  data::batch mine = s.next();  // the rows alone, as a user's own host data
  CHECK(std::isfinite(t.step(data::to_union_batch<domains>(mine))));
  mine.targets.pop_back();
  CHECK_THROWS_WITH_AS(t.step(data::to_union_batch<domains>(mine)), doctest::Contains("targets has 143 values"),
                       shape_error);
  CHECK(t.steps_done() == 1);
}
