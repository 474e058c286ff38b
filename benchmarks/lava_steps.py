"""Lava target speed: compile time and steps/s, snncompile artefact vs a hand-built network.

    python benchmarks/lava_steps.py [--steps 1000] [--repeats 3] [--json out.json]

Cases:

- ``digits_lif``: ``examples/models/digits_lif.pt`` compiled for ``--target lava``
  (quantise with 256 calibration images + lower + write), then all 450 test images run
  back to back (T = 4, per-sample reset, readout read through a Monitor) in ``fixed_pt``.
- ``mlp784``: a 784-128-10 MLP of hard-reset LIF layers (Lava's own ``LIF``), 5 % binary
  input spikes, one stream of ``--steps`` steps, output spikes in a sink. The same
  network is also **built by hand** from Lava processes (RingBuffer → Dense → LIF →
  Dense → LIF → RingBuffer) with the artefact's integer parameters, and run the same way;
  its output spikes must equal the artefact's (checked).

Every Lava run goes through a fresh torch-free worker process; steps/s is the Lava
``run`` phase (median over repeats), "Lava compile" Lava's own compile phase, "wall" the
whole worker call, "export" snncompile's quantise + lower + write.
"""

from __future__ import annotations

import argparse
import json
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


def _runs(spec_dir: Path, x: np.ndarray, repeats: int, reset: int) -> tuple[dict, list[dict]]:
    from snncompile_lava.worker import run_in_worker

    metas, out = [], {}
    for _ in range(repeats):
        meta: dict[str, Any] = {}
        out = run_in_worker(
            spec_dir, x, tag="fixed_pt", timeout=900, meta=meta, reset_interval=reset
        )
        metas.append(meta)
    return out, metas


def _summary(metas: list[dict], steps: int) -> dict[str, float]:
    run_s = statistics.median(m["timings"]["run"] for m in metas)
    return {
        "steps": steps,
        "run_s": run_s,
        "steps_per_s": steps / run_s,
        "ms_per_step": 1000 * run_s / steps,
        "lava_compile_s": statistics.median(m["timings"]["compile"] for m in metas),
        "wall_s": statistics.median(m["wall_s"] for m in metas),
    }


HAND = """
import json, sys, time
import numpy as np
from snncompile_lava._compat import install, load_lava
install()
L = load_lava()
spec = json.load(open(sys.argv[1] + "/spec.json"))
params = np.load(sys.argv[1] + "/params.npz")
x = np.load(sys.argv[2])["input"].astype(np.int32)
steps = x.shape[0] + 2
src = L.SourceRingBuffer(data=np.concatenate([x, np.zeros((2, x.shape[1]), np.int32)]).T)
models, pre = {src: L.PySendModelFixed}, src.s_out
for lay in spec["layers"]:
    c, n = lay["connection"]["fixed_pt"], lay["neuron"]["fixed_pt"]
    w = params[c["weights"]["$array"]].astype(np.int32)
    dense = L.Dense(weights=w, weight_exp=c["weight_exp"], num_weight_bits=8,
                    sign_mode=getattr(L.SignMode, c["sign_mode"].upper()))
    bias = params[n["bias_mant"]["$array"]]
    lif = L.LIF(shape=(w.shape[0],), du=n["du"], dv=n["dv"], vth=n["vth"],
                bias_mant=bias, bias_exp=n["bias_exp"])
    pre.connect(dense.s_in); dense.a_out.connect(lif.a_in); pre = lif.s_out
    models[dense], models[lif] = L.PyDenseModelBitAcc, L.PyLifModelBitAcc
sink = L.SinkRingBuffer(shape=pre.shape, buffer=steps)
pre.connect(sink.a_in); models[sink] = L.PyReceiveModelFixed
cfg = L.Loihi2SimCfg(select_tag="fixed_pt", exception_proc_model_map=models)
t0 = time.perf_counter(); src.create_runtime(run_cfg=cfg); t1 = time.perf_counter()
src.run(condition=L.RunSteps(num_steps=steps)); t2 = time.perf_counter()
out = np.asarray(sink.data.get()).T[2:]
src.stop()
np.save(sys.argv[3], out)
print(json.dumps({"compile": t1 - t0, "run": t2 - t1, "lava_steps": steps}))
"""


def _hand(spec_dir: Path, x: np.ndarray, repeats: int, tmp: Path) -> tuple[np.ndarray, list]:
    np.savez(tmp / "in.npz", input=x)
    metas = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", HAND, str(spec_dir), str(tmp / "in.npz"), str(tmp / "o.npy")],
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
        timings = json.loads(proc.stdout.strip().splitlines()[-1])
        metas.append({"timings": timings, "wall_s": time.perf_counter() - start})
    return np.load(tmp / "o.npy"), metas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    from digits_common import load_split

    x_tr, x_te, _, _ = load_split()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # digits_lif: compile, then 450 images back to back (T = 4)
        frames = lambda imgs: np.broadcast_to(imgs[None, :, None], (4, len(imgs), 1, 8, 8))  # noqa: E731
        compile_s = _compile(
            REPO / "examples/models/digits_lif.pt", frames(x_tr[:256]), tmp / "digits"
        )
        from snncompile_lava.load import prepare_inputs, read_manifest

        x = prepare_inputs(read_manifest(tmp / "digits"), frames(x_te), "fixed")
        flat = np.swapaxes(x, 0, 1).reshape(-1, 1, 8, 8)
        _, metas = _runs(tmp / "digits", flat, args.repeats, reset=4)
        results["digits_lif"] = {"export_s": compile_s, **_summary(metas, flat.shape[0])}
        # 784-128-10: artefact vs hand-built
        rng = np.random.default_rng(1)
        spikes = (rng.random((args.steps, 784)) < 0.05).astype(np.float32)
        cal = spikes[:200, None]
        compile_s = _compile(_mlp_graph(), cal, tmp / "mlp")
        out, metas = _runs(tmp / "mlp", spikes, args.repeats, reset=0)
        results["mlp784_snncompile"] = {"export_s": compile_s, **_summary(metas, args.steps)}
        hand_out, hand_metas = _hand(tmp / "mlp", spikes, args.repeats, tmp)
        results["mlp784_hand_built"] = _summary(hand_metas, args.steps)
        results["mlp784_outputs_equal"] = bool(np.array_equal(out["lif2/spikes"], hand_out))
    print(
        f"{'case':<20} {'export (s)':>10} {'Lava compile (s)':>16} {'steps':>6} "
        f"{'steps/s':>8} {'ms/step':>8} {'wall (s)':>9}"
    )
    for name, r in results.items():
        if isinstance(r, dict):
            export = f"{r['export_s']:.2f}" if "export_s" in r else "—"
            print(
                f"{name:<20} {export:>10} {r['lava_compile_s']:>16.2f} {r['steps']:>6} "
                f"{r['steps_per_s']:>8.0f} {r['ms_per_step']:>8.2f} {r['wall_s']:>9.2f}"
            )
    print(
        f"784-128-10 output spikes identical (artefact vs hand-built): "
        f"{results['mlp784_outputs_equal']}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
