"""Train the zoo: 3 architectures x 3 neurons on upsampled digits, one checkpoint each.

    python examples/zoo/train_zoo.py [--arch resnet sew vgg] [--neuron clif ilif dalif]
                                     [--epochs 6] [--out examples/zoo/models] [--force]

CPU only, one thread (the models are tiny: a few thousand parameters; one model trains
in about a minute). Adam, cross-entropy on the logits summed over time, batch 32, a
fixed seed per model. Each checkpoint stores 64 training images as its example input:
``snncompile export`` calibrates the Loihi quantiser on them when no ``--calibration``
is given. The test accuracy of the float model goes into the checkpoint's metadata.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from zoo_common import (
    ARCHITECTURES,
    MODELS_DIR,
    NEURONS,
    STEPS,
    accuracy,
    build,
    checkpoint_path,
    frames,
    load_data,
)

import snncompile
from snncompile.neurons import reset

BATCH = 32
EXAMPLE_IMAGES = 64
LEARNING_RATE = 5e-3


def evaluate(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    """Test accuracy (%) of the float model, in batches of 150."""
    model.eval()
    outs = []
    with torch.no_grad():
        for start in range(0, len(images), 150):
            reset(model)
            outs.append(model(torch.from_numpy(frames(images[start : start + 150]))).numpy())
    return accuracy(np.concatenate(outs, axis=1), labels)


def train_one(arch: str, kind: str, epochs: int, seed: int = 0) -> tuple[torch.nn.Module, float]:
    """Train ``arch``/``kind`` for ``epochs``; returns the model (eval mode), test accuracy."""
    torch.manual_seed(seed)
    x_tr, y_tr, x_te, y_te = load_data()
    model = build(arch, kind)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * (len(x_tr) // BATCH + 1))
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        model.train()
        order = rng.permutation(len(x_tr))
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            reset(model)
            logits = model(torch.from_numpy(frames(x_tr[idx])))
            loss = F.cross_entropy(logits.mean(dim=0), torch.from_numpy(y_tr[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return model.eval(), evaluate(model, x_te, y_te)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", nargs="+", default=list(ARCHITECTURES), choices=ARCHITECTURES)
    parser.add_argument("--neuron", nargs="+", default=list(NEURONS), choices=NEURONS)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    parser.add_argument("--force", action="store_true", help="replace existing checkpoints")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    x_tr = load_data()[0]
    example = torch.from_numpy(frames(x_tr[:EXAMPLE_IMAGES], STEPS))
    failed = 0
    for arch in args.arch:
        for kind in args.neuron:
            path = checkpoint_path(arch, kind, args.out)
            start = time.perf_counter()
            model, acc = train_one(arch, kind, args.epochs)
            seconds = time.perf_counter() - start
            meta = {
                "task": "digits 3x16x16, direct encoding",
                "steps": STEPS,
                "epochs": args.epochs,
                "test_accuracy": round(acc, 2),
                "train_seconds": round(seconds, 1),
                "command": "python examples/zoo/train_zoo.py",
            }
            try:
                reset(model)
                snncompile.save(model, path, example_input=example, metadata=meta, force=args.force)
            except snncompile.SnnCompileError as exc:  # e.g. max pooling before it is supported
                failed += 1
                print(f"{arch}/{kind}: {acc:.1f} % in {seconds:.0f} s; NOT saved: {exc.message}")
                continue
            size = path.stat().st_size / 1e6
            print(f"{arch}/{kind}: {acc:.1f} % in {seconds:.0f} s -> {path} ({size:.2f} MB)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
