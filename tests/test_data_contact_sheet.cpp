// Tests of <sjmt/data/contact_sheet.hpp>.
#include <doctest/doctest.h>

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
  // plot's axis. Each glyph drawn within a string must match the glyph drawn alone
  // at the same place.
  for (const std::string text : {"0.08", "XXXXXXXX", "0.38 0.88", "WMWMWM"}) {
    CAPTURE(text);
    image whole(80, 12, 1), parts(80, 12, 1);
    draw_text(whole, 0, 0, text, 1.0f);
    std::string before;
    for (char c : text) {
      const std::string glyph(1, c);
      draw_text(parts, stb_easy_font_width(before.data()), 0, glyph, 1.0f);
      before += c;
    }
    int lit = 0, differ = 0;
    for (int y = 0; y < 12; ++y)
      for (int x = 0; x < 80; ++x) {
        lit += whole.at(y, x, 0) > 0.5f;
        differ += whole.at(y, x, 0) != parts.at(y, x, 0);
      }
    CHECK(lit > 0);
    CHECK(differ == 0);
  }
}
