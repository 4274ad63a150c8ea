// Tests that sjmt's stb coexists with a consumer's: this TU includes <stb/stb_image.h>
// and <stb/stb_image_write.h> after <sjmt/data.hpp> and calls stb by its own names, while
// user_implementation.cpp owns the consumer's stb implementation (issue 11, item 2).
#include <doctest/doctest.h>

#include <sjmt/data.hpp>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <string>

#include "../temp_path.hpp"
#include "user_stb.hpp"

namespace fs = std::filesystem;

TEST_CASE("stb: a consumer's stb, included after sjmt, decodes what sjmt writes and the reverse") {
  sjmt::data::image img(4, 2, 3);
  for (std::size_t i = 0; i < img.pixels().size(); ++i) img.pixels()[i] = static_cast<float>(i * 9) / 255.0f;
  const fs::path by_sjmt = sjmt::test::unique_temp("sjmt_test_stb_by_sjmt.png");
  sjmt::data::write_png(by_sjmt, img);
  int w = 0, h = 0, n = 0;
  stbi_uc* px = sjmt::test::user_load(by_sjmt.string().c_str(), &w, &h, &n, 3);  // the consumer's stbi_load
  REQUIRE(px != nullptr);
  CHECK(w == 4);
  CHECK(h == 2);
  CHECK(px[5] == 45);
  sjmt::test::user_free(px);

  const fs::path by_user = sjmt::test::unique_temp("sjmt_test_stb_by_user.png");
  const std::vector<std::uint8_t> bytes = sjmt::data::to_bytes(img);
  REQUIRE(stbi_write_png(by_user.string().c_str(), 4, 2, 3, bytes.data(), 12) != 0);  // declared by the user's include
  CHECK(sjmt::data::read_image(by_user, 3) == img);
  fs::remove(by_sjmt);
  fs::remove(by_user);
}

TEST_CASE("stb: the two copies keep their own failure reasons") {
  int w = 0, h = 0, n = 0;
  CHECK(sjmt::test::user_load("/no/such/file.png", &w, &h, &n, 3) == nullptr);
  CHECK(std::string(sjmt::test::user_failure_reason()) == "can't fopen");
  CHECK_THROWS_AS((void)sjmt::data::read_image("/no/such/file.png"), sjmt::io_error);
  CHECK(std::string(sjmt::test::user_failure_reason()) == "can't fopen");
  CHECK(stbi_load("/no/such/file.png", &w, &h, &n, 3) == nullptr);  // the user's, declared after sjmt
}
