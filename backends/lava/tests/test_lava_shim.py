"""The Python 3.11+ import shim and load_lava (docs/lava.md §14, §15)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import py_compile
import subprocess
import sys
import types

import pytest
from snncompile_lava import _compat

from snncompile.errors import BackendUnavailableError

NEEDS_SHIM = pytest.mark.skipif(sys.version_info < (3, 11), reason="the shim acts on 3.11+")

FAKE = """from __future__ import annotations
from dataclasses import dataclass
MARKER = "{marker}"
@dataclass
class ByteEncoder:
    value: int = 0
@dataclass
class CoreEncoder:
    x: ByteEncoder = ByteEncoder()
    y: ByteEncoder =  ByteEncoder()
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def _load(path: str, loader_cls: type) -> types.ModuleType:
    loader = loader_cls("fake_var_model", path)
    spec = importlib.util.spec_from_loader("fake_var_model", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_var_model"] = module  # dataclasses look their module up
    try:
        loader.exec_module(module)
    finally:
        del sys.modules["fake_var_model"]
    return module


@NEEDS_SHIM
def test_patched_loader_rewrites_defaults_and_ignores_stale_bytecode(tmp_path):
    src = tmp_path / "fake_var_model.py"
    src.write_text(FAKE.format(marker="stale"))
    stat = src.stat()
    py_compile.compile(str(src), cfile=importlib.util.cache_from_source(str(src)))
    src.write_text(FAKE.format(marker="fresh"))  # same size; restore the mtime:
    os.utime(src, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the .pyc now looks valid
    normal = importlib.machinery.SourceFileLoader("fake_var_model", str(src))
    assert "stale" in normal.get_code("fake_var_model").co_consts  # it would use the pyc
    with pytest.raises(ValueError, match="mutable default"):
        _load(str(src), importlib.machinery.SourceFileLoader)  # and fail on 3.11+
    module = _load(str(src), _compat._PatchedSourceLoader)
    assert module.MARKER == "fresh"  # compiled from source, not from the stale pyc
    a, b = module.CoreEncoder(), module.CoreEncoder()
    assert a.x == module.ByteEncoder() and a.x is not b.x and a.y is not b.y


def test_loader_leaves_sources_without_the_pattern_alone(tmp_path):
    src = tmp_path / "plain.py"
    src.write_text("VALUE = 42\n")
    assert _load(str(src), _compat._PatchedSourceLoader).VALUE == 42


@pytest.mark.lava
@NEEDS_SHIM
def test_install_is_idempotent_and_answers_only_var_model():
    assert _compat.install() and _compat.install()
    finders = [f for f in sys.meta_path if isinstance(f, _compat._VarModelFinder)]
    assert len(finders) == 1
    finder = finders[0]
    path = importlib.util.find_spec("lava.magma.compiler").submodule_search_locations
    assert finder.find_spec("lava.proc.lif.process", path) is None
    assert finder.find_spec("json", None) is None
    spec = finder.find_spec(_compat.TARGET_MODULE, path)
    assert isinstance(spec.loader, _compat._PatchedSourceLoader)
    assert spec.origin.endswith("var_model.py")


@pytest.mark.lava
@NEEDS_SHIM
def test_lava_imports_on_311_with_the_shim_only():
    bare = _run("import lava.proc.lif.process")
    assert bare.returncode != 0 and "mutable default" in bare.stderr
    shimmed = _run(
        "from snncompile_lava import _compat\n"
        "assert _compat.install()\n"
        "import lava.proc.lif.process\n"
        "import lava.magma.compiler.var_model as vm\n"
        "assert vm.CoreEncoder().x is not vm.CoreEncoder().x\n"
    )
    assert shimmed.returncode == 0, shimmed.stderr
    spawn = _run(
        "import multiprocessing as mp; mp.set_start_method('spawn')\n"
        "from snncompile_lava._compat import load_lava\n"
        "try:\n    load_lava()\nexcept Exception as e:\n    print(type(e).__name__, e.hint)\n"
    )
    assert "BackendUnavailableError" in spawn.stdout and "run_in_worker" in spawn.stdout
    fork = _run(
        "import multiprocessing as mp; mp.set_start_method('fork')\n"
        "from snncompile_lava._compat import load_lava; load_lava()\n"
        "print(mp.get_start_method())\n"
    )
    assert fork.returncode == 0 and fork.stdout.strip() == "fork", fork.stderr


def test_install_is_a_no_op_when_not_needed(monkeypatch, tmp_path):
    clean = [f for f in sys.meta_path if not isinstance(f, _compat._VarModelFinder)]
    monkeypatch.setattr(sys, "meta_path", clean)
    with monkeypatch.context() as m:
        m.setattr(sys, "version_info", (3, 10, 13, "final", 0))
        assert _compat.install() is False
    with monkeypatch.context() as m:
        m.setitem(sys.modules, _compat.TARGET_MODULE, types.ModuleType("already"))
        assert _compat.install() is False
    fixed = tmp_path / "var_model.py"
    fixed.write_text("x = field(default_factory=ByteEncoder)\n")
    with monkeypatch.context() as m:
        m.setattr(_compat, "_var_model_source", lambda: fixed)
        assert _compat.install() is False  # fixed upstream: nothing to patch
    with monkeypatch.context() as m:
        m.setattr(_compat, "_var_model_source", lambda: None)
        assert _compat.install() is False  # lava-nc absent
    assert not _compat.is_installed()


def test_missing_lava_gives_the_install_command(monkeypatch):
    monkeypatch.setitem(_compat._MODULES, "Missing", "lava.proc.not_a_module")
    _compat._load.cache_clear()
    try:
        with pytest.raises(BackendUnavailableError) as info:
            _compat.load_lava()
    finally:
        _compat._load.cache_clear()
    assert "pip install --no-deps --ignore-requires-python lava-nc==0.10.0" in info.value.hint
    assert 'pip install scipy "asteval<0.10" scikit-learn psutil' in info.value.hint
