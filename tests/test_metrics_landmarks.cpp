// The landmark pictures and curves (metrics/landmark_figures.hpp): the CED as
// CSV from known errors, its plot, and the sheet with true points in green
// and predicted ones in red where they belong.
#include <doctest/doctest.h>

#include <sjmt/metrics/landmark_figures.hpp>
#include <string>
#include <vector>

using namespace sjmt;

namespace {
metrics::regression_result with_errors(std::vector<double> nme) {
  metrics::regression_result r;
  r.space = "landmarks";
  r.has_nme = true;
  r.nme_per_sample = std::move(nme);
  return r;
}
}  // namespace

TEST_CASE("ced_csv: the fraction of faces within each NME, per run") {
  const metrics::regression_result a = with_errors({0.01, 0.05, 0.09, 0.3}), b = with_errors({0.02, 0.02});
  const std::string csv = metrics::ced_csv({{"joint", &a}, {"alone", &b}}, 0.1, 0.05);
  CHECK(csv == "nme,joint,alone\n0.0000,0.0000,0.0000\n0.0500,0.5000,1.0000\n0.1000,0.7500,1.0000\n");
  metrics::regression_result values;  // not read as points
  CHECK_THROWS_AS(metrics::ced_csv({{"x", &values}}), value_error);
}

TEST_CASE("ced_plot: axes, one coloured curve per run, and the legend") {
  const metrics::regression_result a = with_errors({0.01, 0.05, 0.09, 0.3});
  const data::image img = metrics::ced_plot({{"joint", &a}});
  CHECK(img.width() == 480);
  CHECK(img.height() == 320);
  // The curve's colour (the first of the palette) appears; the plot is mostly white.
  std::size_t blue = 0, white = 0;
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      blue += img.at(y, x, 0) < 0.2f && img.at(y, x, 2) > 0.6f;
      white += img.at(y, x, 0) == 1.0f && img.at(y, x, 1) == 1.0f && img.at(y, x, 2) == 1.0f;
    }
  CHECK(blue > 300);
  CHECK(white > 480 * 320 / 2);
}

TEST_CASE("landmark_sheet: true points green, predicted red, at their scaled places") {
  data::labelled_face f;
  f.picture = data::image(32, 32, 3);
  data::shape68 truth{}, guess{};
  for (std::size_t i = 0; i < 68; ++i) truth[i] = {8.0f, 8.0f}, guess[i] = {24.0f, 16.0f};
  f.landmarks = truth;
  const std::vector<data::labelled_face> faces{f};
  const std::vector<data::shape68> predicted{guess};
  const data::image sheet = metrics::landmark_sheet(faces, predicted, {.columns = 1, .tile = 64});
  // Tile 64 for a 32-pixel face: x2. True (8, 8) -> (16, 16); predicted (24, 16) -> (48, 32).
  CHECK(sheet.at(16, 16, 1) > 0.8f);
  CHECK(sheet.at(16, 16, 0) < 0.2f);
  CHECK(sheet.at(32, 48, 0) > 0.8f);
  CHECK(sheet.at(32, 48, 1) < 0.2f);
  CHECK(sheet.at(32, 49, 0) > 0.8f);  // the cross's arm
  CHECK(sheet.at(40, 40, 0) == 0.0f);  // elsewhere the (black) picture
  CHECK_THROWS_AS(metrics::landmark_sheet(faces, {}, {}), value_error);
}
