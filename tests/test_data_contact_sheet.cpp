// Tests of <sjmt/data/contact_sheet.hpp>.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include <sjmt/data/contact_sheet.hpp>
#include <sjmt/data/world/synthetic.hpp>

using namespace sjmt::data;

TEST_CASE("contact_sheet: tiles, captions naming the emotion and the present AUs") {
  labelled_face f;
  f.picture = image(20, 20, 1);
  f.emotion = 3;
  f.au[6] = au_label::present;
  f.au[12] = au_label::present;
  f.au[4] = au_label::absent;
  CHECK(caption(f) == "happy\nAU6 12");
  labelled_face g;
  g.picture = image(20, 20, 3);
  g.compound = 0;
  CHECK(caption(g) == "happily_surprised\n");
  const std::vector<labelled_face> faces{f, g, f};
  const image sheet = contact_sheet(faces, {.columns = 2, .tile = 32, .caption_height = 20});
  CHECK(sheet.width() == 64);
  CHECK(sheet.height() == 2 * (32 + 20));
  CHECK(sheet.channels() == 3);
  // The caption area of the first tile has white text on black.
  float lit = 0;
  for (int y = 32; y < 52; ++y)
    for (int x = 0; x < 32; ++x) lit += sheet.at(y, x, 0);
  CHECK(lit > 20);
  CHECK_THROWS_AS(contact_sheet(std::vector<labelled_face>{}, {}), sjmt::value_error);
}

TEST_CASE("draw_text: every glyph of a string is drawn whole (the quad buffer holds the widest glyphs)") {
  // stb_easy_font emits up to 11 quads per glyph ('X'); a buffer sized for the
  // average dropped the last quads of "0.08", whose 8 then read as a 3 on the CED
  // plot's axis. The reference is stb_easy_font_print into a buffer far larger
  // than any string here needs, its quads filled as draw_text fills them.
  for (const std::string text : {"0.08", "XXXXXXXX", "0.38 0.88", "WMWMWM"}) {
    CAPTURE(text);
    image drawn(80, 12, 1), reference(80, 12, 1);
    draw_text(drawn, 0, 0, text, 1.0f);
    std::vector<char> quads(1 << 16);
    std::string copy = text;
    const int n = stb_easy_font_print(0, 0, copy.data(), nullptr, quads.data(), static_cast<int>(quads.size()));
    CHECK(n * 64 < static_cast<int>(quads.size()));
    for (int q = 0; q < n; ++q) {
      float v[12];
      std::memcpy(v, quads.data() + static_cast<std::size_t>(q) * 64, sizeof v);
      for (int y = static_cast<int>(v[1]); y < static_cast<int>(v[9]); ++y)
        for (int x = static_cast<int>(v[0]); x < static_cast<int>(v[8]); ++x) reference.at(y, x, 0) = 1.0f;
    }
    int lit = 0, differ = 0;
    for (int y = 0; y < 12; ++y)
      for (int x = 0; x < 80; ++x) {
        lit += reference.at(y, x, 0) > 0.5f;
        differ += drawn.at(y, x, 0) != reference.at(y, x, 0);
      }
    CHECK(lit > 0);
    CHECK(differ == 0);
  }
}
