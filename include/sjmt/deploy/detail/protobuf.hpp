#pragma once
// The part of the protocol-buffers wire format that writing an ONNX model
// needs (https://protobuf.dev/programming-guides/encoding/): varints,
// length-delimited fields (strings, bytes, nested messages), packed repeated
// int64 and 32-bit floats. A message is built bottom-up: the nested message
// first, then written into its parent as a length-delimited field.
//
//   sjmt::detail::proto_message dim;
//   dim.int64(1, 32);                     // TensorShapeProto.Dimension.dim_value
//   shape.message(1, dim);                // TensorShapeProto.dim
//
// Writing only: sjmt reads no protobuf.

#include <bit>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sjmt::detail {

/// A protobuf message's bytes, field by field, in the order written.
class proto_message {
 public:
  /// Field `field` as a varint: int32, int64, enums, bool. Negative values take
  /// ten bytes (two's complement, as protobuf's int64).
  proto_message& int64(std::uint32_t field, std::int64_t value) {
    key(field, wire_varint);
    varint(static_cast<std::uint64_t>(value));
    return *this;
  }
  /// Field `field` as a 32-bit little-endian float.
  proto_message& float32(std::uint32_t field, float value) {
    key(field, wire_fixed32);
    std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
    for (int i = 0; i < 4; ++i, bits >>= 8) m_bytes.push_back(static_cast<char>(bits & 0xffu));
    return *this;
  }
  /// Field `field` as length-delimited bytes (a string, raw tensor data).
  proto_message& bytes(std::uint32_t field, std::string_view value) {
    key(field, wire_length);
    varint(value.size());
    m_bytes.append(value);
    return *this;
  }
  /// Field `field` holding the message `value`.
  proto_message& message(std::uint32_t field, const proto_message& value) { return bytes(field, value.m_bytes); }
  /// A packed repeated int64 field (one length-delimited run of varints).
  proto_message& packed_int64(std::uint32_t field, std::span<const std::int64_t> values) {
    proto_message run;
    for (std::int64_t v : values) run.varint(static_cast<std::uint64_t>(v));
    return bytes(field, run.m_bytes);
  }

  const std::string& str() const { return m_bytes; }
  std::size_t size() const { return m_bytes.size(); }

  /// The varint encoding of `value`: 7 bits per byte, least significant first,
  /// the high bit set on every byte but the last.
  void varint(std::uint64_t value) {
    while (value >= 0x80u) {
      m_bytes.push_back(static_cast<char>((value & 0x7fu) | 0x80u));
      value >>= 7;
    }
    m_bytes.push_back(static_cast<char>(value));
  }

 private:
  static constexpr std::uint32_t wire_varint = 0, wire_length = 2, wire_fixed32 = 5;
  void key(std::uint32_t field, std::uint32_t wire) { varint((std::uint64_t(field) << 3) | wire); }

  std::string m_bytes;
};

/// The little-endian bytes of `values` (TensorProto.raw_data), on a host of either byte order.
inline std::string little_endian_bytes(std::span<const float> values) {
  std::string out(values.size() * 4, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint32_t bits = std::bit_cast<std::uint32_t>(values[i]);
    for (std::size_t b = 0; b < 4; ++b, bits >>= 8) out[4 * i + b] = static_cast<char>(bits & 0xffu);
  }
  return out;
}

}  // namespace sjmt::detail
