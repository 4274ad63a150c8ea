// Tests of <sjmt/data/formats/emotionet.hpp> on fixtures in EmotioNet's formats (tests/data/emotionet).
#include <doctest/doctest.h>

#include "temp_path.hpp"

#include <chrono>
#include <filesystem>
#include <string>

#include <sjmt/data/formats/emotionet.hpp>
#include <sjmt/data/pipeline/sampler.hpp>
#include <sjmt/data/world/synthetic.hpp>

using namespace sjmt::data;
namespace fs = std::filesystem;

namespace {
using sjmt::test::unique_temp;
const fs::path dir = fs::path(SJMT_TEST_DATA_DIR) / "emotionet";
}

TEST_CASE("emotionet: the automatic tab-separated file, AU k at column k+1, 999 unknown") {
  const loaded_faces a = load_emotionet_aus(dir / "dataFile_1001.txt");
  REQUIRE(a.faces.size() == 2);
  const labelled_face& f = a.faces[0];
  CHECK(f.au[1] == au_label::present);
  CHECK(f.au[2] == au_label::absent);
  CHECK(f.au[5] == au_label::unknown);
  CHECK(f.au[12] == au_label::present);
  CHECK(f.au[25] == au_label::present);
  CHECK(f.au[60] == au_label::absent);
  CHECK(a.faces[1].au[1] == au_label::unknown);
  CHECK(a.faces[1].au[2] == au_label::absent);
  CHECK(a.faces[1].au[26] == au_label::present);
  CHECK(f.source.find("N_0000000001_00001.jpg") != std::string::npos);
  CHECK(f.picture.empty());  // labels only without an image root
  try {
    load_emotionet_aus(dir / "dataFile_bad_columns.txt");
    FAIL("expected an io_error");
  } catch (const sjmt::io_error& e) {
    CHECK(std::string(e.what()).find("dataFile_bad_columns.txt:2: 61 columns, expected 62") != std::string::npos);
  }
}

TEST_CASE("emotionet: the manual table with 'AU k' headers, stray quotes, pictures from an image root") {
  emotionet_options o;
  o.image_root = dir / "images";
  o.width = o.height = 32;
  const loaded_faces m = load_emotionet_aus(dir / "EmotioNet_FACS_aws_2020_24600.csv", o);
  REQUIRE(m.faces.size() == 2);
  CHECK(m.faces[0].source == "https://s3.us-east-2.amazonaws.com/emotionet/Images/dir01/N_0000000001_00001.jpg");
  CHECK(m.faces[1].source == "https://s3.us-east-2.amazonaws.com/emotionet/Images/dir01/N_0000000002_00001.jpg");
  CHECK(m.faces[0].au[4] == au_label::present);
  CHECK(m.faces[0].au[26] == au_label::unknown);
  CHECK(m.faces[0].au[7] == au_label::unknown);  // not a column: not annotated
  CHECK(m.faces[1].au[5] == au_label::present);
  CHECK(m.faces[0].picture.width() == 32);
  CHECK(m.faces[0].picture.channels() == 3);
  try {
    load_emotionet_aus(dir / "bad_value.csv");
    FAIL("expected a value_error");
  } catch (const sjmt::value_error& e) {
    CHECK(std::string(e.what()).find("bad_value.csv:2: AU4 value '2'") != std::string::npos);
  }
  emotionet_options missing;
  missing.image_root = dir / "no-such-folder";
  CHECK_THROWS_AS(load_emotionet_aus(dir / "EmotioNet_FACS_aws_2020_24600.csv", missing), sjmt::io_error);
  missing.skip_bad = true;
  CHECK(load_emotionet_aus(dir / "EmotioNet_FACS_aws_2020_24600.csv", missing).report.skipped == 2);
}

namespace {
template <class Error, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("emotionet: AU table headers in any case, with a byte-order mark, load the same labels") {
  const loaded_faces a = load_emotionet_aus(dir / "EmotioNet_FACS_aws_2020_24600.csv");
  const loaded_faces b = load_emotionet_aus(dir / "capitalised_header.csv");  // BOM, Url, url Orig, 'au 1', AU12, CRLF
  REQUIRE(b.faces.size() == a.faces.size());
  for (std::size_t i = 0; i < a.faces.size(); ++i) {
    CHECK(b.faces[i].au == a.faces[i].au);
    CHECK(b.faces[i].source == a.faces[i].source);
  }
}

TEST_CASE("emotionet: an AU column missing, misspelt or duplicated is an error naming the file, line and column") {
  CHECK(message_of<sjmt::io_error>([] { load_emotionet_aus(dir / "missing_au.csv"); })
            .find("missing_au.csv:1: header has no column 'AU 6' (emotionet_options::required_aus") != std::string::npos);
  CHECK(message_of<sjmt::io_error>([] { load_emotionet_aus(dir / "misspelt_au.csv"); })
            .find("misspelt_au.csv:1: column 7 'AU6x' is not an EmotioNet AU table column") != std::string::npos);
  CHECK(message_of<sjmt::io_error>([] { load_emotionet_aus(dir / "duplicate_au.csv"); })
            .find("duplicate_au.csv:1: columns 12 and 13 are both 'AU 25'") != std::string::npos);
  // A table that lacks an AU on purpose loads once the requirement is lifted; the AU is unknown.
  emotionet_options any;
  any.required_aus.clear();
  const loaded_faces m = load_emotionet_aus(dir / "missing_au.csv", any);
  REQUIRE(m.faces.size() == 2);
  CHECK(m.faces[0].au[6] == au_label::unknown);
  CHECK(m.faces[0].au[4] == au_label::present);
  emotionet_options more;
  more.required_aus = {1, 7};
  CHECK(message_of<sjmt::io_error>([&] { load_emotionet_aus(dir / "EmotioNet_FACS_aws_2020_24600.csv", more); })
            .find("header has no column 'AU 7'") != std::string::npos);
}

TEST_CASE("emotionet: an empty file throws like an empty FER2013 file, for both tables") {
  CHECK(message_of<sjmt::io_error>([] { load_emotionet_aus(dir / "empty.csv"); }).find("empty.csv:1: empty file") !=
        std::string::npos);
  CHECK(message_of<sjmt::io_error>([] { load_emotionet_emotions(dir / "URLsWithEmotionCat_empty.csv"); })
            .find("URLsWithEmotionCat_empty.csv:1: empty file") != std::string::npos);
}

TEST_CASE("emotionet: emotion category headers in any case load their labels; a missing one is an error") {
  const loaded_faces a = load_emotionet_emotions(dir / "URLsWithEmotionCat_aws_free.csv");
  const loaded_faces b = load_emotionet_emotions(dir / "URLsWithEmotionCat_capitalised.csv");
  REQUIRE(b.faces.size() == a.faces.size());
  for (std::size_t i = 0; i < a.faces.size(); ++i) {
    CHECK(b.faces[i].emotion == a.faces[i].emotion);
    CHECK(b.faces[i].compound == a.faces[i].compound);
  }
  CHECK(b.faces[0].compound == 0);  // happily_surprised, written Happily_surprised
  CHECK(b.faces[1].emotion == 3);   // happy, written HAPPY
  CHECK(message_of<sjmt::io_error>([] { load_emotionet_emotions(dir / "URLsWithEmotionCat_missing.csv"); })
            .find("URLsWithEmotionCat_missing.csv:1: header has no column for the categories sad") != std::string::npos);
}

TEST_CASE("emotionet: emotion categories map to basic and compound labels") {
  const loaded_faces e = load_emotionet_emotions(dir / "URLsWithEmotionCat_aws_free.csv");
  REQUIRE(e.faces.size() == 3);
  CHECK(e.faces[0].compound == 0);  // happily_surprised
  CHECK(e.faces[0].emotion == -1);
  CHECK(e.faces[1].emotion == 3);   // happy
  CHECK(e.faces[1].compound == -1);
  CHECK(e.faces[2].emotion == -1);  // awed: neither
  CHECK(e.faces[2].compound == -1);
}

TEST_CASE("emotionet: write then load round-trips AU labels (999 included), pictures and compounds") {
  const synthetic_domain d = emotionet_compound_like(2);
  std::vector<labelled_face> faces;
  for (std::size_t i = 0; i < 12; ++i) faces.push_back(d[i]);
  const fs::path root = unique_temp("sjmt_test_emotionet_roundtrip");
  fs::remove_all(root);
  fs::create_directories(root);
  write_emotionet_aus(root / "aus.csv", faces, root / "Images");
  write_emotionet_emotions(root / "emotions.csv", faces);
  emotionet_options o;
  o.image_root = root / "Images";
  const loaded_faces back = load_emotionet_aus(root / "aus.csv", o);
  const loaded_faces cats = load_emotionet_emotions(root / "emotions.csv");
  REQUIRE(back.faces.size() == 12);
  REQUIRE(cats.faces.size() == 12);
  for (std::size_t i = 0; i < 12; ++i) {
    for (int au : sjmt::spaces::emotionet_aus::au)
      CHECK(back.faces[i].au[static_cast<std::size_t>(au)] == faces[i].au[static_cast<std::size_t>(au)]);
    CHECK(back.faces[i].picture.width() == faces[i].picture.width());
    CHECK(cats.faces[i].compound == faces[i].compound);
  }
  fs::remove_all(root);
}

TEST_CASE("emotionet: labels in memory, pictures decoded on demand through lazy_source") {
  const loaded_faces labels = load_emotionet_aus(dir / "EmotioNet_FACS_aws_2020_24600.csv");
  REQUIRE(labels.faces[0].picture.empty());
  const sample_source s = lazy_source(labels.faces, emotionet_picture_reader(dir / "images"));
  CHECK(s.size == 2);
  const labelled_face f = s.get(1);
  CHECK(f.picture.width() == 40);
  CHECK(f.au[5] == au_label::present);
  const sample_source missing = lazy_source(labels.faces, emotionet_picture_reader(dir / "nowhere"));
  CHECK_THROWS_AS(missing.get(0), sjmt::io_error);
}
