"""The NIR reader takes what foreign exporters really write (docs/nir.md §6).

Subgraph passthrough edges, nested subgraphs that fail nir's own type check, in-memory
graphs holding torch tensors, Outputs with extra leading dimensions; and a file that is
not NIR gets an error saying what it holds instead.
"""

from __future__ import annotations

import zipfile

import h5py
import nir
import numpy as np
import pytest
import torch

from snncompile.errors import CheckpointError
from snncompile.ir.nir_import import from_nir, read_nir
from snncompile.reference import simulate


def _io(n: int, kind: type) -> nir.NIRNode:
    if kind is nir.Input:
        return nir.Input(input_type={"input": np.array([n])})
    return nir.Output(output_type={"output": np.array([n])})


def _lif(n: int, lib=np) -> nir.LIF:
    return nir.LIF(
        tau=lib.ones(n) * 0.002,
        r=lib.ones(n),
        v_leak=lib.zeros(n),
        v_threshold=lib.ones(n) * 0.5,
        v_reset=lib.zeros(n),
    )


def _affine(lib=np) -> nir.Affine:
    weight = lib.asarray(np.array([[1.0, 0.5, -0.2], [0.3, 0.9, 0.4]], dtype=np.float32))
    return nir.Affine(weight=weight, bias=lib.asarray(np.array([0.1, 0.0], dtype=np.float32)))


def _flat() -> nir.NIRGraph:
    nodes = {"in": _io(3, nir.Input), "fc": _affine(), "lif": _lif(2), "out": _io(2, nir.Output)}
    edges = [("in", "fc"), ("fc", "lif"), ("lif", "out")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def _outputs(graph) -> np.ndarray:
    x = np.random.default_rng(0).uniform(0, 2, (6, 4, 3)).astype(np.float32)
    return simulate(graph, x)["out"]


def test_a_passthrough_subgraph_connects_its_producer_to_its_consumer():
    relay = nir.NIRGraph(
        nodes={"i": _io(2, nir.Input), "o": _io(2, nir.Output)}, edges=[("i", "o")]
    )
    base = _flat()
    nodes = {**base.nodes, "relay": relay}
    edges = [("in", "fc"), ("fc", "relay"), ("relay", "lif"), ("lif", "out")]
    graph = from_nir(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False), "norse")
    assert ("fc", "lif") in graph.edges and "relay.i" not in graph.nodes
    np.testing.assert_array_equal(_outputs(graph), _outputs(from_nir(base, "norse")))


def test_a_nested_subgraph_that_fails_nirs_type_check_is_read(tmp_path):
    """The inner Output declares a batch dimension: nir's checker refuses it even with
    ``nir.read(type_check=False)``, which only switches the check off at the top."""
    inner = nir.NIRGraph(
        nodes={
            "i": _io(3, nir.Input),
            "fc": _affine(),
            "o": nir.Output(output_type={"output": np.array([1, 2])}),
        },
        edges=[("i", "fc"), ("fc", "o")],
        type_check=False,
    )
    outer = nir.NIRGraph(
        nodes={"in": _io(3, nir.Input), "block": inner, "lif": _lif(2), "out": _io(2, nir.Output)},
        edges=[("in", "block"), ("block", "lif"), ("lif", "out")],
        type_check=False,
    )
    path = tmp_path / "nested.nir"
    nir.write(path, outer)
    with pytest.raises(Exception):  # noqa: B017 - documents why the reader avoids nir.read
        nir.read(path, type_check=False)
    graph = read_nir(path, "norse")
    assert ("block.fc", "lif") in graph.edges
    np.testing.assert_array_equal(_outputs(graph), _outputs(from_nir(_flat(), "norse")))


def test_an_in_memory_graph_holding_torch_tensors_is_read():
    nodes = {
        "in": _io(3, nir.Input),
        "fc": _affine(torch),
        "lif": _lif(2, torch),
        "out": _io(2, nir.Output),
    }
    edges = [("in", "fc"), ("fc", "lif"), ("lif", "out")]
    graph = from_nir(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False), "norse")
    assert isinstance(graph.nodes["fc"].weight, np.ndarray)
    np.testing.assert_array_equal(_outputs(graph), _outputs(from_nir(_flat(), "norse")))


def test_an_output_with_extra_leading_dimensions_is_tolerated():
    base = _flat()
    out = nir.Output(output_type={"output": np.array([1, 1, 2])})
    graph = from_nir(
        nir.NIRGraph(nodes={**base.nodes, "out": out}, edges=base.edges, type_check=False),
        "norse",
    )
    assert tuple(graph.nodes["out"].output_type["output"]) == (2,)


def _hdf5_without_node(path):
    with h5py.File(path, "w") as f:
        f.create_dataset("weights", data=np.zeros(3))


def _unknown_node(path):
    nir.write(path, _flat())
    with h5py.File(path, "r+") as f:
        del f["node/nodes/fc/type"]
        f["node/nodes/fc/type"] = "Frobnicate"


def _missing_field(path):
    nir.write(path, _flat())
    with h5py.File(path, "r+") as f:
        del f["node/nodes/lif/v_threshold"]


def _zip(path):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"x")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("layer fc 3 2\n"), r"not an HDF5 file \(it is text, starting"),
        (_zip, r"not an HDF5 file \(it is a zip archive, like a torch checkpoint"),
        (lambda p: p.write_bytes(b""), r"is empty \(0 bytes\)"),
        (_hdf5_without_node, r"without NIR's 'node' group \(top level holds weights\)"),
        (_unknown_node, r"node 'fc' has type 'Frobnicate', which nir .* does not know"),
        (_missing_field, r"node 'lif' \(LIF\) lacks its field 'v_threshold'"),
    ],
    ids=["text", "zip", "empty", "no-node-group", "unknown-node", "missing-field"],
)
def test_a_file_that_is_not_nir_says_what_it_holds(tmp_path, make, message):
    path = tmp_path / "model.nir"
    make(path)
    with pytest.raises(CheckpointError, match=message) as err:
        read_nir(path, "norse")
    assert "copy it again" not in (err.value.hint or "") or "damaged" in err.value.hint
