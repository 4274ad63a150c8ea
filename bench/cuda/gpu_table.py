#!/usr/bin/env python3
"""Joins cuda_bench's and pytorch_gpu.py's JSON lines into the markdown table
that scripts/gpu-check prints: sjmt (CUDA graphs) against each PyTorch mode,
with ratios (sjmt / PyTorch; above 1 means sjmt is faster).

    python3 bench/cuda/gpu_table.py sjmt.jsonl torch.jsonl
"""
import json
import sys


def read(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass
    except OSError:
        pass
    return rows


def main():
    ours, theirs = read(sys.argv[1]), read(sys.argv[2])
    device = next((r["device"] for r in ours if "device" in r), "unknown device")
    torch_version = next((r.get("torch") for r in theirs if "torch" in r), "?")
    print(f"Device: {device}; PyTorch {torch_version}\n")
    print("| ResNet | batch | sjmt train img/s | sjmt infer img/s | sjmt peak MiB "
          "| PyTorch mode | train img/s | infer img/s | peak MiB | train ratio | infer ratio |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for s in ours:
        if s.get("bench") != "resnet" or not s.get("graphs"):
            continue
        for t in theirs:
            if t.get("bench") != "resnet" or t["depth"] != s["depth"] or t["batch"] != s["batch"]:
                continue
            if "error" in t:
                print(f"| {s['depth']} | {s['batch']} | {s['train_img_s']} | {s['infer_img_s']} | {s['peak_mib']} "
                      f"| {t['mode']} | failed: {t['error'][:60]} | | | | |")
                continue
            print(f"| {s['depth']} | {s['batch']} | {s['train_img_s']} | {s['infer_img_s']} | {s['peak_mib']} "
                  f"| {t['mode']} | {t['train_img_s']} | {t['infer_img_s']} | {t['peak_mib']} "
                  f"| {s['train_img_s'] / t['train_img_s']:.2f} | {s['infer_img_s'] / t['infer_img_s']:.2f} |")
    for s in ours:
        if s.get("bench") == "resnet" and not s.get("graphs"):
            print(f"\nsjmt without CUDA graphs, ResNet-{s['depth']} batch {s['batch']}: train {s['train_img_s']} img/s")
    sl = next((r for r in ours if r.get("bench") == "loss"), None)
    tl = next((r for r in theirs if r.get("bench") == "loss"), None)
    if sl:
        line = f"\nSelective loss, {sl['rows']} rows x {sl['width']}: sjmt {sl['gb_s']} GB/s"
        if tl:
            line += f", PyTorch (masked BCE, autograd) {tl['gb_s']} GB/s"
        print(line + " (the card's copy bandwidth measured here: about 4,300 GB/s)")


if __name__ == "__main__":
    main()
