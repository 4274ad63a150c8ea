// Replays fuzz inputs through the same entry functions as the fuzzers, built with g++
// (ctest): fuzz_replay <target> <file or folder>... Every file must come back with a
// result or an sjmt::error; a crash or a foreign exception fails the test.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "targets.hpp"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 3) {
    std::fprintf(stderr, "usage: fuzz_replay <target> <file or folder>...\n");
    return 2;
  }
  const std::string name = argv[1];
  const sjmt::fuzz::target* t = nullptr;
  for (const auto& c : sjmt::fuzz::targets)
    if (c.name == name) t = &c;
  if (t == nullptr) {
    std::fprintf(stderr, "fuzz_replay: no target '%s'\n", name.c_str());
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    const fs::path p = argv[i];
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (fs::is_regular_file(p)) {
      files.push_back(p);
    }
  }
  std::size_t n = 0;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    try {
      t->run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz_replay %s: %s: escaped %s\n", name.c_str(), f.string().c_str(), e.what());
      return 1;
    }
    ++n;
  }
  std::printf("fuzz_replay %s: %zu inputs, all answered\n", name.c_str(), n);
  fs::remove_all(sjmt::fuzz::scratch_dir());
  return n > 0 ? 0 : 1;
}
