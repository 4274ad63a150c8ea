#pragma once
// Checkpoints in the safetensors format (io/safetensors.hpp): the parameters,
// then any extra state tensors (an optimiser's momentum buffers, named
// "optimizer.momentum.<parameter>"), as F32 or F64. Loading reads what PyTorch
// writes: F16, BF16, F32 and F64 tensors convert to the model's type, and tensors
// the model does not name (the I64 `num_batches_tracked` counter of every batch
// norm) are ignored; a parameter stored as an integer tensor is a mismatch. Weights are stored in
// PyTorch's layout (conv (K, C, R, S), linear (Out, In), vectors (C)), so that
// `safetensors.torch.load_file` gives tensors a PyTorch model accepts.
//
// Metadata (strings): format = "pt", sjmt.version, sjmt.model, sjmt.layout
// (the fingerprint of the joint layout: space names, kinds and sizes),
// sjmt.step, sjmt.optimizer when optimiser state is saved, and, when the trainer
// knows them, sjmt.loss (the loss it trained with: "selective_loss", ...) and
// sjmt.input (the images it trained on, "HxWxC", e.g. "32x32x3"), which a
// predictor reads so that it need not be told.
//
//   sjmt::save_checkpoint(be, "run.safetensors", params, meta, opt.state());
//   auto found = sjmt::load_checkpoint(be, "run.safetensors", params, meta, sjmt::load_scope::everything,
//                                      opt.state());
//
// Writing is atomic. Loading reads and checks everything (format, sizes,
// shapes, fingerprint) before it changes any tensor: on error the model and
// the state are untouched. Nothing here knows an optimiser's type: the state
// is a parameter_list the optimiser hands out (sgd::state()).

#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "../config.hpp"
#include "../error.hpp"
#include "../io/safetensors.hpp"
#include "../labels/joint_layout.hpp"
#include "../nn/layer.hpp"

namespace sjmt {

/// "name:kind:size;..." for every space of the layout, in order.
template <class Layout>
std::string layout_fingerprint() {
  std::string out;
  for (const auto& s : Layout::space_infos) {
    if (!out.empty()) out += ';';
    out += std::string(s.name) + ':' + std::string(to_string(s.kind)) + ':' + std::to_string(s.outputs.size);
  }
  return out;
}

struct checkpoint_metadata {
  std::string model;   // e.g. "resnet_cifar-32"; checked on load when non-empty
  std::string layout;  // layout_fingerprint<Layout>(); checked on full loads when non-empty
  std::uint64_t step = 0;
  std::string version = SJMT_VERSION_STRING;
  std::string optimizer{};  // e.g. "sgd"; "" : no optimiser state. Checked on full loads when non-empty
  std::string loss{};       // e.g. "selective_loss"; informational ("": not recorded)
  std::string input{};      // "HxWxC" of the training images, e.g. "32x32x3"; informational ("": not recorded)
  std::string weighting{};  // the task weighting's learned state (JSON, train/weighting.hpp); "": static weights
};

/// What a load takes: every tensor, or only those named "trunk.*" (transfer to
/// another layout: the head and the optimiser state are left as they are).
enum class load_scope : unsigned char { everything, trunk };

namespace detail {

/// The PyTorch shape of a tensor of sjmt shape `s` and role `role`.
inline std::vector<std::uint64_t> torch_shape(const shape4& s, tensor_role role) {
  switch (role) {
    case tensor_role::filter: return {s[3], s[2], s[0], s[1]};
    case tensor_role::matrix: return {s[3], s[2]};
    case tensor_role::vector: break;
  }
  return {element_count(s)};
}

inline std::string shape_text(const std::vector<std::uint64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

/// Element i of sjmt's layout -> its index in PyTorch's layout.
inline std::size_t torch_index(std::size_t i, const shape4& s, tensor_role role) {
  if (role == tensor_role::filter) {  // (R, S, C, K) -> (K, C, R, S)
    const std::size_t k = i % s[3], c = (i / s[3]) % s[2], rs = i / (s[3] * s[2]);
    const std::size_t r = rs / s[1], q = rs % s[1];
    return ((k * s[2] + c) * s[0] + r) * s[1] + q;
  }
  if (role == tensor_role::matrix) {  // (In, Out) -> (Out, In)
    const std::size_t o = i % s[3], in = i / s[3];
    return o * s[2] + in;
  }
  return i;
}

/// The step in metadata text: decimal digits that fit in 64 bits.
inline std::uint64_t parse_step(const std::string& text, const std::filesystem::path& path) {
  std::uint64_t step = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, step);
  SJMT_CHECK(io_error, !text.empty() && text.find_first_not_of("0123456789") == std::string::npos &&
                           ec == std::errc() && ptr == end,
             "checkpoint '", path.string(), "': sjmt.step is '", text, "', expected a step below 2^64");
  return step;
}

}  // namespace detail

/// Writes `parameters`, then `state` (an optimiser's buffers, see
/// sgd::state()), to `path`, atomically.
/// Requires: meta.optimizer names the optimiser when `state` is not empty;
/// names unique (value_error otherwise). Throws io_error.
template <class Backend, class T>
void save_checkpoint(Backend& be, const std::filesystem::path& path, const parameter_list<Backend, T>& parameters,
                     const checkpoint_metadata& meta, const parameter_list<Backend, T>& state = {}) {
  SJMT_CHECK(value_error, state.empty() || !meta.optimizer.empty(), "save_checkpoint '", path.string(), "': ",
             state.size(), " state tensors but no optimizer in the metadata; set meta.optimizer (e.g. sgd::name)");
  io::safetensors_contents file;
  file.metadata = {{"format", "pt"},
                   {"sjmt.version", meta.version},
                   {"sjmt.model", meta.model},
                   {"sjmt.layout", meta.layout},
                   {"sjmt.step", std::to_string(meta.step)}};
  if (!meta.optimizer.empty()) file.metadata.emplace_back("sjmt.optimizer", meta.optimizer);
  if (!meta.loss.empty()) file.metadata.emplace_back("sjmt.loss", meta.loss);
  if (!meta.input.empty()) file.metadata.emplace_back("sjmt.input", meta.input);
  if (!meta.weighting.empty()) file.metadata.emplace_back("sjmt.weighting", meta.weighting);
  const auto add = [&](const parameter<Backend, T>& p) {
    const host_tensor<T> h = be.download(*p.value);
    io::safetensor t{p.name, std::string(io::dtype_of<T>()), detail::torch_shape(h.shape(), p.role),
                     std::vector<unsigned char>(h.size() * sizeof(T))};
    for (std::size_t i = 0; i < h.size(); ++i)
      std::memcpy(t.data.data() + detail::torch_index(i, h.shape(), p.role) * sizeof(T), h.data() + i, sizeof(T));
    file.tensors.push_back(std::move(t));
  };
  for (const auto& p : parameters) add(p);
  for (const auto& p : state) add(p);
  io::write_safetensors(path, file);
}

/// Reads `path` into `parameters` (and into `state` by name, when scope is
/// everything). Checks the format, every shape, the model name, the layout
/// fingerprint and the optimiser of `expected` (the last two only when the
/// whole model is loaded; each only when non-empty); throws io_error for
/// unreadable, truncated or malformed files and value_error listing every
/// difference for a mismatch, in which cases nothing is changed. Returns the
/// file's metadata.
template <class Backend, class T>
checkpoint_metadata load_checkpoint(Backend& be, const std::filesystem::path& path,
                                    parameter_list<Backend, T>& parameters, const checkpoint_metadata& expected,
                                    load_scope scope = load_scope::everything,
                                    const parameter_list<Backend, T>& state = {}) {
  // Any dtype: floating-point tensors convert to T (PyTorch writes F16/BF16 weights),
  // tensors the model does not name (PyTorch's I64 `*.num_batches_tracked`) are ignored.
  const io::safetensors_contents file = io::read_safetensors(path);
  checkpoint_metadata found;
  found.version.clear();
  for (const auto& [k, v] : file.metadata) {
    if (k == "sjmt.version") found.version = v;
    if (k == "sjmt.model") found.model = v;
    if (k == "sjmt.layout") found.layout = v;
    if (k == "sjmt.optimizer") found.optimizer = v;
    if (k == "sjmt.loss") found.loss = v;
    if (k == "sjmt.input") found.input = v;
    if (k == "sjmt.weighting") found.weighting = v;
    if (k == "sjmt.step") found.step = detail::parse_step(v, path);
  }

  // Compare with the model; gather every difference before saying anything.
  std::vector<std::string> differences;
  if (!expected.model.empty() && expected.model != found.model)
    differences.push_back("model '" + found.model + "' in the file, '" + expected.model + "' expected");
  if (scope == load_scope::everything && !expected.layout.empty() && expected.layout != found.layout)
    differences.push_back("layout '" + found.layout + "' in the file, '" + expected.layout + "' expected");
  if (scope == load_scope::everything && !expected.optimizer.empty() && expected.optimizer != found.optimizer)
    differences.push_back("optimizer '" + found.optimizer + "' in the file, '" + expected.optimizer + "' expected");
  struct target {
    typename Backend::template tensor<T>* value;
    host_tensor<T> staged;
  };
  std::vector<target> targets;
  const auto stage = [&](const parameter<Backend, T>& p) {
    const io::safetensor* t = file.find(p.name);
    if (!t) {
      differences.push_back("'" + p.name + "' missing from the file");
      return;
    }
    const shape4 s = be.shape(*p.value);
    const auto want = detail::torch_shape(s, p.role);
    if (t->shape != want) {
      differences.push_back("'" + p.name + "' is " + detail::shape_text(t->shape) + " in the file, " +
                            detail::shape_text(want) + " in the model");
      return;
    }
    if (!io::is_float_dtype(t->dtype)) {
      differences.push_back("'" + p.name + "' is " + t->dtype + " in the file, expected F16, BF16, F32 or F64");
      return;
    }
    const std::vector<T> values = io::float_values<T>(*t, path);
    host_tensor<T> h(s);
    for (std::size_t i = 0; i < h.size(); ++i) h.data()[i] = values[detail::torch_index(i, s, p.role)];
    targets.push_back({p.value, std::move(h)});
  };
  for (const auto& p : parameters)
    if (scope == load_scope::everything || p.name.starts_with("trunk.")) stage(p);
  if (scope == load_scope::everything)
    for (const auto& p : state) stage(p);
  if (!differences.empty()) {
    std::string message = "checkpoint " + path.string() + " does not match the model:";
    for (const auto& d : differences) message += "\n  " + d;
    throw value_error(message, std::source_location::current());
  }
  for (auto& t : targets) be.upload(*t.value, t.staged);
  return found;
}

}  // namespace sjmt
