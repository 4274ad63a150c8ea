#pragma once
// One entry function per fuzz target: bytes in, and either a result or an sjmt::error
// out. Anything else (a standard exception, a crash, a sanitizer report, a hang) is a
// defect. The same functions run under libFuzzer (fuzz_target.cpp, clang, scripts/fuzz)
// and under ctest's replay of the corpus (replay_main.cpp, g++).
//
// The loaders read files, so each input is written to a per-process scratch file first;
// CK+ takes the first byte to choose which of its three files the rest replaces.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

#include <sjmt/data/formats/ckplus.hpp>
#include <sjmt/data/formats/emotionet.hpp>
#include <sjmt/data/formats/fer2013.hpp>
#include <sjmt/data/image_io.hpp>
#include <sjmt/error.hpp>
#include <sjmt/io/safetensors.hpp>

namespace sjmt::fuzz {

namespace fs = std::filesystem;

inline fs::path scratch_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("sjmt_fuzz_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

inline fs::path write_scratch(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const fs::path p = scratch_dir() / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return p;
}

/// Runs `f` twice, strict and with skip_bad; sjmt's own errors are expected answers.
template <class Options, class F>
void both_modes(F&& f) {
  for (bool skip : {false, true}) {
    Options o;
    o.skip_bad = skip;
    try {
      const data::loaded_faces r = f(o);
      // Nothing lost holds for any input: every problem is a skipped record.
      if (r.report.problems.size() != r.report.skipped || r.faces.size() != r.report.loaded) __builtin_trap();
    } catch (const sjmt::error&) {
    }
  }
}

inline int fer2013(const std::uint8_t* data, std::size_t size) {
  const fs::path p = write_scratch("fer2013.csv", data, size);
  both_modes<data::fer2013_options>([&](const auto& o) { return data::load_fer2013(p, o); });
  return 0;
}

inline int emotionet_aus(const std::uint8_t* data, std::size_t size) {
  const fs::path p = write_scratch("aus.csv", data, size);
  both_modes<data::emotionet_options>([&](const auto& o) { return data::load_emotionet_aus(p, o); });
  return 0;
}

inline int emotionet_emotions(const std::uint8_t* data, std::size_t size) {
  const fs::path p = write_scratch("emotions.csv", data, size);
  both_modes<data::emotionet_options>([&](const auto& o) { return data::load_emotionet_emotions(p, o); });
  return 0;
}

/// A one-sequence CK+ tree (one 2x2 frame); the input replaces its Emotion (first byte
/// % 3 == 0), FACS (1) or Landmarks (2) file.
inline int ckplus(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const fs::path root = scratch_dir() / "ckplus";
  const fs::path rel = fs::path("S001") / "001";
  static const bool made = [&] {
    for (const char* d : {"cohn-kanade-images", "Emotion", "FACS", "Landmarks"}) fs::create_directories(root / d / rel);
    data::image img(2, 2, 1);
    data::write_png(root / "cohn-kanade-images" / rel / "S001_001_00000001.png", img);
    return true;
  }();
  (void)made;
  static constexpr const char* files[] = {"Emotion/S001/001/S001_001_00000001_emotion.txt",
                                          "FACS/S001/001/S001_001_00000001_facs.txt",
                                          "Landmarks/S001/001/S001_001_00000001_landmarks.txt"};
  for (const char* f : files) fs::remove(root / f);
  const fs::path target = root / files[data[0] % 3];
  std::ofstream(target, std::ios::binary).write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  both_modes<data::ckplus_options>([&](const auto& o) { return data::load_ckplus(root, o); });
  return 0;
}

/// An image file (SFEW's PNGs, EmotioNet's JPEGs) through read_image, grey and RGB. At most
/// 2^18 pixels: a 1 KB file may declare a 13-megapixel JPEG that stb then decodes (zeros past
/// the data) for seconds under the sanitizers, which libFuzzer reports as a timeout
/// (fuzz/crashes/image/timeout-*); the limit is read_image's own check, tested here too.
inline int image(const std::uint8_t* data, std::size_t size) {
  const fs::path p = write_scratch("image.bin", data, size);
  for (int channels : {1, 3}) try {
      const data::image img = data::read_image(p, channels, std::size_t{1} << 18);
      if (img.channels() != channels) __builtin_trap();
    } catch (const sjmt::error&) {
    }
  return 0;
}

/// The safetensors reader that load_checkpoint uses, and the float conversion.
inline int safetensors(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const io::safetensors_contents c = detail::parse_safetensors("fuzz.safetensors", bytes, {});
    for (const io::safetensor& t : c.tensors)
      if (io::is_float_dtype(t.dtype)) (void)io::float_values<float>(t, "fuzz.safetensors");
  } catch (const sjmt::error&) {
  }
  return 0;
}

struct target {
  std::string_view name;
  int (*run)(const std::uint8_t*, std::size_t);
};

inline constexpr target targets[] = {{"fer2013", fer2013},   {"emotionet_aus", emotionet_aus},
                                     {"emotionet_emotions", emotionet_emotions}, {"ckplus", ckplus},
                                     {"image", image},       {"safetensors", safetensors}};

}  // namespace sjmt::fuzz
