"""``BaseNeuron``: the machinery every neuron module shares.

- Multi-step mode (``step_mode="m"``, default): input ``[T, B, ...]``, every call is a
  complete sample run from zero state (no state leaks between batches); spikes come
  back with the input's shape and dtype. Runs the fused CPU path or, on CUDA with
  CuPy, the fused kernel (``backend="auto"|"torch"|"cupy"``).
- Single-step mode (``step_mode="s"``): input ``[B, ...]``, state carries over between
  calls (streaming) until :meth:`reset`.
- ``record_states=True`` keeps every internal state of the last run in
  :attr:`recorded` (``[T, B, ...]`` tensors; H, V and the model's own states). It runs
  the pure functional step, the reference the fused paths are tested against.
"""

from __future__ import annotations

import abc
import math
from types import ModuleType
from typing import Any, ClassVar, Literal

import torch
from torch import nn

from snncompile.errors import BackendUnavailableError, ConfigError, InputError
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.surrogate import Surrogate, make_surrogate

StepMode = Literal["m", "s"]
BackendName = Literal["auto", "torch", "cupy"]


def check_number(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    low_inclusive: bool = False,
    high: float | None = None,
    high_inclusive: bool = False,
    allowed: str,
) -> float:
    """Validate a finite real number in a range; raise :class:`ConfigError` naming it."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value >= low if low_inclusive else value > low
    if ok and high is not None:
        ok = value <= high if high_inclusive else value < high
    if not ok:
        raise ConfigError(
            f"{owner}: {name}={value!r} is out of range; allowed: {allowed}",
            hint=f"choose {name} so that: {allowed}",
        )
    return float(value)


def _check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(
            f"{owner}: unknown {name}={value!r}; allowed: {', '.join(choices)}",
            hint=f"pass {name}= one of {choices}",
        )
    return str(value)


class BaseNeuron(nn.Module, abc.ABC):
    """Common base of LIF, PLIF, ILIF, CLIF and DALIF (see the module docstring)."""

    #: Names of the tensors in :attr:`recorded`, in order.
    recorded_states: ClassVar[tuple[str, ...]] = ("h", "v")
    #: Reset modes the model supports.
    reset_modes: ClassVar[tuple[str, ...]] = ("soft", "hard")

    def __init__(
        self,
        *,
        v_threshold: float = 1.0,
        surrogate: str | Surrogate = "rectangle",
        surrogate_alpha: float | None = None,
        reset: str = "soft",
        v_reset: float = 0.0,
        detach_reset: bool = False,
        step_mode: StepMode = "m",
        backend: BackendName = "auto",
        record_states: bool = False,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.v_threshold = check_number(
            name, "v_threshold", v_threshold, low=0.0, allowed="finite numbers > 0"
        )
        self.surrogate = make_surrogate(surrogate, surrogate_alpha)
        self.reset_mode = _check_choice(name, "reset", reset, self.reset_modes)
        self.v_reset = check_number(name, "v_reset", v_reset, allowed="finite numbers")
        if self.reset_mode == "soft" and v_reset != 0.0:
            raise ConfigError(
                f"{name}: v_reset={v_reset} has no effect with reset='soft'",
                hint="pass reset='hard' to reset to v_reset, or drop v_reset",
            )
        self.detach_reset = bool(detach_reset)
        self.step_mode: StepMode = _check_choice(name, "step_mode", step_mode, ("m", "s"))  # type: ignore[assignment]
        self.backend: BackendName = _check_choice(  # type: ignore[assignment]
            name, "backend", backend, ("auto", "torch", "cupy")
        )
        self.record_states = bool(record_states)
        self.recorded: dict[str, torch.Tensor] = {}
        self._state: Any = None
        self._records: list[Any] = []

    # -- model-specific hooks -------------------------------------------------------

    @abc.abstractmethod
    def initial_state(self, x: torch.Tensor) -> Any:
        """Zero state shaped like one step ``x`` of shape [B, ...]."""

    @abc.abstractmethod
    def step(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """One step through the pure functional reference: (spikes, new state)."""

    @abc.abstractmethod
    def multistep(self, x: torch.Tensor, impl: ModuleType) -> torch.Tensor:
        """All T steps through ``impl`` (``snncompile.neurons.cpu`` or ``.kernels``)."""

    #: the model's own constructor keywords, read back from the attributes of the same name
    CONFIG_FIELDS: ClassVar[tuple[str, ...]] = ()

    def get_config(self) -> dict[str, Any]:
        """Constructor keywords that rebuild this module (JSON-serialisable): the model's
        :attr:`CONFIG_FIELDS`, then :meth:`base_config`."""
        return {**self.own_config(), **self.base_config()}

    def own_config(self) -> dict[str, Any]:
        """{name: value} of the model's own :attr:`CONFIG_FIELDS`."""
        return {k: getattr(self, k) for k in self.CONFIG_FIELDS}

    # -- shared machinery -----------------------------------------------------------

    @property
    def spike_config(self) -> SpikeConfig:
        return SpikeConfig(
            v_threshold=self.v_threshold,
            surrogate=self.surrogate,
            reset=self.reset_mode,
            v_reset=self.v_reset,  # type: ignore[arg-type]
            detach_reset=self.detach_reset,
        )

    def base_config(self) -> dict[str, Any]:
        """The keywords of :class:`BaseNeuron` itself (for :meth:`get_config`)."""
        cfg: dict[str, Any] = {
            "v_threshold": self.v_threshold,
            "surrogate": self.surrogate.name,
            "surrogate_alpha": self.surrogate.alpha,
            "detach_reset": self.detach_reset,
            "step_mode": self.step_mode,
            "backend": self.backend,
        }
        if len(self.reset_modes) > 1:
            cfg["reset"] = self.reset_mode
            cfg["v_reset"] = self.v_reset
        return cfg

    def reset(self) -> None:
        """Clear the carried state (single-step mode) and the recorded states."""
        self._state = None
        self._records = []
        self.recorded = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.step_mode == "m":
            return self._forward_multistep(x)
        return self._forward_single(x)

    def _forward_multistep(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x, min_rank=2, layout="[T, B, ...]")
        self._check_features(x[0])
        self._check_finite(x)
        if self.record_states:
            self.reset()
            state = self.initial_state(x[0])
            out = []
            for t in range(x.shape[0]):
                s, state = self.step(x[t], state)
                self._append_record(state)
                out.append(s)
            self._finish_records()
            spikes = torch.stack(out)
        else:
            spikes = self.multistep(x, self._implementation(x))
        return spikes

    def _forward_single(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x, min_rank=1, layout="[B, ...]")
        self._check_features(x)
        self._check_finite(x)
        if self._state is None:
            self._state = self.initial_state(x)
        elif self._state.v.shape != x.shape:
            raise InputError(
                f"{type(self).__name__}: single-step input shape {tuple(x.shape)} differs from "
                f"the carried state's shape {tuple(self._state.v.shape)}",
                hint="call snncompile.neurons.reset(model) before a new batch or sequence",
            )
        s, self._state = self.step(x, self._state)
        if self.record_states:
            self._append_record(self._state)
            self._finish_records()
        return s

    def _append_record(self, state: Any) -> None:
        self._records.append({k: getattr(state, k).detach() for k in self.recorded_states})

    def _finish_records(self) -> None:
        self.recorded = {
            k: torch.stack([r[k] for r in self._records]) for k in self.recorded_states
        }

    def _implementation(self, x: torch.Tensor) -> ModuleType:
        """Pick the fused CPU path or the CuPy kernels for ``x`` (never silently)."""
        from snncompile.neurons import cpu

        if self.backend == "torch" or (self.backend == "auto" and not x.is_cuda):
            return cpu
        from snncompile.neurons import kernels

        reason = kernels.cupy_unavailable_reason(x)
        if reason is None:
            return kernels
        if self.backend == "cupy":
            raise BackendUnavailableError(
                f"{type(self).__name__}(backend='cupy') cannot run: {reason}",
                hint="use backend='auto' or 'torch', or on a CUDA machine install CuPy "
                "with: pip install 'snncompile[cuda]'",
            )
        return cpu

    def _check_input(self, x: Any, *, min_rank: int, layout: str) -> None:
        name = type(self).__name__
        mode = f"step_mode={self.step_mode!r}"
        if not isinstance(x, torch.Tensor):
            raise InputError(
                f"{name}: input must be a torch.Tensor, got {type(x).__name__}",
                hint=f"pass a floating-point tensor shaped {layout}",
            )
        if not x.is_floating_point():
            raise InputError(
                f"{name}: input dtype {x.dtype} is not floating point",
                hint="convert it first, e.g. x.float()",
            )
        if x.dim() < min_rank or x.numel() == 0:
            raise InputError(
                f"{name} ({mode}): input of shape {tuple(x.shape)} does not match {layout}",
                hint="multi-step input is time-major [T, B, ...]; for one step at a time "
                "use step_mode='s' with [B, ...]"
                if self.step_mode == "m"
                else "single-step input is [B, ...]; give at least one dimension",
            )

    def _check_features(self, x_step: torch.Tensor) -> None:
        """Model-specific shape checks on one step [B, ...] (e.g. per-channel size)."""

    def _check_finite(self, x: torch.Tensor) -> None:
        # A sum is one cheap read pass; it is non-finite iff some element is NaN/Inf
        # (or huge finite values overflow, which the exact check below rules out).
        if torch.isfinite(x.detach().sum()):
            return
        bad = ~torch.isfinite(x.detach())
        if not bad.any():
            return
        where = tuple(int(i) for i in bad.nonzero()[0])
        value = x.detach()[where].item()
        raise InputError(
            f"{type(self).__name__}: input contains NaN or Inf ({value} at index {where}, "
            f"{int(bad.sum())} non-finite values in total)",
            hint="check the data and the preceding layers (e.g. a diverging learning rate)",
        )

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
