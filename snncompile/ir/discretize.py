"""Discrete coefficients of the NIR primitive neurons under an execution profile.

The one implementation of the discretisation, shared by the reference simulator and
every backend. For a time constant τ (true τ = stored τ · tau_scale) and step dt::

    euler:  a = dt/τ,               β = 1 − a
    exact:  a = 1 − exp(−dt/τ),     β = exp(−dt/τ)

A leaky state then updates as ``v = β·v + a·v_leak + g·x`` with the input gain
``g = a·r`` (``input_gain="nir"``) or ``g = 1`` (``"unit"``). The pure integrators
(``I``, ``IF``) use ``g = dt·r`` or 1. Coefficients are computed in float64 and cast
once to the simulation dtype (float32 unless asked otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from snncompile.ir.profile import ExecutionProfile

__all__ = [
    "Leak",
    "delay_steps",
    "input_gain",
    "integrator_gain",
    "leak",
    "leak_bias",
    "synaptic_gain",
]


@dataclass(frozen=True)
class Leak:
    """β (decay), a (rate) of one leaky state, per neuron, in the simulation dtype."""

    beta: np.ndarray
    rate: np.ndarray


def leak(tau: np.ndarray, profile: ExecutionProfile, dtype: DTypeLike = np.float32) -> Leak:
    """The decay and rate of a state with time constant ``tau`` under ``profile``."""
    true_tau = np.asarray(tau, dtype=np.float64) * float(profile.tau_scale)
    ratio = float(profile.dt) / true_tau
    if profile.integrator == "euler":
        rate = ratio
        beta = 1.0 - ratio
    else:
        rate = -np.expm1(-ratio)
        beta = np.exp(-ratio)
    return Leak(np.asarray(beta).astype(dtype), np.asarray(rate).astype(dtype))


def leak_bias(rate: np.ndarray, v_leak: np.ndarray, dtype: DTypeLike = np.float32) -> np.ndarray:
    """a·v_leak, a product of operands already in ``dtype``, rounded in ``dtype``."""
    return (rate * np.asarray(v_leak, dtype=dtype)).astype(dtype)


def input_gain(
    rate: np.ndarray, r: np.ndarray, profile: ExecutionProfile, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """g = a·r under ``input_gain="nir"``, 1 under ``"unit"``."""
    if profile.input_gain == "unit":
        return np.ones(np.shape(r), dtype=dtype)
    return (np.asarray(rate, dtype=np.float64) * np.asarray(r, dtype=np.float64)).astype(dtype)


def integrator_gain(
    r: np.ndarray, profile: ExecutionProfile, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """g = dt·r of ``I``/``IF`` under ``input_gain="nir"``, 1 under ``"unit"``."""
    if profile.input_gain == "unit":
        return np.ones(np.shape(r), dtype=dtype)
    return (float(profile.dt) * np.asarray(r, dtype=np.float64)).astype(dtype)


def synaptic_gain(
    rate: np.ndarray, w_in: np.ndarray, profile: ExecutionProfile, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """Gain of the input onto the CubaLIF current.

    ``nir``: a_s·w_in for ``syn_first``/``jump_decay``, w_in for ``jump`` (a current jump);
    ``unit``: 1.
    """
    if profile.input_gain == "unit":
        return np.ones(np.shape(w_in), dtype=dtype)
    w = np.asarray(w_in, dtype=np.float64)
    if profile.synapse_order == "jump":
        return w.astype(dtype)
    return (np.asarray(rate, dtype=np.float64) * w).astype(dtype)


def delay_steps(delay: np.ndarray, profile: ExecutionProfile) -> np.ndarray:
    """k = rint(delay/dt) steps per element, int64 (the ``Delay`` node's discrete delay)."""
    return np.rint(np.asarray(delay, dtype=np.float64) / profile.dt).astype(np.int64)
