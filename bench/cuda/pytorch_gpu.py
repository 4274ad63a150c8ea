#!/usr/bin/env python3
"""PyTorch side of bench/cuda/cuda_bench.cpp, on the same GPU: the same
ResNet-CIFAR (tests/pytorch/resnet_reference.py), 3x32x32 inputs, 18 outputs,
SGD with momentum on a masked BCE loss. Modes: eager float32 (TF32 off, as
sjmt's default), channels_last with bf16 autocast, and torch.compile where it
works. One JSON object per line: median images/s of timed rounds, peak MiB.

    python3 bench/cuda/pytorch_gpu.py [--quick]
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "pytorch"))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from resnet_reference import Net  # noqa: E402


def rate(fn, batch, rounds, steps):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    rates = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(steps):
            fn()
        torch.cuda.synchronize()
        rates.append(batch * steps / (time.perf_counter() - t))
    rates.sort()
    return rates[len(rates) // 2]


def bench(depth, batch, mode, rounds, steps):
    torch.manual_seed(1)
    dev = "cuda"
    fmt = torch.channels_last if mode != "eager_fp32" else torch.contiguous_format
    net = Net(depth, 18).to(dev).to(memory_format=fmt)
    x = torch.randn(batch, 3, 32, 32, device=dev).to(memory_format=fmt)
    y = (torch.rand(batch, 18, device=dev) > 0.5).float()
    m = (torch.rand(batch, 18, device=dev) > 0.5).float()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    model = torch.compile(net) if mode == "compile_fp32" else net
    bf16 = mode == "channels_last_bf16"

    def train():
        net.train()
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
            z = model(x)
        loss = (m * F.binary_cross_entropy_with_logits(z.float(), y, reduction="none")).sum() / batch
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()  # as sjmt's trainer, read the loss back each step

    def infer():
        net.eval()
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
            model(x)

    torch.cuda.reset_peak_memory_stats()
    train_rate = rate(train, batch, rounds, steps)
    peak = torch.cuda.max_memory_allocated() / 2**20
    infer_rate = rate(infer, batch, rounds, steps)
    return {"bench": "resnet", "framework": "pytorch", "mode": mode, "depth": depth, "batch": batch,
            "train_img_s": round(train_rate, 1), "infer_img_s": round(infer_rate, 1), "peak_mib": round(peak, 1)}


def loss_bandwidth(rows, rounds):
    dev = "cuda"
    z = torch.randn(rows, 18, device=dev, requires_grad=True)
    y = (torch.rand(rows, 18, device=dev) > 0.5).float()
    m = (torch.rand(rows, 18, device=dev) > 0.5).float()

    def step():
        loss = (m * F.binary_cross_entropy_with_logits(z, y, reduction="none")).sum() / rows
        (g,) = torch.autograd.grad(loss, z)
        return g

    bytes_moved = rows * (4 * 18 * 4)  # z, y, m read, grad written
    r = rate(step, 1, rounds, 20)  # calls per second
    return {"bench": "loss", "framework": "pytorch", "rows": rows, "gb_s": round(r * bytes_moved / 1e9, 1)}


def main():
    quick = "--quick" in sys.argv
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    rounds, steps = (3, 10) if quick else (5, 20)
    print(json.dumps({"device": torch.cuda.get_device_name(), "torch": torch.__version__}), flush=True)
    for depth in (32, 110):
        for batch in (128, 512):
            for mode in ("eager_fp32", "channels_last_bf16", "compile_fp32"):
                try:
                    print(json.dumps(bench(depth, batch, mode, rounds, steps)), flush=True)
                except Exception as e:  # torch.compile may be unavailable: say so, go on
                    print(json.dumps({"bench": "resnet", "framework": "pytorch", "mode": mode, "depth": depth,
                                      "batch": batch, "error": str(e)[:200]}), flush=True)
    print(json.dumps(loss_bandwidth(1 << 22, rounds)), flush=True)


if __name__ == "__main__":
    main()
