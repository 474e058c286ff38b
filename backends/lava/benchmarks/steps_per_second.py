"""Lava simulation speed of a 784-128-10 network (docs/lava.md §23 set-up), through the worker.

    python backends/lava/benchmarks/steps_per_second.py [--steps 1000] [--repeats 3]

Source: 5 % binary spikes. Both layers are Dense followed by the chosen neuron; only the
output spikes are recorded (a sink RingBuffer). Reports the median over repeats of the
steady-state run time (``run`` phase) as steps/s, plus compile and total worker time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile

import numpy as np
from snncompile_lava.spec import FORMAT, save_spec
from snncompile_lava.worker import run_in_worker

NEURONS = {
    "lif_builtin": ({"du": 4095, "dv": 1024, "vth": 80},
                    {"du": 1.0, "dv": 0.25, "vth": 1.25}),
    "soft_lif": ({"dv": 1024, "theta": 5120}, {"beta": 0.75, "theta": 1.25}),
}  # fmt: skip


def make_spec(neuron: str) -> dict:
    rng = np.random.default_rng(0)
    fixed, floating = NEURONS[neuron]
    layers = []
    for name, (n_out, n_in) in (("fc1", (128, 784)), ("fc2", (10, 128))):
        w = rng.integers(-64, 96, (n_out, n_in)) * 2
        layers.append({
            "name": name, "record": ["spikes"] if name == "fc2" else [],
            "connection": {"type": "dense", "fixed_pt": {"weights": w},
                           "floating_pt": {"weights": w / 64.0}},
            "neuron": {"type": neuron, "fixed_pt": fixed, "floating_pt": floating},
        })  # fmt: skip
    return {"format": FORMAT, "version": 1, "input": {"shape": [784]}, "layers": layers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    x = (np.random.default_rng(1).random((args.steps, 784)) < 0.05).astype(np.uint8)
    results = {}
    for neuron in NEURONS:
        for tag in ("fixed_pt", "floating_pt"):
            with tempfile.TemporaryDirectory() as tmp:
                save_spec(make_spec(neuron), tmp)
                runs = []
                for _ in range(args.repeats):
                    meta: dict = {}
                    run_in_worker(tmp, x, tag=tag, timeout=600, meta=meta)
                    runs.append(meta)
            run_s = statistics.median(m["timings"]["run"] for m in runs)
            steps = runs[0]["timings"]["lava_steps"]
            results[f"{neuron}/{tag}"] = {
                "steps_per_s": round(steps / run_s, 1),
                "ms_per_step": round(1000 * run_s / steps, 3),
                "compile_s": round(statistics.median(m["timings"]["compile"] for m in runs), 3),
                "worker_wall_s": round(statistics.median(m["wall_s"] for m in runs), 3),
            }
            print(f"{neuron:12s} {tag:12s} {results[f'{neuron}/{tag}']}", flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
