#pragma once
// A contact sheet: labelled faces tiled in a grid, each with a caption (its emotion or
// compound emotion and its present AUs), for looking at a domain.
//
//   sjmt::data::image sheet = sjmt::data::contact_sheet(faces, {.columns = 8, .tile = 96});
//   sjmt::data::write_png("sheet.png", sheet);

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "../labels/spaces.hpp"
#include "image.hpp"
#include "landmarks.hpp"
#include "sample.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include <stb/stb_easy_font.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace sjmt::data {

struct contact_sheet_options {
  std::size_t columns = 8;
  int tile = 96;             ///< tile width and picture height in pixels
  int caption_height = 22;   ///< room for two lines of caption under each picture
  bool draw_landmarks = false;
};

/// "happy" / "happily_surprised" / "contempt", then "AU6 12 25" (present AUs), for captions.
inline std::string caption(const labelled_face& f) {
  std::string top;
  if (f.emotion >= 0) top = std::string(spaces::emotion::class_name(static_cast<std::size_t>(f.emotion)));
  else if (f.compound >= 0) top = std::string(spaces::compound_emotion::class_name(static_cast<std::size_t>(f.compound)));
  else if (f.ckplus_emotion == 2) top = "contempt";
  std::string aus;
  for (int au = 1; au <= max_labelled_au; ++au)
    if (f.au[static_cast<std::size_t>(au)] == au_label::present) aus += (aus.empty() ? "AU" : " ") + std::to_string(au);
  return top + "\n" + aus;
}

}  // namespace sjmt::data

namespace sjmt::data {

/// Draws `text` (stb_easy_font: about 6 px per character, 7 px high) with its top-left
/// corner at (x, y), in grey level v (0 black, 1 white) on every channel, clipped to the
/// image and to columns before `x_end`. Used for captions, labels and numbers on figures.
inline void draw_text(image& img, int x, int y, const std::string& text, float v,
                      int x_end = std::numeric_limits<int>::max()) {
  // 64 bytes per quad and up to 11 quads per glyph ('X'): a buffer sized for the
  // average glyph silently drops the last quads (an 8 drawn as a 3).
  std::vector<char> buf(text.size() * 12 * 64 + 64);
  std::string copy = text;
  const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buf.data(), static_cast<int>(buf.size()));
  for (int q = 0; q < quads; ++q) {
    // Four vertices of 16 bytes (x, y, z, colour) per quad; quads are axis-aligned, so the
    // first and third vertices are opposite corners.
    float vtx[12];
    std::memcpy(vtx, buf.data() + static_cast<std::size_t>(q) * 64, sizeof vtx);
    const float x0 = vtx[0], y0 = vtx[1], x1 = vtx[8], y1 = vtx[9];
    for (int py = static_cast<int>(y0); py < static_cast<int>(y1); ++py)
      for (int px = static_cast<int>(x0); px < static_cast<int>(x1); ++px) {
        const int X = x + px, Y = y + py;
        if (X < 0 || Y < 0 || X >= std::min(img.width(), x_end) || Y >= img.height()) continue;
        for (int c = 0; c < img.channels(); ++c) img.at(Y, X, c) = v;
      }
  }
}

}  // namespace sjmt::data

namespace sjmt::data {

/// The faces tiled `o.columns` wide, as an RGB image, captions in white on black.
inline image contact_sheet(std::span<const labelled_face> faces, const contact_sheet_options& o = {}) {
  SJMT_CHECK(value_error, !faces.empty() && o.columns > 0 && o.tile >= 16, "contact_sheet: ", faces.size(),
             " faces, ", o.columns, " columns, tile ", o.tile);
  const std::size_t rows = (faces.size() + o.columns - 1) / o.columns;
  const int cell_h = o.tile + o.caption_height;
  image sheet(static_cast<int>(std::min(o.columns, faces.size())) * o.tile, static_cast<int>(rows) * cell_h, 3);
  for (std::size_t i = 0; i < faces.size(); ++i) {
    labelled_face f = faces[i];
    fit_to_input(f, 3, o.tile, o.tile);
    const int x0 = static_cast<int>(i % o.columns) * o.tile, y0 = static_cast<int>(i / o.columns) * cell_h;
    for (int y = 0; y < o.tile; ++y)
      for (int x = 0; x < o.tile; ++x)
        for (int c = 0; c < 3; ++c) sheet.at(y0 + y, x0 + x, c) = f.picture.at(y, x, c);
    if (o.draw_landmarks && f.landmarks)
      for (const point& p : *f.landmarks) {
        const int px = x0 + static_cast<int>(p.x), py = y0 + static_cast<int>(p.y);
        if (px >= x0 && py >= y0 && px < x0 + o.tile && py < y0 + o.tile)
          sheet.at(py, px, 0) = 1, sheet.at(py, px, 1) = 1, sheet.at(py, px, 2) = 0;
      }
    draw_text(sheet, x0 + 2, y0 + o.tile + 2, caption(faces[i]), 1.0f, x0 + o.tile - 1);
  }
  return sheet;
}

}  // namespace sjmt::data
