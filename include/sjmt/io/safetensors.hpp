#pragma once
// Named host tensors in the safetensors format
// (https://github.com/huggingface/safetensors):
//
//   [8 bytes: N, little-endian] [N bytes: JSON header] [data]
//   header: {"__metadata__": {"key": "value", ...},
//            "name": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ...}
//
// Offsets are relative to the start of the data; the tensors' byte ranges tile
// the data exactly. The writer pads the header with spaces so that the data
// starts 8-byte aligned, keeps the order it is given (metadata and tensors),
// and writes atomically (atomic_file.hpp).
//
//   sjmt::io::safetensors_contents c;
//   c.metadata.emplace_back("format", "pt");
//   c.tensors.push_back(sjmt::io::make_tensor<float>("w", {2, 3}, values));  // (2, 3)
//   sjmt::io::write_safetensors("w.safetensors", c);
//   auto back = sjmt::io::read_safetensors("w.safetensors");
//
// The reader checks everything: the header length, the JSON, that metadata
// values are strings, every tensor's dtype (one of safetensors'), shape
// (unsigned integers whose product, in bytes, fits in 64 bits), and byte range
// (begin <= end, end - begin = the shape's bytes, inside the file), and that
// the ranges tile the data. Every failure is an io_error naming the file and
// the field; no standard or nlohmann exception escapes.

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../detail/fixed_string.hpp"
#include "../error.hpp"
#include "atomic_file.hpp"

namespace sjmt::io {

static_assert(std::endian::native == std::endian::little,
              "sjmt::io safetensors: the data is little-endian; big-endian hosts need a byte swap here.");

/// One named tensor: its safetensors dtype ("F32", ...), shape, raw little-endian bytes.
struct safetensor {
  std::string name;
  std::string dtype;
  std::vector<std::uint64_t> shape;
  std::vector<unsigned char> data;
};

/// A whole file: the `__metadata__` string map and the tensors, in order.
struct safetensors_contents {
  std::vector<std::pair<std::string, std::string>> metadata;
  std::vector<safetensor> tensors;

  /// The value of metadata `key`, or nullptr.
  const std::string* find_metadata(std::string_view key) const {
    for (const auto& [k, v] : metadata)
      if (k == key) return &v;
    return nullptr;
  }
  /// The tensor named `name`, or nullptr.
  const safetensor* find(std::string_view name) const {
    for (const auto& t : tensors)
      if (t.name == name) return &t;
    return nullptr;
  }
};

/// Bytes per element of a safetensors dtype; 0 for a name that is not one.
inline std::size_t dtype_size(std::string_view dtype) {
  static constexpr std::array<std::pair<std::string_view, std::size_t>, 15> sizes{{
      {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1},
      {"U16", 2}, {"I16", 2}, {"F16", 2}, {"BF16", 2},
      {"U32", 4}, {"I32", 4}, {"F32", 4},
      {"U64", 8}, {"I64", 8}, {"F64", 8},
  }};
  for (const auto& [name, size] : sizes)
    if (name == dtype) return size;
  return 0;
}

/// The safetensors dtype of T.
template <class T>
constexpr std::string_view dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return "F32";
  else if constexpr (std::is_same_v<T, double>)
    return "F64";
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return "I32";
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return "I64";
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return "U8";
  else
    static_assert(sjmt::detail::dependent_false<T>,
                  "sjmt::io::dtype_of<T>: T must be float, double, std::int32_t, std::int64_t or std::uint8_t.");
}

}  // namespace sjmt::io

namespace sjmt::detail {

/// Product of `shape` times `element_size`, or false when it overflows 64 bits.
inline bool shape_bytes(const std::vector<std::uint64_t>& shape, std::size_t element_size, std::uint64_t& bytes) {
  std::uint64_t n = element_size;
  for (std::uint64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n)) return false;
  bytes = n;
  return true;
}

}  // namespace sjmt::detail

namespace sjmt::io {

/// A tensor holding `values` (row-major for `shape`).
/// Requires: values.size() is the product of `shape` (value_error otherwise).
template <class T>
safetensor make_tensor(std::string name, std::vector<std::uint64_t> shape, std::span<const T> values) {
  std::uint64_t bytes = 0;
  SJMT_CHECK(value_error, detail::shape_bytes(shape, sizeof(T), bytes) && bytes == values.size() * sizeof(T),
             "make_tensor '", name, "': ", values.size(), " values do not fill its shape");
  safetensor t{std::move(name), std::string(dtype_of<T>()), std::move(shape),
               std::vector<unsigned char>(values.size() * sizeof(T))};
  if (!values.empty()) std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

/// Element `i` of `t` as T (copied: the bytes need not be aligned).
/// Requires: t.dtype is dtype_of<T>() and i < t.data.size() / sizeof(T) (debug-checked).
template <class T>
T element(const safetensor& t, std::size_t i) {
  assert(t.dtype == dtype_of<T>() && i < t.data.size() / sizeof(T));
  T v;
  std::memcpy(&v, t.data.data() + i * sizeof(T), sizeof(T));
  return v;
}

/// Whether `dtype` is a floating-point dtype that float_values converts: F16, BF16, F32, F64
/// (what PyTorch writes for weights; the F8 formats are not converted).
inline bool is_float_dtype(std::string_view dtype) {
  return dtype == "F16" || dtype == "BF16" || dtype == "F32" || dtype == "F64";
}

}  // namespace sjmt::io

namespace sjmt::detail {

/// IEEE 754 binary16 bits as a float (exact: every half is a float).
inline float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16, exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    const float v = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -v : v;
  }
  const std::uint32_t bits = exponent == 0x1f ? sign | 0x7f800000u | (mantissa << 13)  // inf, nan
                                              : sign | ((exponent + 112u) << 23) | (mantissa << 13);
  return std::bit_cast<float>(bits);
}

/// bfloat16 bits as a float: the top half of a binary32.
inline float bfloat16_to_float(std::uint16_t b) { return std::bit_cast<float>(std::uint32_t(b) << 16); }

}  // namespace sjmt::detail

namespace sjmt::io {

/// The elements of floating-point tensor `t` (F16, BF16, F32 or F64) converted to T,
/// row-major: half-precision weights widen exactly, F64 into float rounds. Throws
/// io_error naming `file` and the tensor for any other dtype (an I64 counter, say).
template <class T>
  requires std::is_same_v<T, float> || std::is_same_v<T, double>
std::vector<T> float_values(const safetensor& t, const std::filesystem::path& file) {
  SJMT_CHECK(io_error, is_float_dtype(t.dtype), "safetensors '", file.string(), "': tensor '", t.name, "' is ",
             t.dtype, ", expected a floating-point tensor (F16, BF16, F32 or F64)");
  const std::size_t size = dtype_size(t.dtype), n = t.data.size() / size;
  std::vector<T> out(n);
  const unsigned char* p = t.data.data();
  for (std::size_t i = 0; i < n; ++i, p += size) {
    if (size == 2) {
      std::uint16_t h;
      std::memcpy(&h, p, 2);
      out[i] = static_cast<T>(t.dtype == "F16" ? detail::half_to_float(h) : detail::bfloat16_to_float(h));
    } else if (size == 4) {
      float v;
      std::memcpy(&v, p, 4);
      out[i] = static_cast<T>(v);
    } else {
      double v;
      std::memcpy(&v, p, 8);
      out[i] = static_cast<T>(v);
    }
  }
  return out;
}

}  // namespace sjmt::io

namespace sjmt::detail {

/// The unsigned integer `j` or an io_error naming `file` and `field`.
inline std::uint64_t json_u64(const nlohmann::json& j, const std::filesystem::path& file, std::string_view field) {
  SJMT_CHECK(io_error, j.is_number_unsigned(), "safetensors '", file.string(), "': ", field, " is ", j.dump(),
             ", expected an unsigned 64-bit integer");
  return j.get<std::uint64_t>();
}

inline io::safetensors_contents parse_safetensors(const std::filesystem::path& file, const std::string& bytes,
                                              std::string_view only_dtype) {
  const std::string f = file.string();
  SJMT_CHECK(io_error, bytes.size() >= 8, "safetensors '", f, "': ", bytes.size(),
             " bytes, too short for a safetensors header");
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  constexpr std::uint64_t max_header = std::uint64_t(100) << 20;  // safetensors' own limit
  SJMT_CHECK(io_error, header_size <= max_header, "safetensors '", f, "': header length ", header_size,
             " bytes exceeds safetensors' limit of ", max_header, " (not a safetensors file)");
  SJMT_CHECK(io_error, header_size <= bytes.size() - 8, "safetensors '", f, "': header length ", header_size,
             " needs a file of at least ", header_size + 8, " bytes (8 for the length), but the file holds ",
             bytes.size(), " (truncated or not safetensors)");
  const std::size_t data_begin = 8 + static_cast<std::size_t>(header_size);
  const std::uint64_t data_size = bytes.size() - data_begin;

  nlohmann::ordered_json header;
  try {
    header = nlohmann::ordered_json::parse(bytes.begin() + 8, bytes.begin() + static_cast<std::ptrdiff_t>(data_begin));
  } catch (const nlohmann::json::exception& e) {
    throw_error<io_error>(std::source_location::current(), "safetensors '", f, "': malformed header: ", e.what());
  }
  SJMT_CHECK(io_error, header.is_object(), "safetensors '", f, "': the header is not a JSON object");

  io::safetensors_contents out;
  struct range {
    std::uint64_t begin, end;
    std::size_t tensor;
  };
  std::vector<range> ranges;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      SJMT_CHECK(io_error, v.is_object(), "safetensors '", f, "': __metadata__ is not an object");
      for (const auto& [k, mv] : v.items()) {
        SJMT_CHECK(io_error, mv.is_string(), "safetensors '", f, "': __metadata__.", k, " is ", mv.dump(),
                   ", expected a string");
        out.metadata.emplace_back(k, mv.template get<std::string>());
      }
      continue;
    }
    SJMT_CHECK(io_error, v.is_object(), "safetensors '", f, "': tensor '", name, "' is not an object");
    const auto dtype = v.find("dtype"), shape = v.find("shape"), offsets = v.find("data_offsets");
    SJMT_CHECK(io_error, dtype != v.end() && shape != v.end() && offsets != v.end(), "safetensors '", f,
               "': tensor '", name, "' lacks dtype, shape or data_offsets");
    SJMT_CHECK(io_error, dtype->is_string() && io::dtype_size(dtype->template get<std::string>()) != 0,
               "safetensors '", f, "': tensor '", name, "': dtype ", dtype->dump(), " is not a safetensors dtype");
    SJMT_CHECK(io_error, only_dtype.empty() || dtype->template get<std::string>() == only_dtype, "safetensors '", f,
               "': tensor '", name, "' is ", dtype->template get<std::string>(), ", expected ", only_dtype);
    SJMT_CHECK(io_error, shape->is_array(), "safetensors '", f, "': tensor '", name, "': shape is ", shape->dump(),
               ", expected an array");
    SJMT_CHECK(io_error, offsets->is_array() && offsets->size() == 2, "safetensors '", f, "': tensor '", name,
               "': data_offsets is ", offsets->dump(), ", expected [begin, end]");
    io::safetensor t{name, dtype->template get<std::string>(), {}, {}};
    const std::string field = "tensor '" + name + "': ";
    for (const auto& d : *shape) t.shape.push_back(json_u64(d, file, field + "a shape dimension"));
    std::uint64_t want = 0;
    SJMT_CHECK(io_error, shape_bytes(t.shape, io::dtype_size(t.dtype), want), "safetensors '", f, "': ", field,
               "the bytes of shape ", shape->dump(), " overflow 64 bits");
    const range r{json_u64((*offsets)[0], file, field + "data_offsets[0]"),
                  json_u64((*offsets)[1], file, field + "data_offsets[1]"), out.tensors.size()};
    SJMT_CHECK(io_error, r.begin <= r.end && r.end - r.begin == want, "safetensors '", f, "': ", field,
               "data_offsets ", offsets->dump(), " hold ", r.end - std::min(r.begin, r.end), " bytes, its ",
               t.dtype, " shape ", shape->dump(), " needs ", want);
    SJMT_CHECK(io_error, r.end <= data_size, "safetensors '", f, "': ", field, "ends at byte ", r.end, " of ",
               data_size, " (truncated file)");
    ranges.push_back(r);
    out.tensors.push_back(std::move(t));
  }

  std::sort(ranges.begin(), ranges.end(), [](const range& a, const range& b) { return a.begin < b.begin; });
  std::uint64_t covered = 0;
  for (const range& r : ranges) {
    SJMT_CHECK(io_error, r.begin == covered, "safetensors '", f, "': tensor '", out.tensors[r.tensor].name,
               "' starts at byte ", r.begin, ": the tensors' data overlaps or leaves a gap at byte ", covered);
    covered = r.end;
  }
  SJMT_CHECK(io_error, covered == data_size, "safetensors '", f, "': ", data_size - covered,
             " bytes of data that no tensor describes");
  for (const range& r : ranges) {
    const char* src = bytes.data() + data_begin + r.begin;
    out.tensors[r.tensor].data.assign(src, src + (r.end - r.begin));
  }
  return out;
}

}  // namespace sjmt::detail

namespace sjmt::io {

/// Replaces the file at `path` by `contents`, atomically.
/// Requires: names non-empty, unique and not "__metadata__"; known dtypes;
/// each tensor's data the bytes of its shape (value_error otherwise).
/// Throws io_error when the file cannot be written.
inline void write_safetensors(const std::filesystem::path& path, const safetensors_contents& contents) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!contents.metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [k, v] : contents.metadata) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  std::uint64_t offset = 0;
  for (const safetensor& t : contents.tensors) {
    SJMT_CHECK(value_error, !t.name.empty() && t.name != "__metadata__" && !header.contains(t.name),
               "write_safetensors '", path.string(), "': tensor name '", t.name,
               "' is empty, reserved or used twice");
    std::uint64_t bytes = 0;
    SJMT_CHECK(value_error, dtype_size(t.dtype) != 0 && detail::shape_bytes(t.shape, dtype_size(t.dtype), bytes) &&
                                bytes == t.data.size(),
               "write_safetensors '", path.string(), "': tensor '", t.name, "' (", t.dtype, ") has ", t.data.size(),
               " bytes, not those of its shape");
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    detail::throw_error<value_error>(std::source_location::current(), "write_safetensors '", path.string(),
                                     "': a name or metadata value is not UTF-8: ", e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned

  std::string file;
  file.reserve(8 + text.size() + offset);
  const std::uint64_t n = text.size();
  file.append(reinterpret_cast<const char*>(&n), sizeof n);
  file += text;
  for (const safetensor& t : contents.tensors) file.append(reinterpret_cast<const char*>(t.data.data()), t.data.size());
  write_file_atomic(path, file);
}

/// The contents of the safetensors file at `path`, checked (see the top of
/// this header); when `only_dtype` is given ("F32"), every tensor must be of it.
/// Throws io_error naming the file and the field.
inline safetensors_contents read_safetensors(const std::filesystem::path& path, std::string_view only_dtype = {}) {
  const std::string bytes = read_file(path);
  try {
    return detail::parse_safetensors(path, bytes, only_dtype);
  } catch (const sjmt::error&) {
    throw;
  } catch (const std::exception& e) {  // nlohmann or the standard library: say which file
    detail::throw_error<io_error>(std::source_location::current(), "safetensors '", path.string(), "': ", e.what());
  }
}

}  // namespace sjmt::io
