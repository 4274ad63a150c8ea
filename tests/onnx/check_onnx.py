#!/usr/bin/env python3
"""Checks an ONNX model that sjmt exported (sjmt::export_onnx) without sjmt.

usage: check_onnx.py MODEL.onnx IO.safetensors

1. The ONNX checker of python3-onnx (full check, with shape inference) accepts it.
2. Its metadata holds what sjmt writes (sjmt.model, sjmt.layout, sjmt.input,
   sjmt.exclusive, sjmt.spaces), its outputs are the spaces listed there, and
   no BatchNormalization or Dropout node is left (folded, left out).
3. A numpy evaluator of the graph's operators, written here from the ONNX
   operator specifications, run on IO's "input" (N, C, H, W), gives IO's
   other tensors (the predictor's answers, one per space) to 1e-4.
Reads safetensors with numpy alone (no torch). Exit status 0 when all hold.
"""

import json
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", f"{path}: {name} is {t['dtype']}"
        begin, end = t["data_offsets"]
        out[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(t["shape"]).astype(np.float64)
    return out


def attribute(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def conv(x, w, b, strides, pads):
    n, c, h, wd = x.shape
    k, c2, r, s = w.shape
    assert c == c2
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    p = (h + pads[0] + pads[2] - r) // strides[0] + 1
    q = (wd + pads[1] + pads[3] - s) // strides[1] + 1
    y = np.zeros((n, k, p, q))
    for i in range(r):
        for j in range(s):
            patch = xp[:, :, i : i + strides[0] * p : strides[0], j : j + strides[1] * q : strides[1]]
            y += np.einsum("ncpq,kc->nkpq", patch, w[:, :, i, j])
    if b is not None:
        y += b.reshape(1, k, 1, 1)
    return y


def evaluate(model, feeds):
    values = dict(feeds)
    for init in model.graph.initializer:
        values[init.name] = numpy_helper.to_array(init).astype(np.float64)
    for node in model.graph.node:
        x = [values[i] for i in node.input]
        op = node.op_type
        if op == "Conv":
            y = conv(x[0], x[1], x[2] if len(x) > 2 else None, attribute(node, "strides", [1, 1]),
                     attribute(node, "pads", [0, 0, 0, 0]))
        elif op == "Relu":
            y = np.maximum(x[0], 0)
        elif op == "Add":
            y = x[0] + x[1]
        elif op == "MaxPool":
            k = attribute(node, "kernel_shape")
            st = attribute(node, "strides")
            n, c, h, w = x[0].shape
            p, q = (h - k[0]) // st[0] + 1, (w - k[1]) // st[1] + 1
            y = np.full((n, c, p, q), -np.inf)
            for i in range(k[0]):
                for j in range(k[1]):
                    y = np.maximum(y, x[0][:, :, i : i + st[0] * p : st[0], j : j + st[1] * q : st[1]])
        elif op == "GlobalAveragePool":
            y = x[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            y = x[0].reshape(x[0].shape[0], -1)
        elif op == "Gemm":
            w = x[1].T if attribute(node, "transB", 0) else x[1]
            y = x[0] @ w + x[2]
        elif op == "Reshape":
            shape = [int(d) for d in x[1]]
            # ONNX: 0 copies the input's dimension (allowzero unset), -1 is inferred.
            shape = [x[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
            y = x[0].reshape(shape)
        elif op == "MatMul":
            y = np.matmul(x[0], x[1])
        elif op == "Identity":
            y = x[0]
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-x[0]))
        elif op == "Softmax":
            e = np.exp(x[0] - x[0].max(axis=attribute(node, "axis", -1), keepdims=True))
            y = e / e.sum(axis=attribute(node, "axis", -1), keepdims=True)
        else:
            raise SystemExit(f"check_onnx: no numpy evaluation of operator {op}")
        values[node.output[0]] = y
    return values


def main():
    model_path, io_path = sys.argv[1], sys.argv[2]
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    meta = {p.key: p.value for p in model.metadata_props}
    for key in ("sjmt.model", "sjmt.layout", "sjmt.input", "sjmt.exclusive", "sjmt.spaces", "sjmt.version"):
        assert key in meta, f"{model_path}: no metadata {key}"
    spaces = json.loads(meta["sjmt.spaces"])
    outputs = [o.name for o in model.graph.output]
    assert outputs == [s["name"] for s in spaces], f"{model_path}: outputs {outputs}, spaces {spaces}"
    ops = {n.op_type for n in model.graph.node}
    assert not ops & {"BatchNormalization", "Dropout"}, f"{model_path}: operators {sorted(ops)}"
    for o in inferred.graph.output:
        dims = [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]
        assert dims[0] == "N", f"{model_path}: output {o.name} has dims {dims}"

    io = load_safetensors(io_path)
    values = evaluate(model, {"input": io["input"]})
    worst = 0.0
    for s in spaces:
        got, want = values[s["name"]], io[s["name"]]
        assert got.shape == want.shape, f"{s['name']}: {got.shape} against {want.shape}"
        worst = max(worst, float(np.abs(got - want).max()))
    print(f"check_onnx: {model_path}: checker passed, {len(model.graph.node)} nodes ({', '.join(sorted(ops))}), "
          f"numpy against the predictor: worst |difference| {worst:.2e}")
    if worst >= 1e-4:
        raise SystemExit(f"check_onnx: {model_path}: numpy evaluation differs from the predictor by {worst:.2e}")


if __name__ == "__main__":
    main()
