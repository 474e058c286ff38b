"""Native neuron nodes: models NIR cannot state exactly, with their discrete-time equations.

Conventions shared by every class here (docs/neurons.md §1):

- X[t] is the summed input of the node, H[t] the charged potential before the threshold
  test, V[t] the potential after every reset term, s[t] ∈ {0, 1} the spike.
- Firing is **inclusive**: s[t] = 1 iff H[t] >= θ (``v_threshold``). NIR primitives use
  strict ``>``; the comparison of native nodes is fixed and not taken from the profile.
- Every state is 0 at t = 0 (V[−1] = 0, so H[0] = X[0]).
- Parameters are numpy arrays of the **population shape** (batch and time excluded), one
  value per neuron, like NIR. DA-LIF's α and β may also be per channel (shape (C,),
  C = population shape[0]) or per layer (shape (1,)).
- Nodes are frozen; treat their arrays as immutable (passes build new nodes).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np

Reset = Literal["soft", "hard"]


def as_param(value: Any) -> np.ndarray:
    """``value`` as a numpy array; integers and booleans become float64."""
    array = np.asarray(value)
    if array.dtype.kind in "biu":
        array = array.astype(np.float64)
    return array


def _coerce(node: Any, *names: str) -> None:
    for name in names:
        value = getattr(node, name)
        if value is not None:
            object.__setattr__(node, name, as_param(value))
    object.__setattr__(node, "metadata", dict(node.metadata))


class _NativeNeuron:
    """Base of the native nodes: on construction every ``np.ndarray`` field (``None``
    allowed where declared) goes through :func:`as_param` and ``metadata`` is copied, so a
    node never shares the caller's dict."""

    def __post_init__(self) -> None:
        params = fields(self)  # type: ignore[arg-type]  # every subclass is a dataclass
        _coerce(self, *(f.name for f in params if str(f.type).startswith("np.ndarray")))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(−x)), in the dtype of ``x``."""
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True, eq=False)
class SoftLIF(_NativeNeuron):
    r"""Leaky integrate-and-fire neuron with a soft (subtract) or hard reset.

    .. math::
        \text{soft:}\quad H[t] = \beta V[t-1] + X[t],\qquad V[t] = H[t] - \theta s[t]

        \text{hard:}\quad H[t] = \beta V[t-1] + (1-\beta) v_r + X[t],\qquad
        V[t] = H[t](1 - s[t]) + v_r s[t]

        s[t] = \Theta(H[t] - \theta)\ \text{(inclusive)}

    The hard-reset charge leaks toward ``v_reset``; that is exactly NIR ``LIF`` with
    v_leak = v_reset under forward Euler, τ = dt/(1 − β), r = τ/dt.

    Attributes:
        beta: leak factor β = 1 − 1/τ_steps, in [0, 1] (population shape).
        v_threshold: θ (population shape).
        reset: ``"soft"`` (subtract θ) or ``"hard"`` (to ``v_reset``).
        v_reset: v_r for the hard reset (population shape); None means zeros. Must be None
            or zero for the soft reset.
    """

    beta: np.ndarray
    v_threshold: np.ndarray
    reset: Reset = "soft"
    v_reset: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)

    @property
    def v_reset_or_zero(self) -> np.ndarray:
        """``v_reset``, or zeros of the population shape when it is None."""
        if self.v_reset is None:
            return np.zeros_like(self.v_threshold)
        return self.v_reset


@dataclass(frozen=True, eq=False)
class PLIF(_NativeNeuron):
    r"""Parametric LIF (SpikingJelly ``ParametricLIFNode``, docs/neurons.md §3), soft reset.

    .. math::
        H[t] = (1 - \sigma(w)) V[t-1] + X[t],\quad s[t] = \Theta(H[t] - \theta),\quad
        V[t] = H[t] - \theta s[t]

    where σ is the logistic function, so β = 1 − σ(w) ∈ (0, 1) and τ = 1/σ(w).

    Attributes:
        w: the trained raw parameter (population shape; the module's scalar, repeated).
        v_threshold: θ (population shape).
    """

    w: np.ndarray
    v_threshold: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)

    @property
    def beta(self) -> np.ndarray:
        """The derived leak factor β = 1 − sigmoid(w)."""
        return 1.0 - sigmoid(self.w)


@dataclass(frozen=True, eq=False)
class DALIF(_NativeNeuron):
    r"""DA-LIF, the project's specification (docs/neurons.md §6).

    .. math::
        V'[t] = \beta V[t-1] + \alpha X[t],\qquad s[t] = \Theta(V'[t] - \theta)

        \text{soft:}\ V[t] = V'[t] - \theta s[t],\qquad
        \text{hard:}\ V[t] = V'[t](1 - s[t])

    α = tanh(a) and β = tanh(b) of the raw trained parameters; the IR stores the
    effective α and β. Export to NIR or hardware requires α > 0 and 0 <= β < 1
    (:func:`snncompile.ir.export_checks.check_exportable`), not :func:`verify`.

    Attributes:
        alpha: input (spatial) decay α: population shape, (C,) per channel or (1,) per layer.
        beta: membrane (temporal) decay β, same shapes allowed as ``alpha``.
        v_threshold: θ (population shape).
        reset: ``"soft"`` (subtract θ) or ``"hard"`` (to 0).
    """

    alpha: np.ndarray
    beta: np.ndarray
    v_threshold: np.ndarray
    reset: Reset = "soft"
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)


@dataclass(frozen=True, eq=False)
class CLIF(_NativeNeuron):
    r"""Complementary LIF (``ComplementaryLIFNeuron``, docs/neurons.md §4). States V and m.

    .. math::
        H[t] = (1 - 1/\tau) V[t-1] + X[t]

        m'[t] = m[t-1]\,\sigma(H[t]/\tau),\quad s[t] = \Theta(H[t] - \theta),\quad
        m[t] = m'[t] + s[t]

        V[t] = H[t] - \theta s[t] - s[t]\,\sigma(m[t])

    A spike subtracts between 1.73·θ and 2·θ. Not expressible with NIR primitives.

    Attributes:
        tau: τ in steps (population shape), > 0 (the official code requires τ > 1).
        v_threshold: θ (population shape).
    """

    tau: np.ndarray
    v_threshold: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)


@dataclass(frozen=True, eq=False)
class ILIF(_NativeNeuron):
    r"""Inhibitory LIF (``InhibitoryLIFNeuron``, docs/neurons.md §5): states V, I, M, x_prev,
    s_prev.

    .. math::
        I[t] = k_c\,(I[t-1] + X[t-1]\,s[t-1])

        H[t] = (1 - 1/\tau) V[t-1] + X[t] - \max(I[t], 0),\quad s[t] = \Theta(H[t] - \theta)

        V'[t] = H[t] - \theta s[t],\quad M[t] = k_m\,(M[t-1] + s[t]\,V'[t]),\quad
        V[t] = V'[t] - s[t]\,\sigma(M[t])

    k_c and k_m stand where the official code has its literals 0.03 and 1: each
    multiplies its whole bracket, so k_m is both the gain and the decay of M (M never
    decays within a sample for the official k_m = 1) and the extra reset is σ(M) itself.
    Not expressible with NIR primitives.

    Attributes:
        tau: τ in steps (population shape), > 0; the official scripts use 1.1.
        v_threshold: θ (population shape).
        current_inhibition: k_c, gain and decay of the current inhibition (0.03).
        membrane_inhibition: k_m, gain and decay of the membrane inhibition (1.0).
    """

    tau: np.ndarray
    v_threshold: np.ndarray
    current_inhibition: float = 0.03
    membrane_inhibition: float = 1.0
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)
