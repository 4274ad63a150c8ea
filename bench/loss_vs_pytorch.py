#!/usr/bin/python3
"""Selective loss (value + gradient) against PyTorch's masked
binary_cross_entropy_with_logits (forward + backward), same shapes, same run.

    bench/loss_vs_pytorch.py [--build build] [--rounds 5]

Alternates sjmt and PyTorch for several rounds and prints medians, the ratio,
and the fraction of the machine's measured memory bandwidth (bench_bandwidth's
triad) that each reaches. PyTorch is Debian's python3-torch (CPU, 2 threads);
without it the script says so and exits 0. Needs a build with the benches
(cmake -DSJMT_BUILD_BENCH=ON, the default).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

W = 18  # 7 emotions + 11 AUs
SIZES = [128, 4096, 262144]


def bytes_moved(n):
    # logits and targets read, gradient written (float32), domain index (int32) read
    return n * W * 3 * 4 + n * 4


def sjmt_times(build, rounds_per_call=1):
    out = subprocess.run(
        [os.path.join(build, "bench", "bench_loss"), "--benchmark_filter=^selective/",
         "--benchmark_format=json", "--benchmark_min_time=0.3", f"--benchmark_repetitions={rounds_per_call}"],
        check=True, capture_output=True, text=True).stdout
    times = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        n = int(b["name"].split("/")[1])
        times.setdefault(n, []).append(b["real_time"] * 1e-6 if b["time_unit"] == "us" else b["real_time"] * 1e-9)
    return {n: statistics.median(v) for n, v in times.items()}


def bandwidth(build):
    out = subprocess.run([os.path.join(build, "bench", "bench_bandwidth"), "--benchmark_filter=triad",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["benchmarks"][0]["bytes_per_second"]


def torch_times(torch, reps=None):
    import torch.nn.functional as F
    times = {}
    for n in SIZES:
        g = torch.Generator().manual_seed(0)
        z0 = torch.randn(n, W, generator=g) * 3
        y = torch.zeros(n, W)
        y[torch.arange(n), torch.randint(0, W, (n,), generator=g)] = 1
        domain = torch.arange(n) % 2
        masks = torch.zeros(2, W)
        masks[0, :7] = 1
        masks[1, 7:] = 1
        z = z0.clone().requires_grad_(True)

        def step():
            z.grad = None
            mask = masks[domain]  # the per-sample dataset mask, as a PyTorch user would build it
            loss = (F.binary_cross_entropy_with_logits(z, y, reduction="none") * mask).sum() / n
            loss.backward()
            return loss

        for _ in range(3):
            step()
        count = reps or max(3, int(2e6 // (n * W)) + 3)
        samples = []
        for _ in range(count):
            t0 = time.perf_counter()
            step()
            samples.append(time.perf_counter() - t0)
        times[n] = statistics.median(samples)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("loss_vs_pytorch: SKIPPED: python3-torch is not installed (scripts/setup --bench installs it)")
        return 0
    torch.set_num_threads(os.cpu_count() or 2)

    ours, theirs = {n: [] for n in SIZES}, {n: [] for n in SIZES}
    for _ in range(args.rounds):  # alternate A and B
        for n, t in sjmt_times(args.build).items():
            ours[n].append(t)
        for n, t in torch_times(torch).items():
            theirs[n].append(t)
    bw = bandwidth(args.build)

    print(f"machine: {os.cpu_count()} threads, triad bandwidth {bw / 1e9:.1f} GB/s; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; {args.rounds} alternating rounds, medians (min-max of rounds)")
    print("| N | sjmt ms | PyTorch ms | PyTorch / sjmt | sjmt GB/s | % of triad |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in SIZES:
        a, b = statistics.median(ours[n]), statistics.median(theirs[n])
        gbs = bytes_moved(n) / a / 1e9
        print(f"| {n} | {a * 1e3:.3f} ({min(ours[n]) * 1e3:.3f}-{max(ours[n]) * 1e3:.3f}) | "
              f"{b * 1e3:.3f} ({min(theirs[n]) * 1e3:.3f}-{max(theirs[n]) * 1e3:.3f}) | {b / a:.1f}x | "
              f"{gbs:.1f} | {100 * gbs * 1e9 / bw:.0f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
