"""CLI start-up: wall time of short ``snncompile`` commands, and whether each imports torch.

    python benchmarks/startup.py [--rounds 7] [--json out.json] [--source DIR]

Each command runs ``--rounds`` times in a fresh interpreter (``python -m snncompile``,
rounds interleaved across commands so that a slower moment of the machine hits every
command alike); reported are the median and minimum wall time and whether ``torch`` was
in ``sys.modules`` when the command returned. The inputs are made once in a temporary
directory from the shipped digits model: ``.nir``, ``.onnx`` and ``.net`` exports and the
digits test data. ``--source DIR`` runs another checkout of snncompile (its packages put
first on ``PYTHONPATH``), for before/after comparisons in one session on one machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "models" / "digits_lif.pt"
DATA = ROOT / "examples" / "data" / "digits_test.npz"

#: Runs the CLI in-process, then reports whether torch was imported (on stderr, last line).
PROBE = (
    "import sys\nfrom snncompile.cli import main\n"
    "try:\n    code = main(sys.argv[1:])\nfinally:\n"
    "    sys.stderr.write('\\ntorch-imported=%s\\n' % ('torch' in sys.modules))\n"
    "sys.exit(code)"
)


def _env(source: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if source is not None:
        roots = [source, *sorted(p for p in (source / "backends").iterdir() if p.is_dir())]
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in roots)
    return env


def _make_inputs(tmp: Path) -> dict[str, str]:
    """Export the digits model once (current checkout) and a hard-reset copy for netx."""
    import dataclasses as dc

    import numpy as np

    import snncompile
    from snncompile.api import load_graph

    paths = {"pt": str(MODEL), "data": str(DATA)}
    for target, name in (("nir", "m.nir"), ("onnx", "m.onnx")):
        snncompile.compile(str(MODEL), target).save(tmp / name)
        paths[target] = str(tmp / name)
    graph = load_graph(MODEL)
    nodes = dict(graph.nodes)
    nodes["sn1"] = dc.replace(nodes["sn1"], reset="hard")
    with np.load(DATA) as f:
        images = f["inputs"][:16]
    spikes = (np.random.default_rng(0).random((4, *images.shape)) < images).astype(np.float32)
    artifact = snncompile.compile(
        graph.replace(nodes=nodes), "netx", options={"calibration": spikes}
    )
    paths["net"] = str(artifact.save(tmp / "m.net"))
    np.savez(tmp / "spikes.npz", inputs=spikes)
    paths["spikes"] = str(tmp / "spikes.npz")
    return paths


def commands(p: dict[str, str]) -> dict[str, list[str]]:
    return {
        "--help": ["--help"],
        "list-backends": ["list-backends"],
        "dialects": ["dialects"],
        "inspect .nir": ["inspect", p["nir"]],
        "inspect .onnx": ["inspect", p["onnx"]],
        "inspect .net": ["inspect", p["net"]],
        "simulate .nir": ["simulate", p["nir"], "--input", p["data"], "--steps", "4"],
        "simulate .onnx": ["simulate", p["onnx"], "--input", p["data"], "--steps", "4"],
        "inspect .pt": ["inspect", p["pt"]],
    }


@dataclasses.dataclass
class Row:
    command: str
    times: list[float] = dataclasses.field(default_factory=list)
    exit_codes: set[int] = dataclasses.field(default_factory=set)
    torch: set[bool] = dataclasses.field(default_factory=set)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--source", type=Path, help="another snncompile checkout to time")
    args = parser.parse_args(argv)
    env = _env(args.source)
    with tempfile.TemporaryDirectory(prefix="snncompile-startup-") as tmp:
        cmds = commands(_make_inputs(Path(tmp)))
        rows = {name: Row(name) for name in cmds}
        for _ in range(args.rounds):
            for name, cmd in cmds.items():
                start = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-c", PROBE, *cmd], capture_output=True, text=True, env=env
                )
                rows[name].times.append(time.perf_counter() - start)
                rows[name].exit_codes.add(done.returncode)
                rows[name].torch.add("torch-imported=True" in done.stderr)
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "source": str(args.source or ROOT),
        "rounds": args.rounds,
        "commands": {
            r.command: {
                "median_s": round(statistics.median(r.times), 3),
                "min_s": round(min(r.times), 3),
                "exit_codes": sorted(r.exit_codes),
                "imports_torch": sorted(r.torch),
            }
            for r in rows.values()
        },
    }
    for name, row in result["commands"].items():
        print(
            f"{name:<16} median {row['median_s']:6.2f} s  min {row['min_s']:6.2f} s  "
            f"exit {row['exit_codes']}  torch {row['imports_torch']}"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
