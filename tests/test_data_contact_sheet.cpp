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
