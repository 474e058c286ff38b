"""Export every zoo checkpoint to every installed target, run it, and tabulate the result.

    python examples/zoo/run_zoo.py [--samples 450] [--model resnet_clif ...]
                                   [--target nir onnx lava-float lava-fixed netx]
                                   [--out docs/zoo.md] [--force]
    make zoo

Per model (``examples/zoo/models/<arch>_<neuron>.pt``, trained by ``train_zoo.py``) and
target, through snncompile's API: ``compile`` (no calibration argument: the Loihi targets
calibrate on the example input stored in the checkpoint), ``save``, then run the
artefact on the first ``--samples`` test images (direct encoding, T = 4) with the
target's own runtime, and compare with the reference simulator
(``snncompile.reference.simulate``):

- ``nir``, ``onnx``: the readout of the target equals the float32 reference
  (``bit-exact``), or differs by at most 1e-4 with every predicted class equal
  (``exact to 1e-4``; the largest |difference| is given); otherwise ``NOT exact``, with
  the difference between the float32 and float64 references beside it (a trained model
  can hold neurons at a float rounding tie, which any change of summation order flips);
- ``lava-float``: Lava (``floating_pt``) runs the first ``--lava-samples`` images (Lava
  is slow): every hidden spike equal to the float64 reference and the readout within
  1e-9 (``spike-exact``); the accuracy is the float64 reference's on all images;
- ``lava-fixed``: Lava (``fixed_pt``) runs the first ``--lava-samples`` images: every
  hidden spike and the integer readout equal to the integer reference
  ``snncompile_loihi.reference.simulate_fixed`` (``bit-exact``); the accuracy is the
  integer reference's on all images, its Δ the fixed-point loss in points;
- ``netx``: export only (the file is written, or the target's refusal is reported);
  ``snncompile simulate model.net`` runs one on Lava.

A target that refuses a model (an unsupported layer or topology, data it cannot take)
is reported as ``refused: <reason>``, never as a crash. The table (Markdown) is printed
and, with ``--out``, written with the machine and the date.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from zoo_common import (
    ARCHITECTURES,
    LABELS,
    MODELS_DIR,
    NEURON_LABELS,
    NEURONS,
    STEPS,
    accuracy,
    checkpoint_path,
    frames,
    load_data,
)

import snncompile
from snncompile.backend import installed_backends
from snncompile.errors import SnnCompileError

#: Every column the zoo knows; a target that is not installed is left out.
TARGETS = ("nir", "onnx", "lava-float", "lava-fixed", "netx")
FLOAT_TOLERANCE = 1e-4
LAVA_FLOAT_TOLERANCE = 1e-9


@dataclass
class Cell:
    """One model x target result."""

    status: str  # "bit-exact", "spike-exact", "exact to 1e-4", "exported", "refused: ...", ...
    accuracy: float | None = None
    export_s: float | None = None
    run_s: float | None = None


@dataclass
class Row:
    """One model: its reference accuracy and a cell per target."""

    model: str
    label: str
    reference: float | None = None
    size_mb: float | None = None
    cells: dict[str, Cell] = field(default_factory=dict)
    note: str = ""


def installed_targets() -> list[str]:
    """The zoo's columns whose backend is installed (``lava`` gives two)."""
    have = {name for name, cls in installed_backends().items() if isinstance(cls, type)}
    return [t for t in TARGETS if t.split("-")[0] in have]


def _reason(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, SnnCompileError) else f"{type(exc).__name__}: {exc}"
    text = " ".join(str(text).split())
    return text if len(text) <= 160 else text[:157] + "..."


def _equal_spikes(got: dict[str, np.ndarray], want: dict[str, np.ndarray], names) -> bool:
    """Every named layer's spikes equal; populations only one side records (relays the
    lowering adds) are skipped."""
    pairs = [(a, b) for a, b in names if f"{a}/spikes" in got and b in want]
    return all(np.array_equal(got[f"{a}/spikes"], want[b]) for a, b in pairs)


def _lava_cell(
    model: Path, mode: str, x: np.ndarray, y: np.ndarray, tmp: Path, lava_samples: int
) -> Cell:
    """Export for Lava; run Lava on the first ``lava_samples`` images and compare with
    the reference of that mode; the accuracy is that reference's on all of ``x`` (the
    integer reference for ``fixed``, the float64 one for ``float``)."""
    from snncompile_loihi.reference import simulate_fixed
    from snncompile_loihi.stage import program_of

    from snncompile.backend import get_backend
    from snncompile.reference import simulate

    start = time.perf_counter()
    artifact = snncompile.compile(model, "lava", options={"mode": mode})
    path = artifact.save(tmp / f"lava-{mode}")
    export_s = time.perf_counter() - start
    program = program_of(artifact.staged)
    spiking = [lay for lay in program.layers if lay.source.spiking]
    xs = x[:, :lava_samples]
    start = time.perf_counter()
    out = get_backend("lava", mode=mode).simulate_recorded(path, xs, record="spikes")
    run_s = time.perf_counter() - start
    got = out[program.output_name]
    if mode == "fixed":
        ref = simulate_fixed(program, x, record="spikes")
        part = {k: v[:, :lava_samples] for k, v in ref.items()}
        exact = _equal_spikes(out, part, [(lay.name, lay.name) for lay in spiking])
        exact = exact and np.array_equal(got, part[program.output_name])
        status = "bit-exact" if exact else "NOT bit-exact"
    else:
        ref = simulate(artifact.graph, x, dtype=np.float64, record="spikes")
        part = {k: v[:, :lava_samples] for k, v in ref.items()}
        names = [(lay.name, lay.source.neuron_node) for lay in spiking]
        exact = _equal_spikes(out, part, names) and np.allclose(
            got, part[program.output_name], rtol=0, atol=LAVA_FLOAT_TOLERANCE
        )
        status = "spike-exact" if exact else "NOT spike-exact"
    status += f" ({xs.shape[1]} images on Lava)"
    return Cell(status, accuracy(ref[program.output_name], y), export_s, run_s)


def _generic_cell(
    model: Path,
    target: str,
    x: np.ndarray,
    y: np.ndarray,
    tmp: Path,
    reference: np.ndarray,
    reference64: np.ndarray,
) -> Cell:
    start = time.perf_counter()
    artifact = snncompile.compile(model, target)
    path = artifact.save(tmp / target)
    export_s = time.perf_counter() - start
    if target == "netx":  # export only: running a netx file needs lava-dl
        return Cell("exported (export only)", None, export_s, None)
    start = time.perf_counter()
    outputs = snncompile.open(path).run(x)
    run_s = time.perf_counter() - start
    got = np.asarray(next(iter(outputs.values())), dtype=np.float64)
    diff = float(np.abs(got - reference).max())
    same_class = np.array_equal(got.sum(0).argmax(1), reference.sum(0).argmax(1))
    if diff == 0.0:
        status = "bit-exact"
    elif diff <= FLOAT_TOLERANCE and same_class:
        status = f"exact to 1e-4 (max abs diff {diff:.1e})"
    else:
        # float32 sums in another order flip spikes of neurons at a rounding tie; the
        # float32 and float64 references differing as well shows the model has such ties
        status = (
            f"NOT exact (max abs diff {diff:.2g}; float32 vs float64 reference: "
            f"{float(np.abs(reference - reference64).max()):.2g})"
        )
    return Cell(status, accuracy(got, y), export_s, run_s)


def run_model(
    model: Path,
    targets: Sequence[str],
    x: np.ndarray,
    y: np.ndarray,
    label: str = "",
    lava_samples: int = 16,
) -> Row:
    """The row of one checkpoint: reference accuracy and one cell per target."""
    from snncompile.reference import simulate

    row = Row(model.stem, label or model.stem)
    if not model.is_file():
        row.note = f"no checkpoint {model.name}: run python examples/zoo/train_zoo.py"
        row.cells = {t: Cell("missing checkpoint") for t in targets}
        return row
    row.size_mb = model.stat().st_size / 1e6
    try:
        graph = snncompile.compile(model, "nir").graph
        reference = simulate(graph, x, dtype=np.float32)
        reference = np.asarray(next(iter(reference.values())), dtype=np.float64)
        reference64 = next(iter(simulate(graph, x, dtype=np.float64).values()))
        row.reference = accuracy(reference, y)
    except SnnCompileError as exc:  # the frontend refuses the model for every target
        row.cells = {t: Cell(f"refused: {_reason(exc)}") for t in targets}
        return row
    with tempfile.TemporaryDirectory() as tmp:
        for target in targets:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if target.startswith("lava-"):
                        mode = target.removeprefix("lava-")
                        cell = _lava_cell(model, mode, x, y, Path(tmp), lava_samples)
                    else:
                        cell = _generic_cell(model, target, x, y, Path(tmp), reference, reference64)
            except SnnCompileError as exc:
                cell = Cell(f"refused: {_reason(exc)}")
            except Exception as exc:  # report, never crash: the table shows what failed
                cell = Cell(f"FAILED: {_reason(exc)}")
            row.cells[target] = cell
    return row


def _num(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def to_markdown(rows: Sequence[Row], targets: Sequence[str], samples: int) -> str:
    """The results as Markdown: one line per model x target."""
    lines = [
        f"Test images: the first {samples} of the 450 digits test images (3x16x16, T = {STEPS}).",
        "Accuracy in %; Δ: target minus the float reference, in points. Lava rows: Lava runs",
        "the images named in the cell (run s is theirs); the accuracy is the mode's reference",
        "(integer for fixed, float64 for float) on all images.",
        "",
        "| model | target | exactness vs reference | accuracy | Δ | export s | run s |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ref = _num(row.reference, ".1f")
        size = "" if row.size_mb is None else f", {row.size_mb:.2f} MB"
        lines.append(f"| **{row.label}**{size} | reference (float) | – | {ref} | – | – | – |")
        for target in targets:
            cell = row.cells.get(target, Cell("not run"))
            delta = (
                None
                if cell.accuracy is None or row.reference is None
                else cell.accuracy - row.reference
            )
            lines.append(
                f"| | {target} | {cell.status.replace('|', '/')} | "
                f"{_num(cell.accuracy, '.1f')} | {_num(delta, '+.1f')} | "
                f"{_num(cell.export_s, '.2f')} | {_num(cell.run_s, '.2f')} |"
            )
        if row.note:
            lines.append(f"| | | {row.note} | | | | |")
    return "\n".join(lines) + "\n"


def machine() -> str:
    """One line: CPU, cores, OS, Python and torch versions."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"snncompile {snncompile.__version__}"
    )


def document(table: str, seconds: float, command: str = "run_zoo.py") -> str:
    """docs/zoo.md: how the table was made, then the table."""
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "# The model zoo on every target\n\n"
        "Small CIFAR-shaped versions of the networks the CLIF, ILIF and DA-LIF papers "
        "evaluate (examples/zoo/zoo_common.py): a Spiking ResNet (residual added before "
        "the neuron), a SEW ResNet (spikes of two branches added) and a VGG with max "
        "pooling on spikes, each trained with CLIF, ILIF and DA-LIF on scikit-learn's "
        "digits upsampled to 3x16x16 (`python examples/zoo/train_zoo.py`).\n\n"
        "Regenerate with `make zoo` (`python examples/zoo/run_zoo.py --out docs/zoo.md "
        "--force`). The Loihi targets calibrate on the 64 training images stored in each "
        "checkpoint as its example input. `refused: …` is the target's own error: what "
        "it cannot represent (yet).\n\n"
        f"This table: `python examples/zoo/{command}`. Machine: {machine()}. Date: {today}. "
        f"Total time: {seconds:.0f} s.\n\n" + table
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    names = [f"{a}_{n}" for a in ARCHITECTURES for n in NEURONS]
    parser.add_argument("--model", nargs="+", default=names, choices=names)
    parser.add_argument("--target", nargs="+", default=None, choices=TARGETS)
    parser.add_argument("--samples", type=int, default=450)
    parser.add_argument(
        "--lava-samples", type=int, default=16, help="images run on Lava (slow) per model"
    )
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--out", type=Path, default=None, help="write the table (Markdown)")
    parser.add_argument("--force", action="store_true", help="replace --out")
    args = parser.parse_args(argv)
    if args.out is not None and args.out.exists() and not args.force:
        print(f"error: {args.out} exists\nhint: pass --force to replace it", file=sys.stderr)
        return 1
    import torch

    torch.set_num_threads(1)
    targets = [t for t in (args.target or TARGETS) if t in installed_targets()]
    _, _, x_te, y_te = load_data()
    x, y = frames(x_te[: args.samples]), y_te[: args.samples]
    start = time.perf_counter()
    rows = []
    for name in args.model:
        arch, kind = name.split("_")
        label = f"{LABELS[arch]} / {NEURON_LABELS[kind]}"
        path = checkpoint_path(arch, kind, args.models_dir)
        rows.append(run_model(path, targets, x, y, label, args.lava_samples))
        print(f"{label}: done", file=sys.stderr)
    table = to_markdown(rows, targets, len(y))
    print(table)
    if args.out is not None:
        given = " ".join(sys.argv[1:] if argv is None else argv)
        text = document(table, time.perf_counter() - start, f"run_zoo.py {given}".strip())
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
