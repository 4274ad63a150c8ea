#!/usr/bin/python3
"""A trained network in use: sjmt's predictor against PyTorch (the same
ResNet-32 and weights) and against OpenCV's DNN module running sjmt's ONNX
export, side by side.

    bench/deploy_vs_pytorch.py [--build build] [--rounds 3] [--threads 2]

Each round runs bench_deploy (the predictor, then OpenCV DNN where the build
has it) and then bench/pytorch_deploy.py (channels_last and contiguous, eager and
TorchScript-frozen; the fastest of the four is PyTorch's figure), one
process each, at batch 1 (latency of one image) and 64 (throughput). Prints
milliseconds per batch (median over rounds, min-max), images per second and
the ratios PyTorch / sjmt and OpenCV / sjmt of the times (above 1: sjmt is
faster), medians of the per-round ratios, as a markdown table. PyTorch gets
ATEN_CPU_CAPABILITY=avx512 where the CPU has AVX-512 (BENCHMARKING.md).
Without python3-torch the script says so and reports sjmt and OpenCV only.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from resnet_vs_pytorch import has_avx512  # this folder is on sys.path when the script runs

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_PYTHON = "/usr/bin/python3"


def run(cmd, env):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def sjmt_and_opencv(build, env):
    out = run([os.path.join(build, "bench", "bench_deploy"), "--benchmark_format=json", "--benchmark_min_time=2"], env)
    times = {}
    for b in json.loads(out)["benchmarks"]:
        who, _, batch = b["name"].split("/")[:3]  # predictor/resnet32/batch:1/real_time
        times[f"{who}/{batch}"] = b["real_time"]  # ms (the benchmarks' unit)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch_ok = subprocess.run([TORCH_PYTHON, "-c", "import torch"], capture_output=True).returncode == 0
    if not torch_ok:
        print(f"PyTorch not found ({TORCH_PYTHON} cannot import torch; scripts/setup --bench installs "
              "Debian's python3-torch): its columns are left out")
    folder = tempfile.mkdtemp(prefix="sjmt-deploy-")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), SJMT_DEPLOY_DIR=folder)
    torch_env = dict(env)
    if has_avx512():
        torch_env["ATEN_CPU_CAPABILITY"] = "avx512"
    rounds = []
    for r in range(args.rounds):
        t = sjmt_and_opencv(args.build, env)
        if torch_ok:
            t.update({f"pytorch_{k}": v for k, v in json.loads(run([TORCH_PYTHON, os.path.join(HERE, "pytorch_deploy.py"),
                                                                   folder, "2"], torch_env)).items()})
        print(f"round {r + 1}: " + ", ".join(f"{k} {v:.2f} ms" for k, v in sorted(t.items())), flush=True)
        rounds.append(t)

    def med(key):
        v = [x[key] for x in rounds]
        return statistics.median(v), min(v), max(v)

    load = os.getloadavg()
    print(f"\nResNet-32, 32x32x3, 18 outputs; {args.threads} threads each; {args.rounds} alternating rounds; "
          f"medians (min-max); load average at the end {load[0]:.1f}")
    print("| batch | sjmt predictor ms | img/s | OpenCV DNN (sjmt's ONNX) ms | OpenCV / sjmt | "
          "PyTorch ms (fastest of 4 configurations) | PyTorch / sjmt |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in (1, 64):
        s = med(f"predictor/batch:{n}")
        row = f"| {n} | {s[0]:.2f} ({s[1]:.2f}-{s[2]:.2f}) | {1000 * n / s[0]:.0f} |"
        key = f"opencv_dnn/batch:{n}"
        if key in rounds[0]:
            o = med(key)
            ratios = [x[key] / x[f"predictor/batch:{n}"] for x in rounds]
            row += f" {o[0]:.2f} ({o[1]:.2f}-{o[2]:.2f}) | **{statistics.median(ratios):.2f}** |"
        else:
            row += " (no OpenCV in this build) | |"
        if torch_ok:
            layouts = ("channels_last", "contiguous", "channels_last_frozen", "contiguous_frozen")
            best = min(layouts, key=lambda lay: med(f"pytorch_{lay}/batch:{n}")[0])
            p = med(f"pytorch_{best}/batch:{n}")
            ratios = [x[f"pytorch_{best}/batch:{n}"] / x[f"predictor/batch:{n}"] for x in rounds]
            row += f" {p[0]:.2f} ({p[1]:.2f}-{p[2]:.2f}, {best}) | **{statistics.median(ratios):.2f}** |"
        else:
            row += " | |"
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
