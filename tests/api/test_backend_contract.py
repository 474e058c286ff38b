"""The Backend contract: what registration refuses, and the core's node-type check."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any, ClassVar

import nir
import numpy as np
import pytest

import snncompile.backend as registry
from snncompile.backend import (
    REQUIRED_MEMBERS,
    Backend,
    Capabilities,
    check_supported,
    get_backend,
    installed_backends,
    node_classes,
)
from snncompile.errors import BackendUnavailableError, UnsupportedNodeError
from snncompile.ir.graph import sequential


class Complete(Backend):
    """A fake backend declaring every required member."""

    name: ClassVar[str] = "fake"
    artifact_suffix: ClassVar[str | None] = ".fake"
    capabilities: ClassVar[Capabilities] = Capabilities(
        node_types=node_classes(["Input", "Output", "Affine"])
    )

    def emit(self, graph: Any, out_dir: Path) -> Path:
        raise NotImplementedError  # never called here

    def simulate(
        self, artifact: Path, inputs: Any, steps: int | None = None
    ) -> dict[str, np.ndarray]:
        raise NotImplementedError  # never called here

    @classmethod
    def read_graph(cls, path: Path) -> Any:
        raise NotImplementedError  # never called here


def _without(member: str) -> type:
    """``Complete`` with ``member`` left undeclared (methods stay abstract)."""
    namespace = {k: v for k, v in vars(Complete).items() if k != member}
    annotations = {k: v for k, v in Complete.__annotations__.items() if k != member}
    namespace["__annotations__"] = annotations
    return type("Incomplete", (Backend,), namespace)


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch):
    """Register a class as the entry point ``fake`` (beside the installed ones)."""

    def install(cls: type) -> None:
        found = dict(registry._entry_points())
        ep = importlib.metadata.EntryPoint("fake", "fake_module:Fake", registry.ENTRY_POINT_GROUP)
        monkeypatch.setattr(type(ep), "load", lambda self: cls if self.name == "fake" else
                            importlib.metadata.EntryPoint.load(self))  # fmt: skip
        found["fake"] = ep
        monkeypatch.setattr(registry, "_entry_points", lambda: found)

    return install


def test_a_complete_backend_registers(register):
    register(Complete)
    assert isinstance(get_backend("fake"), Complete)


@pytest.mark.parametrize("member", REQUIRED_MEMBERS)
def test_a_missing_member_is_refused_at_registration(register, member):
    register(_without(member))
    with pytest.raises(BackendUnavailableError, match=f"'{member}'") as info:
        get_backend("fake")
    assert "declare" in (info.value.hint or "")
    broken = installed_backends()["fake"]  # listed with its error, never dropped
    assert isinstance(broken, BackendUnavailableError) and member in broken.message


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"name": "other"}, "declares 'other' as 'name'"),
        ({"artifact_suffix": "fake"}, "'artifact_suffix'"),
        ({"capabilities": Capabilities()}, "no node types"),
        ({"capabilities": Capabilities(node_types=frozenset({"Affine"}))}, "type names"),
    ],
)
def test_a_malformed_member_is_refused(register, changes, fragment):
    register(type("Malformed", (Complete,), changes))
    with pytest.raises(BackendUnavailableError, match=fragment):
        get_backend("fake")


def test_installed_backends_declare_ir_classes():
    for name, cls in installed_backends().items():
        assert isinstance(cls, type), f"{name}: {cls}"
        assert all(isinstance(t, type) for t in cls.capabilities.node_types), name


def test_node_classes_refuses_an_unknown_name():
    with pytest.raises(BackendUnavailableError, match="'Gelu', which is not an IR node type"):
        node_classes(["Gelu"])


def test_the_core_refuses_an_unsupported_node_before_emit():
    w = np.ones((2, 3), dtype=np.float32)
    graph = sequential(
        ("in", nir.Input(input_type={"input": np.array([3])})),
        ("fc", nir.Linear(weight=w)),
        ("out", nir.Output(output_type={"output": np.array([2])})),
    )
    with pytest.raises(UnsupportedNodeError) as info:
        check_supported(graph, Complete)
    message = info.value.message
    assert "node 'fc' of type Linear" in message and "target 'fake'" in message
    assert "supported: Affine, Input, Output" in message
