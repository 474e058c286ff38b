"""CLI start-up: wall time of short ``snncompile`` commands, and whether each imports torch.

    python benchmarks/startup.py [--rounds 7] [--json out.json] [--baseline DIR] [--only NAME]

Each command runs ``--rounds`` times in a fresh interpreter (the CLI's ``main``; rounds
interleaved across commands, so that a slower moment of the machine hits every command
alike); reported are the median and minimum wall time, the exit codes and whether
``torch`` was in ``sys.modules`` when the command returned. The inputs are made once in
a temporary directory from the shipped digits model: ``.nir``, ``.onnx``, ``.net`` and a
Lava directory, and the digits test data. ``--baseline DIR`` also times another checkout
of snncompile (e.g. ``git archive <commit> | tar -x -C DIR``; its packages go first on
``PYTHONPATH``) in the same rounds, alternating with this one: before/after figures from
one session on one machine.
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


def _env(source: Path | None) -> dict[str, str] | None:
    if source is None:
        return None
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
    for target, name in (("nir", "m.nir"), ("onnx", "m.onnx"), ("lava", "lava_dir")):
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
        "inspect Lava dir": ["inspect", p["lava"]],
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


def _summary(rows: dict[str, Row]) -> dict[str, dict[str, object]]:
    return {
        r.command: {
            "median_s": round(statistics.median(r.times), 3),
            "min_s": round(min(r.times), 3),
            "exit_codes": sorted(r.exit_codes),
            "imports_torch": sorted(r.torch),
        }
        for r in rows.values()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--baseline", type=Path, help="another snncompile checkout to time")
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="time only these (repeat)"
    )
    args = parser.parse_args(argv)
    sources = {"current": None} | ({"baseline": args.baseline} if args.baseline else {})
    with tempfile.TemporaryDirectory(prefix="snncompile-startup-") as tmp:
        cmds = commands(_make_inputs(Path(tmp)))
        if args.only:
            cmds = {name: cmd for name, cmd in cmds.items() if name in args.only}
        rows = {label: {name: Row(name) for name in cmds} for label in sources}
        for _ in range(args.rounds):
            for name, cmd in cmds.items():
                for label, source in sources.items():
                    start = time.perf_counter()
                    done = subprocess.run(
                        [sys.executable, "-c", PROBE, *cmd],
                        capture_output=True,
                        text=True,
                        env=_env(source),
                        cwd=tmp,
                    )
                    row = rows[label][name]
                    row.times.append(time.perf_counter() - start)
                    row.exit_codes.add(done.returncode)
                    row.torch.add("torch-imported=True" in done.stderr)
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}",
        "rounds": args.rounds,
        "baseline": str(args.baseline) if args.baseline else None,
        "commands": {label: _summary(r) for label, r in rows.items()},
    }
    for label, table in result["commands"].items():
        print(f"[{label}]")
        for name, row in table.items():
            print(
                f"  {name:<17} median {row['median_s']:6.2f} s  min {row['min_s']:6.2f} s  "
                f"exit {row['exit_codes']}  torch {row['imports_torch']}"
            )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
