// Brief: a trained network on photos. Opens a checkpoint that the trainer wrote
// (quickstart, paper: the layout emotion (7) + EmotioNet's 11 AUs) with
// sjmt::predictor and writes one JSON line per image: the file, its size, and
// per label space the class names as keys with their probabilities, the top
// class (exclusive spaces) and the active labels (multilabel spaces: the AUs
// at probability >= --threshold).
//
//   build/examples/photos --checkpoint runs/x/model.safetensors face.png photos/ list.txt > answers.jsonl
//   build/examples/photos --checkpoint model.safetensors --threshold 0.3 --exclusive softmax faces/
//   build/examples/photos --check      # trains a tiny model, writes PNGs, runs on them, checks the JSON
//
// Arguments are image files (anything stb_image decodes: PNG, JPEG, BMP, ...),
// folders (their image files, sorted; not recursive) or lists (.txt, .lst,
// .list: one path per line, relative to the list's folder; '#' starts a
// comment). Each image goes through the training preprocessing (resized to
// the model input, whole: no face detection or crop, so pass face crops; the
// issue's OpenCV face detection is not built). An unreadable image is named
// on stderr and skipped; the exit status is then 1, after every other image
// is answered. A checkpoint of another layout is refused with both layouts named.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sjmt/sjmt.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace sjmt;
using layout = joint_layout<spaces::emotion, spaces::emotionet_aus>;
using domains = dataset_union<layout, datasets::sfew, datasets::emotionet>;
using json = nlohmann::ordered_json;  // keys in layout order

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* e : {".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif", ".psd", ".pgm", ".ppm", ".pnm", ".hdr"})
    if (ext == e) return true;
  return false;
}

bool is_list_name(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".txt" || ext == ".lst" || ext == ".list";
}

/// The image files that the arguments name, in order. Unreadable lists and
/// folders are reported through `fail` and skipped.
template <class Fail>
std::vector<fs::path> expand(const std::vector<std::string>& args, Fail&& fail) {
  std::vector<fs::path> out;
  for (const std::string& a : args) {
    const fs::path p(a);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::directory_iterator(p, ec))
        if (entry.is_regular_file(ec) && is_image_name(entry.path())) found.push_back(entry.path());
      if (ec) fail(p, "cannot list the folder (" + ec.message() + ")");
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (is_list_name(p)) {
      std::ifstream in(p);
      if (!in) {
        fail(p, std::string("cannot read the list"));
        continue;
      }
      std::string line;
      while (std::getline(in, line)) {
        if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        const auto first = line.find_first_not_of(" \t\r"), last = line.find_last_not_of(" \t\r");
        if (first == std::string::npos) continue;
        const fs::path item(line.substr(first, last - first + 1));
        out.push_back(item.is_absolute() ? item : p.parent_path() / item);
      }
    } else {
      out.push_back(p);  // a missing file is reported when it is read
    }
  }
  return out;
}

json to_json(const fs::path& file, const prediction<>& p) {
  json j;
  j["file"] = file.string();
  j["width"] = p.width;
  j["height"] = p.height;
  for (const auto& s : p.spaces) {
    json space;
    json values = json::object();
    for (std::size_t i = 0; i < s.classes.size(); ++i) values[std::string(s.classes[i])] = s.values[i];
    switch (s.kind) {
      case kind::exclusive:
        space["top"] = std::string(s.top_class());
        space["probabilities"] = std::move(values);
        break;
      case kind::multilabel: {
        json active = json::array();
        for (std::string_view a : s.active_classes()) active.push_back(std::string(a));
        space["active"] = std::move(active);
        space["probabilities"] = std::move(values);
        break;
      }
      case kind::regression: {
        space["values"] = std::move(values);
        if (!s.points.empty()) {
          json points = json::array();
          for (const auto& pt : s.points) points.push_back({pt.x, pt.y});
          space["points"] = std::move(points);
        }
        break;
      }
    }
    j[std::string(s.name)] = std::move(space);
  }
  return j;
}

struct run_options {
  fs::path checkpoint{};
  double threshold = 0.5;
  std::string exclusive{};  ///< "": as the checkpoint's sjmt.loss says (sigmoid unless it was the selective softmax)
  std::size_t batch = 64;
};

/// Answers every image of `args` on `out` (JSON lines), errors on `err`.
/// Returns the number of images (and lists, folders) that could not be read.
/// Throws sjmt::error for a checkpoint that cannot be used.
std::size_t run(const run_options& o, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  SJMT_CHECK(value_error, o.exclusive.empty() || o.exclusive == "sigmoid" || o.exclusive == "softmax",
             "photos: --exclusive '", o.exclusive, "', expected sigmoid or softmax");
  std::optional<exclusive_rule> rule;
  if (!o.exclusive.empty()) rule = o.exclusive == "softmax" ? exclusive_rule::softmax : exclusive_rule::sigmoid;
  predictor<domains> p(o.checkpoint, {.exclusive = rule, .threshold = o.threshold, .batch = o.batch});
  std::size_t failures = 0;
  const auto fail = [&](const fs::path& f, const std::string& why) {
    err << "photos: " << f.string() << ": " << why << "\n";
    ++failures;
  };
  const std::vector<fs::path> files = expand(args, fail);
  std::vector<data::image> images;
  std::vector<fs::path> names;
  const auto flush = [&] {
    const std::vector<prediction<>> answers = p.predict(std::span<const data::image>(images));
    for (std::size_t i = 0; i < answers.size(); ++i)
      out << to_json(names[i], answers[i]).dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    out.flush();
    images.clear(), names.clear();
  };
  for (const fs::path& f : files) {
    try {
      images.push_back(p.read(f));
      names.push_back(f);
    } catch (const io_error& e) {
      err << "photos: " << e.what() << "\n";  // names the file
      ++failures;
    }
    if (images.size() == std::max<std::size_t>(o.batch, 1)) flush();
  }
  flush();
  return failures;
}

// ---- --check ----

/// A ResNet-8 of Union's layout, trained for `steps` steps on the synthetic
/// sfew- and emotionet-like domains (Union = domains; another union: saved
/// untrained, as a network of another layout), saved to `file`.
template <class Union>
void train_tiny(const fs::path& file, std::size_t steps) {
  cpu_backend be;
  std::mt19937_64 rng(1);
  model<cpu_backend, float> net(be, {.arch = "resnet", .depth = 8}, joint_head_layout<typename Union::layout>(), rng);
  trainer<Union, model<cpu_backend, float>> t(be, net, selective_loss<Union>(), {.model_name = net.name()});
  if constexpr (std::is_same_v<Union, domains>) {
    data::union_sampler<Union> s({data::source(data::sfew_like(data::split::train, 1)),
                                  data::source(data::emotionet_like(data::split::train, 1))},
                                 {.batch_size = 16, .proportions = {0.5, 0.5}, .seed = 1});
    for (std::size_t i = 0; i < steps; ++i) t.step(s.next());
  }
  t.save(file);
}

int check() {
  const fs::path dir = fs::temp_directory_path() /
                       ("sjmt_photos_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(dir / "faces");
  std::size_t bad = 0;
  const auto expect = [&bad](bool ok, const std::string& what) {
    if (!ok) {
      std::printf("  failed: %s\n", what.c_str());
      ++bad;
    }
  };
  const fs::path checkpoint = dir / "model.safetensors";
  train_tiny<domains>(checkpoint, 10);

  // A few faces of the synthetic test set at other sizes, one grey, one corrupt file, a list.
  const data::sample_source test = data::source(data::sfew_like(data::split::test, 1));
  std::vector<fs::path> written;
  const int sizes[][2] = {{64, 64}, {97, 71}, {20, 24}};
  for (int i = 0; i < 3; ++i) {
    written.push_back(dir / "faces" / ("face" + std::to_string(i) + ".png"));
    data::write_png(written.back(), data::resize(test.get(static_cast<std::size_t>(i)).picture, sizes[i][0], sizes[i][1]));
  }
  written.push_back(dir / "grey.png");
  data::write_png(written.back(), data::to_grey(data::resize(test.get(3).picture, 50, 40)));
  std::ofstream(dir / "broken.png", std::ios::binary) << "not a PNG";
  std::ofstream(dir / "list.txt") << "# a list\ngrey.png\n\nbroken.png\n";

  std::ostringstream out, err;
  const std::size_t failures =
      run({.checkpoint = checkpoint, .threshold = 0.5}, {(dir / "faces").string(), (dir / "list.txt").string()}, out, err);
  std::printf("%s", err.str().c_str());
  expect(failures == 1, "one unreadable image, " + std::to_string(failures) + " reported");
  expect(err.str().find((dir / "broken.png").string() + ": cannot decode image") != std::string::npos,
         "the unreadable image is named");

  // One line per readable image, in order, answering as the predictor does.
  predictor<domains> p(checkpoint);
  std::istringstream lines(out.str());
  std::string line;
  std::size_t n = 0;
  while (std::getline(lines, line)) {
    const json j = json::parse(line, nullptr, false);
    expect(!j.is_discarded(), "line " + std::to_string(n) + " is JSON");
    if (j.is_discarded() || n >= written.size()) {
      ++n;
      continue;
    }
    const fs::path& f = written[n];
    expect(j.value("file", "") == f.string(), "line " + std::to_string(n) + " names " + f.string());
    const data::image img = data::read_image(f);
    expect(j.value("width", 0) == img.width() && j.value("height", 0) == img.height(), "the image's size");
    const prediction<> want = p.predict(f);
    const auto& emotion = j["emotion"];
    expect(emotion.value("top", "") == want["emotion"].top_class(), "the top emotion");
    expect(emotion["probabilities"].size() == 7 && emotion["probabilities"].begin().key() == "angry",
           "seven emotions by name, in layout order");
    for (std::size_t c = 0; c < 7; ++c) {
      const std::string name(spaces::emotion::class_name(c));
      expect(std::abs(emotion["probabilities"].value(name, -1.0) - double(want["emotion"].values[c])) < 1e-6,
             "P(" + name + ")");
    }
    const auto& aus = j["aus"];
    expect(aus["probabilities"].size() == 11, "eleven AUs by name");
    std::vector<std::string> active;
    for (std::size_t a = 0; a < 11; ++a) {
      const std::string name(spaces::emotionet_aus::class_name(a));
      const double v = aus["probabilities"].value(name, -1.0);
      expect(v >= 0 && v <= 1, "P(" + name + ") in [0, 1]");
      if (v >= 0.5) active.push_back(name);
    }
    expect(aus["active"] == json(active), "the active AUs are those at probability >= 0.5");
    ++n;
  }
  expect(n == written.size(), std::to_string(written.size()) + " lines, " + std::to_string(n) + " written");

  // Every AU active at threshold 0, none at 1 (nothing reaches a probability of exactly 1 here).
  std::ostringstream all, none, ignore;
  run({.checkpoint = checkpoint, .threshold = 0.0}, {written[0].string()}, all, ignore);
  run({.checkpoint = checkpoint, .threshold = 1.0}, {written[0].string()}, none, ignore);
  expect(json::parse(all.str())["aus"]["active"].size() == 11, "threshold 0: every AU active");
  expect(json::parse(none.str())["aus"]["active"].empty(), "threshold 1: no AU active");

  // A checkpoint of another layout is refused, naming both.
  using other = dataset_union<joint_layout<spaces::emotion>, datasets::sfew>;
  const fs::path wrong = dir / "emotion_only.safetensors";
  train_tiny<other>(wrong, 0);
  try {
    std::ostringstream sink;
    run({.checkpoint = wrong}, {written[0].string()}, sink, sink);
    expect(false, "a checkpoint of another layout is refused");
  } catch (const value_error& e) {
    const std::string what = e.what();
    expect(what.find(wrong.string()) != std::string::npos && what.find("'emotion:exclusive:7'") != std::string::npos &&
               what.find("'emotion:exclusive:7;aus:multilabel:11'") != std::string::npos,
           "the refusal names the file and both layouts: " + what);
  }
  std::printf("%zu images answered, %zu unreadable reported, another layout refused\n", n, failures);
  fs::remove_all(dir);
  std::printf("%s\n", bad == 0 ? "Passed" : "Failed");
  return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Emotions and Action Units of photos, by a network the sjmt trainer wrote, as JSON lines"};
  run_options o;
  std::string checkpoint;
  std::vector<std::string> inputs;
  bool check_flag = false;
  app.add_option("--checkpoint", checkpoint, "the trainer's checkpoint (.safetensors)");
  app.add_option("--threshold", o.threshold, "an AU is active at probability >= this")->check(CLI::Range(0.0, 1.0));
  app.add_option("--exclusive", o.exclusive, "how emotions were trained: sigmoid (selective loss) or softmax (default: what the checkpoint records)")
      ->check(CLI::IsMember({"sigmoid", "softmax"}));
  app.add_option("--batch", o.batch, "images per forward");
  app.add_option("inputs", inputs, "image files, folders of images, or lists (.txt, one path a line)");
  app.add_flag("--check", check_flag, "train a tiny model, write PNGs, answer them and check the JSON");
  CLI11_PARSE(app, argc, argv);
  try {
    if (check_flag) return check();
    if (checkpoint.empty() || inputs.empty()) {
      std::fprintf(stderr, "photos: give --checkpoint and at least one image, folder or list (--help)\n");
      return 2;
    }
    o.checkpoint = checkpoint;
    const std::size_t failures = run(o, inputs, std::cout, std::cerr);
    if (failures) std::fprintf(stderr, "photos: %zu inputs could not be read\n", failures);
    return failures ? 1 : 0;
  } catch (const sjmt::error& e) {
    std::fprintf(stderr, "photos: %s\n", e.what());
    return 1;
  }
}
