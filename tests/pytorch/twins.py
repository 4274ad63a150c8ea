#!/usr/bin/python3
"""PyTorch twins of sjmt's training methods: run by tests/test_pytorch_twins.cpp.

    /usr/bin/python3 tests/pytorch/twins.py DIR METHOD...

Each METHOD is single, classical, sjmt, naive or softmax (one Python for all:
importing torch takes seconds). DIR/METHOD holds, written by sjmt after
training a ResNet-8 in double with that method: before.safetensors (the
starting weights), batches.safetensors (every step's images NHWC, targets,
known-mask and dataset index, and sjmt's loss of each step), snapshot.safetensors
and after.safetensors (weights, batch-norm statistics and momentum buffers after
10 steps and at the end).

Each method is written here from its definition (docs/design.md, the paper),
not from sjmt's code: the network of resnet_reference.py with the method's
head(s), the method's loss in torch, torch.optim.SGD (momentum 0.9, weight decay
5e-4 on convolution and linear weights) and StepLR. Every tensor sjmt wrote is
compared by max|sjmt - torch| / max|torch|; prints the worst per file and
writes DIR/METHOD/passed when none exceeds 1e-6 (exits 1 when a method failed).
"""
import sys
import traceback

import torch
import torch.nn as nn
import torch.nn.functional as F

from resnet_reference import Trunk, load_safetensors, rel_error

TOLERANCE = 1e-6
LR, MOMENTUM, WEIGHT_DECAY, DECAY_EVERY, DECAY_FACTOR = 0.05, 0.9, 5e-4, 7, 0.5

# The datasets of each method's union: which outputs of the joint layout each
# annotates, and how its labels are shaped. Table 2's union is emotion (7
# exclusive classes, SFEW) then 11 EmotioNet AUs (multilabel); the single task
# network here is EmotioNet's AUs alone.
EMOTION, AUS = range(0, 7), range(7, 18)
DATASETS = {
    "single": {"emotionet": range(0, 11)},
    "classical": {"sfew": EMOTION, "emotionet": AUS},
    "sjmt": {"sfew": EMOTION, "emotionet": AUS},
    "naive": {"sfew": EMOTION, "emotionet": AUS},
    "softmax": {"sfew": EMOTION, "emotionet": AUS},
}


class Twin(nn.Module):
    """The trunk and either one linear head ("fc") over every output, or one per dataset."""

    def __init__(self, method, outputs):
        super().__init__()
        self.trunk = Trunk(8)
        self.per_dataset = method == "classical"
        if self.per_dataset:
            self.head = nn.ModuleDict({name: nn.Linear(64, len(cols)) for name, cols in DATASETS[method].items()})
        else:
            self.head = nn.ModuleDict({"fc": nn.Linear(64, outputs)})


def annotated(method, domains, width):
    """(N, width): 1 where the sample's dataset annotates the output."""
    names = list(DATASETS[method])
    a = torch.zeros(len(domains), width)
    for n, d in enumerate(domains.tolist()):
        cols = DATASETS[method][names[int(d)]]
        a[n, cols.start:cols.stop] = 1
    return a


def bce(z, y):
    return F.binary_cross_entropy_with_logits(z, y, reduction="none")


def method_loss(method, net, x, targets, known, domains):
    """The loss of one batch, from each method's definition."""
    n, width = targets.shape
    features = net.trunk(x)
    names = list(DATASETS[method])
    if method == "single":
        # One network for one dataset: its outputs are the dataset's own, each a
        # sigmoid cross-entropy on the known labels, summed, averaged over samples.
        assert bool((domains == 0).all()), "a single-task batch holds another dataset"
        z = net.head["fc"](features)
        return (known * bce(z, targets)).sum() / n
    if net.per_dataset:
        # Classical multi-task: every batch is from one dataset,
        # it goes through that dataset's own head only, and that head's loss is
        # the sigmoid cross-entropy over the dataset's outputs (known labels),
        # summed and averaged over the batch's samples. The idle head is not in
        # the graph, so its grad stays None and SGD leaves it alone.
        assert bool((domains == domains[0]).all()), "a per-dataset-head batch mixes datasets"
        name = names[int(domains[0])]
        cols = DATASETS[method][name]
        z = net.head[name](features)
        y, k = targets[:, cols.start:cols.stop], known[:, cols.start:cols.stop]
        return (k * bce(z, y)).sum() / n
    z = net.head["fc"](features)
    a = annotated(method, domains, width)
    if method == "sjmt":
        # Eq. 1: sigmoid cross-entropy over the outputs the sample's dataset
        # annotates (and whose label is known); nothing elsewhere.
        return (a * known * bce(z, targets)).sum() / n
    if method == "naive":
        # Every output is a sigmoid for every sample; a missing or unknown
        # label is taken as 0.
        y = torch.where((a * known) > 0, targets, torch.zeros_like(targets))
        return bce(z, y).sum() / n
    if method == "softmax":
        # Fourure et al.: per sample, a softmax over the outputs its dataset
        # annotates (known labels), cross-entropy against the targets there
        # normalised to sum 1; a sample whose selected targets are all 0 adds nothing.
        total = z.new_zeros(())
        for r in range(n):
            sel = (a[r] * known[r]) > 0
            y = targets[r][sel]
            if float(y.sum()) == 0.0:
                continue
            total = total - ((y / y.sum()) * F.log_softmax(z[r][sel], dim=0)).sum()
        return total / n
    raise ValueError(method)


def twin(directory, method):
    """Trains METHOD's twin on DIR's batches; returns whether it followed sjmt."""
    before, _ = load_safetensors(f"{directory}/before.safetensors")
    io, _ = load_safetensors(f"{directory}/batches.safetensors")
    steps, batch, h, w, c, width, snapshot_at = [int(v) for v in io["dims"].reshape(-1).tolist()]
    net = Twin(method, width)
    weights = {k: v for k, v in before.items() if not k.startswith("optimizer.")}
    missing, unexpected = net.load_state_dict(weights, strict=False)
    assert not unexpected, unexpected
    assert all(k.endswith("num_batches_tracked") for k in missing), missing
    assert all(float(v.abs().max()) == 0.0 for k, v in before.items() if k.startswith("optimizer.")), \
        "the momentum buffers do not start at zero"
    named = dict(net.named_parameters())
    groups = [
        {"params": [p for k, p in named.items() if k.endswith("weight") and p.dim() > 1]},
        {"params": [p for k, p in named.items() if not (k.endswith("weight") and p.dim() > 1)], "weight_decay": 0.0},
    ]
    opt = torch.optim.SGD(groups, lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=DECAY_EVERY, gamma=DECAY_FACTOR)
    net.train()
    ok = True

    def report(what, e):
        nonlocal ok
        good = e <= TOLERANCE
        ok = ok and good
        print(f"{'ok  ' if good else 'FAIL'} {method} {what}: relative error {e:.2e} (tolerance {TOLERANCE:.0e})")

    def compare(what, path):
        sjmt, _ = load_safetensors(path)
        state = net.state_dict()
        errors = []
        for k, v in sjmt.items():
            if k.startswith("optimizer.momentum."):
                p = named[k[len("optimizer.momentum."):]]
                ours = opt.state[p].get("momentum_buffer") if p in opt.state else None
                ours = torch.zeros_like(p) if ours is None else ours  # never stepped: sjmt's zeros
            else:
                ours = state[k]
            errors.append((rel_error(v.reshape(ours.shape), ours.detach()), k))
        errors.sort()
        print(f"     {method} {what}: largest errors {[(f'{e:.1e}', k) for e, k in errors[-3:]]}")
        report(f"{what}, every tensor ({len(errors)}: weights, batch-norm statistics, momentum)", errors[-1][0])

    worst_loss = 0.0
    for s in range(steps):
        x = io[f"step{s}.images"].reshape(batch, h, w, c).permute(0, 3, 1, 2).contiguous()
        targets = io[f"step{s}.targets"].reshape(batch, width)
        known = io[f"step{s}.known"].reshape(batch, width)
        domains = io[f"step{s}.domains"].reshape(batch).long()
        opt.zero_grad(set_to_none=True)
        loss = method_loss(method, net, x, targets, known, domains)
        loss.backward()
        opt.step()
        schedule.step()
        sjmt_loss = io["losses"].reshape(-1)[s]
        worst_loss = max(worst_loss, rel_error(sjmt_loss, loss.detach()))
        if s + 1 == snapshot_at:
            compare(f"after {snapshot_at} steps", f"{directory}/snapshot.safetensors")
    report(f"loss of each of the {steps} steps", worst_loss)
    compare(f"after {steps} steps", f"{directory}/after.safetensors")
    return ok


def main():
    root, methods = sys.argv[1], sys.argv[2:]
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    failed = []
    for method in methods:
        try:
            ok = twin(f"{root}/{method}", method)
        except Exception:  # one method's crash must not hide the others' verdicts
            traceback.print_exc()
            ok = False
        if ok:
            open(f"{root}/{method}/passed", "w").close()
        else:
            failed.append(method)
    print("Passed" if not failed else f"Failed: {' '.join(failed)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
