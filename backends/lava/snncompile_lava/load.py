"""Load and run an exported Lava artefact directory (torch-free).

    python -m snncompile_lava.load DIR --input data.npz [--mode fixed|float] [--steps T]
        [-o outputs.npz]
    python DIR/loader.py --input data.npz ...           (the same, from the artefact)

An artefact directory holds ``manifest.json`` (target, versions, source hash,
execution profile, quantisation, delays), ``spec.json`` + ``params.npz`` (the network
spec with a ``floating_pt`` and a ``fixed_pt`` parameter set) and ``loader.py``. Nothing
here imports torch: only numpy, ``snncompile.quant`` and the Lava runtime of this
package (lava-nc itself is imported in the worker process only).

Batches: Lava networks run one sample stream; ``run_artifact`` concatenates the samples
of a chunk in time and every population zeroes its state at the start of each sample
(``reset_interval = T``), so one Lava run serves many samples.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from snncompile.backend import time_major
from snncompile.errors import ConfigError, InputError
from snncompile.quant.precision import round_half_away
from snncompile_lava.lower import rerecord
from snncompile_lava.spec import load_spec, save_spec
from snncompile_lava.worker import run_in_worker

MANIFEST = "manifest.json"
ARTIFACT_FORMAT = "snncompile-lava-artifact"
MODES = {"fixed": "fixed_pt", "float": "floating_pt"}
#: Lava steps per worker call (samples × T); bounds memory and makes progress visible.
MAX_STEPS_PER_RUN = 2400
Progress = Callable[[int, int], None]


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of an artefact directory.

    Raises:
        ConfigError: no manifest, unreadable, or not a Lava artefact.
    """
    path = Path(directory) / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the artefact manifest {path}: {exc}",
            hint="give a directory written by `snncompile export --target lava`",
        ) from exc
    if manifest.get("format") != ARTIFACT_FORMAT or manifest.get("target") != "lava":
        raise ConfigError(
            f"{path} is not a snncompile Lava artefact (format {manifest.get('format')!r}, "
            f"target {manifest.get('target')!r})",
            hint="export it again with `snncompile export MODEL --target lava -o DIR`",
        )
    return manifest


def prepare_inputs(manifest: dict[str, Any], inputs: Any, mode: str) -> np.ndarray:
    """Check time-major ``inputs`` [T, B, *shape] and encode them for ``mode``.

    Fixed mode applies the manifest's input rule: round(x·scale) (half away from zero)
    for graded inputs; spikes stay 0/1.
    """
    x = np.asarray(inputs, dtype=np.float64)
    shape = tuple(manifest["input"]["shape"])
    if x.ndim != len(shape) + 2 or tuple(x.shape[2:]) != shape:
        raise InputError(
            f"inputs of shape {list(x.shape)} do not fit the artefact input "
            f"[T, B, {', '.join(map(str, shape))}]",
            hint="pass time-major inputs [T, B, ...] (static data: repeat over T)",
        )
    if not np.all(np.isfinite(x)):
        raise InputError("inputs contain NaN or Inf", hint="clean the input data")
    graded = bool(manifest["input"]["graded"])
    if not graded and not np.all((x == 0) | (x == 1)):
        raise InputError(
            "this artefact takes binary input spikes, but the inputs are not all 0/1",
            hint="export with graded calibration data, or binarise the input",
        )
    if mode == "fixed" and graded:
        return round_half_away(x * float(manifest["input"]["scale"])).astype(np.float64)
    return x


def _decode(manifest: dict[str, Any], raw: np.ndarray, mode: str) -> np.ndarray:
    out = manifest["output"]
    if out["kind"] == "readout" and mode == "fixed":
        return raw.astype(np.float64) / float(out["unit"])
    return raw.astype(np.float64)


def _spec_dir(directory: Path, record: str | None, tmp: str) -> Path:
    if record is None:
        return directory
    return save_spec(rerecord(load_spec(directory), record), Path(tmp) / "spec")


def run_batches(
    spec_dir: Path,
    x: np.ndarray,
    *,
    tag: str,
    timeout: float = 600.0,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Run the spec in ``spec_dir`` on encoded time-major ``x`` [T, B, *shape], chunk by
    chunk in the torch-free worker, every sample from the zero state.

    Each chunk's samples run back to back in one Lava run (``reset_interval = T``). While
    a worker starts, compiles and runs, ``progress`` hears ``(samples done, samples)``
    at least every :data:`~snncompile.reference.progress.HEARTBEAT_S` seconds, with the
    phase "Lava worker" (a bar never stands still for longer).

    Returns:
        ``{"<layer>/<Var>": [T, B, *shape]}``, the worker's recordings.
    """
    from snncompile.reference.progress import heartbeat

    t_len, batch = x.shape[:2]
    chunk = max(1, MAX_STEPS_PER_RUN // t_len)
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, batch, chunk):
        part = x[:, start : start + chunk]
        n = part.shape[1]
        flat = np.swapaxes(part, 0, 1).reshape(n * t_len, *x.shape[2:])
        phase = f"Lava worker, samples {start + 1}-{start + n}"
        with heartbeat(progress, start, batch, phase):
            res = run_in_worker(spec_dir, flat, tag=tag, timeout=timeout, reset_interval=t_len)
        for key, val in res.items():
            val = np.swapaxes(val.reshape(n, t_len, *val.shape[1:]), 0, 1)
            parts.setdefault(key, []).append(val)
    if progress is not None:
        progress(batch, batch)
    return {k: np.concatenate(v, axis=1) for k, v in parts.items()}


def run_artifact(
    directory: str | Path,
    inputs: Any,
    *,
    mode: str = "fixed",
    steps: int | None = None,
    timeout: float = 600.0,
    record: str | None = None,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Run an artefact on Lava (in the torch-free worker), chunk by chunk.

    Args:
        directory: the artefact directory.
        inputs: time-major float inputs [T, B, *input_shape], or static ones
            [B, *input_shape] repeated over ``steps`` (``snncompile.datafiles.time_major``).
        mode: "fixed" (Loihi fixed point, ``fixed_pt``) or "float" (``floating_pt``).
        steps: T of static inputs; for time-major ones, the first ``steps`` (default all).
        timeout: seconds per worker call.
        record: None (the output only), "spikes" or "all" (every population's spikes /
            and states, as ``"<layer>/<Var>"``; fixed states are integers).
        progress: called as ``progress(samples done, samples)``.

    Returns:
        ``{output name: [T, B, *output_shape] float64}`` plus the recorded traces
        ([T, B, *shape]) when ``record`` is given.
    """
    root = Path(directory)
    manifest = read_manifest(root)
    if mode not in MODES:
        raise ConfigError(f"mode {mode!r} is not 'fixed' or 'float'", hint="use --mode fixed")
    per_step = tuple(int(d) for d in manifest["input"]["shape"])
    x = prepare_inputs(manifest, time_major(np.asarray(inputs), per_step, steps), mode)
    t_len, batch = x.shape[:2]
    out_key = f"{manifest['output']['layer']}/{manifest['output']['record']}"
    with tempfile.TemporaryDirectory(prefix="snncompile-lava-rec-") as tmp:
        spec_dir = _spec_dir(root, record, tmp)
        merged = run_batches(spec_dir, x, tag=MODES[mode], timeout=timeout, progress=progress)
    value = _decode(manifest, merged[out_key], mode)
    result = {manifest["output"]["name"]: value.reshape(t_len, batch, *manifest["output"]["shape"])}
    if record is not None:
        result |= merged
    return result


def build_lava_network(directory: str | Path, inputs: Any, *, mode: str = "fixed") -> Any:
    """Rebuild the artefact's Lava processes in this process (no run), fed by ``inputs``.

    ``inputs`` is one sample stream [T, *input_shape]. This imports lava-nc here: do it
    in a process that never imported torch (docs/lava.md §15). Returns
    :class:`snncompile_lava.network.LavaNetwork` (``.source.run(...)`` runs it).
    """
    from snncompile_lava.network import build_network

    manifest = read_manifest(directory)
    x = prepare_inputs(manifest, np.asarray(inputs)[:, None], mode)[:, 0]
    spec = load_spec(directory)
    delay = int(manifest["delays"]["total"])
    return build_network(spec, x, tag=MODES[mode], steps=x.shape[0] + delay)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m snncompile_lava.load DIR --input NPZ ...``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m snncompile_lava.load", description=__doc__)
    parser.add_argument("artifact", type=Path, help="the artefact directory")
    parser.add_argument(
        "--input",
        required=True,
        type=Path,
        help="npz with 'inputs' [T, B, ...], or static [B, ...] with --steps T (optional 'labels')",
    )
    parser.add_argument("--mode", choices=tuple(MODES), default="fixed")
    parser.add_argument(
        "--steps", type=int, default=None, help="T of static inputs (a cut of time-major ones)"
    )
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("-o", "--output", type=Path, help="write the outputs (.npz)")
    args = parser.parse_args(argv)
    from snncompile.errors import SnnCompileError

    try:
        with np.load(args.input, allow_pickle=False) as data:
            x = data["inputs"] if "inputs" in data.files else data[data.files[0]]
            labels = data["labels"] if "labels" in data.files else None
        # static [B, ...] or time-major [T, B, ...]: run_artifact applies time_major
        out = run_artifact(args.artifact, x, mode=args.mode, steps=args.steps, timeout=args.timeout)
    except (SnnCompileError, OSError, KeyError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    ((name, value),) = out.items()
    sys.stdout.write(f"{name}: {list(value.shape)} ({args.mode})\n")
    if labels is not None:
        pred = value.sum(axis=0).reshape(value.shape[1], -1).argmax(axis=1)
        sys.stdout.write(f"accuracy: {float((pred == labels).mean()):.4f}\n")
    if args.output:
        np.savez(args.output, **out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
