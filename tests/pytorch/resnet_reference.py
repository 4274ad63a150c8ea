#!/usr/bin/python3
"""PyTorch reference for sjmt's ResNet-CIFAR: run by tests/test_pytorch_reference.cpp.

    /usr/bin/python3 tests/pytorch/resnet_reference.py DIR DEPTH [--logits-only]

DIR holds, written by sjmt: before.safetensors (initial weights), io.safetensors
(input NHWC, targets, masks, logits in inference and training mode) and
after.safetensors (weights after one SGD step with the selective loss). This
builds the same network in PyTorch (option-B shortcuts, parameter names as
sjmt's), loads the initial weights, and checks the logits and the weights after
one step (in the files' precision, F32 or F64; --logits-only skips the step).
Prints one line per check and exits 1 on a failure.
"""
import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def load_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": torch.float32, "F64": torch.float64}[info["dtype"]]
        b, e = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=dtype).reshape(info["shape"])
    return out, header.get("__metadata__", {})


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class Trunk(nn.Module):
    def __init__(self, depth):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for stage, width in enumerate((16, 32, 64)):
            blocks = []
            for b in range(n):
                blocks.append(Block(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return x.mean(dim=(2, 3))


class Head(nn.Module):
    def __init__(self, outputs):
        super().__init__()
        self.fc = nn.Linear(64, outputs)

    def forward(self, x):
        return self.fc(x)


class Net(nn.Module):
    def __init__(self, depth, outputs):
        super().__init__()
        self.trunk = Trunk(depth)
        self.head = Head(outputs)

    def forward(self, x):
        return self.head(self.trunk(x))


def rel_error(a, b):
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item()


def main():
    directory, depth = sys.argv[1], int(sys.argv[2])
    logits_only = "--logits-only" in sys.argv[3:]
    torch.set_num_threads(2)
    before, _ = load_safetensors(f"{directory}/before.safetensors")
    io, _ = load_safetensors(f"{directory}/io.safetensors")
    torch.set_default_dtype(io["input"].dtype)
    n, h, w, c = [int(v) for v in io["shape"].tolist()]
    x = io["input"].reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous()
    targets, masks = io["targets"].reshape(n, -1), io["masks"].reshape(n, -1)
    net = Net(depth, targets.shape[1]).to(io["input"].dtype)
    missing, unexpected = net.load_state_dict(before, strict=False)
    assert not unexpected, unexpected
    assert all(k.endswith("num_batches_tracked") for k in missing), missing
    ok = True

    def check(name, a, b, tolerance=1e-4):
        report(name, rel_error(a, b), tolerance)

    def report(name, e, tolerance=1e-4):
        nonlocal ok
        good = e <= tolerance
        ok = ok and good
        print(f"{'ok  ' if good else 'FAIL'} {name}: relative error {e:.2e} (tolerance {tolerance:.0e})")

    net.eval()
    with torch.no_grad():
        check("logits, inference", io["logits_infer"].reshape(n, -1), net(x))
    net.train()
    groups = [
        {"params": [p for k, p in net.named_parameters() if k.endswith("weight") and p.dim() > 1]},
        {"params": [p for k, p in net.named_parameters() if not (k.endswith("weight") and p.dim() > 1)],
         "weight_decay": 0.0},
    ]
    opt = torch.optim.SGD(groups, lr=0.05, momentum=0.9, weight_decay=5e-4)
    z = net(x)
    check("logits, training", io["logits_train"].reshape(n, -1), z.detach())
    if logits_only:
        print("Passed" if ok else "Failed")
        sys.exit(0 if ok else 1)
    after, _ = load_safetensors(f"{directory}/after.safetensors")
    loss = (masks * F.binary_cross_entropy_with_logits(z, targets, reduction="none")).sum() / n
    opt.zero_grad()
    loss.backward()
    opt.step()
    state = net.state_dict()
    errors = sorted((rel_error(after[k], state[k]), k) for k in after)
    print(f"     largest errors after the step: {errors[-3:]}")
    report(f"every tensor after one SGD step ({len(errors)} tensors)", errors[-1][0])
    print("Passed" if ok else "Failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
