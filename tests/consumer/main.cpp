// Checks that the package's headers, target and dependencies reach a
// downstream project: it declares its own label spaces, renders one synthetic
// face and encodes it to PNG and back (stb), writes and reads a JSON file
// (nlohmann, through sjmt::io), runs one linear op (sjmt::ops) on the CPU backend (Eigen,
// xtensor, OpenMP) and round-trips a safetensors file. A dependency the
// package does not declare fails to compile or link here.
#include <sjmt/sjmt.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

using pose = sjmt::label_space<"pose", sjmt::kind::regression, "yaw", "pitch", "roll">;
using layout = sjmt::joint_layout<pose, sjmt::spaces::emotionet_aus>;
using poses = sjmt::dataset<"poses", pose>;
using domains = sjmt::dataset_union<layout, poses, sjmt::datasets::emotionet>;
static_assert(domains::mask<poses>()[2] && !domains::mask<poses>()[3]);

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  std::printf("consumer: %s: %s\n", what, ok ? "ok" : "FAILED");
  if (!ok) ++failures;
}

}  // namespace

int main() {
  namespace fs = std::filesystem;
  std::printf("consumer: sjmt %s, layout of %zu outputs, output 3 is %s\n", SJMT_VERSION_STRING, layout::size,
              layout::output(3).qualified().c_str());
  check(layout::size == 14, "layout size");
  const fs::path dir = fs::temp_directory_path() / ("sjmt_consumer_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  try {
    // The data pipeline: one synthetic face, to PNG and back through stb.
    const sjmt::data::synthetic_domain faces = sjmt::data::fer_like(sjmt::data::split::train, 1);
    const sjmt::data::image face = faces[0].picture;
    sjmt::data::write_png(dir / "face.png", face);
    const sjmt::data::image back = sjmt::data::read_image(dir / "face.png", face.channels());
    check(back.width() == face.width() && back.height() == face.height() && !face.empty(), "face to PNG and back");

    // A JSON file through io/.
    sjmt::io::write_json(dir / "run.json", {{"steps", 3}, {"name", "consumer"}});
    check(sjmt::io::read_json(dir / "run.json").at("steps") == 3, "JSON file");

    // One op on the CPU backend: y = x w + b, (1, 2) (2, 1) + (1).
    sjmt::cpu_backend be;
    sjmt::host_tensor<float> x({1, 1, 1, 2}), w({1, 1, 2, 1}), b({1, 1, 1, 1}), y;
    x.data()[0] = 1, x.data()[1] = 2, w.data()[0] = 3, w.data()[1] = 4, b.data()[0] = 0.5f;
    sjmt::ops::linear_forward(be, x, w, b, y);  // through the door: it checks the shapes and sizes y
    check(std::abs(y.data()[0] - 11.5f) < 1e-6f, "linear on the CPU backend");

    // A checkpoint of that weight, through io/safetensors.
    sjmt::parameter_list<sjmt::cpu_backend, float> ps{{"w", &w, nullptr, false, sjmt::tensor_role::matrix}};
    sjmt::save_checkpoint(be, dir / "w.safetensors", ps, {"linear", "", 7});
    check(sjmt::load_checkpoint(be, dir / "w.safetensors", ps, {"linear", "", 0}).step == 7, "checkpoint");
  } catch (const sjmt::error& e) {
    std::printf("consumer: %s\n", e.what());
    ++failures;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  std::printf("consumer: %s\n", failures == 0 ? "Passed" : "Failed");
  return failures == 0 ? 0 : 1;
}
