"""Security properties of docs/security.md: no unpickling without the opt-in, and nothing
read from an input file can make snncompile write outside the output location."""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import nir
import numpy as np
import pytest

import snncompile
from snncompile import ir
from snncompile.cli import main
from snncompile.errors import CheckpointError, IRValidationError
from snncompile.ir.diagnostics import DialectWarning

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    [*(REPO / "snncompile").rglob("*.py"), *REPO.glob("backends/*/snncompile_*/**/*.py")]
)
CHECKPOINT = REPO / "examples" / "models" / "digits_lif.pt"


def _calls(name: str) -> list[tuple[Path, ast.Call]]:
    """Every call ``<module>.<name>(...)`` in the package and the backends."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            func = node.func if isinstance(node, ast.Call) else None
            named = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            if named and func.attr == name:  # type: ignore[union-attr]
                found.append((path, node))
    return found


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


# ------------------------------------------------------------------------- pickles


def test_every_torch_load_is_weights_only_except_the_opt_in():
    calls = [(p, c) for p, c in _calls("load") if c.func.value.id == "torch"]  # type: ignore[attr-defined]
    assert calls, "no torch.load call found: the scan is broken"
    for path, call in calls:
        value = _keyword(call, "weights_only")
        where = f"{path.relative_to(REPO)}:{call.lineno}"
        assert value is not None, f"{where}: torch.load without weights_only="
        if isinstance(value, ast.Constant) and value.value is True:
            continue
        # the single unpickling call: after the weights-only attempt, behind allow_pickle
        assert path.name == "file_io.py" and "allow_pickle" in path.read_text(), where


def test_every_np_load_refuses_pickles():
    calls = [(p, c) for p, c in _calls("load") if c.func.value.id in ("np", "numpy")]  # type: ignore[attr-defined]
    assert calls
    for path, call in calls:
        value = _keyword(call, "allow_pickle")
        where = f"{path.relative_to(REPO)}:{call.lineno}"
        assert isinstance(value, ast.Constant) and value.value is False, where


def test_torch_load_is_called_weights_only_at_run_time(tmp_path, monkeypatch):
    import torch
    from torch import nn

    real = torch.load
    seen: list[object] = []

    def recording(*args, **kwargs):
        seen.append(kwargs.get("weights_only"))
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", recording)
    snncompile.load(CHECKPOINT)
    pickled = tmp_path / "pickled.pt"
    torch.save(nn.Linear(2, 2), pickled)
    with pytest.raises(CheckpointError, match="arbitrary code"):
        snncompile.load(pickled)
    assert seen == [True, True]
    assert isinstance(snncompile.load(pickled, allow_pickle=True), nn.Linear)
    assert seen == [True, True, True, False]  # unpickled only after the opt-in


def test_input_data_with_object_arrays_is_refused(tmp_path):
    from snncompile.datafiles import read_input_data
    from snncompile.errors import InputError

    path = tmp_path / "objects.npz"
    np.savez(path, inputs=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(InputError, match="object array"):
        read_input_data(path, steps=1)


# -------------------------------------------------------------------- path safety

TRAVERSAL = "../../etc/x"


def test_ir_names_that_look_like_paths_are_invalid():
    for name in (TRAVERSAL, "/abs", "..", "a\nb"):
        graph = ir.sequential(
            ("in", nir.Input(np.array([2]))),
            (name, nir.Affine(weight=np.eye(2), bias=np.zeros(2))),
            ("out", nir.Output(np.array([2]))),
        )
        with pytest.raises(IRValidationError, match="invalid node name"):
            ir.verify(graph)


def test_nir_file_with_a_traversal_group_name_never_names_a_node(tmp_path):
    """A ``snncompile.group`` entry names the node it restores, but only when the members
    are ``<group>.<member>``, which HDF5 cannot store for a name with '/': the members
    stay NIR primitives, and every node name passes ``verify``."""
    import h5py

    from snncompile.ir.nir_io import read_nir, write_nir
    from tests.roundtrip.graph_zoo import clif_ilif

    path = tmp_path / "evil.nir"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_nir(clif_ilif(), path)
    with h5py.File(path, "r+") as f:
        for group in f["node/nodes"].values():
            meta = group.get("metadata")
            if meta is not None and meta.get("snncompile.group", [()])[()] == b"clif":
                del meta["snncompile.group"]
                meta["snncompile.group"] = TRAVERSAL.encode()
    with pytest.warns(DialectWarning, match="kept as NIR primitives"):
        graph = read_nir(path)
    assert "clif.li" in graph.nodes and not any("/" in name for name in graph.nodes)


def test_checkpoint_with_a_traversal_module_path_is_rejected(tmp_path):
    import torch

    from snncompile.checkpoint import weights_sha256

    obj = torch.load(CHECKPOINT, weights_only=True)
    modules = obj["architecture"]["modules"]
    first = next(iter(modules))
    modules[TRAVERSAL] = modules.pop(first)
    for node in obj["architecture"]["graph"]:
        if node["target"] == first:
            node["target"] = TRAVERSAL
    state = obj["state_dict"]
    for key in [k for k in state if k.startswith(first + ".")]:
        state[TRAVERSAL + key[len(first) :]] = state.pop(key)
    obj["weights_sha256"] = weights_sha256(state)
    path = tmp_path / "evil.pt"
    torch.save(obj, path)
    with pytest.raises(CheckpointError, match="not a valid name"):
        snncompile.load(path)


def test_npz_member_names_are_sanitised(tmp_path):
    import zipfile

    from snncompile.outputs import save_npz

    path = save_npz(
        tmp_path / "out.npz",
        {TRAVERSAL: np.ones(2), "/abs/y": np.zeros(1), "file": np.arange(3), ".hidden": [1]},
    )
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in names), names
    with np.load(path) as data:
        assert sorted(data.files) == sorted(n[: -len(".npy")] for n in names)
        np.testing.assert_array_equal(data["file"], np.arange(3))


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_commands_write_only_their_outputs(tmp_path, monkeypatch):
    """export (with IR dumps and a report), simulate and report, run from a scratch cwd,
    create exactly the files they were asked for."""
    from snncompile.ir.nir_io import write_nir
    from tests.roundtrip.graph_zoo import mlp_softlif

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    model = work / "in.nir"
    write_nir(mlp_softlif(), model)
    np.savez(work / "x.npz", inputs=np.random.default_rng(0).random((3, 2, 6)))
    before = _files(tmp_path)
    argv = [str(model), "--target", "onnx", "-o", "out/m.onnx", "--dump-ir", "out/ir"]
    (work / "out").mkdir()
    assert main(["-q", "export", *argv, "--report", "out/r.json", "--input", "x.npz"]) == 0
    assert main(["-q", "simulate", "out/m.onnx", "--input", "x.npz", "-o", "out/y.npz"]) == 0
    assert main(["-q", "report", str(model), "--input", "x.npz", "-o", "out/e.html"]) == 0
    created = {p.relative_to(work).as_posix() for p in _files(tmp_path) - before}
    dumps = {c for c in created if c.startswith("out/ir/")}
    assert created - dumps == {"out/m.onnx", "out/r.json", "out/y.npz", "out/e.html"}
    assert dumps and all(re.fullmatch(r"out/ir/\d\d-[a-z_]+\.txt", d) for d in dumps), dumps
