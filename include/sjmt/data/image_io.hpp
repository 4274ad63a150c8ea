#pragma once
// Image files through stb_image / stb_image_write: PNG, JPEG, BMP, ... in; PNG out.
// Decoding errors (missing file, corrupt data) throw io_error naming the file.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "../error.hpp"
#include "detail/stb.hpp"
#include "image.hpp"

namespace sjmt::detail {

/// Throws io_error for an image file stb could not decode, with a reason that is never
/// empty: stb's own, else what the file system says (missing, a folder, empty).
[[noreturn, gnu::cold]] inline void throw_undecodable(const std::filesystem::path& path) {
  const char* stb = stb::sjmt_stbi_failure_reason();
  std::string reason = stb != nullptr ? stb : "";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    reason = "no such file";
  else if (std::filesystem::is_directory(path, ec))
    reason = "a directory, not an image file";
  else if (const auto size = std::filesystem::file_size(path, ec); !ec && size == 0)
    reason = "an empty file";
  else if (reason.empty())
    reason = "not an image format stb_image decodes";
  throw_error<io_error>(std::source_location::current(), path.string(), ": cannot decode image (", reason, ")");
}

}  // namespace sjmt::detail

namespace sjmt::data {

/// Decodes the image file at `path` with `channels` channels (1 grey, 3 RGB; converted as
/// needed). Throws io_error if the file is missing or not a decodable image.
inline image read_image(const std::filesystem::path& path, int channels = 3) {
  SJMT_CHECK(value_error, channels == 1 || channels == 3, "read_image: ", channels,
             " channels; expected 1 or 3");
  int w = 0, h = 0, n = 0;
  unsigned char* data = detail::stb::sjmt_stbi_load(path.string().c_str(), &w, &h, &n, channels);
  if (data == nullptr) detail::throw_undecodable(path);
  image out(w, h, channels);
  const std::span<float> px = out.pixels();  // (H, W, C), as stb decodes
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<float>(data[i]) / 255.0f;
  detail::stb::sjmt_stbi_image_free(data);
  return out;
}

/// 8-bit (H, W, C) pixels of `img`, rounded: the same order as img.pixels().
inline std::vector<std::uint8_t> to_bytes(const image& img) {
  const std::span<const float> px = img.pixels();
  std::vector<std::uint8_t> bytes(px.size());
  for (std::size_t i = 0; i < px.size(); ++i) {
    const float v = px[i];
    bytes[i] = static_cast<std::uint8_t>(v <= 0 ? 0 : (v >= 1 ? 255 : v * 255.0f + 0.5f));
  }
  return bytes;
}

/// Writes `img` as an 8-bit PNG. Throws io_error if the file cannot be written.
inline void write_png(const std::filesystem::path& path, const image& img) {
  SJMT_CHECK(value_error, !img.empty(), "write_png: ", path.string(), ": the image is empty");
  const std::vector<std::uint8_t> bytes = to_bytes(img);
  const int ok = detail::stb::stbi_write_png(path.string().c_str(), img.width(), img.height(), img.channels(),
                                     bytes.data(), img.width() * img.channels());
  SJMT_CHECK(io_error, ok != 0, path.string(), ": cannot write PNG");
}

/// Writes `img` as a JPEG of the given quality (1..100). Throws io_error on failure.
inline void write_jpeg(const std::filesystem::path& path, const image& img, int quality = 95) {
  SJMT_CHECK(value_error, !img.empty(), "write_jpeg: ", path.string(), ": the image is empty");
  const std::vector<std::uint8_t> bytes = to_bytes(img);
  const int ok = detail::stb::stbi_write_jpg(path.string().c_str(), img.width(), img.height(), img.channels(), bytes.data(), quality);
  SJMT_CHECK(io_error, ok != 0, path.string(), ": cannot write JPEG");
}

}  // namespace sjmt::data
