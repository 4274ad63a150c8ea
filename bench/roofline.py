#!/usr/bin/python3
"""A roofline of ResNet-32's convolutions on this machine, as a markdown table.

    bench/roofline.py [--build build] [--threads 2] [--min-time 0.5]

Runs build/bench/bench_ops (every conv pass at ResNet-32's shapes, batch 128;
Eigen's SGEMM; one thread's register FMA peak) and build/bench/bench_bandwidth
(STREAM triad), all with OMP_NUM_THREADS=threads, and prints for each shape
and pass: GFLOP/s, the share of the FMA peak (one thread's peak x threads), the
share of Eigen's SGEMM, the arithmetic intensity (flops per byte of x, w and y
moved once) and the bandwidth roof (intensity x triad bandwidth). A pass whose
bandwidth roof is below the FMA peak is memory-bound on this machine.
Run it on an idle machine: a busy core slows every OpenMP region.
"""
import argparse
import json
import os
import subprocess
import sys


def run(cmd, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["benchmarks"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-time", default="0.5")
    args = ap.parse_args()
    ops = os.path.join(args.build, "bench", "bench_ops")
    bandwidth = os.path.join(args.build, "bench", "bench_bandwidth")
    for exe in (ops, bandwidth):
        if not os.path.exists(exe):
            sys.exit(f"{exe} not found: cmake --build {args.build} --target bench_ops bench_bandwidth")

    convs = run([ops, "--benchmark_filter=conv_pass", "--benchmark_format=json",
                 f"--benchmark_min_time={args.min_time}"], args.threads)
    sgemm = run([ops, "--benchmark_filter=sgemm", "--benchmark_format=json"], args.threads)[0]["GFLOP/s"] / 1e9
    fma = run([ops, "--benchmark_filter=fma_peak", "--benchmark_format=json"], 1)[0]["GFLOP/s"] / 1e9
    triad = [b for b in run([bandwidth, "--benchmark_filter=triad", "--benchmark_format=json"], args.threads)
             if b["name"].startswith("triad")][0]["bytes_per_second"] / 1e9
    peak = fma * args.threads

    print(f"FMA peak {fma:.0f} GFLOP/s per thread x {args.threads} = {peak:.0f}; "
          f"Eigen SGEMM 1024^3 {sgemm:.0f} GFLOP/s; triad {triad:.1f} GB/s\n")
    print("| conv (batch 128) | pass | GFLOP/s | of FMA peak | of Eigen SGEMM | flop/byte | bandwidth roof GFLOP/s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for b in convs:
        # conv_pass/<pass>/H/C/K/stride/R/real_time
        parts = b["name"].split("/")
        kind, (H, C, K, stride, R) = parts[1], map(int, parts[2:7])
        P = H // stride
        flops = 2.0 * 128 * P * P * K * R * R * C
        moved = 4.0 * (128 * H * H * C + R * R * C * K + 128 * P * P * K)
        intensity = flops / moved
        rate = b["GFLOP/s"] / 1e9
        print(f"| {R}x{R}, {C}->{K}, {H}x{H}, stride {stride} | {kind.replace('_', '-')} | {rate:.0f} | "
              f"{rate / peak:.0%} | {rate / sgemm:.0%} | {intensity:.0f} | {intensity * triad:.0f} |")


if __name__ == "__main__":
    main()
