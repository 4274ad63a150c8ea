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
//   build/examples/photos --checkpoint model.safetensors --faces --annotate out/ group.jpg   # one line per face
//
// Arguments are image files (anything stb_image decodes: PNG, JPEG, BMP, ...),
// folders (their image files, sorted; not recursive) or lists (.txt, .lst,
// .list: one path per line, relative to the list's folder; '#' starts a
// comment). Without --faces each image is one face: it goes whole through the
// training preprocessing (resized to the model input), so pass face crops.
// With --faces (OpenCV's Haar cascade, haarcascade_frontalface_default.xml of
// Debian's opencv-data) each frontal face found is cropped, with --margin of
// its size around it, and answered on a line of its own with its box ("face")
// and the crop ("crop") in the image's pixels; an image with no face found
// gets one line with "faces": 0. --annotate DIR writes DIR/<name>.annotated.png:
// each face's box, its top emotion and its active AUs. An unreadable image is
// named on stderr and skipped; the exit status is then 1, after every other
// image is answered. A checkpoint of another layout is refused with both layouts named.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sjmt/sjmt.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
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

#if SJMT_PHOTOS_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#endif

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

/// A rectangle of an image, in pixels.
struct box {
  int x = 0, y = 0, width = 0, height = 0;
};

json box_json(const box& b) { return {{"x", b.x}, {"y", b.y}, {"width", b.width}, {"height", b.height}}; }

/// The pixels of `b` (inside img) of `img`.
data::image crop(const data::image& img, const box& b) {
  data::image out(b.width, b.height, img.channels());
  for (int y = 0; y < b.height; ++y)
    for (int x = 0; x < b.width; ++x)
      for (int c = 0; c < img.channels(); ++c) out.at(y, x, c) = img.at(b.y + y, b.x + x, c);
  return out;
}

/// `b` grown by `margin` of its size on every side, clipped to a width x height image.
box with_margin(const box& b, double margin, int width, int height) {
  const int dx = static_cast<int>(std::lround(margin * b.width)), dy = static_cast<int>(std::lround(margin * b.height));
  const int x0 = std::max(0, b.x - dx), y0 = std::max(0, b.y - dy);
  const int x1 = std::min(width, b.x + b.width + dx), y1 = std::min(height, b.y + b.height + dy);
  return {x0, y0, x1 - x0, y1 - y0};
}

/// One image's answer as a JSON object. `file` and the image's size come
/// from `image_width` x `image_height`; `face` and `crop` (with --faces) say
/// where in the image the answered pixels were, and regression points are
/// moved from the crop's coordinates into the image's.
json to_json(const fs::path& file, const prediction<>& p, int image_width, int image_height,
             const std::optional<box>& face = std::nullopt, const box& where = {}) {
  json j;
  j["file"] = file.string();
  j["width"] = image_width;
  j["height"] = image_height;
  if (face) {
    j["face"] = box_json(*face);
    j["crop"] = box_json(where);
  }
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
          for (const auto& pt : s.points) points.push_back({pt.x + float(where.x), pt.y + float(where.y)});
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
  bool faces = false;       ///< find faces with the Haar cascade, answer each
  fs::path cascade{};       ///< "": the cascade the build found (opencv-data's frontal face)
  int min_face = 24;        ///< the smallest face looked for, in pixels (the cascade's window)
  double margin = 0.15;     ///< of the face's size, added around it before the crop
  fs::path annotate{};      ///< "": no annotated images; else their folder
};

#if SJMT_PHOTOS_OPENCV
/// 8-bit RGB (OpenCV's drawing takes the channels in any order; sjmt's are RGB).
cv::Mat to_mat(const data::image& rgb) {
  const std::vector<std::uint8_t> bytes = data::to_bytes(data::to_rgb(rgb));
  return cv::Mat(rgb.height(), rgb.width(), CV_8UC3, const_cast<std::uint8_t*>(bytes.data())).clone();
}

data::image from_mat(const cv::Mat& m) {
  data::image out(m.cols, m.rows, 3);
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x)
      for (int c = 0; c < 3; ++c) out.at(y, x, c) = float(m.at<cv::Vec3b>(y, x)[c]) / 255.0f;
  return out;
}

/// Frontal faces by OpenCV's Haar cascade (Viola-Jones), on the equalised grey image.
class face_finder {
 public:
  face_finder(const fs::path& cascade, int min_face) : m_min(min_face) {
    SJMT_CHECK(io_error, fs::is_regular_file(cascade) && m_cascade.load(cascade.string()), "photos: cannot load the face "
               "cascade ", cascade.string(), " (apt-get install opencv-data, or give --cascade)");
  }
  std::vector<box> find(const data::image& rgb) {
    cv::Mat grey;
    cv::cvtColor(to_mat(rgb), grey, cv::COLOR_RGB2GRAY);
    cv::equalizeHist(grey, grey);
    std::vector<cv::Rect> found;
    m_cascade.detectMultiScale(grey, found, 1.1, 5, 0, cv::Size(m_min, m_min));
    std::sort(found.begin(), found.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.x < b.x; });
    std::vector<box> out;
    for (const cv::Rect& r : found) out.push_back({r.x, r.y, r.width, r.height});
    return out;
  }

 private:
  cv::CascadeClassifier m_cascade;
  int m_min;
};

/// `rgb` with each face's box, its top emotion (and probability) above it and
/// its active AUs below it, written to `file` as PNG.
void write_annotated(const fs::path& file, const data::image& rgb, const std::vector<box>& faces,
                     const std::vector<prediction<>>& answers) {
  cv::Mat m = to_mat(rgb);
  const double scale = std::max(0.35, std::min(rgb.width(), rgb.height()) / 400.0);
  const int thick = std::max(1, static_cast<int>(std::lround(2 * scale)));
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const box& b = faces[i];
    cv::rectangle(m, cv::Rect(b.x, b.y, b.width, b.height), cv::Scalar(0, 255, 0), thick);
    std::string top, aus;
    for (const auto& s : answers[i].spaces) {
      if (s.kind == kind::exclusive) {
        char text[64];
        std::snprintf(text, sizeof text, "%s %.2f", std::string(s.top_class()).c_str(), double(s.values[s.top]));
        top = text;
      }
      if (s.kind == kind::multilabel)
        for (std::string_view a : s.active_classes()) (aus += aus.empty() ? "" : " ") += std::string(a);
    }
    int baseline = 0;
    const cv::Size size = cv::getTextSize(top, cv::FONT_HERSHEY_SIMPLEX, scale, thick, &baseline);
    const int above = std::max(size.height + 2, b.y - 4);
    cv::putText(m, top, cv::Point(b.x, above), cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 0), thick);
    const int below = std::min(rgb.height() - 2, b.y + b.height + size.height + 4);
    cv::putText(m, aus.empty() ? std::string("no AU") : aus, cv::Point(b.x, below), cv::FONT_HERSHEY_SIMPLEX,
                scale * 0.8, cv::Scalar(255, 128, 0), thick);
  }
  data::write_png(file, from_mat(m));
}
#endif

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
  const auto line = [&out](const json& j) { out << j.dump(-1, ' ', false, json::error_handler_t::replace) << "\n"; };
  if (o.faces || !o.annotate.empty()) {
#if SJMT_PHOTOS_OPENCV
    SJMT_CHECK(value_error, o.margin >= 0 && o.margin <= 1, "photos: --margin ", o.margin, ", expected in [0, 1]");
    std::optional<face_finder> finder;
    if (o.faces) finder.emplace(o.cascade.empty() ? fs::path(SJMT_PHOTOS_CASCADE) : o.cascade, o.min_face);
    if (!o.annotate.empty()) fs::create_directories(o.annotate);
    for (const fs::path& f : files) {
      data::image rgb;
      try {
        rgb = data::read_image(f, 3);
      } catch (const io_error& e) {
        err << "photos: " << e.what() << "\n";  // names the file
        ++failures;
        continue;
      }
      std::vector<box> faces = finder ? finder->find(rgb) : std::vector<box>{{0, 0, rgb.width(), rgb.height()}};
      std::vector<box> crops;
      std::vector<data::image> pictures;
      for (const box& b : faces) {
        crops.push_back(finder ? with_margin(b, o.margin, rgb.width(), rgb.height()) : b);
        pictures.push_back(crop(rgb, crops.back()));
      }
      const std::vector<prediction<>> answers =
          pictures.empty() ? std::vector<prediction<>>{} : p.predict(std::span<const data::image>(pictures));
      if (faces.empty()) line({{"file", f.string()}, {"width", rgb.width()}, {"height", rgb.height()}, {"faces", 0}});
      for (std::size_t i = 0; i < answers.size(); ++i)
        line(finder ? to_json(f, answers[i], rgb.width(), rgb.height(), faces[i], crops[i])
                    : to_json(f, answers[i], rgb.width(), rgb.height()));
      out.flush();
      if (!o.annotate.empty()) write_annotated(o.annotate / (f.stem().string() + ".annotated.png"), rgb, faces, answers);
    }
    return failures;
#else
    throw value_error("photos: --faces and --annotate need OpenCV's objdetect module, and this build found none "
                      "(apt-get install libopencv-objdetect-dev opencv-data, then configure again)",
                      std::source_location::current());
#endif
  }
  std::vector<data::image> images;
  std::vector<fs::path> names;
  const auto flush = [&] {
    const std::vector<prediction<>> answers = p.predict(std::span<const data::image>(images));
    for (std::size_t i = 0; i < answers.size(); ++i) line(to_json(names[i], answers[i], answers[i].width, answers[i].height));
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

  // Faces: a photograph with one face (tests/data/photos), a picture with none, the corrupt file.
  const fs::path photo = fs::path(SJMT_PHOTOS_FIXTURES) / "astronaut.jpg";
  data::image plain(120, 90, 3);
  for (int y = 0; y < 90; ++y)
    for (int x = 0; x < 120; ++x) plain.at(y, x, 0) = plain.at(y, x, 1) = plain.at(y, x, 2) = float(x) / 120.0f;
  data::write_png(dir / "no_face.png", plain);
  const run_options faces{.checkpoint = checkpoint, .faces = true, .annotate = dir / "annotated"};
#if SJMT_PHOTOS_OPENCV
  {
    std::ostringstream fout, ferr;
    const std::size_t bad_inputs =
        run(faces, {photo.string(), (dir / "no_face.png").string(), (dir / "broken.png").string()}, fout, ferr);
    expect(bad_inputs == 1, "--faces: the corrupt file reported, " + std::to_string(bad_inputs) + " failures");
    std::vector<json> got;
    std::istringstream flines(fout.str());
    for (std::string l; std::getline(flines, l);) got.push_back(json::parse(l, nullptr, false));
    expect(got.size() == 2, "--faces: one line for the face, one for the picture without: " + std::to_string(got.size()));
    if (got.size() == 2) {
      const json& face = got[0]["face"];
      // Eileen Collins' face: the cascade finds it at about (54, 20), 31 x 31, of the 160 x 160 photograph.
      const bool where = face.is_object() && face.value("x", -1) > 40 && face.value("x", -1) < 70 &&
                         face.value("y", -1) > 5 && face.value("y", -1) < 35 && face.value("width", 0) > 20 &&
                         face.value("width", 0) < 50;
      expect(where, "--faces: the face's box in the photograph: " + got[0].dump());
      const json& c = got[0]["crop"];
      expect(c.value("x", 99) <= face.value("x", 0) && c.value("width", 0) > face.value("width", 0),
             "--faces: the crop holds the face with its margin");
      expect(got[0]["emotion"]["probabilities"].size() == 7 && got[0]["aus"]["active"].is_array(),
             "--faces: the face is answered per label space");
      expect(got[1].value("faces", -1) == 0 && !got[1].contains("emotion"), "--faces: no face in the plain picture");
    }
    const fs::path drawn = dir / "annotated" / "astronaut.annotated.png";
    expect(fs::exists(drawn), "--annotate: " + drawn.string() + " written");
    if (fs::exists(drawn)) {
      const data::image a = data::read_image(drawn), original = data::read_image(photo);
      expect(a.width() == original.width() && a.height() == original.height() && a != original,
             "--annotate: the photograph, same size, with the box and labels drawn");
    }
    std::printf("faces: %zu lines for a photograph and a plain picture, annotated image written\n", got.size());
  }
#else
  try {
    std::ostringstream sink;
    run(faces, {photo.string()}, sink, sink);
    expect(false, "--faces without OpenCV is refused");
  } catch (const value_error& e) {
    expect(std::string(e.what()).find("OpenCV") != std::string::npos, "--faces without OpenCV names it");
  }
  std::printf("SKIPPED: face detection (this build found no OpenCV objdetect module)\n");
#endif
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
  app.add_flag("--faces", o.faces, "find frontal faces (OpenCV's Haar cascade) and answer each on its own line");
  app.add_option("--cascade", o.cascade, "the Haar cascade file (default: opencv-data's haarcascade_frontalface_default.xml)");
  app.add_option("--min-face", o.min_face, "the smallest face looked for, in pixels")->check(CLI::PositiveNumber);
  app.add_option("--margin", o.margin, "of a face's size, added around it before the crop")->check(CLI::Range(0.0, 1.0));
  app.add_option("--annotate", o.annotate, "write <folder>/<name>.annotated.png: boxes, top emotion, active AUs");
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
