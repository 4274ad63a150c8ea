#pragma once
// Image files through stb_image / stb_image_write: PNG, JPEG and BMP in; PNG and JPEG out.
// Decoding errors (missing file, corrupt data) throw io_error naming the file.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "../error.hpp"
#include "detail/jpeg_check.hpp"
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

/// The largest image read_image decodes by default: 2^27 pixels (134 megapixels, 400 MiB of
/// 8-bit RGB before conversion), far above any photo and far below what a file of a few bytes
/// may declare (65,535 x 65,535: 12.9 GB), which stb would try to allocate and decode.
inline constexpr std::size_t default_max_image_pixels = std::size_t{1} << 27;

/// Decodes the image file at `path` with `channels` channels (1 grey, 3 RGB; converted as
/// needed). Throws io_error if the file is missing, not a decodable image, or declares more
/// than `max_pixels` pixels (read from its header before anything is decoded).
inline image read_image(const std::filesystem::path& path, int channels = 3,
                        std::size_t max_pixels = default_max_image_pixels) {
  SJMT_CHECK(value_error, channels == 1 || channels == 3, "read_image: ", channels,
             " channels; expected 1 or 3");
  // The bytes first, so that a file stb would mis-handle is refused before it decodes.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) detail::throw_undecodable(path);  // missing, a folder, ...
  std::ifstream in(path, std::ios::binary);
  if (!in) detail::throw_undecodable(path);
  std::string bytes;
  try {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception& e) {
    detail::throw_error<io_error>(std::source_location::current(), path.string(), ": cannot read image (", e.what(), ")");
  }
  const auto* first = reinterpret_cast<const unsigned char*>(bytes.data());
  if (!detail::jpeg_huffman_tables_fit(first, bytes.size()))
    detail::throw_error<io_error>(std::source_location::current(), path.string(),
                                  ": cannot decode image (corrupt JPEG: a Huffman table with more than 256 codes)");
  SJMT_CHECK(io_error, bytes.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()), path.string(),
             ": cannot decode image (", bytes.size(), " bytes, more than stb_image reads)");
  int w = 0, h = 0, n = 0;
  if (detail::stb::sjmt_stbi_info_from_memory(first, static_cast<int>(bytes.size()), &w, &h, &n) == 1 &&
      static_cast<std::size_t>(w) * static_cast<std::size_t>(h) > max_pixels)
    detail::throw_error<io_error>(std::source_location::current(), path.string(), ": cannot decode image (its header says ",
                                  w, " x ", h, " pixels, more than the limit of ", max_pixels, ")");
  unsigned char* data = detail::stb::sjmt_stbi_load_from_memory(first, static_cast<int>(bytes.size()), &w, &h, &n, channels);
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
