// safetensors checkpoints: bit-exact round trip with optimiser state, PyTorch
// layout on disk, trunk-only transfer to another layout, and bad files that
// fail clearly (an io_error naming the file) and leave the model untouched.

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <sjmt/backend.hpp>
#include <sjmt/labels.hpp>
#include <sjmt/nn.hpp>
#include <sjmt/optim.hpp>
#include <sjmt/train.hpp>
#include <string>
#include <unistd.h>
#include <vector>

using sjmt::cpu_backend;
using sjmt::mode;
using B = cpu_backend;
static B be;  // the backend instance the models here run on
namespace fs = std::filesystem;

namespace {

using emotion = sjmt::label_space<"emotion", sjmt::kind::exclusive, "neutral", "anger", "disgust", "fear",
                                  "happiness", "sadness", "surprise">;
using aus = sjmt::label_space<"au", sjmt::kind::multilabel, "AU1", "AU2", "AU4", "AU6">;
using joint = sjmt::joint_layout<emotion, aus>;
using emotion_only = sjmt::joint_layout<emotion>;
template <class Layout>
using resnet8 = sjmt::network<sjmt::resnet_cifar<B, float, 8>, sjmt::joint_head<B, float, Layout>>;

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("sjmt_test_checkpoint_" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};

template <class Net>
sjmt::parameter_list<B, float> params_of(Net& net) {
  sjmt::parameter_list<B, float> ps;
  net.collect(ps);
  return ps;
}

std::vector<sjmt::host_tensor<float>> snapshot(const sjmt::parameter_list<B, float>& ps) {
  std::vector<sjmt::host_tensor<float>> out;
  for (const auto& p : ps) out.push_back(*p.value);
  return out;
}

/// A few SGD steps so that weights, running statistics and momenta are all non-trivial.
template <class Net>
void train_a_little(Net& net, sjmt::sgd<B, float>& opt, std::size_t steps) {
  std::mt19937_64 rng(3);
  std::normal_distribution<float> normal;
  sjmt::host_tensor<float> x({4, 8, 8, 3});
  for (auto& v : x) v = normal(rng);
  for (std::size_t s = 0; s < steps; ++s) {
    const auto& y = net.forward(x, mode::train);
    net.backward(y);  // gradient of 0.5 |y|^2
    opt.step(0.01);
  }
}

const sjmt::checkpoint_metadata joint_meta{"resnet_cifar-8", sjmt::layout_fingerprint<joint>(), 2};

sjmt::checkpoint_metadata with_optimizer(sjmt::checkpoint_metadata m) {
  m.optimizer = sjmt::sgd<B, float>::name;
  return m;
}

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

/// `bytes` with its JSON header replaced by `header` (padded to 8 bytes, the data kept).
std::string with_header(const std::string& bytes, std::string header) {
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  header.append((8 - header.size() % 8) % 8, ' ');
  const std::uint64_t m = header.size();
  std::string out(reinterpret_cast<const char*>(&m), 8);
  return out + header + bytes.substr(8 + n);
}

/// The JSON header of a safetensors file's bytes.
nlohmann::json header_of(const std::string& bytes) {
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  return nlohmann::json::parse(bytes.substr(8, n));
}

}  // namespace

TEST_CASE("layout_fingerprint names spaces, kinds and sizes") {
  CHECK(sjmt::layout_fingerprint<joint>() == "emotion:exclusive:7;au:multilabel:4");
}

TEST_CASE("checkpoint: save and load round trip is bit-exact, optimiser state included") {
  temp_dir dir;
  const fs::path file = dir.path / "model.safetensors";
  std::mt19937_64 rng_a(1), rng_b(2);
  resnet8<joint> a(be, rng_a), b(be, rng_b);
  auto pa = params_of(a), pb = params_of(b);
  sjmt::sgd<B, float> opt_a(be, pa), opt_b(be, pb);
  train_a_little(a, opt_a, 2);
  sjmt::checkpoint_metadata written = with_optimizer(joint_meta);
  written.loss = "selective_loss";
  written.input = "32x32x3";
  sjmt::save_checkpoint(be, file, pa, written, opt_a.state());
  CHECK(fs::exists(file));
  CHECK_FALSE(fs::exists(file.string() + ".tmp"));
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);  // no temporary left

  const auto meta =
      sjmt::load_checkpoint(be, file, pb, with_optimizer(joint_meta), sjmt::load_scope::everything, opt_b.state());
  CHECK(meta.step == 2);
  CHECK(meta.optimizer == "sgd");
  CHECK(meta.model == "resnet_cifar-8");
  CHECK(meta.version == SJMT_VERSION_STRING);
  CHECK(meta.loss == "selective_loss");
  CHECK(meta.input == "32x32x3");
  const auto sa = snapshot(pa), sb = snapshot(pb);
  for (std::size_t i = 0; i < sa.size(); ++i) CHECK(sa[i] == sb[i]);
  for (std::size_t i = 0; i < opt_a.velocity().size(); ++i) CHECK(opt_a.velocity()[i] == opt_b.velocity()[i]);
  // The same state trains on identically.
  train_a_little(a, opt_a, 1);
  train_a_little(b, opt_b, 1);
  const auto ta = snapshot(pa), tb = snapshot(pb);
  for (std::size_t i = 0; i < ta.size(); ++i) CHECK(ta[i] == tb[i]);
}

TEST_CASE("checkpoint: weights are stored in PyTorch's layout") {
  temp_dir dir;
  const fs::path file = dir.path / "layout.safetensors";
  std::mt19937_64 rng(4);
  resnet8<joint> net(be, rng);
  auto ps = params_of(net);
  sjmt::save_checkpoint(be, file, ps, joint_meta);
  std::ifstream in(file, std::ios::binary);
  std::uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  CHECK(n % 8 == 0);
  std::string text(n, '\0');
  in.read(text.data(), static_cast<std::streamsize>(n));
  // The header is JSON (nlohmann writes no spaces): compare values, not spellings.
  const nlohmann::json header = nlohmann::json::parse(text);
  const auto tensor_is = [&](const char* name, std::vector<std::uint64_t> shape) {
    return header.contains(name) && header[name]["dtype"] == "F32" &&
           header[name]["shape"].get<std::vector<std::uint64_t>>() == shape;
  };
  CHECK(tensor_is("trunk.conv1.weight", {16, 3, 3, 3}));
  CHECK(tensor_is("head.fc.weight", {11, 64}));
  CHECK(tensor_is("trunk.layer2.0.shortcut.0.weight", {32, 16, 1, 1}));
  CHECK(tensor_is("trunk.bn1.running_var", {16}));
  const nlohmann::json& meta = header["__metadata__"];
  CHECK(meta["format"] == "pt");
  CHECK(meta["sjmt.model"] == "resnet_cifar-8");
  CHECK(meta["sjmt.layout"] == joint_meta.layout);
  CHECK(meta["sjmt.step"] == "2");
  CHECK(meta["sjmt.version"] == SJMT_VERSION_STRING);
  CHECK_FALSE(meta.contains("sjmt.optimizer"));
  CHECK_FALSE(meta.contains("sjmt.loss"));  // not recorded: left out, not written empty
  CHECK_FALSE(meta.contains("sjmt.input"));
  // PyTorch element [k=1, c=2, r=0, s=1] of the stem is sjmt's (0, 1, 2, 1).
  const auto start = header["trunk.conv1.weight"]["data_offsets"][0].get<std::uint64_t>();
  float value = 0;
  in.seekg(static_cast<std::streamoff>(8 + n + start + sizeof(float) * (((1 * 3 + 2) * 3 + 0) * 3 + 1)));
  in.read(reinterpret_cast<char*>(&value), sizeof value);
  CHECK(value == (*ps.front().value)(0, 1, 2, 1));
}

TEST_CASE("checkpoint: a trunk trained under one layout loads under another") {
  temp_dir dir;
  const fs::path file = dir.path / "fer.safetensors";
  std::mt19937_64 rng_a(5), rng_b(6);
  resnet8<emotion_only> pretrained(be, rng_a);
  resnet8<joint> target(be, rng_b);
  auto pa = params_of(pretrained), pb = params_of(target);
  sjmt::save_checkpoint(be, file, pa, {"resnet_cifar-8", sjmt::layout_fingerprint<emotion_only>(), 100});
  const auto head_before = *pb.back().value;
  // A full load refuses: the layouts and the head shapes differ, and it says so.
  CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, file, pb, joint_meta),
                       doctest::Contains("layout 'emotion:exclusive:7' in the file"), sjmt::value_error);
  CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, file, pb, joint_meta), doctest::Contains("'head.fc.weight' is [7, 64]"),
                       sjmt::value_error);
  sjmt::load_checkpoint(be, file, pb, joint_meta, sjmt::load_scope::trunk);
  for (std::size_t i = 0; i < pa.size(); ++i)
    if (pa[i].name.starts_with("trunk.")) CHECK(*pa[i].value == *pb[i].value);
  CHECK(*pb.back().value == head_before);
}

TEST_CASE("checkpoint: ResNets with option-A and option-B shortcuts do not load each other's files") {
  // The option-A network's parameters are a subset of option B's (B adds the
  // shortcut projections), so the model name, which says the shortcut, is what
  // refuses a B file for an A network (model_spec::name).
  temp_dir dir;
  const fs::path file_b = dir.path / "b.safetensors", file_a = dir.path / "a.safetensors";
  using resnet8a = sjmt::network<sjmt::resnet_cifar<B, float, 8, sjmt::zero_pad_shortcut>, sjmt::joint_head<B, float, joint>>;
  const std::string name_b = sjmt::model_spec{.arch = "resnet", .depth = 8}.name();
  const std::string name_a =
      sjmt::model_spec{.arch = "resnet", .depth = 8, .shortcut = sjmt::shortcut_kind::zero_pad}.name();
  REQUIRE(name_b == "resnet_cifar-8");
  REQUIRE(name_a == "resnet_cifar-8a");
  std::mt19937_64 rng_a(7), rng_b(8);
  resnet8a a(be, rng_a);
  resnet8<joint> b(be, rng_b);
  auto pa = params_of(a), pb = params_of(b);
  const sjmt::checkpoint_metadata meta_a{name_a, sjmt::layout_fingerprint<joint>(), 0};
  const sjmt::checkpoint_metadata meta_b{name_b, sjmt::layout_fingerprint<joint>(), 0};
  sjmt::save_checkpoint(be, file_b, pb, meta_b);
  sjmt::save_checkpoint(be, file_a, pa, meta_a);
  const auto before = snapshot(pa);
  CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, file_b, pa, meta_a),
                       doctest::Contains("model 'resnet_cifar-8' in the file, 'resnet_cifar-8a' expected"),
                       sjmt::value_error);
  CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, file_b, pa, meta_a, sjmt::load_scope::trunk),
                       doctest::Contains("'resnet_cifar-8a' expected"), sjmt::value_error);
  CHECK_THROWS_AS(sjmt::load_checkpoint(be, file_a, pb, meta_b), sjmt::value_error);
  CHECK(snapshot(pa) == before);
  sjmt::load_checkpoint(be, file_a, pa, meta_a);  // its own file loads
}

TEST_CASE("checkpoint: truncated, corrupted and mismatched files fail clearly and change nothing") {
  temp_dir dir;
  const fs::path good = dir.path / "good.safetensors", bad = dir.path / "bad.safetensors";
  std::mt19937_64 rng_a(7), rng_b(8);
  resnet8<joint> a(be, rng_a), b(be, rng_b);
  auto pa = params_of(a), pb = params_of(b);
  sjmt::save_checkpoint(be, good, pa, joint_meta);
  const std::string bytes = read_bytes(good);
  const auto write = [&](const std::string& content) { write_bytes(bad, content); };
  const auto before = snapshot(pb);
  const auto unchanged = [&] {
    const auto now = snapshot(pb);
    for (std::size_t i = 0; i < now.size(); ++i)
      if (!(now[i] == before[i])) return false;
    return true;
  };

  write(bytes.substr(0, bytes.size() - 100));
  CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, bad, pb, joint_meta), doctest::Contains("truncated"), sjmt::io_error);
  write(bytes.substr(0, 5));
  CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, bad, pb, joint_meta), doctest::Contains("too short"), sjmt::io_error);
  write(bytes.substr(0, 40));
  CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, bad, pb, joint_meta), doctest::Contains("header length"),
                       sjmt::io_error);
  std::string corrupt = bytes;
  corrupt[8 + 30] = '\x01';  // inside the JSON header
  write(corrupt);
  CHECK_THROWS_AS(sjmt::load_checkpoint(be, bad, pb, joint_meta), sjmt::io_error);
  std::string dtype = bytes;  // a weight stored as integers (same bytes per element)
  dtype.replace(dtype.find("F32"), 3, "I32");
  write(dtype);
  CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, bad, pb, joint_meta),
                       doctest::Contains("' is I32 in the file, expected F16, BF16, F32 or F64"), sjmt::value_error);
  CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, good, pb, {"resnet_cifar-32", joint_meta.layout, 0}),
                       doctest::Contains("model 'resnet_cifar-8' in the file, 'resnet_cifar-32' expected"),
                       sjmt::value_error);
  CHECK_THROWS_AS(sjmt::load_checkpoint(be, dir.path / "missing.safetensors", pb, joint_meta), sjmt::io_error);
  // Asking for optimiser state a file does not hold is a mismatch too.
  sjmt::sgd<B, float> opt(be, pb);
  CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, good, pb, joint_meta, sjmt::load_scope::everything, opt.state()),
                       doctest::Contains("optimizer.momentum.trunk.conv1.weight' missing"), sjmt::value_error);
  CHECK(unchanged());
  // The intact file still loads.
  sjmt::load_checkpoint(be, good, pb, joint_meta);
  CHECK_FALSE(unchanged());
}

TEST_CASE("checkpoint: malformed JSON, steps and shapes are io_errors naming the file") {
  temp_dir dir;
  const fs::path good = dir.path / "good.safetensors", bad = dir.path / "bad.safetensors";
  std::mt19937_64 rng_a(9), rng_b(10);
  resnet8<joint> a(be, rng_a), b(be, rng_b);
  auto pa = params_of(a), pb = params_of(b);
  sjmt::save_checkpoint(be, good, pa, joint_meta);
  const std::string bytes = read_bytes(good);
  const auto before = snapshot(pb);
  const auto fails_naming_file = [&](const std::string& content, const char* what) {
    write_bytes(bad, content);
    CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, bad, pb, joint_meta), doctest::Contains(bad.string().c_str()),
                         sjmt::io_error);
    CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, bad, pb, joint_meta), doctest::Contains(what), sjmt::io_error);
  };

  // A \u escape with a non-hex digit: nlohmann's parse_error, rethrown.
  std::string text = header_of(bytes).dump();
  text.replace(text.find("\"pt\""), 4, "\"p\\u12G4\"");
  fails_naming_file(with_header(bytes, text), "malformed header");

  // A step of 20 digits does not fit in 64 bits.
  nlohmann::json h = header_of(bytes);
  h["__metadata__"]["sjmt.step"] = "99999999999999999999";
  fails_naming_file(with_header(bytes, h.dump()), "sjmt.step");
  h["__metadata__"]["sjmt.step"] = "-1";
  fails_naming_file(with_header(bytes, h.dump()), "sjmt.step");

  // A shape whose bytes wrap to 0 in 64 bits (2^62 * 4 * 4 bytes), with an empty range.
  h = header_of(bytes);
  const std::uint64_t end = h["trunk.conv1.weight"]["data_offsets"][1].get<std::uint64_t>();
  h["trunk.conv1.weight"]["shape"] = {std::uint64_t(1) << 62, 4};
  h["trunk.conv1.weight"]["data_offsets"] = {end, end};
  fails_naming_file(with_header(bytes, h.dump()), "overflow");

  // A dimension that is not an unsigned integer, a metadata value that is not a string,
  // a range that leaves a gap, an unknown dtype.
  h = header_of(bytes);
  h["trunk.conv1.weight"]["shape"] = {1e30, 1};
  fails_naming_file(with_header(bytes, h.dump()), "a shape dimension");
  h = header_of(bytes);
  h["__metadata__"]["sjmt.model"] = 8;
  fails_naming_file(with_header(bytes, h.dump()), "__metadata__.sjmt.model");
  h = header_of(bytes);
  h.erase("trunk.conv1.weight");
  fails_naming_file(with_header(bytes, h.dump()), "gap");
  h = header_of(bytes);
  h["trunk.conv1.weight"]["dtype"] = "F33";
  fails_naming_file(with_header(bytes, h.dump()), "not a safetensors dtype");

  const auto now = snapshot(pb);
  for (std::size_t i = 0; i < now.size(); ++i) CHECK(now[i] == before[i]);
}

TEST_CASE("checkpoint: an optimiser's state needs its name, and a different optimiser is a mismatch") {
  temp_dir dir;
  const fs::path file = dir.path / "opt.safetensors";
  std::mt19937_64 rng(11);
  resnet8<joint> net(be, rng);
  auto ps = params_of(net);
  sjmt::sgd<B, float> opt(be, ps);
  CHECK_THROWS_AS(sjmt::save_checkpoint(be, file, ps, joint_meta, opt.state()), sjmt::value_error);
  CHECK_FALSE(fs::exists(file));
  sjmt::save_checkpoint(be, file, ps, with_optimizer(joint_meta), opt.state());
  sjmt::checkpoint_metadata adam = joint_meta;
  adam.optimizer = "adam";
  CHECK_THROWS_WITH_AS(sjmt::load_checkpoint(be, file, ps, adam, sjmt::load_scope::everything, opt.state()),
                       doctest::Contains("optimizer 'sgd' in the file, 'adam' expected"), sjmt::value_error);
  // The state names the momenta after the parameters, with their roles.
  const auto state = opt.state();
  REQUIRE(state.size() == opt.parameters().size());
  CHECK(state.front().name == "optimizer.momentum." + opt.parameters().front().name);
  CHECK(state.front().role == opt.parameters().front().role);
  CHECK(state.front().grad == nullptr);
  CHECK(state.front().value == &opt.velocity().front());
}

namespace {
/// binary16 bits of `v`, for values a half holds exactly (normal, 11 significant bits).
std::uint16_t exact_half(float v) {
  if (v == 0.0f) return std::signbit(v) ? 0x8000 : 0;
  int e = 0;
  const float m = std::frexp(std::fabs(v), &e);  // v = m 2^e, m in [0.5, 1)
  const auto mantissa = static_cast<std::uint16_t>(std::lround((m * 2.0f - 1.0f) * 1024.0f));
  return static_cast<std::uint16_t>((v < 0 ? 0x8000 : 0) | ((e - 1 + 15) << 10) | mantissa);
}

/// A safetensors file written byte by byte: `header` (JSON) then `data`.
std::string safetensors_bytes(const nlohmann::json& header, const std::string& data) {
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const std::uint64_t n = text.size();
  std::string out(reinterpret_cast<const char*>(&n), 8);
  out += text;
  out += data;
  return out;
}

/// `bytes` (an F32 checkpoint) rewritten with every tensor in `dtype` (F16, BF16, F64),
/// plus PyTorch's I64 batch-norm counter.
std::string rewritten_as(const std::string& bytes, const std::string& dtype) {
  const nlohmann::json in = header_of(bytes);
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  nlohmann::json out = nlohmann::json::object();
  out["__metadata__"] = in["__metadata__"];
  std::string data;
  for (const auto& [name, t] : in.items()) {
    if (name == "__metadata__") continue;
    const auto begin = t["data_offsets"][0].get<std::size_t>(), end = t["data_offsets"][1].get<std::size_t>();
    const std::size_t first = data.size();
    for (std::size_t i = begin; i < end; i += 4) {
      float v;
      std::memcpy(&v, bytes.data() + 8 + n + i, 4);
      if (dtype == "F64") {
        const double d = v;
        data.append(reinterpret_cast<const char*>(&d), 8);
      } else {
        const std::uint16_t h = dtype == "F16" ? exact_half(v) : static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(v) >> 16);
        data.append(reinterpret_cast<const char*>(&h), 2);
      }
    }
    out[name] = {{"dtype", dtype}, {"shape", t["shape"]}, {"data_offsets", {first, data.size()}}};
  }
  const std::int64_t tracked = 1234;
  out["trunk.bn1.num_batches_tracked"] = {{"dtype", "I64"}, {"shape", nlohmann::json::array()},
                                          {"data_offsets", {data.size(), data.size() + 8}}};
  data.append(reinterpret_cast<const char*>(&tracked), 8);
  return safetensors_bytes(out, data);
}
}  // namespace

TEST_CASE("safetensors: half and bfloat16 bits widen exactly") {
  using sjmt::detail::bfloat16_to_float;
  using sjmt::detail::half_to_float;
  CHECK(half_to_float(0x3C00) == 1.0f);
  CHECK(half_to_float(0xC000) == -2.0f);
  CHECK(half_to_float(0x3555) == 0.333251953125f);
  CHECK(half_to_float(0x7BFF) == 65504.0f);
  CHECK(half_to_float(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(half_to_float(0x03FF) == std::ldexp(1023.0f, -24));
  CHECK(std::signbit(half_to_float(0x8000)));
  CHECK(half_to_float(0x7C00) == std::numeric_limits<float>::infinity());
  CHECK(half_to_float(0xFC00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(half_to_float(0x7E00)));
  CHECK(bfloat16_to_float(0x3F80) == 1.0f);
  CHECK(bfloat16_to_float(0xC049) == -3.140625f);
  CHECK(std::isnan(bfloat16_to_float(0x7FC0)));
  for (float v : {0.125f, -3.5f, 1000.0f, 6.103515625e-05f}) CHECK(half_to_float(exact_half(v)) == v);
}

TEST_CASE("checkpoint: PyTorch-written files load: F16, BF16 and F64 weights, an I64 num_batches_tracked") {
  temp_dir dir;
  const fs::path good = dir.path / "f32.safetensors", other = dir.path / "other.safetensors";
  std::mt19937_64 rng_a(11);
  resnet8<joint> a(be, rng_a);
  auto pa = params_of(a);
  std::size_t k = 0;  // values that F16 and BF16 hold exactly
  for (const auto& p : pa)
    for (auto& v : *p.value) v = static_cast<float>(static_cast<int>(k++ % 29) - 14) / 8.0f;
  sjmt::save_checkpoint(be, good, pa, joint_meta);
  const std::string bytes = read_bytes(good);
  for (const char* dtype : {"F16", "BF16", "F64"}) {
    INFO(dtype);
    write_bytes(other, rewritten_as(bytes, dtype));
    std::mt19937_64 rng_b(12);
    resnet8<joint> b(be, rng_b);
    auto pb = params_of(b);
    const auto found = sjmt::load_checkpoint(be, other, pb, joint_meta);
    CHECK(found.step == joint_meta.step);
    const auto want = snapshot(pa), got = snapshot(pb);
    REQUIRE(want.size() == got.size());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == want[i]);
  }
  // The reader names the file and tensor when asked for floats from a counter.
  write_bytes(other, rewritten_as(bytes, "F16"));
  const auto file = sjmt::io::read_safetensors(other);
  const auto* counter = file.find("trunk.bn1.num_batches_tracked");
  REQUIRE(counter != nullptr);
  CHECK(sjmt::io::element<std::int64_t>(*counter, 0) == 1234);
  CHECK_THROWS_WITH_AS((void)sjmt::io::float_values<float>(*counter, other),
                       doctest::Contains("other.safetensors': tensor 'trunk.bn1.num_batches_tracked' is I64, expected a "
                                         "floating-point tensor"),
                       sjmt::io_error);
}

TEST_CASE("safetensors: messages say what is wrong, with the file, for the header length and data_offsets") {
  temp_dir dir;
  const fs::path file = dir.path / "probe.safetensors";
  const auto message = [&](const std::string& bytes) {
    write_bytes(file, bytes);
    try {
      (void)sjmt::io::read_safetensors(file);
    } catch (const sjmt::io_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // A length equal to the file's size: the old wording read "header length N but the file holds N bytes".
  std::string bytes(64, ' ');
  const std::uint64_t n = bytes.size();
  std::memcpy(bytes.data(), &n, 8);
  CHECK(message(bytes).find("probe.safetensors': header length 64 needs a file of at least 72 bytes (8 for the "
                            "length), but the file holds 64 (truncated") != std::string::npos);
  const std::uint64_t huge = std::uint64_t(1) << 40;
  std::memcpy(bytes.data(), &huge, 8);
  CHECK(message(bytes).find("header length 1099511627776 bytes exceeds safetensors' limit of 104857600") !=
        std::string::npos);
  // Every data_offsets error names the file and the tensor.
  for (const char* offsets : {"[0]", "\"0,4\"", "[0, -4]", "[8, 4]", "[0, 1.5]", "[0, 4, 8]"}) {
    INFO(offsets);
    const std::string header = std::string("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": ") + offsets + "}}";
    const std::string m = message(safetensors_bytes(nlohmann::json::parse(header), std::string(4, '\0')));
    CHECK(m.find("probe.safetensors': tensor 'w'") != std::string::npos);
    CHECK(m.find("data_offsets") != std::string::npos);
  }
  // A count that would overflow: the bytes of the shape, not a wrapped element count, are reported.
  const std::string wrap = message(safetensors_bytes(
      nlohmann::json::parse("{\"w\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 4]}}"),
      std::string(4, '\0')));
  CHECK(wrap.find("tensor 'w': the bytes of shape [4611686018427387904,4] overflow 64 bits") != std::string::npos);
  const std::string mismatch = message(safetensors_bytes(
      nlohmann::json::parse("{\"w\": {\"dtype\": \"F16\", \"shape\": [3, 2], \"data_offsets\": [0, 8]}}"), std::string(8, '\0')));
  CHECK(mismatch.find("tensor 'w': data_offsets [0,8] hold 8 bytes, its F16 shape [3,2] needs 12") != std::string::npos);
}
