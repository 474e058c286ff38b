"""The table of supported torch layers: config round trips and refusals."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from snncompile.errors import ConfigError, TraceError
from snncompile.frontend import BUILTIN_SPECS, module_from_spec, module_to_spec

LAYERS: list[nn.Module] = [
    nn.Linear(5, 3),
    nn.Linear(5, 3, bias=False),
    nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=1, groups=2, bias=False),
    nn.Conv2d(
        3,
        6,
        (3, 5),
        stride=(2, 1),
        padding=(1, 2),
        dilation=(1, 2),
        groups=3,
        padding_mode="replicate",
    ),
    nn.Conv2d(2, 2, 3, padding="same"),
    nn.BatchNorm1d(4, eps=1e-3, momentum=None),
    nn.BatchNorm2d(4, affine=False, track_running_stats=False),
    nn.AvgPool2d(
        (2, 3), stride=1, padding=1, ceil_mode=True, count_include_pad=False, divisor_override=2
    ),
    nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
    nn.Flatten(1, 2),
    nn.Unflatten(1, (2, 3)),
    nn.Dropout(0.25),
    nn.Identity(),
    nn.ReLU(),
    nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Dropout(0.1))),
]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda m: type(m).__name__)
def test_config_round_trip(layer):
    described = module_to_spec(layer, "layer", BUILTIN_SPECS)
    json.dumps(described)  # plain data
    rebuilt = module_from_spec(json.loads(json.dumps(described)), "layer", BUILTIN_SPECS)
    assert type(rebuilt) is type(layer)
    assert repr(rebuilt) == repr(layer)
    assert module_to_spec(rebuilt, "layer", BUILTIN_SPECS) == described
    assert rebuilt.state_dict().keys() == layer.state_dict().keys()


def test_every_builtin_is_covered():
    assert {type(m) for m in LAYERS} == set(BUILTIN_SPECS)


def test_unknown_layer_is_a_trace_error_naming_it():
    with pytest.raises(TraceError, match=r"'a\.b'.*torch\.nn\.modules\.rnn\.LSTM; supported: "):
        module_to_spec(nn.LSTM(2, 2), "a.b", BUILTIN_SPECS)


def test_rebuild_errors_are_config_errors():
    with pytest.raises(ConfigError, match="unknown type 'Nope'"):
        module_from_spec({"type": "Nope", "config": {}}, "x", BUILTIN_SPECS)
    with pytest.raises(ConfigError, match="cannot build Linear at 'x'"):
        module_from_spec({"type": "Linear", "config": {"in_features": 2}}, "x", BUILTIN_SPECS)
    with pytest.raises(ConfigError, match="malformed"):
        module_from_spec(["Linear"], "x", BUILTIN_SPECS)


def test_non_plain_config_is_refused():
    class Odd(nn.Identity):
        pass

    from snncompile.frontend import ModuleSpec

    specs = {Odd: ModuleSpec("Odd", lambda m: {"x": torch.zeros(1)}, lambda c, ch: Odd())}
    with pytest.raises(TraceError, match="not plain data"):
        module_to_spec(Odd(), "odd", specs)
