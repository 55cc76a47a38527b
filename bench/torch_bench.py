#!/usr/bin/env python3
"""PyTorch reference of `trgnas bench`: the same NetworkMix networks and the
same training step (SGD momentum 0.9, weight decay 3e-4, learning rate
0.025, gradient clipping at global norm 5, BatchNorm with PyTorch's
defaults, softmax cross-entropy) on synthetic 32x32x3 images.

Prints one JSON object (the fields of trgnas bench's results) on its last
stdout line. Peak memory and process CPU time are measured by the caller
(trgnas bench --compare) from the kernel's accounting of this process.

Usage: torch_bench.py --net sep16|mix16|final [--steps 10] [--warmup 2]
       [--eval-steps 4] [--batch 64] [--threads 2] [--device cpu|cuda]
"""
import argparse
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def nets():
    """The benchmark networks: name -> (width, ops, kernels)."""
    mix_ops = [i % 2 for i in range(10)]
    mix_k = [3 + 2 * (i % 3) for i in range(10)]
    final_ops = [0] * 16
    final_ops[0] = final_ops[2] = 1
    return {
        "sep16": (16, [0] * 10, [3] * 10),
        "mix16": (16, mix_ops, mix_k),
        "final": (56, final_ops, [3] * 16),
    }


class NetworkMix(nn.Module):
    """TRG-NAS's search space (docs/trgnas.md): stem conv 3x3 -> 2C + BN;
    layer i doubles the channels with stride 2 at i == L//3 and i == 2L//3;
    op 0 SepConv (ReLU, depthwise kxk, pointwise 1x1, BN), op 1 Conv (ReLU,
    kxk, BN); global average pool and a linear head."""

    def __init__(self, width, ops, kernels, in_ch=3, classes=10):
        super().__init__()
        depth = len(ops)
        self.stem = nn.Sequential(nn.Conv2d(in_ch, 2 * width, 3, 1, 1, bias=False), nn.BatchNorm2d(2 * width))
        layers = []
        c_prev, c_cur = 2 * width, width
        for i, (op, k) in enumerate(zip(ops, kernels)):
            stride = 1
            if i in (depth // 3, 2 * depth // 3):
                c_cur *= 2
                stride = 2
            if op == 0:
                layers.append(nn.Sequential(
                    nn.ReLU(inplace=False),
                    nn.Conv2d(c_prev, c_prev, k, stride, k // 2, groups=c_prev, bias=False),
                    nn.Conv2d(c_prev, c_cur, 1, 1, 0, bias=False),
                    nn.BatchNorm2d(c_cur)))
            else:
                layers.append(nn.Sequential(
                    nn.ReLU(inplace=False),
                    nn.Conv2d(c_prev, c_cur, k, stride, k // 2, bias=False),
                    nn.BatchNorm2d(c_cur)))
            c_prev = c_cur
        self.layers = nn.Sequential(*layers)
        self.head = nn.Linear(c_prev, classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--net", required=True, choices=sorted(nets()))
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--eval-steps", type=int, default=4)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cpu")
    a = p.parse_args(argv)
    for name in ("steps", "warmup", "eval_steps", "batch", "threads"):
        if getattr(a, name) < 1:
            p.error("--%s must be >= 1" % name.replace("_", "-"))
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    cuda = dev.type == "cuda"

    def sync():
        if cuda:
            torch.cuda.synchronize()

    width, ops, kernels = nets()[a.net]
    t0 = time.perf_counter()
    model = NetworkMix(width, ops, kernels).to(dev)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    opt = torch.optim.SGD(model.parameters(), lr=0.025, momentum=0.9, weight_decay=3e-4)
    total = a.warmup + a.steps
    g = torch.Generator().manual_seed(a.seed)
    xs = torch.randn(total + a.eval_steps, a.batch, 3, 32, 32, generator=g).to(dev)
    ys = torch.randint(0, 10, (total + a.eval_steps, a.batch), generator=g).to(dev)
    sync()
    setup = time.perf_counter() - t0

    model.train()
    loss = None
    for s in range(total):
        if s == a.warmup:
            sync()
            t_warm, c_warm = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xs[s]), ys[s])
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
    last_loss = float(loss.item())  # also synchronises a GPU
    t_last, c_last = time.perf_counter(), time.process_time()

    model.eval()
    with torch.no_grad():
        model(xs[total])  # inference warm-up
        sync()
        t_e = time.perf_counter()
        for s in range(a.eval_steps):
            out = model(xs[total + s])
        float(out.sum().item())
        t_e2 = time.perf_counter()

    images = a.steps * a.batch
    r = {
        "impl": "torch", "net": a.net, "arch": "w%d-o%s-k%s" % (width, "".join(map(str, ops)), "".join(map(str, kernels))),
        "params": params, "batch": a.batch, "steps": a.steps, "warmup": a.warmup,
        "train_images_per_sec": images / (t_last - t_warm),
        "train_cpu_ms_per_image": 1000 * (c_last - c_warm) / images,
        "infer_images_per_sec": a.eval_steps * a.batch / (t_e2 - t_e),
        "compile_seconds": setup,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "backend": "torch %s %s threads=%d" % (torch.__version__, a.device, torch.get_num_threads()),
        "final_loss": last_loss,
    }
    if cuda:
        r["gpu_peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(r))


if __name__ == "__main__":
    main(sys.argv[1:])
