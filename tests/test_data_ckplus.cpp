// Tests of <sjmt/data/formats/ckplus.hpp> on a fixture in CK+'s layout (tests/data/ckplus).
#include <doctest/doctest.h>

#include "temp_path.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <sjmt/data/formats/ckplus.hpp>
#include <sjmt/data/world/synthetic.hpp>

using namespace sjmt::data;
namespace fs = std::filesystem;

namespace {
using sjmt::test::unique_temp;
const fs::path dir = fs::path(SJMT_TEST_DATA_DIR) / "ckplus";
}

TEST_CASE("ckplus: peak frames with emotion, FACS and landmarks; unlabelled sequences kept or dropped") {
  const loaded_faces all = load_ckplus(dir);
  REQUIRE(all.faces.size() == 2);
  const labelled_face& f = all.faces[0];
  CHECK(f.source.find("S005_001_00000011.png") != std::string::npos);  // the last frame
  CHECK(f.ckplus_emotion == 3);                                          // disgust
  CHECK(f.emotion == 1);                                                 // SFEW's Disgust
  CHECK(f.au[9] == au_label::present);
  CHECK(f.au_intensity[9] == 4);
  CHECK(f.au[17] == au_label::present);
  CHECK(f.au_intensity[17] == 2);
  CHECK(f.au[12] == au_label::absent);  // FACS coding is exhaustive
  REQUIRE(f.landmarks.has_value());
  CHECK((*f.landmarks)[0].x == doctest::Approx(10.0f));
  CHECK((*f.landmarks)[67].y == doctest::Approx(12.0f + 3 * 8.25f));
  CHECK(all.faces[1].emotion == -1);  // S010/002 has no Emotion file
  CHECK(all.faces[1].au[12] == au_label::present);
  CHECK(all.faces[1].au_intensity[12] == 0);  // intensity not given
  ckplus_options labelled;
  labelled.labelled_only = true;
  CHECK(load_ckplus(dir, labelled).faces.size() == 1);
  ckplus_options resized;
  resized.width = 32, resized.height = 32;
  const loaded_faces r = load_ckplus(dir, resized);
  CHECK((*r.faces[0].landmarks)[0].x == doctest::Approx(10.0f * 32.0f / 64.0f));
}

TEST_CASE("ckplus: bad files name the file and line") {
  const fs::path root = unique_temp("sjmt_test_ckplus_bad");
  fs::remove_all(root);
  fs::copy(dir, root, fs::copy_options::recursive);
  { std::ofstream(root / "Emotion/S005/001/S005_001_00000011_emotion.txt") << "   9.0000000e+00\n"; }
  try {
    load_ckplus(root);
    FAIL("expected a value_error");
  } catch (const sjmt::value_error& e) {
    CHECK(std::string(e.what()).find("S005_001_00000011_emotion.txt:1: emotion code 9") != std::string::npos);
  }
  ckplus_options skip;
  skip.skip_bad = true;
  const loaded_faces s = load_ckplus(root, skip);
  CHECK(s.faces.size() == 1);
  CHECK(s.report.skipped == 1);
  { std::ofstream(root / "Emotion/S005/001/S005_001_00000011_emotion.txt") << "   3.0000000e+00\n"; }
  { std::ofstream(root / "Landmarks/S005/001/S005_001_00000011_landmarks.txt") << "   1.0e+00   2.0e+00\n"; }
  CHECK_THROWS_AS(load_ckplus(root), sjmt::io_error);
  CHECK_THROWS_AS(load_ckplus(root / "nope"), sjmt::io_error);
  fs::remove_all(root);
}

namespace {
std::string ckplus_error(const fs::path& root) {
  try {
    load_ckplus(root);
  } catch (const sjmt::value_error& e) {
    return e.what();
  }
  return "no value_error";
}
}  // namespace

TEST_CASE("ckplus: one rule for integer fields and coordinates: non-integral or non-finite values are errors") {
  const fs::path root = unique_temp("sjmt_test_ckplus_rule");
  fs::remove_all(root);
  fs::copy(dir, root, fs::copy_options::recursive);
  const fs::path facs = root / "FACS/S005/001/S005_001_00000011_facs.txt";
  const fs::path emotion = root / "Emotion/S005/001/S005_001_00000011_emotion.txt";
  const fs::path lm = root / "Landmarks/S005/001/S005_001_00000011_landmarks.txt";
  std::string landmarks;
  {
    std::ifstream in(lm);
    landmarks.assign(std::istreambuf_iterator<char>(in), {});
  }
  { std::ofstream(facs) << "   1.4000000e+00   2.0000000e+00\n"; }  // AU 1.4 must not round to AU 1
  CHECK(ckplus_error(root).find("S005_001_00000011_facs.txt:1: AU 1.4 intensity 2: the AU code and the intensity "
                                "must be integers") != std::string::npos);
  { std::ofstream(facs) << "   1.0000000e+00   2.5000000e+00\n"; }
  CHECK(ckplus_error(root).find("facs.txt:1: AU 1 intensity 2.5: the AU code") != std::string::npos);
  { std::ofstream(facs) << "   nan   2.0000000e+00\n"; }
  CHECK(ckplus_error(root).find("facs.txt:1: AU nan intensity 2") != std::string::npos);
  { std::ofstream(facs) << "   9.0000000e+00   4.0000000e+00\n"; }
  { std::ofstream(emotion) << "   3.0001000e+00\n"; }  // within the old 1e-3 tolerance, still not an integer
  CHECK(ckplus_error(root).find("emotion.txt:1: emotion code 3.0001 is not an integer 0..7") != std::string::npos);
  { std::ofstream(emotion) << "   inf\n"; }
  CHECK(ckplus_error(root).find("emotion.txt:1: emotion code inf is not an integer") != std::string::npos);
  { std::ofstream(emotion) << "   3.0000000e+00\n"; }
  CHECK(load_ckplus(root).faces.size() == 2);  // the fixed-up tree loads
  for (const char* bad : {"nan", "inf", "-inf"}) {
    std::string text = landmarks;
    const std::size_t eol = text.find('\n', text.find('\n') + 1);  // line 3 is landmark 2
    text.replace(eol + 1, text.find('\n', eol + 1) - eol - 1, std::string("   ") + bad + "   1.0000000e+00");
    { std::ofstream(lm) << text; }
    INFO(bad);
    CHECK(ckplus_error(root).find("landmarks.txt:3: landmark 2 is (") != std::string::npos);
    CHECK(ckplus_error(root).find("expected finite coordinates") != std::string::npos);
  }
  fs::remove_all(root);
}

TEST_CASE("ckplus: multi-frame sequences are read at their last (peak) frame") {
  const synthetic_domain d = ck_like(8);
  std::vector<std::vector<labelled_face>> seqs{d.sequence(0, 3), d.sequence(1, 4)};
  const fs::path root = unique_temp("sjmt_test_ckplus_sequences");
  write_ckplus(root, seqs);
  CHECK(fs::exists(root / "cohn-kanade-images/S100/002/S100_002_00000004.png"));
  CHECK(fs::exists(root / "Landmarks/S100/002/S100_002_00000001_landmarks.txt"));
  CHECK(fs::exists(root / "FACS/S100/002/S100_002_00000004_facs.txt"));
  CHECK_FALSE(fs::exists(root / "FACS/S100/002/S100_002_00000001_facs.txt"));
  const loaded_faces back = load_ckplus(root);
  REQUIRE(back.faces.size() == 2);
  CHECK(back.faces[1].source.find("S100_002_00000004.png") != std::string::npos);
  CHECK(back.faces[1].ckplus_emotion == seqs[1].back().ckplus_emotion);
  CHECK((*back.faces[1].landmarks)[8].y == doctest::Approx((*seqs[1].back().landmarks)[8].y).epsilon(1e-5));
  fs::remove_all(root);
}

TEST_CASE("ckplus: write_ckplus round-trips a ck-like domain") {
  const synthetic_domain d = ck_like(4);
  std::vector<labelled_face> faces;
  for (std::size_t i = 0; i < 12; ++i) faces.push_back(d[i]);
  const fs::path root = unique_temp("sjmt_test_ckplus_roundtrip");
  fs::remove_all(root);
  write_ckplus(root, faces);
  const loaded_faces back = load_ckplus(root);
  REQUIRE(back.faces.size() == 12);
  for (std::size_t i = 0; i < 12; ++i) {
    CHECK(back.faces[i].ckplus_emotion == faces[i].ckplus_emotion);
    CHECK(back.faces[i].emotion == faces[i].emotion);
    for (int au : rendered_aus) {
      CHECK(back.faces[i].au[static_cast<std::size_t>(au)] == faces[i].au[static_cast<std::size_t>(au)]);
      CHECK(back.faces[i].au_intensity[static_cast<std::size_t>(au)] == faces[i].au_intensity[static_cast<std::size_t>(au)]);
    }
    CHECK((*back.faces[i].landmarks)[30].x == doctest::Approx((*faces[i].landmarks)[30].x).epsilon(1e-5));
  }
  fs::remove_all(root);
}
