"""``snncompile.trace`` on small modules: node types, names and edges; the torch
construct -> IR mapping; and the errors for unsupported constructs."""

from __future__ import annotations

import nir
import numpy as np
import pytest
import torch
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile import ir
from snncompile.errors import InputError, TraceError
from snncompile.neurons import TimeDistributed as TD
from tests.conformance.harness import compare


def _types(graph: ir.Graph) -> dict[str, str]:
    return {name: type(node).__name__ for name, node in graph.nodes.items()}


class Small(nn.Module):
    r"""
    input -> stem.0 (Conv2d) -> stem.1 (BatchNorm) -> sn1 (LIF) -> conv (Conv2d) -+
                                                        |                         v
                                                        +-------(summed)------> sn2 (CLIF)
    sn2 -> pool (AvgPool2d) -> head.0 (Flatten) -> head.2 (Affine) -> out (PLIF) -> output
    """

    def __init__(self) -> None:
        super().__init__()
        self.stem = TD(nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4)))
        self.sn1 = sn.LIF()
        self.conv = TD(nn.Conv2d(4, 4, 3, padding=1, bias=False))
        self.sn2 = sn.CLIF()
        self.pool = TD(nn.AvgPool2d(2))
        self.head = nn.Sequential(nn.Flatten(2), nn.Dropout(0.5), nn.Linear(16, 3))
        self.out = sn.PLIF()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.sn1(self.stem(x))
        b = self.sn2(self.conv(a) + a)
        return self.out(self.head(self.pool(b)))


def test_small_module_nodes_names_and_edges():
    graph = snncompile.trace(Small().eval(), torch.zeros(3, 2, 2, 4, 4))
    assert _types(graph) == {
        "input": "Input",
        "stem.0": "Conv2d",
        "stem.1": "BatchNorm",
        "sn1": "SoftLIF",
        "conv": "Conv2d",
        "sn2": "CLIF",
        "pool": "AvgPool2d",
        "head.0": "Flatten",
        "head.2": "Affine",
        "out": "PLIF",
        "output": "Output",
    }
    assert list(graph.edges) == [
        ("input", "stem.0"),
        ("stem.0", "stem.1"),
        ("stem.1", "sn1"),
        ("sn1", "conv"),
        ("conv", "sn2"),
        ("sn1", "sn2"),
        ("sn2", "pool"),
        ("pool", "head.0"),
        ("head.0", "head.2"),
        ("head.2", "out"),
        ("out", "output"),
    ]
    conv = graph.nodes["conv"]
    assert conv.input_shape == (4, 4) and np.all(conv.bias == 0)
    flat = graph.nodes["head.0"]
    assert (flat.start_dim, flat.end_dim) == (0, 2)
    assert graph.metadata == {"source_model": "Small"}
    assert (
        ir.dump(snncompile.trace(Small().eval(), torch.zeros(1, 1, 2, 4, 4))).count("node ") == 11
    )


class Fan(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(4, 4), nn.Linear(4, 4)
        self.fc3, self.fc4 = nn.Linear(4, 4), nn.Linear(4, 4)
        self.sn = sn.LIF()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.sn(self.fc1(x))
        s = a + self.sn(self.fc2(a))  # the same module called twice; s feeds two layers
        d = self.fc3(s) - 0.5 * self.fc4(s + s)
        return d + x  # a sum at the output


def test_sums_become_edges_or_identity_nodes():
    graph = snncompile.trace(Fan(), torch.zeros(2, 1, 4))
    types = _types(graph)
    assert types["sn"] == types["sn_1"] == "SoftLIF"  # repeated call -> suffix
    # s feeds fc3 and fc4: one explicit identity (Scale 1) node
    assert types["add"] == "Scale" and np.all(graph.nodes["add"].scale == 1)
    assert set(graph.predecessors("add")) == {"sn", "sn_1"}
    # s + s -> Scale(2) of the sum node; 0.5 * (...) -> Scale(0.5); a - b -> Scale(-1)
    assert np.all(graph.nodes["add_1.x2"].scale == 2) and graph.predecessors("fc4") == ("add_1.x2",)
    assert np.all(graph.nodes["mul"].scale == 0.5) and graph.predecessors("mul") == ("fc4",)
    assert np.all(graph.nodes["sub.neg"].scale == -1)
    # d + x feeds the Output: materialised as one node
    assert graph.predecessors("output") == ("add_2",)
    assert set(graph.predecessors("add_2")) == {"fc3", "sub.neg", "input"}
    x = torch.randn(5, 3, 4, dtype=torch.float64) + 0.5
    model = Fan().double()
    result = compare(model, x)
    np.testing.assert_allclose(result.ref_out, result.torch_out, rtol=1e-12, atol=1e-12)


class TwoInOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fx, self.fy = nn.Linear(3, 2), nn.Linear(5, 2)
        self.sn = sn.DALIF()

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.sn(self.fx(x) + self.fy(y))
        return s, self.fx(x)


def test_several_inputs_and_outputs_are_named_after_arguments():
    graph = snncompile.trace(TwoInOut(), (torch.zeros(2, 1, 3), torch.zeros(2, 1, 5)))
    assert graph.inputs == ("x", "y") and graph.outputs == ("output_0", "output_1")
    assert graph.predecessors("output_1") == ("fx_1",)
    with pytest.raises(InputError, match=r"takes 2 tensor\(s\) \['x', 'y'\] but 1"):
        snncompile.trace(TwoInOut(), torch.zeros(2, 1, 3))


@pytest.mark.parametrize(
    ("module", "shape", "dims", "out"),
    [
        (nn.Flatten(2), (2, 3, 4), (0, 2), (24,)),
        (nn.Flatten(3, -1), (2, 3, 4), (1, 2), (2, 12)),
        (nn.Flatten(2, 3), (2, 3, 4), (0, 1), (6, 4)),
        (TD(nn.Flatten()), (2, 3, 4), (0, 2), (24,)),
        (TD(nn.Flatten(2)), (2, 3, 4), (1, 2), (2, 12)),
    ],
)
def test_flatten_dims_exclude_batch_and_time(module, shape, dims, out):
    graph = snncompile.trace(nn.Sequential(module), torch.zeros(2, 3, *shape))
    (name,) = [n for n, v in graph.nodes.items() if isinstance(v, nir.Flatten)]
    node = graph.nodes[name]
    assert (node.start_dim, node.end_dim) == dims
    assert ir.infer_graph_shapes(graph)[name].output == out


class FunctionalFlatten(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(x, 3).flatten(2)


def test_flatten_function_and_method():
    graph = snncompile.trace(FunctionalFlatten(), torch.zeros(2, 1, 2, 3, 4))
    assert _types(graph) == {
        "input": "Input",
        "flatten": "Flatten",
        "flatten_1": "Flatten",
        "output": "Output",
    }
    assert ir.infer_graph_shapes(graph)["output"].input == (24,)


@pytest.mark.parametrize(
    ("module", "match"),
    [
        (nn.Flatten(), r"would merge the time/batch axis into the features"),
        (TD(nn.Flatten(0)), r"would merge the merged time·batch axis"),
        (nn.Flatten(7), r"does not fit a tensor of rank 5"),
    ],
)
def test_flatten_over_time_or_batch_is_refused(module, match):
    with pytest.raises(TraceError, match=match):
        snncompile.trace(nn.Sequential(module), torch.zeros(2, 3, 2, 3, 4))


class Conv1dNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = TD(nn.Conv1d(2, 4, 3, stride=2, padding=1))
        self.s1 = sn.LIF(tau=1.5)
        self.c2 = TD(
            nn.Sequential(
                nn.Conv1d(4, 6, 3, padding="same", dilation=2, groups=2), nn.BatchNorm1d(6)
            )
        )
        self.s2 = sn.ILIF()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.s2(self.c2(self.s1(self.c1(x))))


class PoolNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c = TD(nn.Conv2d(2, 4, (3, 1), padding=(2, 0), dilation=(2, 1)))
        self.s = sn.LIF()
        self.p = TD(
            nn.Sequential(nn.LPPool2d(1, 2), nn.AvgPool2d(2, 1, 1), nn.AdaptiveAvgPool2d((1, 1)))
        )
        self.f = nn.Flatten(2)
        self.o = sn.CLIF()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.o(self.f(self.p(self.s(self.c(x)))) * 2.0)


@pytest.mark.parametrize(("model", "shape"), [(Conv1dNet, (2, 11)), (PoolNet, (2, 6, 6))])
def test_conv1d_and_pooling_match_torch_spike_for_spike(model, shape):
    torch.manual_seed(3)
    net = model().double().eval()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.15)
    x = torch.rand(6, 3, *shape, dtype=torch.float64) * 2
    result = compare(net, x)
    types = set(_types(result.graph).values())
    assert {"Conv1d", "SumPool2d"} & types
    for name, spikes in result.torch_spikes.items():
        assert spikes.mean() > 0.02, name
        np.testing.assert_array_equal(result.ref_spikes[name], spikes, err_msg=name)


def test_sum_pooling_is_written_as_avgpool_with_divisor_one():
    graph = snncompile.trace(TD(nn.AvgPool2d(2, divisor_override=1)), torch.zeros(1, 1, 1, 4, 4))
    assert _types(graph) == {"input": "Input", "TimeDistributed": "SumPool2d", "output": "Output"}


class Features(nn.Module):
    def __init__(self, bad: nn.Module) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Flatten(2), nn.Linear(4, 4), sn.LIF(), bad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


def test_unsupported_layer_names_path_type_and_supported_list():
    with pytest.raises(TraceError) as info:
        snncompile.trace(Features(nn.GELU()), torch.zeros(2, 1, 4))
    message = str(info.value)
    assert "unsupported module at 'features.3': torch.nn.modules.activation.GELU" in message
    assert "supported: " in message
    for name in ("AvgPool2d", "BatchNorm2d", "CLIF", "Conv2d", "Linear", "TimeDistributed"):
        assert name in message
    assert info.value.node == "features.3"
    assert "TimeDistributed" in info.value.hint


class MyLinear(nn.Linear):
    pass


@pytest.mark.parametrize(
    ("bad", "match", "hint"),
    [
        (TD(nn.MaxPool2d(2, dilation=2)), r"\(MaxPool2d\): dilation=2 has no IR", "dilation=1"),
        (TD(nn.MaxPool2d(2, ceil_mode=True)), r"\(MaxPool2d\): ceil_mode=True", "ceil_mode=False"),
        (TD(nn.MaxPool2d(2, return_indices=True)), r"return_indices=True", "return_indices"),
        (nn.ReLU(), r"'features.3' \(ReLU\): ReLU is an analog activation", "neuron module"),
        (nn.Conv1d(4, 4, 1), r"'features.3' \(Conv1d\): runs on the time-major", "TimeDistributed"),
        (
            nn.BatchNorm1d(4),
            r"'features.3' \(BatchNorm1d\): runs on the time-major",
            "TimeDistributed",
        ),
        (TD(sn.LIF()), r"'features.3.module' \(LIF\) is inside TimeDistributed", "outside"),
        (TD(TD(nn.Identity())), r"is nested in another TimeDistributed", "once"),
        (TD(nn.BatchNorm1d(4, track_running_stats=False)), r"no running statistics", "track_"),
        (sn.CLIF(reset="hard"), r"'features.3' \(CLIF\): CLIF\(reset='hard'", "reset='soft'"),
        (MyLinear(4, 4), r"unsupported module at 'features.3': .*MyLinear", "supported layer"),
        (nn.Linear(5, 4), r"expects samples of shape \[5\] but receives \[4\]", "size"),
        (TD(nn.AvgPool2d(2, ceil_mode=True)), r"ceil_mode=True", "ceil_mode=False"),
    ],
)
def test_refusals_explain_where_and_how(bad, match, hint):
    shape = (2, 1, 4, 2, 2) if "Pool" in repr(bad) else (2, 1, 4)
    model = Features(bad)
    if "Pool" in repr(bad):
        model.features = nn.Sequential(nn.Identity(), nn.Identity(), nn.Identity(), bad)
    with pytest.raises(TraceError, match=match) as info:
        snncompile.trace(model.eval(), torch.zeros(shape))
    assert hint in info.value.hint


class Bad(nn.Module):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.fc, self.fc2 = nn.Linear(4, 4), nn.Linear(4, 2)
        self.scale = nn.Parameter(torch.ones(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        if self.kind == "cat":
            return torch.cat([y, x], dim=-1)
        if self.kind == "product":
            return y * x
        if self.kind == "param":
            return y * self.scale
        if self.kind == "shapes":
            return y + self.fc2(x)
        return y.view(-1)


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        (
            "cat",
            r"unsupported function torch.cat at node 'cat' in module '' \(Bad\)|"
            r"unsupported function torch.cat at node 'cat'",
        ),
        ("product", r"multiplies two tensors"),
        ("param", r"reads attribute 'scale' directly"),
        ("shapes", r"adds tensors of different sample shapes \[\[4\], \[2\]\]"),
        ("view", r"unsupported tensor method .view\(\) at node 'view'"),
    ],
)
def test_unsupported_operations(kind, match):
    with pytest.raises(TraceError, match=match) as info:
        snncompile.trace(Bad(kind), torch.zeros(2, 1, 4))
    if kind in ("cat", "view"):
        assert "supported: " in str(info.value) and "torch.flatten" in str(info.value)
        assert "test_trace.py" in str(info.value)  # the user's source line


def test_bad_example_inputs_and_models():
    with pytest.raises(InputError, match=r"example input \[4, 3\] is not a time-major tensor"):
        snncompile.trace(nn.Linear(3, 2), torch.zeros(4, 3))
    with pytest.raises(InputError, match="not a time-major tensor"):
        snncompile.trace(nn.Linear(3, 2), np.zeros((1, 1, 3)))
    with pytest.raises(TraceError, match=r"expected an nn\.Module"):
        snncompile.trace(lambda x: x, torch.zeros(1, 1, 3))  # type: ignore[arg-type]
    with pytest.raises(TraceError, match="dense layers take 1-D samples"):
        snncompile.trace(nn.Linear(3, 2), torch.zeros(1, 1, 2, 3))


def test_training_mode_warns_and_traces_inference_semantics():
    model = nn.Sequential(TD(nn.BatchNorm1d(3)), sn.LIF())
    with pytest.warns(UserWarning, match="training mode.*call model.eval"):
        graph = snncompile.trace(model, torch.zeros(2, 1, 3))
    assert isinstance(graph.nodes["0"], ir.BatchNorm)


def test_public_entry_point_and_fx_helper_coexist():
    from snncompile.frontend import trace as fx_trace
    from snncompile.frontend.ir_trace import trace

    assert snncompile.trace is trace
    assert "trace" in snncompile.__all__
    assert callable(fx_trace) and fx_trace is not trace  # the fx helper keeps its name
