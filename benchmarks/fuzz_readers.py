"""Long fuzzing run of the readers of untrusted files (the test suite runs ~2,000 cases).

    .venv/bin/python benchmarks/fuzz_readers.py --count 20000 [--reader nir] [--seed 1]
        [--keep failures/] [--timeout 10]

Each case is a byte-level mutation of a valid file (bit flips, truncations, splices, ...)
or a structurally generated one, fed to the NIR reader (``read_nir``, ``load_graph``),
the checkpoint reader (``snncompile.load``) or the input reader (``read_input_data``).
Every failure must be an ``SnnCompileError``: any other exception, or a case running
past ``--timeout`` seconds, is reported as a bug (and its file kept with ``--keep``).
Byte-mutated ``.nir`` files go through the isolated (forked) HDF5 reader, the others
are parsed in-process. Exit status 1 when a bug was found.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fuzz import readers_fuzz as F  # noqa: E402

SUFFIX = {"nir": ".nir", "nir-load_graph": ".nir", "checkpoint": ".pt", "npz": ".npz"}


def _make_case(reader: str, seeds: list[bytes], rng: random.Random, path: Path) -> tuple[str, bool]:
    """Write one case to ``path``; returns (its kind, whether HDF5 bytes were damaged)."""
    if rng.random() < 0.6:
        kind = rng.choice(F.MUTATIONS)
        path.write_bytes(F.mutate(rng.choice(seeds), rng.choice(seeds), rng, kind))
        return kind, reader.startswith("nir")
    if reader.startswith("nir"):
        if rng.random() < 0.5:
            F.random_nir_file(path, rng)
            return "generated", False
        F.mutate_nir_structure(rng.choice(seeds), path, rng)
        return "structure", False
    if reader == "checkpoint":
        path.write_bytes(F.random_checkpoint(rng.choice(seeds), rng))
        return "structure", False
    path.write_bytes(F.random_npz(rng))
    return "generated", False


def fuzz(
    reader: str, count: int, seed: int, timeout: float, keep: Path | None
) -> dict[str, object]:
    """Run ``count`` cases against ``reader``; a summary with every bug found."""
    read: Callable[[Path], object] = F.READERS[reader]
    family = reader.split("-")[0]
    seeds = {"nir": F.nir_seeds, "checkpoint": F.checkpoint_seeds, "npz": F.npz_seeds}[family]()
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    bugs: list[dict[str, str]] = []
    start = time.perf_counter()
    os.environ[F.NIR_TIMEOUT_ENV] = str(max(1.0, timeout / 2))
    with tempfile.TemporaryDirectory(prefix="snncompile-fuzz-") as tmp:
        for index in range(count):
            path = Path(tmp, f"case{index}{SUFFIX[reader]}")
            kind, damaged_hdf5 = _make_case(reader, seeds, rng, path)
            os.environ[F.NIR_IN_PROCESS_ENV] = "0" if damaged_hdf5 else "1"
            outcome = F.check_reader(read, path, timeout)
            outcomes[outcome.kind] += 1
            if outcome.kind == "bug":
                bug = {"case": index, "kind": kind, "detail": outcome.detail}
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    kept = keep / f"{reader}-{seed}-{index}{SUFFIX[reader]}"
                    shutil.copyfile(path, kept)
                    bug["file"] = str(kept)
                bugs.append(bug)
            path.unlink(missing_ok=True)
    elapsed = time.perf_counter() - start
    return {
        "reader": reader,
        "cases": count,
        "seed": seed,
        "seconds": round(elapsed, 2),
        "outcomes": dict(outcomes),
        "bugs": bugs,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="cases per reader")
    parser.add_argument("--reader", choices=sorted(F.READERS), action="append", help="default: all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per case")
    parser.add_argument("--keep", type=Path, help="copy the files of failing cases here")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    summaries = []
    for reader in args.reader or sorted(F.READERS):
        summary = fuzz(reader, args.count, args.seed, args.timeout, args.keep)
        summaries.append(summary)
        rate = summary["cases"] / max(float(summary["seconds"]), 1e-9)  # type: ignore[arg-type]
        print(f"{reader:<16} {summary['cases']:>7} cases {summary['seconds']:>8} s "
              f"({rate:.0f}/s)  {summary['outcomes']}")  # fmt: skip
        for bug in summary["bugs"]:  # type: ignore[attr-defined]
            print(f"  BUG case {bug['case']} ({bug['kind']}): {bug['detail']}")
    if args.json:
        args.json.write_text(json.dumps(summaries, indent=2) + "\n")
    return 1 if any(s["bugs"] for s in summaries) else 0


if __name__ == "__main__":
    sys.exit(main())
