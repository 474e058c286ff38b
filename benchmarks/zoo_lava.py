"""The zoo on Lava: export time by stage, Lava ``fixed_pt`` speed, and the integer
reference against Lava on the same model and inputs.

    python benchmarks/zoo_lava.py [--model vgg_clif ...] [--images 16] [--rounds 3]
                                  [--json benchmarks/results/zoo_lava.json]

Per zoo checkpoint (examples/zoo/models; default: those the Lava target takes):

- export, by stage: ``trace`` (read the checkpoint and trace it to the IR,
  ``snncompile.api.load_graph``), ``passes + quantise`` (``snncompile.compile(graph,
  "lava")``: the pass pipeline and the Loihi quantiser, calibrated on the example input
  stored in the checkpoint) and ``lower + write`` (``Artifact.save``: the Lava spec);
- Lava: the artefact runs the first ``--images`` test images (T = 4, back to back with
  per-sample reset) in ``fixed_pt`` through its torch-free worker
  (``snncompile_lava.load.run_artifact``): the whole call (worker start-up, Lava's
  compile and run) and Lava steps per second of that call;
- the integer reference (``snncompile_loihi.reference.simulate_fixed``) on the same
  program and inputs, in this process. Its output must equal Lava's bit for bit
  (checked; a mismatch stops the benchmark).

After one warm-up round (imports, fx code generation), times are medians over
``--rounds`` rounds (export and both runs each round); the ratio is the median of the
per-round ratios Lava / reference. Lava steps per second count the whole call, start-up
included: what a user waits for.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "examples" / "zoo"))
sys.path.insert(0, str(REPO / "examples"))

from zoo_common import ARCHITECTURES, NEURONS  # noqa: E402 (after the path insert)

#: The zoo checkpoints: the Lava target deploys every one (docs/zoo.md).
LAVA_MODELS = tuple(f"{arch}_{neuron}" for arch in ARCHITECTURES for neuron in NEURONS)


def _round(model: Path, x: np.ndarray) -> dict[str, float]:
    """One round: export by stage, the Lava run and the integer reference run."""
    from snncompile_lava.load import run_artifact
    from snncompile_loihi.reference import simulate_fixed
    from snncompile_loihi.stage import program_of

    import snncompile
    from snncompile.api import load_graph

    with tempfile.TemporaryDirectory(prefix="zoo-lava-") as tmp:
        start = time.perf_counter()
        load_graph(model)
        traced = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the quantiser's comparison notes
            artifact = snncompile.compile(model, "lava")
        compiled = time.perf_counter()
        path = artifact.save(Path(tmp) / "lava")
        saved = time.perf_counter()
        # compile() traces again: its trace share is taken off with the measured trace
        trace_s = traced - start
        program = program_of(artifact.staged)
        start = time.perf_counter()
        lava = run_artifact(path, x, mode="fixed")
        lava_s = time.perf_counter() - start
        start = time.perf_counter()
        reference = simulate_fixed(program, x)
        reference_s = time.perf_counter() - start
    name = program.output_name
    if not np.array_equal(lava[name], reference[name]):
        raise SystemExit(f"{model.name}: Lava fixed_pt and the integer reference differ")
    return {
        "trace_s": trace_s,
        "passes_quantise_s": max(compiled - traced - trace_s, 0.0),
        "lower_write_s": saved - compiled,
        "export_s": saved - traced,
        "lava_s": lava_s,
        "reference_s": reference_s,
        "ratio": lava_s / reference_s,
    }


def _median(rounds: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", nargs="+", default=list(LAVA_MODELS))
    parser.add_argument("--images", type=int, default=16, help="test images run on Lava")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    import torch
    from zoo_common import STEPS, checkpoint_path, frames, load_data

    torch.set_num_threads(1)
    _, _, x_test, _ = load_data()
    x = frames(x_test[: args.images])
    results = []
    for name in args.model:
        arch, kind = name.split("_")
        model = checkpoint_path(arch, kind)
        _round(model, x[:, :1])  # warm-up: imports, fx code generation, Lava's first start
        rounds = [_round(model, x) for _ in range(args.rounds)]
        steps = args.images * STEPS
        row = {
            "model": name,
            "images": args.images,
            "steps": steps,
            **{k: round(_median(rounds, k), 4) for k in rounds[0]},
            "lava_steps_per_s": round(steps / _median(rounds, "lava_s"), 2),
            "bit_identical": True,
        }
        results.append(row)
        print(
            f"{name}: export {row['export_s']:.2f} s (trace {row['trace_s']:.2f}, passes + "
            f"quantise {row['passes_quantise_s']:.2f}, lower + write {row['lower_write_s']:.2f});"
            f" Lava {row['lava_s']:.2f} s ({row['lava_steps_per_s']:.1f} steps/s); "
            f"reference {row['reference_s']:.3f} s; Lava/reference {row['ratio']:.0f}x",
            flush=True,
        )
    document = {
        "command": " ".join(
            ["python benchmarks/zoo_lava.py", *(sys.argv[1:] if argv is None else argv)]
        ),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} at the end",
        "python": platform.python_version(),
        "rounds": args.rounds,
        "results": results,
    }
    if args.json:
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
