// Tests of <sjmt/data/image_io.hpp>: round trips, and decode errors whose reason is never empty.
#include <doctest/doctest.h>

#include "temp_path.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <sjmt/data/image_io.hpp>

using namespace sjmt::data;
namespace fs = std::filesystem;

namespace {
std::string decode_error(const fs::path& p) {
  try {
    (void)read_image(p);
  } catch (const sjmt::io_error& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("image_io: a PNG round trip keeps every pixel") {
  image img(5, 3, 3);
  for (std::size_t i = 0; i < img.pixels().size(); ++i) img.pixels()[i] = static_cast<float>(i % 256) / 255.0f;
  const fs::path p = sjmt::test::unique_temp("sjmt_test_image_io.png");
  write_png(p, img);
  CHECK(read_image(p, 3) == img);
  fs::remove(p);
}

TEST_CASE("image_io: a file that does not decode names the file and a reason, never '()'") {
  const fs::path root = sjmt::test::unique_temp("sjmt_test_image_io_bad");
  fs::create_directories(root);
  { std::ofstream(root / "empty.png"); }
  { std::ofstream(root / "text.png") << "this is not a picture, just some words that fill a few bytes\n"; }
  fs::create_directories(root / "folder.png");
  CHECK(decode_error(root / "missing.png").find("missing.png: cannot decode image (no such file)") != std::string::npos);
  CHECK(decode_error(root / "empty.png").find("empty.png: cannot decode image (an empty file)") != std::string::npos);
  CHECK(decode_error(root / "folder.png").find("folder.png: cannot decode image (a directory, not an image file)") !=
        std::string::npos);
  const std::string text = decode_error(root / "text.png");
  CHECK(text.find("text.png: cannot decode image (") != std::string::npos);
  CHECK(text.find("()") == std::string::npos);
  CHECK(text.find("image ()") == std::string::npos);
  fs::remove_all(root);
}
