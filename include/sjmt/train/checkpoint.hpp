#pragma once
// Checkpoints in the safetensors format: an 8-byte little-endian header length,
// a JSON header {"__metadata__": {...}, name: {"dtype", "shape",
// "data_offsets"}}, then the raw little-endian data. Weights are stored in
// PyTorch's layout (conv (K, C, R, S), linear (Out, In), vectors (C)), so that
// `safetensors.torch.load_file` gives tensors a PyTorch model accepts.
//
// Metadata (strings): sjmt.version, sjmt.model, sjmt.layout (the fingerprint
// of the joint layout: space names, kinds and sizes), sjmt.step, and
// sjmt.optimizer when the SGD momentum buffers are saved (as tensors named
// "optimizer.momentum.<parameter>").
//
// Writing is atomic: a temporary file beside the target, flushed and synced,
// then renamed over it. Loading reads and checks everything (format, sizes,
// shapes, fingerprint) before it changes any tensor: on error the model and
// optimiser are untouched.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <unistd.h>
#include <vector>

#include "../config.hpp"
#include "../detail/fixed_string.hpp"
#include "../detail/json.hpp"
#include "../error.hpp"
#include "../labels/joint_layout.hpp"
#include "../nn/layer.hpp"

namespace sjmt {

static_assert(std::endian::native == std::endian::little,
              "sjmt checkpoints: safetensors data is little-endian; big-endian hosts need a byte swap here.");

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
  std::string optimizer{};  // "sgd" when the state tensors are an optimiser's; "" for none
};

/// What a load takes: every tensor, or only those named "trunk.*" (transfer to
/// another layout: the head and the optimiser state are left as they are).
enum class load_scope : unsigned char { everything, trunk };

namespace detail {

template <class T>
constexpr const char* safetensors_dtype() {
  if constexpr (std::is_same_v<T, float>)
    return "F32";
  else if constexpr (std::is_same_v<T, double>)
    return "F64";
  else
    static_assert(dependent_false<T>, "sjmt checkpoints: only float and double tensors are stored.");
}

inline std::vector<std::size_t> torch_shape(const shape4& s, tensor_role role) {
  switch (role) {
    case tensor_role::filter: return {s[3], s[2], s[0], s[1]};
    case tensor_role::matrix: return {s[3], s[2]};
    case tensor_role::vector: break;
  }
  return {element_count(s)};
}

inline std::string shape_text(const std::vector<std::size_t>& s) {
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

inline void write_all(std::FILE* f, const void* data, std::size_t n, const std::filesystem::path& path) {
  SJMT_CHECK(io_error, n == 0 || std::fwrite(data, 1, n, f) == n, "checkpoint: cannot write ", path.string());
}

}  // namespace detail

/// Writes `parameters`, then the named `state` tensors (an optimiser's), to `path`.
template <class Backend, class T>
void save_checkpoint(Backend& be, const std::filesystem::path& path, const parameter_list<Backend, T>& parameters,
                     const checkpoint_metadata& meta, const parameter_list<Backend, T>& state = {}) {
  struct entry {
    std::string name;
    std::vector<std::size_t> shape;
    std::vector<T> data;
  };
  std::vector<entry> entries;
  const auto add = [&](const std::string& name, const host_tensor<T>& h, tensor_role role) {
    entry e{name, detail::torch_shape(h.shape(), role), std::vector<T>(h.size())};
    for (std::size_t i = 0; i < h.size(); ++i) e.data[detail::torch_index(i, h.shape(), role)] = h.data()[i];
    entries.push_back(std::move(e));
  };
  for (const auto& p : parameters) add(p.name, be.download(*p.value), p.role);
  for (const auto& p : state) add(p.name, be.download(*p.value), p.role);

  std::string header = "{\"__metadata__\":{\"format\":\"pt\",\"sjmt.version\":" + detail::json_quote(meta.version) +
                       ",\"sjmt.model\":" + detail::json_quote(meta.model) +
                       ",\"sjmt.layout\":" + detail::json_quote(meta.layout) + ",\"sjmt.step\":\"" +
                       std::to_string(meta.step) + "\"" +
                       (meta.optimizer.empty() ? std::string() : ",\"sjmt.optimizer\":" + detail::json_quote(meta.optimizer)) +
                       "}";
  std::size_t offset = 0;
  for (const auto& e : entries) {
    const std::size_t bytes = e.data.size() * sizeof(T);
    // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string&&.
    header += ',';
    header += detail::json_quote(e.name);
    header += ":{\"dtype\":\"";
    header += detail::safetensors_dtype<T>();
    header += "\",\"shape\":";
    header += detail::shape_text(e.shape);
    header += ",\"data_offsets\":[";
    header += std::to_string(offset);
    header += ',';
    header += std::to_string(offset + bytes);
    header += "]}";
    offset += bytes;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // data starts 8-byte aligned

  const std::filesystem::path tmp = path.string() + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  SJMT_CHECK(io_error, f != nullptr, "checkpoint: cannot open ", tmp.string(), " for writing");
  try {
    const std::uint64_t n = header.size();
    detail::write_all(f, &n, sizeof n, tmp);
    detail::write_all(f, header.data(), header.size(), tmp);
    for (const auto& e : entries) detail::write_all(f, e.data.data(), e.data.size() * sizeof(T), tmp);
    SJMT_CHECK(io_error, std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0, "checkpoint: cannot flush ",
               tmp.string());
  } catch (...) {
    std::fclose(f);
    std::filesystem::remove(tmp);
    throw;
  }
  SJMT_CHECK(io_error, std::fclose(f) == 0, "checkpoint: cannot close ", tmp.string());
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  SJMT_CHECK(io_error, !ec, "checkpoint: cannot rename ", tmp.string(), " to ", path.string(), ": ", ec.message());
}

/// Reads `path` into `parameters` (and the optimiser's momentum buffers, if
/// given and scope is everything). Checks the format, every shape, the model
/// name and the layout fingerprint of `expected` (the fingerprint only when
/// the whole model is loaded); throws io_error for unreadable, truncated or
/// malformed files and value_error listing every difference for a mismatch,
/// in which cases nothing is changed. Returns the file's metadata.
template <class Backend, class T>
checkpoint_metadata load_checkpoint(Backend& be, const std::filesystem::path& path,
                                    parameter_list<Backend, T>& parameters, const checkpoint_metadata& expected,
                                    load_scope scope = load_scope::everything,
                                    const parameter_list<Backend, T>& state = {}) {
  std::ifstream in(path, std::ios::binary);
  SJMT_CHECK(io_error, in.good(), "checkpoint: cannot open ", path.string());
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SJMT_CHECK(io_error, file.size() >= 8, "checkpoint ", path.string(), ": ", file.size(),
             " bytes, too short for a safetensors header");
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, file.data(), 8);
  SJMT_CHECK(io_error, header_size <= file.size() - 8 && header_size <= (std::uint64_t(100) << 20),
             "checkpoint ", path.string(), ": header length ", header_size, " but the file holds ", file.size(),
             " bytes (truncated or not safetensors)");
  const std::string_view data(file.data() + 8 + header_size, file.size() - 8 - header_size);
  detail::json_value header;
  try {
    header = detail::json_parser(std::string_view(file.data() + 8, header_size)).parse_document();
  } catch (const io_error& e) {
    throw io_error(std::string("checkpoint ") + path.string() + ": malformed header: " + e.what(),
                   std::source_location::current());
  }
  SJMT_CHECK(io_error, header.kind == detail::json_value::type::object, "checkpoint ", path.string(),
             ": the header is not a JSON object");

  // Every tensor of the file: dtype, shape, byte range; together they must tile the data.
  struct stored {
    std::vector<std::size_t> shape;
    std::uint64_t begin = 0, end = 0;
  };
  std::map<std::string, stored> tensors;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  checkpoint_metadata found;
  found.version.clear();
  for (const auto& [name, v] : header.members) {
    if (name == "__metadata__") {
      for (const auto& [k, mv] : v.members) {
        if (k == "sjmt.version") found.version = mv.text;
        if (k == "sjmt.model") found.model = mv.text;
        if (k == "sjmt.layout") found.layout = mv.text;
        if (k == "sjmt.optimizer") found.optimizer = mv.text;
        if (k == "sjmt.step") {
          SJMT_CHECK(io_error, !mv.text.empty() && mv.text.find_first_not_of("0123456789") == std::string::npos,
                     "checkpoint ", path.string(), ": sjmt.step is '", mv.text, "'");
          found.step = std::stoull(mv.text);
        }
      }
      continue;
    }
    const auto* dtype = v.find("dtype");
    const auto* shape = v.find("shape");
    const auto* offsets = v.find("data_offsets");
    SJMT_CHECK(io_error, dtype && shape && offsets && offsets->items.size() == 2, "checkpoint ", path.string(),
               ": tensor '", name, "' lacks dtype, shape or data_offsets");
    SJMT_CHECK(io_error, dtype->text == detail::safetensors_dtype<T>(), "checkpoint ", path.string(), ": tensor '",
               name, "' is ", dtype->text, ", expected ", detail::safetensors_dtype<T>());
    stored s;
    std::uint64_t count = 1;
    for (const auto& d : shape->items) {
      s.shape.push_back(detail::json_to_u64(d, "shape"));
      count *= s.shape.back();
    }
    s.begin = detail::json_to_u64(offsets->items[0], "data_offsets");
    s.end = detail::json_to_u64(offsets->items[1], "data_offsets");
    SJMT_CHECK(io_error, s.begin <= s.end && s.end - s.begin == count * sizeof(T), "checkpoint ", path.string(),
               ": tensor '", name, "' has ", s.end - s.begin, " bytes for ", count, " elements");
    SJMT_CHECK(io_error, s.end <= data.size(), "checkpoint ", path.string(), ": tensor '", name, "' ends at byte ",
               s.end, " of ", data.size(), " (truncated file)");
    ranges.emplace_back(s.begin, s.end);
    tensors.emplace(name, std::move(s));
  }
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t covered = 0;
  for (const auto& [b, e] : ranges) {
    SJMT_CHECK(io_error, b == covered, "checkpoint ", path.string(), ": tensor data overlaps or leaves a gap at byte ",
               covered);
    covered = e;
  }
  SJMT_CHECK(io_error, covered == data.size(), "checkpoint ", path.string(), ": ", data.size() - covered,
             " bytes of data that no tensor describes");

  // Compare with the model; gather every difference before saying anything.
  std::vector<std::string> differences;
  if (!expected.model.empty() && expected.model != found.model)
    differences.push_back("model '" + found.model + "' in the file, '" + expected.model + "' expected");
  if (scope == load_scope::everything && !expected.layout.empty() && expected.layout != found.layout)
    differences.push_back("layout '" + found.layout + "' in the file, '" + expected.layout + "' expected");
  struct target {
    typename Backend::template tensor<T>* value;
    host_tensor<T> staged;
  };
  std::vector<target> targets;
  const auto stage = [&](const std::string& name, typename Backend::template tensor<T>& value, tensor_role role) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) {
      differences.push_back("'" + name + "' missing from the file");
      return;
    }
    const shape4 s = be.shape(value);
    const auto want = detail::torch_shape(s, role);
    if (it->second.shape != want) {
      differences.push_back("'" + name + "' is " + detail::shape_text(it->second.shape) + " in the file, " +
                            detail::shape_text(want) + " in the model");
      return;
    }
    host_tensor<T> h(s);
    const char* src = data.data() + it->second.begin;
    for (std::size_t i = 0; i < h.size(); ++i)
      std::memcpy(h.data() + i, src + detail::torch_index(i, s, role) * sizeof(T), sizeof(T));
    targets.push_back({&value, std::move(h)});
  };
  for (auto& p : parameters)
    if (scope == load_scope::everything || p.name.starts_with("trunk.")) stage(p.name, *p.value, p.role);
  if (scope == load_scope::everything)
    for (const auto& p : state) stage(p.name, *p.value, p.role);
  if (!differences.empty()) {
    std::string message = "checkpoint " + path.string() + " does not match the model:";
    for (const auto& d : differences) message += "\n  " + d;
    throw value_error(message, std::source_location::current());
  }
  for (auto& t : targets) be.upload(*t.value, t.staged);
  return found;
}

}  // namespace sjmt
