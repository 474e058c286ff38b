"""Files that snnTorch, Norse, sinabs and SpikingJelly wrote run exactly as the frameworks
ran them.

Every layer of every fixture in ``tests/data/frameworks`` (made by the frameworks
themselves: ``tests/generators/``) is reproduced by the reference simulator in float32
and float64 under the fixture's preset (docs/nir.md §5, §11): spikes and counts exactly,
continuous values (synaptic layers, leaky readouts) to float32 rounding.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import nir
import numpy as np
import pytest

from snncompile.ir.diagnostics import DialectWarning
from snncompile.ir.nir_import import from_nir, read_nir
from snncompile.reference import simulate
from tests.conftest import FRAMEWORKS

FIXTURES = sorted(FRAMEWORKS.glob("*.npz"))


def load_fixture(path: Path) -> dict[str, object]:
    """The recorded arrays and the reading instructions of one fixture."""
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    return {
        "graph": FRAMEWORKS / str(arrays.pop("nir")),
        "dialect": str(arrays.pop("dialect")),
        "settings": json.loads(str(arrays.pop("settings"))),
        "versions": json.loads(str(arrays.pop("versions"))),
        "x": arrays.pop("x"),
        "layers": arrays,
    }


def layer_node(key: str, nodes: object) -> str:
    """The IR node of recorded layer ``out:<index>``: nirtorch names it ``<index>``
    (``<index>.lif`` in a subgraph), or ``_<index>`` in SpikingJelly's fx trace."""
    index = key.removeprefix("out:")
    for name in (index, f"_{index}"):
        if name in nodes:
            return name
    return f"{index}.lif"


def test_every_framework_and_neuron_class_is_covered():
    names = {p.name.split(".")[0] for p in FIXTURES}
    frameworks = {n.split("_")[0] for n in names}
    assert frameworks == {"snntorch", "norse", "sinabs", "spikingjelly"}
    for expected in (
        "snntorch_leaky_zero", "snntorch_leaky_subtract", "snntorch_synaptic_zero",
        "snntorch_rleaky_zero", "snntorch_rsynaptic_zero", "snntorch_conv_leaky_zero",
        "norse_lifbox", "norse_lif", "norse_iaf", "norse_lifbox_readout", "norse_conv_lifbox",
        "sinabs_iaf", "sinabs_lif", "sinabs_iaf_expleak", "sinabs_conv_iaf",
        "spikingjelly_if", "spikingjelly_lif", "spikingjelly_lif_nodecay", "spikingjelly_plif",
        "spikingjelly_cubalif", "spikingjelly_conv_lif",
    ):  # fmt: skip
        assert expected in names


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("path", FIXTURES, ids=[p.name.removesuffix(".npz") for p in FIXTURES])
def test_every_layer_is_reproduced(path, dtype):
    fixture = load_fixture(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fixture read with its own preset is plausible
        graph = read_nir(fixture["graph"], fixture["dialect"], overrides=fixture["settings"])
    recorded = simulate(graph, fixture["x"], dtype=dtype, record=list(graph.nodes))
    spiking = 0
    for key, expected in fixture["layers"].items():
        got = recorded[layer_node(key, graph.nodes)]
        assert got.shape == expected.shape, key
        if np.array_equal(expected, np.round(expected)):  # spikes or spike counts
            spiking += int(expected.sum() > 0)
            np.testing.assert_array_equal(got, expected, err_msg=key)
        else:
            np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-5, err_msg=key)
    assert spiking >= 1, "a fixture should make a layer spike"


def test_the_docs_table_lists_every_fixture():
    """docs/nir.md §11 has one row per fixture network, each marked exact (this test
    module checks that claim)."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "nir.md").read_text("utf-8")
    table = text.split("<!-- fixtures:", 1)[1].split("\n\n", 1)[0]
    rows = table.splitlines()[3:]
    named = {_network(row) for row in rows}
    assert named == {p.name.split(".")[0] for p in FIXTURES}
    assert all(row.rstrip(" |").endswith(("exact", "exact; exact")) for row in rows)


def _network(row: str) -> str:
    """The fixture name in a table row's network cell (``MLP `name```)."""
    network = row.split("|")[3]
    return network.split("`")[1]


def test_a_spikingjelly_reset_value_other_than_zero_is_named():
    """SpikingJelly starts each membrane at v_reset and snncompile at 0: a file with
    v_reset != 0 is read with a warning naming the node (the fixtures keep v_reset = 0)."""
    graph = nir.read(FRAMEWORKS / "spikingjelly_if.nir")
    node = graph.nodes["_1"]
    graph.nodes["_1"] = dataclasses.replace(node, v_reset=np.full_like(node.v_reset, -0.5))
    with pytest.warns(DialectWarning) as record:
        from_nir(graph, "spikingjelly")
    (message,) = [str(w.message) for w in record]
    assert "node '_1' (IF) parameter 'v_reset' expected 0.0" in message
    assert "starts the membrane at v_reset" in message and "actual -0.5" in message


def test_a_norse_conv_without_its_input_shape_is_inferred_from_the_input():
    """Norse's exporter leaves every Conv2d ``input_shape`` None (the generator fills it
    in only because ``nir.write`` cannot store None): read with it None, as ``from_nir``
    gets Norse's in-memory graph, the shapes come from the batched Input and both layers
    still equal Norse's."""
    graph = nir.read(FRAMEWORKS / "norse_conv_lifbox.nir", type_check=False)
    for name, node in list(graph.nodes.items()):
        if isinstance(node, nir.Conv2d):
            graph.nodes[name] = dataclasses.replace(node, input_shape=None)
    assert [n.input_shape for n in graph.nodes.values() if isinstance(n, nir.Conv2d)] == [None] * 2
    fixture = load_fixture(FRAMEWORKS / "norse_conv_lifbox.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ir = from_nir(graph, "norse")
    recorded = simulate(ir, fixture["x"], record=["1", "3"])
    assert recorded["3"].shape[2:] == (4, 2, 2)
    for key in ("1", "3"):
        np.testing.assert_array_equal(recorded[key], fixture["layers"][f"out:{key}"])
