"""The dependency direction of docs/architecture.md §1, checked on every import statement."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "snncompile"

CORE = {"errors", "outputs", "ir", "quant", "passes", "energy", "reference", "backend"}
TOP_LEVEL = {
    "api",
    "cli",
    "commands",
    "checkpoint",
    "checking",
    "inspection",
    "targets",
    "support",
    "datafiles",
    "__init__",
    "__main__",
}
#: unit -> the snncompile units it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "outputs": {"errors"},  # the one atomic writer (every unit may write files with it)
    "ir": {"errors"},
    "quant": {"errors", "ir"},
    "passes": {"errors", "ir", "quant"},
    "energy": {"errors", "outputs", "ir"},
    "reference": {"errors", "ir", "quant"},
    # backends may run the reference simulator to check themselves against it (issue 12)
    "backend": {"errors", "ir", "quant", "energy", "reference"},
    "neurons": {"errors", "ir"},
    "frontend": {"errors", "ir", "passes", "neurons"},
}
BACKEND_ALLOWED = {"ir", "quant", "energy", "backend", "errors", "reference"}
TORCH_FREE = CORE | {"__init__"}
#: Words that name a target: no module path under snncompile/ may contain them.
TARGET_WORDS = ("loihi", "lava", "netx", "onnx")
#: Target runtimes and backend packages the core must never import.
TARGET_RUNTIMES = {"onnx", "onnxruntime", "lava", "h5py"}
#: NIR files are HDF5 (nir itself depends on h5py): the one module that opens them untyped may too.
HDF5_READERS = {"snncompile/ir/nir_isolated.py"}


def _unit(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _violations() -> list[str]:
    errors = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = _unit(path)
        if unit in TOP_LEVEL:
            continue
        if unit not in ALLOWED:
            errors.append(f"{path}: unit {unit!r} is not classified in tests/test_layering.py")
            continue
        for line, name in _imports(path):
            parts = name.split(".")
            if unit in TORCH_FREE and parts[0] in {"torch", "cupy"}:
                errors.append(f"{path}:{line}: core unit {unit!r} imports {name}")
            if unit != "neurons" and parts[0] == "cupy":
                errors.append(f"{path}:{line}: only snncompile.neurons.kernels may import cupy")
            if parts[0] == "snncompile" and len(parts) > 1:
                target = parts[1]
                if target != unit and target not in ALLOWED[unit]:
                    errors.append(f"{path}:{line}: {unit!r} may not import snncompile.{target}")
    for path in sorted((REPO / "backends").glob("*/snncompile_*/**/*.py")):
        package = path.relative_to(REPO / "backends").parts[1]
        allowed = BACKEND_ALLOWED
        for line, name in _imports(path):
            parts = name.split(".")
            # the bare top-level package is torch-free and allowed (e.g. for __version__)
            if parts[0] == "snncompile" and len(parts) > 1 and parts[1] not in allowed:
                errors.append(f"{path}:{line}: {package} may only import {sorted(allowed)}")
            if parts[0] == "torch":
                errors.append(f"{path}:{line}: backends must not import torch")
    return errors


def test_imports_follow_the_layering():
    assert _violations() == []


def test_core_names_no_target():
    """No module or package under snncompile/ is named for a target (issue 12, item 2)."""
    named = [
        str(path.relative_to(REPO))
        for path in sorted(PACKAGE.rglob("*.py"))
        if any(
            word in part.lower()
            for part in path.relative_to(PACKAGE).parts
            for word in TARGET_WORDS
        )
    ]
    assert named == []


def test_core_imports_no_target_runtime():
    """The core imports no target runtime and no backend package, not even lazily."""
    found = [
        f"{path.relative_to(REPO)}:{line}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, name in _imports(path)
        if name.split(".")[0] in TARGET_RUNTIMES or name.startswith("snncompile_")
        if not (name == "h5py" and str(path.relative_to(REPO)) in HDF5_READERS)
    ]
    assert found == []


@pytest.mark.parametrize("module", ["snncompile", "snncompile.errors", "snncompile.backend"])
def test_core_imports_without_torch(module):
    code = f"import sys, {module}; sys.exit(int('torch' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_no_cupy_needed_for_import():
    code = "import sys, snncompile.neurons; sys.exit(int('cupy' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
