"""Float versus Loihi 2 fixed point on Lava, for every shipped digits model.

    python examples/lava_digits_table.py [--samples 450] [--out table.md [--force]]

Per model (``examples/models/digits_<neuron>.pt``): export for ``--target lava``
calibrated on 256 training images, then on the test images (direct encoding, the T the
model was trained with):

- accuracy of the float reference (numpy float64) and of the integer reference
  (``simulate_fixed``), their difference in percentage points and the class agreement;
- one Lava ``fixed_pt`` run: bit-exact with the integer reference (every hidden spike
  and the integer readout) or not;
- one Lava ``floating_pt`` run: spike-exact with the float reference (every hidden
  spike equal, the readout within 1e-12) or not, and the wall time of each Lava run.

This regenerates the digits table of docs/lava.md §7.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from digits_common import load_split, script_exit
from lava_section import CALIBRATION_IMAGES, accuracy, direct_frames
from snncompile_loihi.reference import simulate_fixed
from snncompile_loihi.stage import program_of

from snncompile.api import compile as compile_model
from snncompile.backend import get_backend
from snncompile.checkpoint import load_info
from snncompile.outputs import check_output, write_atomic
from snncompile.reference import simulate

MODELS = Path(__file__).resolve().parent / "models"
NEURONS = ("lif", "plif", "dalif", "clif", "ilif")
LABELS = {"lif": "LIF", "plif": "PLIF", "dalif": "DA-LIF", "clif": "CLIF", "ilif": "ILIF"}


def model_row(neuron: str, samples: int, tmp: Path) -> dict[str, object]:
    """Export, run both references and both Lava modes; the table row of one model."""
    model = MODELS / f"digits_{neuron}.pt"
    steps = int(load_info(model)["inputs"][0]["shape"][0])
    x_tr, x_te, _, y_te = load_split()
    x, y = direct_frames(x_te[:samples], steps), y_te[:samples]
    artifact = compile_model(
        model, "lava", calibration=direct_frames(x_tr[:CALIBRATION_IMAGES], steps)
    )
    path = artifact.save(tmp / neuron)
    qgraph = program_of(artifact.staged)
    float_rec = simulate(artifact.graph, x, dtype=np.float64, record="spikes")
    fixed_rec = simulate_fixed(qgraph, x, record="spikes")
    float_ref, fixed_ref = float_rec[qgraph.output_name], fixed_rec[qgraph.output_name]
    row: dict[str, object] = {
        "model": LABELS[neuron],
        "float": accuracy(float_ref, y),
        "fixed": accuracy(fixed_ref, y),
        "agreement": float(
            (float_ref.sum(axis=0).argmax(axis=1) == fixed_ref.sum(axis=0).argmax(axis=1)).mean()
        ),
    }
    spiking = [lay for lay in qgraph.layers if lay.source.spiking]
    for mode in ("fixed", "float"):
        backend = get_backend("lava", mode=mode)
        start = time.perf_counter()
        out = backend.simulate_recorded(path, x, record="spikes")
        row[f"lava_{mode}_s"] = time.perf_counter() - start
        if mode == "fixed":  # every hidden spike and the integer readout equal
            exact = all(
                np.array_equal(out[f"{lay.name}/spikes"], fixed_rec[lay.name]) for lay in spiking
            ) and np.array_equal(out[qgraph.output_name], fixed_ref)
        else:  # every hidden spike equal, the readout to 1e-12
            exact = all(
                np.array_equal(out[f"{lay.name}/spikes"], float_rec[lay.source.neuron_node])
                for lay in spiking
            ) and np.allclose(out[qgraph.output_name], float_ref, rtol=0, atol=1e-12)
        row[f"lava_{mode}_exact"] = bool(exact)
    return row


def to_markdown(rows: list[dict[str, object]], samples: int) -> str:
    lines = [
        f"Digits, {samples} test images, calibration on {CALIBRATION_IMAGES} training images",
        "",
        "| model | float | fixed point | Δ (pp) | class agreement | Lava fixed_pt = integer "
        "reference | Lava floating_pt = float reference | Lava run (fixed / float) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        delta = 100 * (float(r["fixed"]) - float(r["float"]))  # type: ignore[arg-type]
        lines.append(
            f"| {r['model']} | {r['float']:.4f} | {r['fixed']:.4f} | {delta:+.2f} | "
            f"{r['agreement']:.4f} | {'bit-exact' if r['lava_fixed_exact'] else 'MISMATCH'} | "
            f"{'spike-exact' if r['lava_float_exact'] else 'MISMATCH'} | "
            f"{r['lava_fixed_s']:.1f} s / {r['lava_float_s']:.1f} s |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=450, help="test images (at most 450)")
    parser.add_argument("--neurons", nargs="+", choices=NEURONS, default=list(NEURONS))
    parser.add_argument("--out", type=Path, help="also write the table here")
    parser.add_argument("--force", action="store_true", help="replace an existing --out file")
    args = parser.parse_args(argv)
    if args.out:  # before minutes of Lava runs
        check_output(args.out, force=args.force)
    with tempfile.TemporaryDirectory(prefix="snncompile-digits-") as tmp:
        rows = [model_row(n, args.samples, Path(tmp)) for n in args.neurons]
    table = to_markdown(rows, args.samples)
    print(table)
    if args.out:
        write_atomic(args.out, lambda tmp: tmp.write_text(table), force=args.force)
    exact = all(r["lava_fixed_exact"] and r["lava_float_exact"] for r in rows)
    close = all(abs(float(r["fixed"]) - float(r["float"])) <= 0.01 for r in rows)  # type: ignore[arg-type]
    return 0 if exact and close else 1


if __name__ == "__main__":
    raise SystemExit(script_exit(main))
