// Tests of <sjmt/data/formats/load_report.hpp>: nothing is lost. For every fixture of
// every loader (tests/data), loaded + skipped + filtered equals the records the test
// counts in the input itself, every skipped record has a problem line, and a header the
// loader does not understand throws naming the file and line 1. Every fixture file must
// appear in the tables below, so a new one cannot escape the check.
#include <doctest/doctest.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include <sjmt/data/formats/ckplus.hpp>
#include <sjmt/data/formats/emotionet.hpp>
#include <sjmt/data/formats/fer2013.hpp>
#include <sjmt/data/formats/sfew.hpp>

using namespace sjmt::data;
namespace fs = std::filesystem;

namespace {
const fs::path data_dir = fs::path(SJMT_TEST_DATA_DIR);

/// Non-blank lines of `p`, less `header` of them: the records of a table.
std::size_t table_records(const fs::path& p, std::size_t header) {
  std::ifstream in(p);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos) ++n;
  return n > header ? n - header : 0;
}

/// Regular files under `dir`, recursively: the records of an image-folder split.
std::size_t files_under(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

struct expected {
  std::string file;
  std::size_t loaded = 0, skipped = 0;  // with skip_bad
  bool header_error = false;            // throws io_error "<file>:1:" even with skip_bad
};

void check_counts(const load_report& r, std::size_t records, const expected& e) {
  CHECK(r.loaded == e.loaded);
  CHECK(r.skipped == e.skipped);
  CHECK(r.loaded + r.skipped + r.filtered == records);
  CHECK(r.problems.size() == r.skipped);
}

void check_table(const fs::path& dir, const std::vector<expected>& table,
                 const std::function<load_report(const fs::path&)>& load) {
  std::set<std::string> covered;
  for (const expected& e : table) {
    INFO(e.file);
    covered.insert(e.file);
    const fs::path p = dir / e.file;
    REQUIRE(fs::exists(p));
    if (e.header_error) {
      std::string what = "no error";
      try {
        load(p);
      } catch (const sjmt::io_error& err) {
        what = err.what();
      }
      CHECK(what.find(e.file + ":1:") != std::string::npos);
      continue;
    }
    check_counts(load(p), table_records(p, e.file.ends_with(".txt") ? 0 : 1), e);
  }
  for (const auto& f : fs::directory_iterator(dir))
    if (f.is_regular_file()) {
      INFO("fixture not in the table: ", f.path().filename().string());
      CHECK(covered.count(f.path().filename().string()) == 1);
    }
}
}  // namespace

TEST_CASE("nothing lost: every FER2013 fixture") {
  fer2013_options o;
  o.skip_bad = true;
  check_table(data_dir / "fer2013",
              {{"fer2013.csv", 4, 0},
               {"icml_face_data.csv", 4, 0},
               {"train.csv", 2, 0},
               {"test.csv", 1, 0},
               {"bom_capitalised.csv", 2, 0},
               {"bad_2303_pixels.csv", 2, 1},
               {"bad_columns.csv", 0, 1},
               {"bad_label.csv", 0, 1},
               {"unknown_column.csv", 0, 0, true},
               {"duplicate_column.csv", 0, 0, true},
               {"empty.csv", 0, 0, true}},
              [&](const fs::path& p) { return load_fer2013(p, o).report; });
  fer2013_options usage = o;
  usage.usage = "Training";
  const load_report r = load_fer2013(data_dir / "fer2013" / "fer2013.csv", usage).report;
  CHECK(r.loaded + r.skipped + r.filtered == 4);
  CHECK(r.filtered > 0);
}

TEST_CASE("nothing lost: every EmotioNet AU and emotion fixture") {
  emotionet_options o;
  o.skip_bad = true;
  const fs::path dir = data_dir / "emotionet";
  check_table(dir,
              {{"EmotioNet_FACS_aws_2020_24600.csv", 2, 0},
               {"capitalised_header.csv", 2, 0},
               {"dataFile_1001.txt", 2, 0},
               {"dataFile_bad_columns.txt", 1, 1},
               {"bad_value.csv", 0, 1},
               {"missing_au.csv", 0, 0, true},
               {"misspelt_au.csv", 0, 0, true},
               {"duplicate_au.csv", 0, 0, true},
               {"empty.csv", 0, 0, true},
               {"URLsWithEmotionCat_aws_free.csv", 3, 0},
               {"URLsWithEmotionCat_capitalised.csv", 3, 0},
               {"URLsWithEmotionCat_missing.csv", 0, 0, true},
               {"URLsWithEmotionCat_empty.csv", 0, 0, true}},
              [&](const fs::path& p) {
                return p.filename().string().starts_with("URLsWithEmotionCat") ? load_emotionet_emotions(p, o).report
                                                                               : load_emotionet_aus(p, o).report;
              });
  emotionet_options pictures = o;  // a picture that does not decode is reported, not dropped
  pictures.image_root = dir / "no-such-folder";
  const load_report r = load_emotionet_aus(dir / "EmotioNet_FACS_aws_2020_24600.csv", pictures).report;
  check_counts(r, 2, {"", 0, 2});
}

TEST_CASE("nothing lost: every SFEW split, with corrupt, stray and hidden files") {
  sfew_options o;
  o.skip_bad = true;
  for (const char* split : {"Train", "Val", "Test", "Train_Aligned_Faces"}) {
    INFO(split);
    o.split = split;
    const load_report r = load_sfew(data_dir / "SFEW_2.0", o).report;
    check_counts(r, files_under(data_dir / "SFEW_2.0" / split), {"", r.loaded, 0});
    CHECK(r.loaded > 0);
  }
  o.split = "Train";
  check_counts(load_sfew(data_dir / "corrupt", o).report, files_under(data_dir / "corrupt" / "Train"), {"", 1, 1});
  const fs::path root = fs::temp_directory_path() / ("sjmt_test_nothing_lost_sfew_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::copy(data_dir / "SFEW_2.0", root, fs::copy_options::recursive);
  { std::ofstream(root / "Train" / "Happy" / "notes.txt") << "not a picture\n"; }
  { std::ofstream(root / "Train" / "Happy" / ".DS_Store") << "hidden\n"; }
  { std::ofstream(root / "Train" / "stray.png") << "outside the emotion folders\n"; }
  const load_report r = load_sfew(root, o).report;
  check_counts(r, files_under(root / "Train"), {"", 2, 2});
  CHECK(r.filtered == 1);
  sfew_options strict;
  CHECK_THROWS_AS(load_sfew(root, strict), sjmt::io_error);
  fs::remove_all(root);
}

TEST_CASE("nothing lost: every CK+ sequence, with one without frames") {
  ckplus_options o;
  o.skip_bad = true;
  const fs::path dir = data_dir / "ckplus";
  const auto sequences = [](const fs::path& root) {
    std::size_t n = 0;
    for (const auto& s : fs::directory_iterator(root / "cohn-kanade-images"))
      for (const auto& q : fs::directory_iterator(s.path())) n += q.is_directory();
    return n;
  };
  check_counts(load_ckplus(dir, o).report, sequences(dir), {"", 2, 0});
  ckplus_options labelled = o;
  labelled.labelled_only = true;
  const load_report l = load_ckplus(dir, labelled).report;
  CHECK(l.filtered == 1);
  check_counts(l, sequences(dir), {"", 1, 0});
  const fs::path root = fs::temp_directory_path() / ("sjmt_test_nothing_lost_ckplus_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::copy(dir, root, fs::copy_options::recursive);
  fs::create_directories(root / "cohn-kanade-images" / "S011" / "001");
  const load_report r = load_ckplus(root, o).report;
  check_counts(r, sequences(root), {"", 2, 1});
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].find("S011/001: a CK+ sequence folder without a .png frame") != std::string::npos);
  fs::remove_all(root);
}
