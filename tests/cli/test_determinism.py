"""Exporting the same model twice gives byte-identical artefacts (in-process and across
processes with different ``PYTHONHASHSEED``), and ``.nir`` files carry no timestamps."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import h5py
import nir

import snncompile

REPO = Path(__file__).resolve().parents[2]
CHECKPOINT = REPO / "examples" / "models" / "digits_clif.pt"

OPTIONS = {
    "nir": ("nir", {}),
    "onnx-step": ("onnx", {}),
    "onnx-loop": ("onnx", {"mode": "loop"}),
    "onnx-unrolled-int8": ("onnx", {"mode": "unrolled", "steps": 3, "quantize": "int8"}),
}


def _export_all(folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    written = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case, (target, options) in OPTIONS.items():
            path = folder / (case + (".nir" if target == "nir" else ".onnx"))
            written[case] = snncompile.compile(CHECKPOINT, target, options=options).save(path)
    return {case: path.read_bytes() for case, path in written.items()}


def test_same_model_twice_in_process_gives_identical_bytes(tmp_path):
    first = _export_all(tmp_path / "first")
    time.sleep(1.1)  # a timestamp with one-second resolution would now differ
    second = _export_all(tmp_path / "second")
    assert [case for case in OPTIONS if first[case] != second[case]] == []


def test_nir_files_hold_no_timestamps_and_nir_reads_them(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = snncompile.compile(CHECKPOINT, "nir").save(tmp_path / "m.nir")
    times: dict[str, int] = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: times.setdefault(name, h5py.h5o.get_info(obj.id).mtime))
        times["/"] = h5py.h5o.get_info(f["/"].id).mtime
    assert times and set(times.values()) == {0}, {k: v for k, v in times.items() if v}
    graph = nir.read(path)  # strict type checking
    assert {"input", "output"} & {type(n).__name__.lower() for n in graph.nodes.values()}


_EXPORT = """
import sys, warnings
warnings.simplefilter("ignore")
import snncompile
checkpoint, out = sys.argv[1], sys.argv[2]
snncompile.compile(checkpoint, "nir").save(out + ".nir")
snncompile.compile(checkpoint, "onnx", options={"mode": "loop"}).save(out + ".onnx")
"""


def test_two_processes_with_different_hash_seeds_give_identical_bytes(tmp_path):
    procs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-c", textwrap.dedent(_EXPORT), str(CHECKPOINT)]
        procs.append(
            subprocess.Popen(
                [*command, str(tmp_path / f"seed{seed}")],
                env=env,
                cwd=REPO,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    for suffix in (".nir", ".onnx"):
        digests = {
            hashlib.sha256((tmp_path / f"seed{seed}{suffix}").read_bytes()).hexdigest()
            for seed in ("1", "2")
        }
        assert len(digests) == 1, suffix


def test_cli_outputs_are_deterministic_too(cli, assets, tmp_path):
    """``simulate -o`` and ``report -o`` (JSON) write the same bytes on every run."""
    for name in ("a", "b"):
        argv = ["simulate", assets.onnx, "--input", assets.inputs, "--steps", 2]
        assert cli(*argv, "-o", tmp_path / f"{name}.npz").code == 0
        argv = ["report", assets.nir, "--input", assets.inputs, "--steps", 2]
        assert cli(*argv, "-o", tmp_path / f"{name}.json").code == 0
        time.sleep(1.1 if name == "a" else 0)
    for suffix in (".npz", ".json"):
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()
