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

TEST_CASE("image_io: a JPEG whose Huffman table has more than 256 codes is refused before stb decodes it") {
  // stb_image 2.27 writes past its tables for such a file (found by scripts/fuzz,
  // fuzz/crashes/image/); read_image must say so instead.
  std::string jpeg("\xFF\xD8\xFF\xC4", 4);
  const std::size_t codes = 16 * 20;  // 20 codes of each length: 320 > 256
  const std::size_t length = 2 + 17 + codes;
  jpeg += static_cast<char>(length >> 8);
  jpeg += static_cast<char>(length & 0xFF);
  jpeg += '\x00';  // DC table 0
  jpeg.append(16, '\x14');
  jpeg.append(codes, '\x01');
  jpeg += std::string("\xFF\xD9", 2);
  const fs::path p = sjmt::test::unique_temp("sjmt_test_huffman_overflow.jpg");
  { std::ofstream(p, std::ios::binary) << jpeg; }
  CHECK(decode_error(p).find("cannot decode image (corrupt JPEG: a Huffman table with more than 256 codes)") !=
        std::string::npos);
  // 256 codes are allowed through to stb (which then finds the file incomplete).
  CHECK(sjmt::detail::jpeg_huffman_tables_fit(reinterpret_cast<const unsigned char*>("\xFF\xD8\xFF\xC4\x00\x13\x00"
                                                                                     "\x10\x10\x10\x10\x10\x10\x10\x10"
                                                                                     "\x10\x10\x10\x10\x10\x10\x10\x10"),
                                              23));
  CHECK_FALSE(sjmt::detail::jpeg_huffman_tables_fit(
      reinterpret_cast<const unsigned char*>("\xFF\xD8\xFF\xC4\x00\x13\x00"
                                             "\x10\x10\x10\x10\x10\x10\x10\x10"
                                             "\x10\x10\x10\x10\x10\x10\x10\x11"),
      23));
  // stb skips any number of FF fill bytes before the start-of-image marker, so the
  // guard does too (a fuzzed file of 70 FFs, then D8 and a bad table, passed a guard
  // that looked at the first two bytes only, and overflowed in stbi__build_huffman).
  const std::string filled = std::string(70, '\xFF') + jpeg.substr(1);
  CHECK_FALSE(sjmt::detail::jpeg_huffman_tables_fit(reinterpret_cast<const unsigned char*>(filled.data()),
                                                    filled.size()));
  const fs::path q = sjmt::test::unique_temp("sjmt_test_huffman_overflow_filled.jpg");
  { std::ofstream(q, std::ios::binary) << filled; }
  CHECK(decode_error(q).find("corrupt JPEG: a Huffman table with more than 256 codes") != std::string::npos);
  // FF bytes and no D8 is not a JPEG for this guard (stb's own test refuses it).
  const std::string no_soi(8, '\xFF');
  CHECK(sjmt::detail::jpeg_huffman_tables_fit(reinterpret_cast<const unsigned char*>(no_soi.data()), no_soi.size()));
  fs::remove(p);
  fs::remove(q);
}

TEST_CASE("image_io: the fixtures' PNG and JPEG files still decode") {
  const fs::path data = fs::path(SJMT_TEST_DATA_DIR);
  CHECK(read_image(data / "emotionet/images/N_0000000001_00001.jpg", 3).channels() == 3);
  CHECK(read_image(data / "SFEW_2.0/Train/Angry/Airheads_000519240_00000005.png", 1).channels() == 1);
}

TEST_CASE("image_io: an image whose header declares more pixels than the limit is refused before decoding") {
  const fs::path p = sjmt::test::unique_temp("sjmt_test_pixel_limit.png");
  write_png(p, image(64, 48, 3));
  CHECK(read_image(p, 3, 64 * 48).width() == 64);  // at the limit: decoded
  CHECK_THROWS_WITH_AS(read_image(p, 3, 64 * 48 - 1),
                       doctest::Contains("sjmt_test_pixel_limit.png: cannot decode image (its header says 64 x 48 "
                                         "pixels, more than the limit of 3071)"),
                       sjmt::io_error);
  fs::remove(p);
  // The fuzzed JPEG of 1,185 bytes that declares 65,320 x 210 pixels (fuzz/crashes/image/timeout-*)
  // is refused by a limit below 13.7 megapixels, and by the header check alone (no decode).
  const fs::path fuzzed = fs::path(SJMT_TEST_DATA_DIR) / ".." / ".." / "fuzz" / "crashes" / "image" /
                          "timeout-06772be4a40d4c4829d58018aa2bb1e07f4cc116";
  CHECK_THROWS_WITH_AS(read_image(fuzzed, 3, std::size_t{1} << 22), doctest::Contains("65320 x 210 pixels"),
                       sjmt::io_error);
}
