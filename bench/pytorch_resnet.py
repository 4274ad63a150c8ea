#!/usr/bin/python3
"""PyTorch side of bench/bench_resnet.cpp: the same ResNet-CIFAR (option-B
shortcuts), batch 128, 3x32x32, 18 outputs, OMP_NUM_THREADS threads (2 by
default), channels_last and
contiguous, SGD step with a masked BCE loss; prints median images/s.

    ATEN_CPU_CAPABILITY=avx512 /usr/bin/python3 bench/pytorch_resnet.py 32 [steps [train|inference [channels_last|contiguous]]]

bench/resnet_vs_pytorch.py runs it beside bench_resnet, alternating.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "pytorch"))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from resnet_reference import Net  # noqa: E402


def median_rate(fn, steps, batch):
    fn()
    fn()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return batch / times[len(times) // 2]


def main():
    depth = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    # optional: one workload (train or inference) and one layout, so that a
    # caller reads this process's peak memory for that workload alone
    workloads = (sys.argv[3],) if len(sys.argv) > 3 else ("train", "inference")
    layouts = {"channels_last": torch.channels_last, "contiguous": torch.contiguous_format}
    formats = (sys.argv[4],) if len(sys.argv) > 4 else ("channels_last", "contiguous")
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    batch = 128
    for name in formats:
        fmt = layouts[name]
        net = Net(depth, 18).to(memory_format=fmt)
        x = torch.randn(batch, 3, 32, 32).to(memory_format=fmt)
        y = (torch.rand(batch, 18) > 0.5).float()
        m = (torch.rand(batch, 18) > 0.5).float()
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)

        def train():
            net.train()
            loss = (m * F.binary_cross_entropy_with_logits(net(x), y, reduction="none")).sum() / batch
            opt.zero_grad()
            loss.backward()
            opt.step()

        def infer():
            net.eval()
            with torch.no_grad():
                net(x)

        rates = []
        if "train" in workloads:
            rates.append(f"train {median_rate(train, steps, batch):.1f} img/s")
        if "inference" in workloads:
            rates.append(f"inference {median_rate(infer, steps, batch):.1f} img/s")
        print(f"pytorch resnet{depth} {name}: " + ", ".join(rates), flush=True)


if __name__ == "__main__":
    main()
