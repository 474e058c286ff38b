"""What every neuron Process and ProcessModel of this package shares.

A neuron population has one input port ``a_in``, one output port ``s_out``, state Vars
of the population's shape, a per-neuron ``bias``, a scalar ``theta`` and scalar
parameters of both tags (per neuron where a Process lists them in ``PER_NEURON_PARAMS``).
Every model runs the same step frame:

1. receive ``a_in`` (every step, or the channel stalls);
2. before ``start_step``: send zeros and keep the zero state (delay alignment);
3. at a sample start (``reset_interval``): zero every state;
4. run the model's own ``update`` and send its spikes in the tag's spike dtype.

Absolute imports only: Lava's discovery re-executes every module of this directory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from snncompile_lava._compat import load_lava
from snncompile_lava.procs._arith import inactive, reset_due

_L = load_lava()

__all__ = [
    "FIXED",
    "FLOAT",
    "FixedNeuronModel",
    "FloatNeuronModel",
    "NeuronProcess",
    "cpu_model",
    "fixed_var",
    "float_var",
]

FLOAT = "floating_pt"
FIXED = "fixed_pt"


def cpu_model(proc: type, tag: str) -> Callable[[type], type]:
    """``@implements(proc, LoihiProtocol) @requires(CPU) @tag(tag)`` in one decorator."""

    def decorate(model: type) -> type:
        model = _L.tag(tag)(model)
        model = _L.requires(_L.CPU)(model)
        return _L.implements(proc=proc, protocol=_L.LoihiProtocol)(model)  # type: ignore[no-any-return]

    return decorate


def float_var() -> Any:
    """A float Var type (``floating_pt`` states, and ``fixed_pt``'s unused float parameters)."""
    return _L.LavaPyType(np.ndarray, float)


def fixed_var(precision: int = 24, dtype: type = np.int32) -> Any:
    """An integer Var type of ``precision`` bits (24: a Loihi state)."""
    return _L.LavaPyType(np.ndarray, dtype, precision=precision)


class NeuronProcess(_L.AbstractProcess):  # type: ignore[misc,name-defined]
    """A population: ports ``a_in``/``s_out``, :attr:`STATES`, ``bias``, ``theta``, parameters.

    A subclass declares its states and parameters with their defaults; every keyword of
    either overrides that default.

    Args:
        shape: population shape (Lava order, e.g. (N,) or (W, H, C)).
        theta: threshold (float, or integer state units).
        bias: per-neuron bias (float, or integer state units).
        float_dtype: "float64" or "float32", the precision of the float model.
        start_step: first Lava time step at which the population updates; before it,
            it keeps its zero state and sends no spikes (delay alignment).
        reset_interval: if > 0, every state is zeroed at steps start_step + k·interval,
            before the update (per-sample reset of back-to-back samples).
        name: Lava process name.
        values: initial states and parameter values, by Var name.

    Raises:
        TypeError: a keyword that names no state or parameter (a caller's bug).
    """

    #: {state Var: initial value}, each of the population's shape; zeroed at sample starts
    STATES: ClassVar[Mapping[str, Any]] = {"v": 0}
    #: {parameter Var: default}, each of shape (1,) (:attr:`PER_NEURON_PARAMS` may take
    #: the population's shape), of the ``floating_pt`` model
    FLOAT_PARAMS: ClassVar[Mapping[str, Any]] = {}
    #: the same of the ``fixed_pt`` model (each model ignores the other tag's parameters)
    FIXED_PARAMS: ClassVar[Mapping[str, Any]] = {}

    def __init__(
        self,
        *,
        shape: tuple[int, ...],
        theta: Any = 1.0,
        bias: Any = 0,
        float_dtype: str = "float64",
        start_step: int = 1,
        reset_interval: int = 0,
        name: str | None = None,
        **values: Any,
    ) -> None:
        params = {**self.FLOAT_PARAMS, **self.FIXED_PARAMS}
        unknown = sorted(set(values) - set(self.STATES) - set(params))
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected keywords {unknown}")
        super().__init__(
            shape=shape,
            float_dtype=float_dtype,
            start_step=start_step,
            reset_interval=reset_interval,
            name=name,
        )
        self.a_in = _L.InPort(shape=shape)
        self.s_out = _L.OutPort(shape=shape)
        for state, init in self.STATES.items():
            setattr(self, state, _L.Var(shape=shape, init=values.get(state, init)))
        self.bias = _L.Var(shape=shape, init=bias)
        self.theta = _L.Var(shape=(1,), init=theta)
        for param, default in params.items():
            value = values.get(param, default)
            setattr(self, param, _L.Var(shape=self._param_shape(param, value, shape), init=value))

    #: parameters that may hold one value per neuron (population shape) instead of one
    PER_NEURON_PARAMS: ClassVar[frozenset[str]] = frozenset()

    def _param_shape(self, param: str, value: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
        if param in self.PER_NEURON_PARAMS and np.size(value) > 1:
            return shape
        return (1,)


class _NeuronModel(_L.PyLoihiProcessModel):  # type: ignore[misc,name-defined]
    """The step frame of the module doc; subclasses define ``update``."""

    #: the dtype spikes are sent in
    SPIKE_DTYPE: ClassVar[type] = np.float64

    def update(self, a_in: np.ndarray) -> np.ndarray:
        """One step from the received input; writes the states, returns the spikes."""
        raise NotImplementedError(f"{type(self).__name__} must define update()")

    def run_spk(self) -> None:
        a_in = self.a_in.recv()  # every step, or the channel stalls
        if inactive(self.time_step, self.proc_params):
            self.s_out.send(np.zeros(a_in.shape, dtype=self.SPIKE_DTYPE))
            return
        if reset_due(self.time_step, self.proc_params):
            for state in self.implements_process.STATES:
                getattr(self, state)[:] = 0
        self.s_out.send(self.update(a_in).astype(self.SPIKE_DTYPE))


class FloatNeuronModel(_NeuronModel):
    """``floating_pt`` frame: float ports, ``v``, ``bias`` and ``theta``."""

    SPIKE_DTYPE = np.float64
    a_in = _L.LavaPyType(_L.PyInPort.VEC_DENSE, float)
    s_out = _L.LavaPyType(_L.PyOutPort.VEC_DENSE, float)
    v = float_var()
    bias = float_var()
    theta = float_var()

    def dtype(self) -> np.dtype:
        """The precision the model computes in (``float_dtype``)."""
        return np.dtype(self.proc_params["float_dtype"])

    def scalars(self, *names: str) -> tuple[Any, ...]:
        """The named (1,)-shaped parameter Vars as scalars of :meth:`dtype`."""
        dt = self.dtype()
        return tuple(getattr(self, name).astype(dt)[0] for name in names)

    def charge(self, a_in: np.ndarray) -> np.ndarray:
        """X = a_in + b in :meth:`dtype`."""
        dt = self.dtype()
        return a_in.astype(dt) + self.bias.astype(dt)


class FixedNeuronModel(_NeuronModel):
    """``fixed_pt`` frame: 24-bit integer ports, ``v``, ``bias`` and ``theta``."""

    SPIKE_DTYPE = np.int32
    a_in = _L.LavaPyType(_L.PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out = _L.LavaPyType(_L.PyOutPort.VEC_DENSE, np.int32, precision=24)
    v = fixed_var()
    bias = fixed_var()
    theta = fixed_var()
