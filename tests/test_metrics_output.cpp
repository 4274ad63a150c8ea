// The heat-map renderer (pixel by pixel on a tiny matrix) and the progress
// bar (on a string stream, with an explicit clock, in terminal and log modes).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sjmt/labels.hpp>
#include <sjmt/metrics.hpp>
#include <sjmt/train/progress.hpp>
#include <sstream>
#include <string>
#include <vector>

using namespace sjmt;
using metrics::rgb;

namespace {
/// Options from a few settings (designated initialisers would leave the rest unnamed).
progress_options opts(std::string label = {}, double min_s = 0.1, double plain_s = 10.0,
                               std::size_t width = 30) {
  progress_options o;
  o.label = std::move(label);
  o.min_interval_s = min_s;
  o.plain_interval_s = plain_s;
  o.bar_width = width;
  return o;
}
}  // namespace

TEST_CASE("viridis: end points, middle, clamping") {
  CHECK(metrics::viridis(0.0) == rgb{68, 1, 84});
  CHECK(metrics::viridis(1.0) == rgb{253, 231, 37});
  CHECK(metrics::viridis(0.5) == rgb{33, 144, 141});
  CHECK(metrics::viridis(-3.0) == metrics::viridis(0.0));
  CHECK(metrics::viridis(7.0) == metrics::viridis(1.0));
  CHECK(metrics::viridis(1.0 / 16) == rgb{70, 23, 103});  // halfway between the first two stops
}

TEST_CASE("heat map: size, grid, cell colours, undefined cells, colour bar") {
  const std::vector<std::vector<double>> m{{0.0, 1.0}, {metrics::undefined, 0.5}};
  metrics::heat_map_options o;
  o.cell = 4;
  o.grid = 1;
  o.bar_gap = 2;
  o.bar_width = 3;
  const metrics::rgb_image img = metrics::render_heat_map(m, o);
  // grid: 2 cells of 4 + 3 lines = 11; bar: gap 2 + width 3 + 2 frame lines
  CHECK(img.width == 11 + 2 + 3 + 2);
  CHECK(img.height == 11);
  CHECK(img.rgb.size() == img.width * img.height * 3);
  const rgb white{255, 255, 255};
  CHECK(img.pixel(0, 0) == white);    // grid corner
  CHECK(img.pixel(5, 3) == white);    // vertical grid line between the columns
  CHECK(img.pixel(1, 1) == metrics::viridis(0.0));
  CHECK(img.pixel(4, 4) == metrics::viridis(0.0));  // last pixel of cell (0, 0)
  CHECK(img.pixel(6, 1) == metrics::viridis(1.0));
  CHECK(img.pixel(2, 7) == rgb{160, 160, 160});     // NaN
  CHECK(img.pixel(9, 9) == metrics::viridis(0.5));
  CHECK(img.pixel(12, 5) == white);                 // gap
  CHECK(img.pixel(14, 1) == metrics::viridis(1.0));  // bar top = vmax
  CHECK(img.pixel(14, 9) == metrics::viridis(0.0));  // bar bottom = vmin
  CHECK(img.pixel(13, 0) == white);                  // bar frame

  o.auto_range = true;  // the data's range: 0.5 -> middle of [0, 1] still
  o.colour_bar = false;
  const metrics::rgb_image auto_img = metrics::render_heat_map({{2.0, 4.0}}, o);
  CHECK(auto_img.width == 11);
  CHECK(auto_img.height == 6);
  CHECK(auto_img.pixel(1, 1) == metrics::viridis(0.0));
  CHECK(auto_img.pixel(6, 1) == metrics::viridis(1.0));

  CHECK_THROWS_AS(metrics::render_heat_map({}), shape_error);
  CHECK_THROWS_AS(metrics::render_heat_map({{1.0, 2.0}, {1.0}}), shape_error);
  metrics::heat_map_options bad;
  bad.vmin = bad.vmax = 1.0;
  CHECK_THROWS_AS(metrics::render_heat_map({{1.0}}, bad), value_error);
}

TEST_CASE("progress line: bar, count, rate, elapsed, time left") {
  std::ostringstream out;
  progress_bar bar(out, 100, false, opts("train"));
  CHECK(bar.line(30, 10.0) ==
        "train [#########---------------------] 30/100  30.0%  3.0 it/s  elapsed 00:10  left 00:23");
  CHECK(bar.line(0, 0.0) ==
        "train [------------------------------] 0/100   0.0%  -- it/s  elapsed 00:00  left --:--");
  progress_bar unknown(out, 0, false);
  CHECK(unknown.line(5, 2.0) == "5  2.5 it/s  elapsed 00:02");
  progress_options r = opts({}, 0.1, 10.0, 4);
  r.unit = "img";
  r.start = 50;
  progress_bar resumed(out, 100, false, r);
  CHECK(resumed.line(60, 5.0) == "[##--] 60/100  60.0%  2.0 img/s  elapsed 00:05  left 00:20");
  CHECK(detail::clock_text(3725) == "1:02:05");
  CHECK(detail::clock_text(NAN) == "--:--");
  CHECK(out.str().empty());  // line() draws nothing
}

TEST_CASE("progress bar, not a terminal: a plain line every interval and one at the end") {
  std::ostringstream out;
  progress_bar bar(out, 100, false, opts({}, 0.1, 10.0));
  bar.update(0, 0.0);    // first: printed
  bar.update(10, 5.0);   // 5 s later: not yet
  bar.update(30, 10.0);  // 10 s: printed
  bar.update(100, 20.0); // complete: printed
  bar.update(100, 21.0); // already printed complete
  bar.finish(21.0);
  const std::string s = out.str();
  CHECK(std::count(s.begin(), s.end(), '\n') == 3);
  CHECK(s.find('\r') == std::string::npos);
  CHECK(s.find("30/100") != std::string::npos);
  CHECK(s.find("10/100") == std::string::npos);
  CHECK(s.ends_with("100/100 100.0%  5.0 it/s  elapsed 00:20  left 00:00\n"));
}

TEST_CASE("progress bar on a terminal: redrawn in place, throttled, ended by finish") {
  std::ostringstream out;
  {
    progress_bar bar(out, 10, true, opts({}, 0.1, 10.0, 10));
    CHECK(bar.terminal());
    bar.update(1, 0.0);
    bar.update(2, 0.05);  // too soon: skipped
    bar.update(3, 0.2);
    CHECK(out.str().find('\n') == std::string::npos);
    bar.finish(0.3);
    bar.finish(0.4);  // once only
  }
  const std::string s = out.str();
  CHECK(std::count(s.begin(), s.end(), '\r') == 3);
  CHECK(std::count(s.begin(), s.end(), '\n') == 1);
  CHECK(s.starts_with("\r[#---------] 1/10  10.0%"));
  CHECK(s.find("2/10") == std::string::npos);
  CHECK(s.ends_with("\n"));

  std::ostringstream cut;  // a bar left unfinished still ends its line
  { progress_bar bar(cut, 10, true); bar.update(4, 1.0); }
  CHECK(cut.str().ends_with("\n"));

  std::ostringstream shrink;  // a shorter line blanks what the longer one left
  progress_bar b2(shrink, 0, true, opts({}, 0.0));
  b2.update(100000, 1.0);
  b2.update(1, 1000.0);
  const std::string t = shrink.str();
  const std::string second = t.substr(t.rfind('\r') + 1);
  CHECK(second.size() == t.find('\r', 1) - 1);
}

TEST_CASE("progress bar on a FILE*: a file is not a terminal") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    progress_bar bar(f, 4);
    CHECK_FALSE(bar.terminal());
    for (int i = 0; i < 4; ++i) bar.advance();
    bar.finish();
    CHECK(bar.done() == 4);
  }
  std::rewind(f);
  char buf[512] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  const std::string s(buf, n);
  CHECK(s.find("4/4 100.0%") != std::string::npos);
  CHECK(std::count(s.begin(), s.end(), '\n') == 2);  // the first update and the completion
}

TEST_CASE("the paper's layout end to end: Figure 2 on SFEW-like rows, its table and its heat map") {
  using paper = dataset_union<joint_layout<spaces::emotion, spaces::emotionet_aus>, datasets::sfew,
                              datasets::emotionet>;
  constexpr std::size_t W = paper::layout::size;  // 7 + 11
  constexpr std::size_t happy = spaces::emotion::index_of("happy");
  constexpr std::size_t au12 = paper::layout::offset<spaces::emotionet_aus> +
                               spaces::emotionet_aus::index_of_au(12);
  std::vector<float> z(4 * W, -2.0f);  // every AU at sigmoid(-2)
  const std::vector<std::int32_t> d{0, 0, 0, 1};
  for (std::size_t r = 0; r < 4; ++r) z[r * W + happy] = 3.0f;  // all predicted happy
  z[0 * W + au12] = 2.0f;                                        // AU12 high on two of three
  z[1 * W + au12] = 2.0f;
  z[3 * W + au12] = 9.0f;  // an EmotioNet row: not an emotion-only image, ignored
  metrics::au_by_emotion<paper, spaces::emotion, spaces::emotionet_aus> fig2;
  fig2.update(z, d);
  const metrics::au_by_emotion_result m = fig2.result();
  const double lo = 1.0 / (1.0 + std::exp(2.0)), hi = 1.0 / (1.0 + std::exp(-2.0));
  CHECK(m.counts[happy] == 3);
  CHECK(m.mean[happy][6] == doctest::Approx((2 * hi + lo) / 3));  // AU12 is the 7th AU
  CHECK(m.top_aus(1)[happy] == std::vector<std::size_t>{6});
  const std::string md = metrics::to_markdown(m, 1);
  CHECK(md.find("aus/AU12") != std::string::npos);
  CHECK(md.find("| emotion/happy | AU12 (") != std::string::npos);
  CHECK(md.find("| emotion/angry | never predicted |") != std::string::npos);
  metrics::heat_map_options o;
  o.cell = 10;
  o.colour_bar = false;
  const metrics::rgb_image img = metrics::render_heat_map(m.mean, o);
  CHECK(img.width == 11 * 11 + 1);
  CHECK(img.height == 7 * 11 + 1);
  CHECK(img.pixel(1, 1) == rgb{160, 160, 160});  // angry: never predicted
}
