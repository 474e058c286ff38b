"""inspection.describe / inspect_path, and the torch-free import of the compiler core."""

from __future__ import annotations

import subprocess
import sys

import pytest

from snncompile import ir
from snncompile.errors import CheckpointError, ConfigError
from snncompile.inspection import describe, fires_on, inspect_path, parameter_count
from tests.roundtrip.graph_zoo import ZOO


def test_describe_lists_nodes_shapes_params_and_lowering():
    graph = ZOO["clif_ilif"]()
    text = describe(graph)
    lines = text.splitlines()
    assert lines[0] == (  # 25 + 10 + 18 + 6
        "graph: 6 nodes, 5 edges (0 back), 59 stored values (weights, biases, per-neuron constants)"
    )
    assert lines[3].startswith("profile (NIR primitive nodes; native neurons fire on >=): ")
    assert "neurons: CLIF x1, ILIF x1" in lines
    clif = next(line for line in lines if line.startswith("clif "))
    assert "[5]" in clif and "10" in clif and "native-only" in clif
    fc1 = next(line for line in lines if line.startswith("fc1 "))
    assert fc1.split()[-1] == "primitive" and "25" in fc1.split()
    assert parameter_count(graph.nodes["fc2"]) == 18
    softlif = describe(ZOO["mlp_softlif"]())
    assert "exact: LI + Threshold + Scale feedback" in softlif
    assert "exact: LIF (Euler, v_leak = v_reset)" in softlif
    assert "override lif: compare='>='" in describe(ZOO["recurrent"]())


def test_describe_shows_the_comparison_each_neuron_fires_on():
    """Native neurons fire on >= whatever the profile says; NIR primitives follow it."""
    graph = ZOO["clif_ilif"]()
    assert graph.profile.compare == ">"  # the NIR default, for primitives only
    assert fires_on(graph, "clif") == ">=" and fires_on(graph, "fc1") == "-"
    clif = next(ln for ln in describe(graph).splitlines() if ln.startswith("clif "))
    assert " >= " in clif
    assert fires_on(ZOO["recurrent"](), "lif") == ">="  # NIR LIF with a '>=' override
    assert fires_on(ZOO["cuba_delay"](), "cuba") == ">"  # NIR CubaLIF, the graph's '>'
    cuba = next(ln for ln in describe(ZOO["cuba_delay"]()).splitlines() if ln.startswith("cuba "))
    assert " > " in cuba and " >= " not in cuba


def test_inspect_path(tmp_path):
    path = ir.write_nir(ZOO["recurrent"](), tmp_path / "rec.nir")
    text = inspect_path(path)
    assert text.startswith(f"file: {path}\n") and "(2 back)" in text
    with pytest.raises(ConfigError, match=r"unsupported file type '\.pt'"):
        inspect_path(tmp_path / "model.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        inspect_path(tmp_path / "missing.nir")


def test_core_imports_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import snncompile.ir, snncompile.passes, snncompile.reference, snncompile.inspection\n"
        "assert 'torch' not in {m.split('.')[0] for m in sys.modules if sys.modules[m]}\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
