"""The support table (snncompile.support) and the topology classifier it names.

docs/targets.md must equal what the installed backends declare; the conformance side
(every supported cell has a passing zoo graph) is tests/conformance/test_support_table.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.backend import Backend, Capabilities, check_contract, node_classes
from snncompile.errors import BackendUnavailableError, ConfigError
from snncompile.ir import Graph
from snncompile.ir.topology import TOPOLOGIES, graph_topologies
from snncompile.support import BEGIN, END, FOLDED, NO, YES, splice_document, support_table

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "targets.md"


def test_docs_targets_md_is_what_the_backends_declare():
    text = PAGE.read_text(encoding="utf-8")
    want = splice_document(text, support_table().to_markdown(), str(PAGE))
    assert text == want, "docs/targets.md is stale: run python -m snncompile.support FILE"


def test_the_page_lists_every_installed_target_and_every_row():
    table = support_table()
    assert set(table.targets) >= {"nir", "onnx", "lava", "netx"}
    page = PAGE.read_text(encoding="utf-8")
    for row in (*table.node_types, *table.topologies):
        assert f"| {row.name} |" in page or f"| `{row.name}` |" in page, row.name


def test_marks_come_from_the_declarations():
    table = support_table()
    marks = table.to_json()
    assert marks["topologies"]["maxpool_values"] == {
        "lava": NO, "netx": NO, "nir": NO, "onnx": YES
    }  # fmt: skip
    assert marks["topologies"]["residual"]["lava"] == YES
    assert marks["topologies"]["residual"]["netx"] == NO
    assert marks["node_types"]["CLIF"]["netx"] == NO
    assert marks["node_types"]["LIF"]["lava"] == YES  # NIR LIF: rewritten where exact
    # NIR CubaLIF: Lava's LIF with a current where exact; netx does not declare it
    assert marks["node_types"]["CubaLIF"]["lava"] == YES
    assert marks["node_types"]["CubaLIF"]["netx"] == NO
    assert marks["node_types"]["CubaLI"]["lava"] == NO
    # BatchNorm: not declared by the Loihi targets, removed by the generic pipeline
    assert marks["node_types"]["BatchNorm"] == {
        "lava": FOLDED, "netx": FOLDED, "nir": YES, "onnx": YES
    }  # fmt: skip


class _Toy(Backend):
    name = "toy"
    artifact_suffix = ".toy"
    capabilities = Capabilities(
        node_types=node_classes({"Input", "Output", "Affine", "SoftLIF"}), topologies={"chain"}
    )

    def emit(self, graph, out_dir):  # pragma: no cover - never called
        raise NotImplementedError

    def simulate(self, artifact, inputs, steps=None):  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def read_graph(cls, path):  # pragma: no cover
        raise NotImplementedError


def test_a_third_party_backend_gets_a_column():
    table = support_table({"toy": _Toy})
    assert table.targets == ("toy",)
    rows = {r.name: r.marks for r in (*table.node_types, *table.topologies)}
    assert rows["Affine"] == (YES,) and rows["Conv2d"] == (NO,) and rows["BatchNorm"] == (NO,)
    assert rows["chain"] == (YES,) and rows["fan_out"] == (NO,)
    assert "toy" in table.to_text() and "| toy |" in table.to_markdown()


def test_an_unknown_topology_is_refused_at_registration():
    class Bad(_Toy):
        capabilities = Capabilities(node_types=_Toy.capabilities.node_types, topologies={"tree"})

    with pytest.raises(BackendUnavailableError, match="unknown topologies"):
        check_contract("toy", Bad)
    check_contract("toy", _Toy)


def test_splice_needs_both_markers():
    with pytest.raises(ConfigError, match="no generated section"):
        splice_document("no markers", "table")
    text = f"a\n{BEGIN}\nold\n{END}\nb\n"
    assert splice_document(text, "new\n") == f"a\n{BEGIN}\n\nnew\n\n{END}\nb\n"


def test_the_check_mode_reports_a_stale_page(tmp_path, capsys):
    from snncompile.support import main

    page = tmp_path / "t.md"
    page.write_text(f"# t\n{BEGIN}\nold\n{END}\n", encoding="utf-8")
    assert main(["--check", str(page)]) == 1
    assert "stale" in capsys.readouterr().out
    assert main([str(page)]) == 0 and main(["--check", str(page)]) == 0
    assert "| `chain` |" in page.read_text(encoding="utf-8")


# ----------------------------------------------------------------- the classifier


def _lif(n: int) -> ir.SoftLIF:
    return ir.SoftLIF(np.full(n, 0.5), np.ones(n))


def _fc(n_out: int, n_in: int) -> nir.Affine:
    return nir.Affine(weight=np.ones((n_out, n_in)), bias=np.zeros(n_out))


def _io(n: int) -> dict:
    return {"in": nir.Input(np.array([n])), "out": nir.Output(np.array([n]))}


def test_a_chain_and_a_recurrent_chain():
    chain = ir.sequential(
        ("in", nir.Input(np.array([4]))), ("fc", _fc(4, 4)), ("lif", _lif(4)),
        ("out", nir.Output(np.array([4]))),
    )  # fmt: skip
    assert graph_topologies(chain) == {"chain"}
    rec = chain.replace(
        nodes={**chain.nodes, "rec": nir.Linear(weight=np.eye(4))},
        edges=[*chain.edges, ("lif", "rec"), ("rec", "lif")],
    )
    # the loop body is recurrence, not fan-out or a summed fan-in
    assert graph_topologies(rec) == {"chain", "recurrence"}


def test_residual_and_sew_fan_in():
    nodes = {**_io(4), "a": _fc(4, 4), "n1": _lif(4), "b": _fc(4, 4), "n2": _lif(4)}
    path = [("in", "a"), ("a", "n1"), ("n1", "b"), ("b", "n2"), ("n2", "out")]
    residual = Graph(nodes, [*path, ("n1", "n2")])
    assert graph_topologies(residual) == {"fan_out", "residual"}
    sew = Graph({**nodes, "c": _fc(4, 4)}, [*path[:-1], ("n2", "c"), ("n1", "c"), ("c", "out")])
    assert graph_topologies(sew) == {"fan_out", "sew"}


def test_a_1x1_conv_or_a_pool_counts_only_on_a_branch():
    conv1 = nir.Conv2d((4, 4), np.ones((2, 2, 1, 1)), 1, 0, 1, 1, np.zeros(2))
    pool = nir.SumPool2d(np.array([1, 1]), np.array([1, 1]), np.array([0, 0]))
    io = {"in": nir.Input(np.array([2, 4, 4])), "out": nir.Output(np.array([2, 4, 4]))}
    pop = ir.SoftLIF(np.full((2, 4, 4), 0.5), np.ones((2, 4, 4)))
    chain = ir.sequential(
        ("in", io["in"]), ("c", conv1), ("p", pool), ("n", pop), ("out", io["out"])
    )
    assert graph_topologies(chain) == {"chain"}
    nodes = {**io, "c": conv1, "n0": pop, "short": conv1, "p": pool, "n1": pop}
    edges = [("in", "c"), ("c", "n0"), ("n0", "short"), ("short", "n1"), ("n0", "p")]
    edges += [("p", "n1"), ("n1", "out")]
    found = graph_topologies(Graph(nodes, edges))
    assert found == {"fan_out", "residual", "shortcut_1x1", "pool_branch"}


def test_max_pooling_of_spikes_and_of_values():
    mp = ir.MaxPool2d(np.array([2, 2]), np.array([2, 2]), np.array([0, 0]))
    conv = nir.Conv2d((4, 4), np.ones((2, 1, 3, 3)), 1, 1, 1, 1, np.zeros(2))
    pop = ir.SoftLIF(np.full((2, 2, 2), 0.5), np.ones((2, 2, 2)))
    inp, out = nir.Input(np.array([1, 4, 4])), nir.Output(np.array([2, 2, 2]))
    values = ir.sequential(("in", inp), ("c", conv), ("mp", mp), ("n", pop), ("out", out))
    assert graph_topologies(values) == {"chain", "maxpool_values"}
    pop4 = ir.SoftLIF(np.full((2, 4, 4), 0.5), np.ones((2, 4, 4)))
    spikes = ir.sequential(("in", inp), ("c", conv), ("n", pop4), ("mp", mp), ("out", out))
    assert graph_topologies(spikes) == {"chain", "maxpool_spikes"}


def test_several_inputs_or_outputs():
    nodes = {**_io(4), "in2": nir.Input(np.array([4])), "n": _lif(4)}
    found = graph_topologies(Graph(nodes, [("in", "n"), ("in2", "n"), ("n", "out")]))
    assert found == {"multi_io", "residual"}


def test_every_topology_has_a_description():
    assert all(isinstance(v, str) and v for v in TOPOLOGIES.values())
    assert next(iter(TOPOLOGIES)) == "chain"


def test_the_targets_command_prints_the_table(capsys):
    from snncompile.cli import main

    assert main(["targets", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == support_table().to_json()
    assert main(["targets", "--markdown"]) == 0
    assert capsys.readouterr().out.strip() == support_table().to_markdown().strip()
    assert main(["targets"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["node", "type", *support_table().targets]


def test_the_pipeline_removes_what_the_table_marks_folded():
    """PIPELINE_REWRITES is true of the generic pipeline on every zoo graph holding the
    type: no node of it is left, and the only new node types are its rewrites."""
    from snncompile.ir.nodes import type_name
    from snncompile.passes.pipeline import run_pipeline
    from snncompile.support import PIPELINE_REWRITES
    from tests.conformance.zoo import ZOO

    for removed, into in PIPELINE_REWRITES.items():
        graphs = [
            g for g in (f() for f in ZOO.values()) if removed in map(type_name, g.nodes.values())
        ]
        assert graphs, removed
        for graph in graphs:
            before = {type_name(n) for n in graph.nodes.values()}
            after = {type_name(n) for n in run_pipeline(graph).nodes.values()}
            assert removed not in after
            assert after - before <= set(into)
