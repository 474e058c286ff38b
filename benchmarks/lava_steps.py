"""Lava target speed: compile time and steps/s, snncompile artefact vs a hand-built network.

    python benchmarks/lava_steps.py [--steps 1000] [--rounds 5] [--json out.json]

Cases (both in ``fixed_pt``):

- ``digits_lif``: ``examples/models/digits_lif.pt`` compiled for ``--target lava``
  (quantise with 256 calibration images + lower + write), then all 450 test images run
  back to back in one Lava run (T = 4, per-sample reset, graded input, soft-reset LIF
  hidden layer, readout read through a Monitor on its v).
- ``mlp784``: a 784-128-10 MLP of hard-reset LIF layers (Lava's own ``LIF``), 5 % binary
  input spikes, one stream of ``--steps`` steps, output spikes in a sink.

Each case is also **built by hand** from Lava processes with the artefact's integer
parameters (``HAND``: RingBuffer → Dense → neuron → Dense → neuron → sink or Monitor; the
soft-reset LIF is snncompile-lava's ``SoftResetLIF`` process, since Lava has none) and run
the same way. The hand-built outputs must equal the artefact's (checked, printed).

Rounds interleave artefact and hand-built runs, every run in a fresh torch-free process.
Reported: medians over rounds of the Lava ``run`` phase (steps/s), Lava's own compile
phase, the whole process ("wall"), the overhead of the artefact against the hand-built
network in the same round (median of the per-round ratios), and snncompile's export time
(quantise + lower + write).
"""

from __future__ import annotations

import argparse
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
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "examples"))


def _mlp_graph(seed: int = 0) -> Any:
    import nir

    from snncompile.ir import SoftLIF, sequential
    from snncompile.passes.pipeline import run_pipeline

    rng = np.random.default_rng(seed)
    w1 = rng.normal(0.02, 0.08, (128, 784)).astype(np.float32)
    w2 = rng.normal(0.05, 0.3, (10, 128)).astype(np.float32)

    def lif(n: int) -> SoftLIF:
        return SoftLIF(beta=np.full(n, 0.75), v_threshold=np.ones(n), reset="hard")

    return run_pipeline(
        sequential(
            ("input", nir.Input(input_type={"input": np.array([784])})),
            ("fc1", nir.Linear(weight=w1)),
            ("lif1", lif(128)),
            ("fc2", nir.Linear(weight=w2)),
            ("lif2", lif(10)),
            ("output", nir.Output(output_type={"output": np.array([10])})),
        )
    )


def _compile(model: Any, calibration: np.ndarray, out: Path) -> float:
    from snncompile.api import compile as compile_model

    start = time.perf_counter()
    compile_model(model, "lava", calibration=calibration).save(out)
    return time.perf_counter() - start


#: The same network from Lava processes, no snncompile runtime (argv: spec dir, input
#: .npz, output .npy, reset interval). Layer k sits behind k + 1 Dense delays.
HAND = """
import json, sys, time
import numpy as np
from snncompile_lava._compat import install, load_lava
install()
L = load_lava()
from snncompile_lava import procs
spec = json.load(open(sys.argv[1] + "/spec.json"))
params = np.load(sys.argv[1] + "/params.npz")
x = np.load(sys.argv[2])["input"]
reset = int(sys.argv[4])
x = x.reshape(x.shape[0], -1).astype(np.int32)
depth = len(spec["layers"])
steps = x.shape[0] + depth
src = L.SourceRingBuffer(data=np.concatenate([x, np.zeros((depth, x.shape[1]), np.int32)]).T)
models, pre, graded = {src: L.PySendModelFixed}, src.s_out, spec["input"]["graded"]
for k, lay in enumerate(spec["layers"]):
    c, n = lay["connection"]["fixed_pt"], lay["neuron"]["fixed_pt"]
    w = params[c["weights"]["$array"]].astype(np.int32)
    dense = L.Dense(weights=w, weight_exp=c["weight_exp"], num_weight_bits=8,
                    sign_mode=getattr(L.SignMode, c["sign_mode"].upper()),
                    num_message_bits=24 if graded and k == 0 else 0)
    if lay["neuron"]["type"] == "lif_builtin":
        bias = params[n["bias_mant"]["$array"]] if "bias_mant" in n else 0
        neuron = L.LIF(shape=(w.shape[0],), du=n["du"], dv=n["dv"], vth=n["vth"],
                       bias_mant=bias, bias_exp=n.get("bias_exp", 0))
        models[neuron] = L.PyLifModelBitAcc
    else:
        neuron = procs.SoftResetLIF(shape=(w.shape[0],), dv=n["dv"], theta=n["theta"],
                                    bias=params[n["bias"]["$array"]], start_step=k + 2,
                                    reset_interval=reset)
        models[neuron] = procs.MODELS["fixed_pt"][procs.SoftResetLIF]
    pre.connect(dense.s_in); dense.a_out.connect(neuron.a_in); pre = neuron.s_out
    models[dense] = L.PyDenseModelBitAcc
if "v" in spec["layers"][-1]["record"]:
    probe = L.Monitor(); probe.probe(neuron.v, steps); models[probe] = L.PyMonitorModel
    read = lambda: np.asarray(probe.get_data()[neuron.name]["v"])
else:
    probe = L.SinkRingBuffer(shape=pre.shape, buffer=steps); pre.connect(probe.a_in)
    models[probe] = L.PyReceiveModelFixed
    read = lambda: np.asarray(probe.data.get()).T
cfg = L.Loihi2SimCfg(select_tag="fixed_pt", exception_proc_model_map=models)
t0 = time.perf_counter(); src.create_runtime(run_cfg=cfg); t1 = time.perf_counter()
src.run(condition=L.RunSteps(num_steps=steps)); t2 = time.perf_counter()
out = np.rint(read()[depth : depth + x.shape[0]]).astype(np.int64)
src.stop()
np.save(sys.argv[3], out)
print(json.dumps({"compile": t1 - t0, "run": t2 - t1, "lava_steps": steps}))
"""


def _artefact_run(spec_dir: Path, x: np.ndarray, reset: int) -> tuple[np.ndarray, dict]:
    from snncompile_lava.worker import run_in_worker

    meta: dict[str, Any] = {}
    start = time.perf_counter()
    out = run_in_worker(spec_dir, x, tag="fixed_pt", timeout=900, meta=meta, reset_interval=reset)
    meta["wall_s"] = time.perf_counter() - start
    (output,) = out.values()  # one recorded quantity: the last layer's spikes or v
    return np.asarray(output).reshape(output.shape[0], -1).astype(np.int64), meta


def _hand_run(spec_dir: Path, x: np.ndarray, reset: int, tmp: Path) -> tuple[np.ndarray, dict]:
    np.savez(tmp / "in.npz", input=x)
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            HAND,
            str(spec_dir),
            str(tmp / "in.npz"),
            str(tmp / "o.npy"),
            str(reset),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"hand-built network failed:\n{proc.stderr}")
    timings = json.loads(proc.stdout.strip().splitlines()[-1])
    return np.load(tmp / "o.npy"), {"timings": timings, "wall_s": time.perf_counter() - start}


def _summary(metas: list[dict]) -> dict[str, float]:
    steps = int(metas[0]["timings"]["lava_steps"])  # samples × T + the delay padding
    run_s = statistics.median(m["timings"]["run"] for m in metas)
    return {
        "steps": steps,
        "run_s": run_s,
        "steps_per_s": steps / run_s,
        "ms_per_step": 1000 * run_s / steps,
        "lava_compile_s": statistics.median(m["timings"]["compile"] for m in metas),
        "wall_s": statistics.median(m["wall_s"] for m in metas),
        "rounds": len(metas),
    }


def _case(spec_dir: Path, x: np.ndarray, reset: int, rounds: int, tmp: Path) -> dict[str, Any]:
    """Interleaved rounds: artefact, then hand-built, each in a fresh process."""
    ours, hand, equal = [], [], True
    for _ in range(rounds):
        out_a, meta_a = _artefact_run(spec_dir, x, reset)
        out_h, meta_h = _hand_run(spec_dir, x, reset, tmp)
        equal &= bool(np.array_equal(out_a, out_h))
        ours.append(meta_a)
        hand.append(meta_h)
    overhead = [
        a["timings"]["run"] / h["timings"]["run"] - 1 for a, h in zip(ours, hand, strict=True)
    ]
    wall = [a["wall_s"] / h["wall_s"] - 1 for a, h in zip(ours, hand, strict=True)]
    return {
        "snncompile": _summary(ours),
        "hand_built": _summary(hand),
        "run_overhead": statistics.median(overhead),
        "wall_overhead": statistics.median(wall),
        "outputs_equal": equal,
    }


def _machine() -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_start": os.getloadavg()[0],
        "lava_nc": version("lava-nc"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000, help="784-128-10 stream length")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per case")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    from digits_common import load_split
    from snncompile_lava.load import prepare_inputs, read_manifest

    results: dict[str, Any] = {"machine": _machine()}
    x_tr, x_te, _, _ = load_split()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)

        def frames(images: np.ndarray) -> np.ndarray:
            return np.broadcast_to(images[None, :, None], (4, len(images), 1, 8, 8))

        export_s = _compile(REPO / "examples/models/digits_lif.pt", frames(x_tr[:256]), tmp / "d")
        x = prepare_inputs(read_manifest(tmp / "d"), frames(x_te), "fixed")
        flat = np.swapaxes(x, 0, 1).reshape(-1, 1, 8, 8)  # 450 samples × 4 steps
        results["digits_lif"] = {
            "export_s": export_s,
            **_case(tmp / "d", flat, 4, args.rounds, tmp),
        }

        rng = np.random.default_rng(1)
        spikes = (rng.random((args.steps, 784)) < 0.05).astype(np.float32)
        export_s = _compile(_mlp_graph(), spikes[:200, None], tmp / "m")
        results["mlp784"] = {"export_s": export_s, **_case(tmp / "m", spikes, 0, args.rounds, tmp)}
    results["machine"]["load_average_end"] = os.getloadavg()[0]

    print(
        f"{'case':<12} {'network':<11} {'export (s)':>10} {'Lava compile (s)':>16} "
        f"{'steps':>6} {'steps/s':>8} {'ms/step':>8} {'wall (s)':>9}"
    )
    for case in ("digits_lif", "mlp784"):
        r = results[case]
        for who in ("snncompile", "hand_built"):
            s = r[who]
            export = f"{r['export_s']:.2f}" if who == "snncompile" else "—"
            print(
                f"{case:<12} {who:<11} {export:>10} {s['lava_compile_s']:>16.2f} "
                f"{s['steps']:>6} {s['steps_per_s']:>8.0f} {s['ms_per_step']:>8.3f} "
                f"{s['wall_s']:>9.2f}"
            )
        print(
            f"{case:<12} overhead of the artefact: run {100 * r['run_overhead']:+.1f} %, "
            f"wall {100 * r['wall_overhead']:+.1f} % (median of {args.rounds} rounds); "
            f"outputs identical: {r['outputs_equal']}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
