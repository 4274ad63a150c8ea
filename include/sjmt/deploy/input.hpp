#pragma once
// Images from raw pixel buffers, for the predictor: 8-bit or float (H, W, C)
// interleaved rows of 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA) channels.
// Alpha is dropped, as stb_image drops it when a file is decoded to 1 or 3
// channels (data::read_image), so a buffer and the file it came from give the
// same image.
//
//   sjmt::data::image img = sjmt::image_from_pixels(std::span<const std::uint8_t>(rgba), 640, 480, 4);

#include <cstddef>
#include <cstdint>
#include <span>

#include "../data/image.hpp"
#include "../error.hpp"

namespace sjmt {

namespace detail {
template <class V, class Scale>
data::image image_from(std::span<const V> pixels, int width, int height, int channels, Scale scale) {
  SJMT_CHECK(value_error, width > 0 && height > 0, "image_from_pixels: size ", width, "x", height,
             " must be positive");
  SJMT_CHECK(value_error, channels >= 1 && channels <= 4, "image_from_pixels: ", channels,
             " channels; expected 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA)");
  const std::size_t n = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  SJMT_CHECK(value_error, pixels.size() == n * static_cast<std::size_t>(channels), "image_from_pixels: ",
             pixels.size(), " values for ", width, "x", height, "x", channels, " (", n * static_cast<std::size_t>(channels),
             " expected)");
  const int colour = channels >= 3 ? 3 : 1;  // alpha dropped
  data::image out(width, height, colour);
  const std::span<float> px = out.pixels();
  for (std::size_t i = 0; i < n; ++i)
    for (int c = 0; c < colour; ++c)
      px[i * static_cast<std::size_t>(colour) + static_cast<std::size_t>(c)] =
          scale(pixels[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)]);
  return out;
}
}  // namespace detail

/// An image of 8-bit pixels (0..255 -> [0, 1], as data::read_image decodes).
/// Throws value_error for a size, channel count or buffer length that do not agree.
inline data::image image_from_pixels(std::span<const std::uint8_t> pixels, int width, int height, int channels) {
  return detail::image_from(pixels, width, height, channels,
                            [](std::uint8_t v) { return static_cast<float>(v) / 255.0f; });
}

/// An image of float pixels in [0, 1] (taken as they are).
inline data::image image_from_pixels(std::span<const float> pixels, int width, int height, int channels) {
  return detail::image_from(pixels, width, height, channels, [](float v) { return v; });
}

}  // namespace sjmt
