// Tests of <sjmt/data/formats/fer2013.hpp> on fixtures in the released formats (tests/data/fer2013).
#include <doctest/doctest.h>

#include "temp_path.hpp"

#include <chrono>
#include <filesystem>
#include <string>

#include <sjmt/data/formats/fer2013.hpp>

using namespace sjmt::data;
namespace fs = std::filesystem;

namespace {
using sjmt::test::unique_temp;
const fs::path dir = fs::path(SJMT_TEST_DATA_DIR) / "fer2013";

template <class Error>
std::string message_of(const fs::path& p, const fer2013_options& o = {}) {
  try {
    load_fer2013(p, o);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("fer2013: the three header variants give the same faces, labels remapped to SFEW order") {
  const loaded_faces a = load_fer2013(dir / "fer2013.csv");
  const loaded_faces b = load_fer2013(dir / "icml_face_data.csv");
  REQUIRE(a.faces.size() == 4);
  REQUIRE(b.faces.size() == 4);
  CHECK(a.report.loaded == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(a.faces[i].picture == b.faces[i].picture);
    CHECK(a.faces[i].emotion == b.faces[i].emotion);
  }
  CHECK(a.faces[0].emotion == 0);  // FER 0 angry -> angry
  CHECK(a.faces[1].emotion == 2);  // FER 2 fear -> fear
  CHECK(a.faces[2].emotion == 4);  // FER 6 neutral -> neutral (SFEW index 4)
  CHECK(a.faces[0].picture.width() == 48);
  CHECK(a.faces[0].picture.channels() == 1);
  CHECK(a.faces[0].picture.pixels()[0] == doctest::Approx(120.0f / 255.0f));
  CHECK(a.faces[1].source.find("fer2013.csv:3#PublicTest") != std::string::npos);
  const loaded_faces train = load_fer2013(dir / "train.csv");  // quoted pixels
  REQUIRE(train.faces.size() == 2);
  CHECK(train.faces[1].picture == a.faces[1].picture);
  const loaded_faces test = load_fer2013(dir / "test.csv");  // no labels
  REQUIRE(test.faces.size() == 1);
  CHECK(test.faces[0].emotion == -1);
  CHECK(load_fer2013(dir / "fer2013.csv", {{}, "PublicTest"}).faces.size() == 1);
}

TEST_CASE("fer2013: bad input names the file and line; skip-bad counts and reports") {
  CHECK(message_of<sjmt::io_error>(dir / "bad_2303_pixels.csv").find("bad_2303_pixels.csv:3: 2303 pixels, expected 2304") !=
        std::string::npos);
  CHECK(message_of<sjmt::value_error>(dir / "bad_label.csv").find("bad_label.csv:2: emotion '7'") != std::string::npos);
  CHECK(message_of<sjmt::io_error>(dir / "bad_columns.csv").find("bad_columns.csv:2: 2 columns") != std::string::npos);
  CHECK(message_of<sjmt::io_error>(dir / "missing.csv").find("missing.csv: cannot open") != std::string::npos);
  fer2013_options skip;
  skip.skip_bad = true;
  const loaded_faces s = load_fer2013(dir / "bad_2303_pixels.csv", skip);
  CHECK(s.faces.size() == 2);
  CHECK(s.report.loaded == 2);
  CHECK(s.report.skipped == 1);
  REQUIRE(s.report.problems.size() == 1);
  CHECK(s.report.problems[0].find(":3:") != std::string::npos);
  CHECK(s.report.summary().find("2 loaded, 1 skipped") == 0);
}

TEST_CASE("fer2013: header names are understood whatever their case or a byte-order mark, or refused by column") {
  const loaded_faces a = load_fer2013(dir / "fer2013.csv");
  const loaded_faces b = load_fer2013(dir / "bom_capitalised.csv");  // BOM, Emotion,Pixels,USAGE, CRLF
  REQUIRE(b.faces.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(b.faces[i].emotion == a.faces[i].emotion);
    CHECK(b.faces[i].emotion >= 0);
    CHECK(b.faces[i].picture == a.faces[i].picture);
  }
  CHECK(b.faces[1].source.find("bom_capitalised.csv:3#PublicTest") != std::string::npos);
  CHECK(message_of<sjmt::io_error>(dir / "unknown_column.csv")
            .find("unknown_column.csv:1: column 4 'subject' is not a FER2013 column; expected one of: emotion, pixels, "
                  "usage") != std::string::npos);
  CHECK(message_of<sjmt::io_error>(dir / "duplicate_column.csv")
            .find("duplicate_column.csv:1: columns 1 and 3 are both 'Emotion'") != std::string::npos);
  CHECK(message_of<sjmt::io_error>(dir / "empty.csv").find("empty.csv:1: empty file") != std::string::npos);
  fer2013_options skip;  // a header the loader does not understand is never a skippable row
  skip.skip_bad = true;
  CHECK(message_of<sjmt::io_error>(dir / "unknown_column.csv", skip).find(":1: column 4") != std::string::npos);
}

TEST_CASE("fer2013: rows of another Usage are counted as filtered, not lost") {
  fer2013_options o;
  o.usage = "PublicTest";
  const loaded_faces s = load_fer2013(dir / "fer2013.csv", o);
  CHECK(s.report.loaded == 1);
  CHECK(s.report.filtered == 3);
  CHECK(s.report.summary().find("1 loaded, 0 skipped, 3 filtered") == 0);
}

TEST_CASE("fer2013: write_fer2013 round-trips through load_fer2013") {
  const loaded_faces a = load_fer2013(dir / "fer2013.csv");
  const fs::path tmp = unique_temp("sjmt_test_fer2013_roundtrip.csv");
  write_fer2013(tmp, a.faces, {"Training", "PublicTest", "PrivateTest", "Training"});
  const loaded_faces b = load_fer2013(tmp);
  REQUIRE(b.faces.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(b.faces[i].picture == a.faces[i].picture);
    CHECK(b.faces[i].emotion == a.faces[i].emotion);
  }
  fs::remove(tmp);
}
