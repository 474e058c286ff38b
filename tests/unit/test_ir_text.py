"""The text dump: deterministic, complete enough to diff, stable under round trips.

Golden dumps live in tests/golden/ir/; regenerate them with
``SNNCOMPILE_UPDATE_GOLDEN=1 pytest tests/unit/test_ir_text.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.ir.text import array_digest, format_value
from tests.roundtrip.graph_zoo import ZOO

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "ir"
UPDATE = os.environ.get("SNNCOMPILE_UPDATE_GOLDEN") == "1"


def test_same_graph_gives_byte_identical_text_regardless_of_dict_order():
    graph = ZOO["residual"]()
    reordered = graph.replace(nodes=dict(reversed(list(graph.nodes.items()))))
    assert ir.dump(graph) == ir.dump(reordered) == ir.dump(ZOO["residual"]())


def test_dump_layout():
    text = ir.dump(ZOO["recurrent"]())
    lines = text.splitlines()
    assert lines[0] == "snncompile-ir 1"
    assert lines[1].startswith("profile dt=0.0001 time_unit='s' integrator='euler'")
    assert "override lif compare='>='" in lines
    assert "node lif: LIF in=[5] out=[5]" in lines
    assert "  metadata origin = 'origin'" not in lines and "  metadata origin = 'test'" in lines
    assert "edge w_rec -> lif  (back)" in lines and "edge lif -> lif  (back)" in lines
    assert "edge fc -> lif" in lines
    assert text.endswith("\n")


def test_array_summary_has_dtype_shape_hash_and_preview():
    a = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    assert format_value(a) == f"float32[2,3] #{array_digest(a)} [0, 0.25, 0.5, 0.75, ...]"
    assert array_digest(a) != array_digest(a.astype(np.float64))
    assert array_digest(a) != array_digest(a.reshape(3, 2))
    assert array_digest(a) == array_digest(a.astype(a.dtype.newbyteorder(">")))
    assert format_value(np.array([2, 2])) == format_value((2, 2)) == "[2, 2]"
    assert format_value(0.1) == "0.1" and format_value(None) == "None"


def test_changes_in_a_parameter_change_the_text():
    graph = ZOO["mlp_softlif"]()
    weight = graph.nodes["fc1"].weight.copy()
    weight[0, 0] = np.nextafter(weight[0, 0], 1.0)
    changed = graph.replace(
        nodes=dict(graph.nodes, fc1=nir.Affine(weight, graph.nodes["fc1"].bias))
    )
    assert ir.dump(changed) != ir.dump(graph)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_golden_dump(name):
    text = ir.dump(ZOO[name]())
    path = GOLDEN_DIR / f"{name}.txt"
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"missing golden file {path}; run with SNNCOMPILE_UPDATE_GOLDEN=1")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
