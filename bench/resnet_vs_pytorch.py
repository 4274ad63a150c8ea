#!/usr/bin/python3
"""ResNet-CIFAR training step and inference, sjmt against PyTorch, side by side.

    bench/resnet_vs_pytorch.py [--build build] [--rounds 3] [--threads 2] [--depths 32,110] [--isa best|avx2]

Batch 128, 3x32x32, 18 outputs. Each round runs, for every depth and workload,
sjmt's bench_resnet and then PyTorch (bench/pytorch_resnet.py, channels_last
and contiguous), one process each, so that every process's peak resident
memory (wait4's ru_maxrss) belongs to one workload. Prints images per second
(median over rounds, min-max), peak MiB and the ratio sjmt / PyTorch in the
layout with the better median, as a markdown table; PyTorch's peak is also
measured once more with glibc's default malloc. PyTorch gets its best settings on this machine
(BENCHMARKING.md): ATEN_CPU_CAPABILITY=avx512 where the CPU has AVX-512 and
glibc malloc tuned not to return memory (faster inference; its peak is then
its real footprint under those settings). Without python3-torch the script
says so and exits 0.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_PYTHON = "/usr/bin/python3"
TUNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "4294967296", "MALLOC_TRIM_THRESHOLD_": "68719476736",
                "MALLOC_TOP_PAD_": "536870912"}


def run_child(cmd, env):
    """(stdout, peak MiB) of one child: wait4 gives this child's own ru_maxrss.
    stderr goes to a temporary file, so a chatty child cannot fill a pipe."""
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.read()}")
    return out, usage.ru_maxrss / 1024


def sjmt_rate(build, depth, workload, env):
    name = "train_step" if workload == "train" else "inference"
    min_time = "3" if depth <= 32 else "6"
    out, peak = run_child([os.path.join(build, "bench", "bench_resnet"),
                           # anchored: bench_resnet also has resnet32/<workload>/shape/... sweeps, whose
                           # larger batches and images would set this process's peak memory
                           f"--benchmark_filter=^resnet{depth}/{name}/b128/", "--benchmark_format=json",
                           f"--benchmark_min_time={min_time}"], env)
    bench = json.loads(out)["benchmarks"][0]
    return bench["img/s"], peak


def torch_rate(depth, workload, layout, env):
    steps = "5" if depth <= 32 else "3"
    out, peak = run_child([TORCH_PYTHON, os.path.join(HERE, "pytorch_resnet.py"), str(depth), steps, workload,
                           layout], env)
    m = re.search(r"(train|inference) ([0-9.]+) img/s", out)
    if m is None:
        sys.exit(f"pytorch_resnet.py printed no rate:\n{out}")
    return float(m.group(2)), peak


def has_avx512():
    try:
        with open("/proc/cpuinfo") as f:
            return " avx512f" in f.read()
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--depths", default="32,110")
    ap.add_argument("--isa", choices=("best", "avx2"), default="best",
                    help="avx2: hold PyTorch to AVX2 (ATen and oneDNN), to compare with an sjmt build "
                         "for x86-64-v3 (--build build-avx2) as a stand-in for the AVX2 machine kind")
    args = ap.parse_args()

    if subprocess.run([TORCH_PYTHON, "-c", "import torch"], capture_output=True).returncode != 0:
        print(f"skipped: PyTorch not found ({TORCH_PYTHON} cannot import torch; "
              "scripts/setup --bench installs Debian's python3-torch)")
        return 0

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    torch_env = dict(env, **TUNED_MALLOC)
    if args.isa == "avx2":
        torch_env.update(ATEN_CPU_CAPABILITY="avx2", ONEDNN_MAX_CPU_ISA="AVX2", DNNL_MAX_CPU_ISA="AVX2")
    elif has_avx512():
        torch_env["ATEN_CPU_CAPABILITY"] = "avx512"
    depths = [int(d) for d in args.depths.split(",")]
    layouts = ("channels_last", "contiguous")
    results = {}  # (depth, workload, who) -> list of (rate, peak)
    for rnd in range(args.rounds):
        for depth in depths:
            for workload in ("train", "inference"):
                r = sjmt_rate(args.build, depth, workload, env)
                results.setdefault((depth, workload, "sjmt"), []).append(r)
                line = f"round {rnd + 1} resnet{depth} {workload}: sjmt {r[0]:.1f}"
                for layout in layouts:
                    t = torch_rate(depth, workload, layout, torch_env)
                    results.setdefault((depth, workload, layout), []).append(t)
                    line += f", pytorch {layout} {t[0]:.1f}"
                print(line + " img/s", flush=True)

    # PyTorch's layout: the one with the better median rate, for the ratio and the peak alike;
    # its peak again with glibc's default malloc (the tuned one keeps freed memory resident)
    best_layout, default_peak = {}, {}
    for depth in depths:
        for workload in ("train", "inference"):
            rates = {lay: statistics.median(x[0] for x in results[(depth, workload, lay)]) for lay in layouts}
            best_layout[(depth, workload)] = max(layouts, key=lambda lay: rates[lay])
            default_peak[(depth, workload)] = torch_rate(depth, workload, best_layout[(depth, workload)],
                                                         {k: v for k, v in torch_env.items()
                                                          if k not in TUNED_MALLOC})[1]

    load = os.getloadavg()
    print(f"\n{args.threads} threads each, {args.rounds} alternating rounds, medians (min-max); "
          f"load average at the end {load[0]:.1f}; PyTorch env: "
          + " ".join(f"{k}={v}" for k, v in torch_env.items() if k in TUNED_MALLOC or k.endswith(("CPU_CAPABILITY", "CPU_ISA"))))
    print("| workload | sjmt img/s | PyTorch channels_last | PyTorch contiguous | sjmt / PyTorch "
          "(its better layout; median of per-round ratios) | peak MiB sjmt | peak MiB PyTorch "
          "(tuned malloc; default malloc) |")
    print("|---|---:|---:|---:|---:|---:|---:|")

    def cell(v):
        rates = [x[0] for x in v]
        return f"{statistics.median(rates):.0f} ({min(rates):.0f}-{max(rates):.0f})"

    for depth in depths:
        for workload in ("train", "inference"):
            s = results[(depth, workload, "sjmt")]
            cl, ct = results[(depth, workload, "channels_last")], results[(depth, workload, "contiguous")]
            layout = best_layout[(depth, workload)]
            best = results[(depth, workload, layout)]
            ratios = [s[i][0] / best[i][0] for i in range(len(s))]
            print(f"| resnet{depth} {workload} | {cell(s)} | {cell(cl)} | {cell(ct)} | "
                  f"**{statistics.median(ratios):.2f}** ({min(ratios):.2f}-{max(ratios):.2f}, {layout}) | "
                  f"{max(x[1] for x in s):.0f} | {max(x[1] for x in best):.0f}; "
                  f"{default_peak[(depth, workload)]:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
