#!/usr/bin/python3
"""Each convolution pass at ResNet-32's shapes, sjmt against PyTorch, side by side.

    bench/conv_vs_pytorch.py [--build build] [--rounds 3] [--threads 2]

Batch 128. Each round runs build/bench/bench_ops (conv_pass: forward,
backward-data, backward-filter; GFLOP/s counted as the direct convolution's
work) and then the same passes in PyTorch (aten::convolution for forward,
aten::convolution_backward with one output mask for each backward pass,
channels_last, fp32, no bias; medians of 20 calls after 3 untimed), one process
each, OMP_NUM_THREADS=threads. Prints GFLOP/s (median over rounds) and the
ratio sjmt / PyTorch (median of per-round ratios, min-max) as a markdown table:
where a training step's convolution time goes on each side, beside
bench/resnet_vs_pytorch.py's whole-network ratio. PyTorch gets the settings of
resnet_vs_pytorch.py (ATEN_CPU_CAPABILITY=avx512 where the CPU has it, glibc
malloc tuned not to return memory). Without python3-torch the script says so
and exits 0.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

from resnet_vs_pytorch import TORCH_PYTHON, TUNED_MALLOC, has_avx512  # PyTorch's settings there

PASSES = ("forward", "backward_data", "backward_filter")
# bench_ops' SJMT_CONV_ARGS: input size (H = W), C, K, stride, kernel (the second: a grey first layer)
SHAPES = ((32, 3, 16, 1, 3), (32, 1, 16, 1, 3), (32, 16, 16, 1, 3), (32, 144, 16, 1, 1), (16, 32, 32, 1, 3), (8, 64, 64, 1, 3),
          (32, 16, 32, 2, 3), (32, 16, 32, 2, 1), (16, 32, 64, 2, 3), (16, 32, 64, 2, 1), (12, 64, 64, 1, 3),
          (24, 32, 32, 1, 3), (48, 16, 16, 1, 3))

TORCH_SIDE = r"""
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
shapes = json.loads(sys.argv[2])
out = {}
for (h, c, k, s, r) in shapes:
    p = r // 2
    x = torch.randn(128, c, h, h).to(memory_format=torch.channels_last)
    w = torch.randn(k, c, r, r).to(memory_format=torch.channels_last)
    y = torch.ops.aten.convolution(x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1)
    dy = torch.randn(y.shape).to(memory_format=torch.channels_last)
    flops = 2.0 * y.numel() * c * r * r
    calls = {
        "forward": lambda: torch.ops.aten.convolution(x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1),
        "backward_data": lambda: torch.ops.aten.convolution_backward(
            dy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, [True, False, False]),
        "backward_filter": lambda: torch.ops.aten.convolution_backward(
            dy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, [False, True, False]),
    }
    for name, f in calls.items():
        for _ in range(3):
            f()
        times = []
        for _ in range(20):
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        out[f"{name}/{h}/{c}/{k}/{s}/{r}"] = flops / sorted(times)[len(times) // 2] / 1e9
print(json.dumps(out))
"""


def sjmt_rates(ops, env):
    out = subprocess.run([ops, "--benchmark_filter=conv_pass", "--benchmark_format=json",
                          "--benchmark_min_time=0.5"], env=env, check=True, capture_output=True, text=True).stdout
    rates = {}
    for b in json.loads(out)["benchmarks"]:
        # conv_pass/forward/32/16/16/1/3/real_time
        parts = b["name"].split("/")
        rates["/".join(parts[1:7])] = b["GFLOP/s"] / 1e9
    return rates


def torch_rates(env, threads):
    out = subprocess.run([TORCH_PYTHON, "-c", TORCH_SIDE, str(threads), json.dumps(SHAPES)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if subprocess.run([TORCH_PYTHON, "-c", "import torch"], capture_output=True).returncode != 0:
        print(f"skipped: PyTorch not found ({TORCH_PYTHON} cannot import torch; "
              "scripts/setup --bench installs Debian's python3-torch)")
        return 0
    ops = os.path.join(args.build, "bench", "bench_ops")
    if not os.path.exists(ops):
        sys.exit(f"{ops} not found: cmake --build {args.build} --target bench_ops")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    torch_env = dict(env, **TUNED_MALLOC)
    if has_avx512():
        torch_env["ATEN_CPU_CAPABILITY"] = "avx512"
    sj, pt = [], []
    for rnd in range(args.rounds):
        sj.append(sjmt_rates(ops, env))
        pt.append(torch_rates(torch_env, args.threads))
        print(f"round {rnd + 1} done", file=sys.stderr, flush=True)

    print(f"{args.threads} threads, batch 128, {args.rounds} alternating rounds; GFLOP/s as direct work, "
          "medians over rounds; ratio = median of per-round ratios (min-max)\n")
    print("| conv | pass | sjmt GFLOP/s | PyTorch GFLOP/s | sjmt / PyTorch |")
    print("|---|---|---:|---:|---:|")
    for p in PASSES:
        for (h, c, k, s, r) in SHAPES:
            key = f"{p}/{h}/{c}/{k}/{s}/{r}"
            if key not in sj[0]:
                continue
            ratios = sorted(a[key] / b[key] for a, b in zip(sj, pt))
            print(f"| {r}x{r}, {c}->{k}, {h}x{h}, stride {s} | {p.replace('_', '-')} | "
                  f"{statistics.median(a[key] for a in sj):.0f} | {statistics.median(b[key] for b in pt):.0f} | "
                  f"**{statistics.median(ratios):.2f}** ({ratios[0]:.2f}-{ratios[-1]:.2f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
