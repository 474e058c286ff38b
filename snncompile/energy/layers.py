"""Static layer descriptions the counter needs: weights or geometry, neuron type, size.

These are plain data, independent of torch and of the IR, so that any run (a torch model,
the reference simulator, a Lava or ONNX run) can describe its layers.
:func:`snncompile.energy.from_ir.layer_specs` derives them from an IR graph.

Shapes exclude batch and time. Weight layouts follow PyTorch and NIR: dense ``(out, in)``,
conv ``(C_out, C_in / groups, *kernel)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from snncompile.energy.neuron_costs import canonical_model
from snncompile.errors import ConfigError

InputKind = Literal["auto", "spikes", "graded", "real"]
_INPUT_KINDS = ("auto", "spikes", "graded", "real")


def _check_input_kind(value: str, where: str) -> None:
    if value not in _INPUT_KINDS:
        raise ConfigError(
            f"{where}: input_kind={value!r} is not one of {list(_INPUT_KINDS)}",
            hint="'auto' classifies each time step: all values in {-1, 0, 1} -> spikes, "
            "integers -> graded spikes, anything else -> real-valued",
        )


@dataclass(frozen=True, eq=False)
class DenseSpec:
    """A fully connected layer (NIR ``Affine``/``Linear``): y = W·x (+ b).

    Attributes:
        weight: ``(out, in)``; the input may have any shape with ``in`` elements.
        input_kind: how to classify recorded inputs (``"auto"`` by default).
    """

    weight: np.ndarray
    input_kind: InputKind = "auto"

    kind = "dense"

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", np.asarray(self.weight))
        if self.weight.ndim != 2:
            raise ConfigError(
                f"DenseSpec: weight has shape {list(self.weight.shape)}, expected (out, in)",
                hint="flatten the weight to two dimensions",
            )
        _check_input_kind(self.input_kind, "DenseSpec")

    def describe(self) -> dict[str, Any]:
        """JSON-friendly summary (no weights)."""
        out, inp = self.weight.shape
        return {"type": "dense", "in": int(inp), "out": int(out)}


@dataclass(frozen=True, eq=False)
class ConvSpec:
    """A convolution (NIR ``Conv1d``/``Conv2d``; any number of spatial dimensions).

    Attributes:
        weight: ``(C_out, C_in / groups, *kernel)``.
        stride, dilation: an int or one per spatial dimension.
        padding: an int, one per dimension, ``(lo, hi)`` pairs per dimension, or
            ``"same"`` / ``"valid"`` (PyTorch rules: "same" puts the odd element right).
        groups: number of groups.
        input_shape: ``(C_in, *spatial)``; taken from the recorded input when None.
        input_kind: how to classify recorded inputs.
    """

    weight: np.ndarray
    stride: int | tuple[int, ...] = 1
    padding: int | str | tuple[Any, ...] = 0
    dilation: int | tuple[int, ...] = 1
    groups: int = 1
    input_shape: tuple[int, ...] | None = None
    input_kind: InputKind = "auto"

    kind = "conv"

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", np.asarray(self.weight))
        if self.weight.ndim < 3:
            raise ConfigError(
                f"ConvSpec: weight has shape {list(self.weight.shape)}, "
                "expected (C_out, C_in/groups, *kernel)",
                hint="pass the conv weight in PyTorch/NIR layout",
            )
        if int(self.groups) < 1 or self.weight.shape[0] % int(self.groups):
            raise ConfigError(
                f"ConvSpec: groups={self.groups} must be >= 1 and divide "
                f"C_out={self.weight.shape[0]}",
                hint="use the groups value of the convolution",
            )
        _check_input_kind(self.input_kind, "ConvSpec")

    @property
    def ndim(self) -> int:
        """Number of spatial dimensions."""
        return int(self.weight.ndim - 2)

    def describe(self) -> dict[str, Any]:
        """JSON-friendly summary (no weights)."""
        return {
            "type": f"conv{self.ndim}d",
            "weight_shape": [int(d) for d in self.weight.shape],
            "stride": _jsonable(self.stride),
            "padding": _jsonable(self.padding),
            "dilation": _jsonable(self.dilation),
            "groups": int(self.groups),
        }


@dataclass(frozen=True, eq=False)
class PoolSpec:
    """Sum, average or max pooling over the spatial dimensions of ``(C, *spatial)`` inputs.

    Counted as a depthwise convolution with an all-ones kernel: each input event is one
    accumulate per output window it falls in. Average pooling adds one multiply (by
    1/k) per output element and step, counted as MACs only when its input is real-valued;
    for spikes the scale folds into the next layer's weights. Max pooling of spikes is
    "at least one spike in the window" (the window sum against a threshold), so it costs
    the same accumulates on the spikes it receives; of real values each non-zero input
    is one comparison per window it falls in (counted where MACs are).

    Attributes:
        kernel: an int or one per spatial dimension.
        stride: defaults to the kernel.
        padding: as for :class:`ConvSpec`.
        mode: ``"sum"``, ``"avg"`` or ``"max"``.
    """

    kernel: int | tuple[int, ...]
    stride: int | tuple[int, ...] | None = None
    padding: int | str | tuple[Any, ...] = 0
    mode: Literal["sum", "avg", "max"] = "sum"
    input_kind: InputKind = "auto"

    kind = "pool"

    def __post_init__(self) -> None:
        if self.mode not in ("sum", "avg", "max"):
            raise ConfigError(
                f"PoolSpec: mode={self.mode!r} is not 'sum', 'avg' or 'max'",
                hint="use 'sum', 'avg' or 'max'",
            )
        _check_input_kind(self.input_kind, "PoolSpec")

    def describe(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {
            "type": f"{self.mode}pool",
            "kernel": _jsonable(self.kernel),
            "stride": _jsonable(self.stride if self.stride is not None else self.kernel),
            "padding": _jsonable(self.padding),
        }


@dataclass(frozen=True, eq=False)
class ScaleSpec:
    """An elementwise scale y = s ⊙ x (NIR ``Scale``; a diagonal synapse, fan-out 1).

    Attributes:
        scale: the scale, of the input (population) shape or broadcastable to it.
    """

    scale: np.ndarray
    input_kind: InputKind = "auto"

    kind = "scale"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", np.asarray(self.scale))
        _check_input_kind(self.input_kind, "ScaleSpec")

    def describe(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {"type": "scale", "shape": [int(d) for d in self.scale.shape]}


@dataclass(frozen=True, eq=False)
class NeuronSpec:
    """A population of neurons of one model.

    Attributes:
        model: ``LIF``, ``IF``, ``PLIF``, ``DALIF``, ``CLIF``, ``ILIF``, ``LI`` or ``CubaLIF``
            (case-insensitive; see :mod:`snncompile.energy.neuron_costs`).
        shape: the population shape (batch and time excluded).
        reset: ``"soft"`` or ``"hard"``; with ``"hard"`` and a non-zero ``v_reset`` the
            LIF update costs one more add.
        v_reset_nonzero: True when a hard reset goes to a non-zero value.
        params: free JSON-friendly notes (τ, θ, …) copied into the report.
    """

    model: str
    shape: tuple[int, ...]
    reset: Literal["soft", "hard"] = "soft"
    v_reset_nonzero: bool = False
    params: dict[str, Any] = field(default_factory=dict)

    kind = "neuron"

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(d) for d in np.atleast_1d(self.shape)))
        object.__setattr__(self, "model", canonical_model(self.model))
        if self.reset not in ("soft", "hard"):
            raise ConfigError(
                f"NeuronSpec: reset={self.reset!r} is not 'soft' or 'hard'",
                hint="use 'soft' (subtract θ) or 'hard' (to v_reset)",
            )

    @property
    def size(self) -> int:
        """Number of neurons."""
        return int(np.prod(self.shape))

    @property
    def cost_model(self) -> str:
        """The neuron-cost row that applies (``LIF-hard`` for a non-zero hard reset)."""
        if self.model == "LIF" and self.reset == "hard" and self.v_reset_nonzero:
            return "LIF-hard"
        return self.model

    def describe(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {
            "type": "neuron",
            "model": self.model,
            "shape": list(self.shape),
            "neurons": self.size,
            "reset": self.reset,
            **({"params": dict(self.params)} if self.params else {}),
        }


LayerSpec = DenseSpec | ConvSpec | PoolSpec | ScaleSpec | NeuronSpec
SYNAPTIC_KINDS: tuple[str, ...] = ("dense", "conv", "pool", "scale")


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    return value
