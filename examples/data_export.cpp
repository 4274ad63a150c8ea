// data_export: writes a synthetic domain to disk in the matching real dataset's format,
// so that the real loaders read it back, and draws a contact sheet PNG of labelled samples.
//
//   ./build/examples/data_export --domain sfew --out /tmp/sfew --sheet /tmp/sfew.png
//   ./build/examples/data_export --domain emotionet --count 2000 --out /tmp/en
//   ./build/examples/data_export --check          # every domain, small, round-tripped
//
// Domains and formats: sfew (SFEW_2.0/Train, Val folders of PNGs), emotionet (manual AU
// table with 999, JPEG images), compound (AU table + emotion-category CSV), ck (CK+ tree of
// 4-frame neutral-to-peak sequences with Emotion, FACS and Landmarks files), fer (fer2013.csv with Training/PublicTest/PrivateTest).
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <sjmt/data.hpp>

namespace fs = std::filesystem;
using namespace sjmt::data;

namespace {

std::vector<labelled_face> take(const synthetic_domain& d, std::size_t count) {
  std::vector<labelled_face> v;
  const std::size_t n = count == 0 ? d.size() : std::min(count, d.size());
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) v.push_back(d[i]);
  return v;
}

/// Writes `domain` under `out`; reads it back with the real loader; returns the faces
/// written and the number of label mismatches after the round trip.
std::size_t export_domain(const std::string& domain, const fs::path& out, std::uint64_t seed, std::size_t count,
                          std::vector<labelled_face>& written) {
  std::size_t mismatches = 0;
  auto same_emotion = [&](const std::vector<labelled_face>& a, const std::vector<labelled_face>& b) {
    if (a.size() != b.size()) return ++mismatches, void();
    // SFEW folders reorder the files; compare the class counts.
    std::array<int, 8> na{}, nb{};
    for (const auto& f : a) ++na[static_cast<std::size_t>(f.emotion + 1)];
    for (const auto& f : b) ++nb[static_cast<std::size_t>(f.emotion + 1)];
    mismatches += na != nb;
  };
  if (domain == "sfew") {
    const auto train = take(sfew_like(split::train, seed), count), test = take(sfew_like(split::test, seed), count);
    write_sfew(out / "SFEW_2.0", "Train", train);
    write_sfew(out / "SFEW_2.0", "Val", test);
    same_emotion(train, load_sfew(out / "SFEW_2.0").faces);
    sfew_options val;
    val.split = "Val";
    same_emotion(test, load_sfew(out / "SFEW_2.0", val).faces);
    written = train;
  } else if (domain == "emotionet" || domain == "compound") {
    const auto faces = take(domain == "emotionet" ? emotionet_like(split::train, seed) : emotionet_compound_like(seed), count);
    fs::create_directories(out);
    write_emotionet_aus(out / "EmotioNet_FACS.csv", faces, out / "Images");
    emotionet_options o;
    o.image_root = out / "Images";
    const auto back = load_emotionet_aus(out / "EmotioNet_FACS.csv", o).faces;
    mismatches += back.size() != faces.size();
    for (std::size_t i = 0; i < std::min(back.size(), faces.size()); ++i)
      for (int au : sjmt::spaces::emotionet_aus::au)
        mismatches += back[i].au[static_cast<std::size_t>(au)] != faces[i].au[static_cast<std::size_t>(au)];
    if (domain == "compound") {
      write_emotionet_emotions(out / "URLsWithEmotionCat.csv", faces);
      const auto cats = load_emotionet_emotions(out / "URLsWithEmotionCat.csv").faces;
      for (std::size_t i = 0; i < std::min(cats.size(), faces.size()); ++i) mismatches += cats[i].compound != faces[i].compound;
    }
    written = faces;
  } else if (domain == "ck") {
    // Posed sequences, neutral onset to peak, as CK+ distributes them (4 frames each).
    const synthetic_domain ck = ck_like(seed);
    std::vector<std::vector<labelled_face>> sequences;
    std::vector<labelled_face> faces;
    for (std::size_t i = 0; i < (count == 0 ? ck.size() : std::min(count, ck.size())); ++i) {
      sequences.push_back(ck.sequence(i, 4));
      faces.push_back(sequences.back().back());
    }
    write_ckplus(out / "CK+", sequences);
    const auto back = load_ckplus(out / "CK+").faces;
    mismatches += back.size() != faces.size();
    for (std::size_t i = 0; i < std::min(back.size(), faces.size()); ++i) {
      mismatches += back[i].ckplus_emotion != faces[i].ckplus_emotion;
      for (int au : rendered_aus)  // CK+'s FACS files code every AU; the domain labels the rendered ones
        mismatches += back[i].au_intensity[static_cast<std::size_t>(au)] != faces[i].au_intensity[static_cast<std::size_t>(au)];
    }
    written = faces;
  } else if (domain == "fer") {
    std::vector<labelled_face> all;
    std::vector<std::string> usage;
    for (auto [s, name] : {std::pair{split::train, "Training"}, std::pair{split::test, "PublicTest"},
                           std::pair{split::validation, "PrivateTest"}}) {
      for (auto& f : take(fer_like(s, seed), count)) all.push_back(std::move(f)), usage.push_back(name);
    }
    fs::create_directories(out / "fer2013");
    write_fer2013(out / "fer2013" / "fer2013.csv", all, usage);
    const auto back = load_fer2013(out / "fer2013" / "fer2013.csv").faces;
    mismatches += back.size() != all.size();
    for (std::size_t i = 0; i < std::min(back.size(), all.size()); ++i) mismatches += back[i].emotion != all[i].emotion;
    written = all;
  } else {
    throw sjmt::value_error("unknown domain '" + domain + "'; expected sfew, emotionet, compound, ck or fer",
                            std::source_location::current());
  }
  return mismatches;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Write a synthetic sjmt domain in its real dataset's format and draw a contact sheet"};
  std::string domain = "sfew", out_dir, sheet;
  std::uint64_t seed = 1;
  std::size_t count = 0, sheet_count = 32;
  int tile = 96;
  bool check = false;
  app.add_option("--domain", domain, "sfew, emotionet, compound, ck or fer");
  app.add_option("--out", out_dir, "output folder");
  app.add_option("--seed", seed, "the domain's seed");
  app.add_option("--count", count, "samples per split (0: all)");
  app.add_option("--sheet", sheet, "contact sheet PNG of the first samples, rendered at the tile size");
  app.add_option("--sheet-count", sheet_count, "samples on the contact sheet");
  app.add_option("--tile", tile, "tile size of the contact sheet in pixels");
  app.add_flag("--check", check, "export every domain (24 per split) to a temporary folder and verify the round trip");
  CLI11_PARSE(app, argc, argv);
  try {
    if (check) {
      const fs::path tmp = fs::temp_directory_path() /
                           ("sjmt_data_export_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
      std::size_t bad = 0;
      for (const char* d : {"sfew", "emotionet", "compound", "ck", "fer"}) {
        std::vector<labelled_face> written;
        const std::size_t m = export_domain(d, tmp / d, seed, 24, written);
        std::printf("%-10s %zu faces written and read back, %zu label mismatches\n", d, written.size(), m);
        bad += m;
        const image s = contact_sheet(std::span(written).first(std::min<std::size_t>(written.size(), 8)), {.columns = 8, .tile = 48});
        write_png(tmp / (std::string(d) + "_sheet.png"), s);
        bad += !fs::exists(tmp / (std::string(d) + "_sheet.png"));
      }
      fs::remove_all(tmp);
      std::printf("%s\n", bad == 0 ? "Passed" : "Failed");
      return bad == 0 ? 0 : 1;
    }
    if (!out_dir.empty()) {
      std::vector<labelled_face> written;
      const std::size_t m = export_domain(domain, out_dir, seed, count, written);
      std::printf("%s: %zu faces written to %s, read back with %zu label mismatches\n", domain.c_str(), written.size(),
                  out_dir.c_str(), m);
    }
    if (!sheet.empty()) {
      // The same domain rendered at the tile size to be looked at.
      const render_options big{.width = tile, .height = tile, .channels = 3};
      const synthetic_domain d = domain == "emotionet" ? emotionet_like(split::train, seed, big)
                                 : domain == "compound" ? emotionet_compound_like(seed, default_compound_counts, big)
                                 : domain == "ck"       ? ck_like(seed, big)
                                 : domain == "fer"      ? fer_like(split::train, seed, big)
                                                        : sfew_like(split::train, seed, big);
      const auto faces = take(d, sheet_count);
      write_png(sheet, contact_sheet(faces, {.columns = 8, .tile = tile}));
      std::printf("contact sheet: %s\n", sheet.c_str());
    }
  } catch (const sjmt::error& e) {
    std::fprintf(stderr, "data_export: %s\n", e.what());
    return 1;
  }
  return 0;
}
