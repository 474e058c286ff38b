"""Evaluate every shipped digits checkpoint, then deploy one to Lava in fixed point.

    python examples/demo.py            # what `make demo` runs
    python examples/demo.py --models examples/models --lava-samples 50

1. For each ``digits_<neuron>.pt`` the model is rebuilt from the file alone (no model
   code), run on the fixed 450-image test split with the encoding and T it was trained
   with (read from the checkpoint's metadata), and a table of accuracy, per-layer firing
   rate and spikes per sample is printed, next to the accuracy recorded at training time.
2. ``digits_lif.pt`` is exported by ``snncompile export --target lava`` (calibrated on
   256 training images; it prints the per-layer quantisation), the artefact is run on
   the test images (all 450 by default, ``--lava-samples N`` for fewer) in Loihi 2 fixed
   point on Lava by ``snncompile simulate``, and float vs fixed accuracy, per-layer
   spike agreement and an energy summary are printed (``lava_section.py``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from digits_common import NEURONS, evaluate, load_data

import snncompile
from snncompile.checkpoint import load_info

MODELS = Path(__file__).resolve().parent / "models"


def training_record(path: Path) -> dict[str, Any]:
    """The ``training`` record train_digits.py stored, or what the header implies."""
    info = load_info(path)
    record = dict(info.get("metadata", {}).get("training", {}))
    record.setdefault("encoding", "direct")
    record.setdefault("T", info["inputs"][0]["shape"][0])
    record.setdefault("seed", 0)
    return record


def evaluate_checkpoint(path: Path) -> dict[str, Any]:
    """Load ``path`` and evaluate it on the digits test split."""
    record = training_record(path)
    model = snncompile.load(path)
    data = load_data(
        record["encoding"],
        int(record["T"]),
        seed=int(record["seed"]),
        events_per_step=float(record.get("events_per_step", 4.0)),
    )
    res = evaluate(model, data.x_test, data.y_test)
    return {"name": path.stem.removeprefix("digits_"), "record": record, "result": res}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=MODELS, help="folder of digits_*.pt")
    parser.add_argument(
        "--lava-samples", type=int, default=450, help="test images for the Lava run (0: skip)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    order = {name: i for i, name in enumerate(NEURONS)}
    paths = sorted(
        args.models.glob("digits_*.pt"),
        key=lambda p: order.get(p.stem.removeprefix("digits_"), len(order)),
    )
    if not paths:
        print(
            f"no digits_*.pt in {args.models}; train some with examples/train_digits.py",
            file=sys.stderr,
        )
        return 1
    start = time.perf_counter()
    rows = [evaluate_checkpoint(p) for p in paths]
    print(
        f"digits test split (450 images), models loaded from {args.models} with snncompile.load\n"
    )
    print(
        f"{'model':<7} {'enc.':<7} {'T':>2} {'accuracy':>9} {'at training':>12} "
        f"{'spikes/sample':>14}  firing rate per layer"
    )
    for row in rows:
        res, rec = row["result"], row["record"]
        trained = rec.get("test_accuracy")
        rates = "  ".join(f"{k}: {v:.3f}" for k, v in res.rates.items())
        print(
            f"{row['name']:<7} {rec['encoding']:<7} {rec['T']:>2} {res.accuracy:>9.4f} "
            f"{trained if trained is None else f'{trained:.4f}':>12} "
            f"{res.total_spikes_per_sample:>14.1f}  {rates}"
        )
    print(f"\n{len(rows)} checkpoints in {time.perf_counter() - start:.1f} s")
    if args.lava_samples > 0:
        from lava_section import lava_demo

        return lava_demo(args.models / "digits_lif.pt", samples=args.lava_samples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
