#!/usr/bin/python3
"""PyTorch side of bench/bench_deploy.cpp: the same ResNet-32 with the same
weights (DIR/resnet32.safetensors, which bench_deploy writes), in inference
mode under torch.no_grad, with the sigmoids of the outputs; batch 1 (latency)
and 64 (throughput); channels_last and contiguous, each eager and TorchScript
frozen (torch.jit.freeze folds batch norm into the convolutions); OMP_NUM_THREADS threads.
Prints one JSON object: {"<layout>/batch:<n>": median ms per batch}.

    /usr/bin/python3 bench/pytorch_deploy.py DIR [seconds per case]

bench/deploy_vs_pytorch.py runs it beside bench_deploy, alternating.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "pytorch"))
import torch  # noqa: E402
from resnet_reference import Net, load_safetensors  # noqa: E402


def median_ms(fn, seconds):
    for _ in range(3):
        fn()
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 5:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return 1000 * times[len(times) // 2]


def main():
    directory = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    weights, _ = load_safetensors(os.path.join(directory, "resnet32.safetensors"))
    out = {}
    for name, fmt in (("channels_last", torch.channels_last), ("contiguous", torch.contiguous_format)):
        net = Net(32, 18)
        missing, unexpected = net.load_state_dict(weights, strict=False)
        assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
        net = net.eval().to(memory_format=fmt)
        for n in (1, 64):
            x = torch.rand(n, 3, 32, 32).to(memory_format=fmt)
            # Eager, and TorchScript frozen (batch norm folded into the convolutions, as in
            # sjmt's ONNX export): the caller takes the faster.
            with torch.no_grad():
                frozen = torch.jit.freeze(torch.jit.trace(net, x))

            def infer(model):
                with torch.no_grad():
                    torch.sigmoid(model(x))

            out[f"{name}/batch:{n}"] = median_ms(lambda: infer(net), seconds)
            out[f"{name}_frozen/batch:{n}"] = median_ms(lambda: infer(frozen), seconds)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
