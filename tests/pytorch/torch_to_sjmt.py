#!/usr/bin/python3
"""Weights from PyTorch into sjmt: run by tests/test_pytorch_reference.cpp.

    /usr/bin/python3 tests/pytorch/torch_to_sjmt.py DIR DEPTH OUTPUTS

Builds resnet_reference.py's ResNet-CIFAR (option-B shortcuts, sjmt's parameter names)
with PyTorch's own initialisation, gives every batch norm a non-trivial scale, shift
and running statistics (a few training-mode passes), and writes, as PyTorch does:
DIR/torch.safetensors (the state_dict, F32, with the I64 num_batches_tracked counters,
no sjmt metadata) and DIR/torch_io.safetensors (an input in sjmt's NHWC order and the
model's inference logits). The C++ side loads the first into sjmt and compares.
The writer is ours (numpy-free, no `safetensors` package needed): header length (u64
little-endian), JSON header, then the tensors' bytes.
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resnet_reference import Net  # noqa: E402

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.float16: "F16"}


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()  # little-endian on every machine we run
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)


def main():
    directory, depth, outputs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.manual_seed(11)
    torch.set_num_threads(2)
    net = Net(depth, outputs)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
        net.train()
        for _ in range(3):  # running statistics away from (0, 1)
            net(torch.randn(8, 3, 16, 16) * 1.5 + 0.2)
        net.eval()
        x = torch.randn(4, 3, 16, 16)
        logits = net(x)
    write_safetensors(f"{directory}/torch.safetensors", net.state_dict(), {"format": "pt"})
    write_safetensors(f"{directory}/torch_io.safetensors",
                      {"input": x.permute(0, 2, 3, 1).contiguous(), "logits": logits}, {"format": "pt"})
    print(f"wrote {len(net.state_dict())} tensors of a PyTorch ResNet-{depth}")


if __name__ == "__main__":
    main()
