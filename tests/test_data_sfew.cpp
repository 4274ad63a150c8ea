// Tests of <sjmt/data/formats/sfew.hpp> on fixtures in SFEW 2.0's folder layout (tests/data/SFEW_2.0).
#include <doctest/doctest.h>

#include "temp_path.hpp"

#include <chrono>
#include <filesystem>
#include <string>

#include <sjmt/data/formats/sfew.hpp>
#include <sjmt/data/world/synthetic.hpp>

using namespace sjmt::data;
namespace fs = std::filesystem;

namespace {
using sjmt::test::unique_temp;
const fs::path data_dir(SJMT_TEST_DATA_DIR);
}

TEST_CASE("sfew: splits, explicit folder mapping, aligned faces, unlabelled test") {
  const loaded_faces train = load_sfew(data_dir / "SFEW_2.0");
  REQUIRE(train.faces.size() == 2);
  CHECK(train.faces[0].emotion == 0);  // Angry
  CHECK(train.faces[1].emotion == 3);  // Happy
  CHECK(train.faces[0].source.find("Airheads_000519240_00000005.png") != std::string::npos);
  CHECK(train.faces[0].picture.width() == 72);
  sfew_options val;
  val.split = "Val";
  const loaded_faces v = load_sfew(data_dir / "SFEW_2.0", val);
  REQUIRE(v.faces.size() == 1);
  CHECK(v.faces[0].emotion == 4);  // Neutral
  sfew_options aligned;
  aligned.split = "Train_Aligned_Faces";
  const loaded_faces al = load_sfew(data_dir / "SFEW_2.0", aligned);
  REQUIRE(al.faces.size() == 1);
  CHECK(al.faces[0].picture.width() == 143);
  CHECK(al.faces[0].picture.height() == 181);
  sfew_options test;
  test.split = "Test";
  test.channels = 1;
  test.width = test.height = 32;
  const loaded_faces t = load_sfew(data_dir / "SFEW_2.0", test);
  REQUIRE(t.faces.size() == 1);
  CHECK(t.faces[0].emotion == -1);
  CHECK(t.faces[0].picture.width() == 32);
  CHECK(t.faces[0].picture.channels() == 1);
}

TEST_CASE("sfew: a corrupt image or a missing split is an io_error naming the file; skip-bad reports it") {
  CHECK_THROWS_AS(load_sfew(data_dir / "SFEW_2.0", {{}, "Nope"}), sjmt::io_error);
  try {
    load_sfew(data_dir / "corrupt");
    FAIL("expected an io_error");
  } catch (const sjmt::io_error& e) {
    CHECK(std::string(e.what()).find("Broken_000000001_00000001.png") != std::string::npos);
  }
  sfew_options skip;
  skip.skip_bad = true;
  const loaded_faces s = load_sfew(data_dir / "corrupt", skip);
  CHECK(s.faces.size() == 1);
  CHECK(s.report.skipped == 1);
}

TEST_CASE("sfew: write_sfew writes SFEW names that load_sfew reads back") {
  const synthetic_domain d = sfew_like(split::test, 3);
  std::vector<labelled_face> faces;
  for (std::size_t i = 0; i < 9; ++i) faces.push_back(d[i]);
  const fs::path root = unique_temp("sjmt_test_sfew_roundtrip");
  fs::remove_all(root);
  write_sfew(root, "Val", faces);
  sfew_options o;
  o.split = "Val";
  const loaded_faces back = load_sfew(root, o);
  REQUIRE(back.faces.size() == 9);
  std::array<int, 7> want{}, got{};
  for (const auto& f : faces) ++want[static_cast<std::size_t>(f.emotion)];
  for (const auto& f : back.faces) {
    ++got[static_cast<std::size_t>(f.emotion)];
    CHECK(fs::path(f.source).filename().string().size() == std::string("Synthetic_000000000_00000000.png").size());
  }
  CHECK(want == got);
  fs::remove_all(root);
}
