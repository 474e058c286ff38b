"""Hardware constants of the Loihi 2 fixed-point target, each with its source.

One named, cited table (docs/architecture.md §8): the quantiser reads limits from here and
nowhere else. "Lava" means lava-nc 0.10.0's bit-accurate CPU ProcessModels (docs/lava.md §17–§18),
which is what ``--target lava`` reproduces bit for bit; the custom neurons follow
``backends/lava/docs/fixed_point.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from snncompile.quant.precision import FixedPoint

#: Synaptic weight mantissa: 8 bits; mixed-sign layers lose the LSB (even values in
#: [−256, 254]); single-signed layers keep all 8 bits (Lava ``PyDenseModelBitAcc``,
#: docs/lava.md §18).
WEIGHT_MIXED = FixedPoint(9, signed=True, step=2)
WEIGHT_EXCITATORY = FixedPoint(8, signed=False)
WEIGHT_LIMIT_MIXED = 254
WEIGHT_LIMIT_SINGLE = 255

#: Shared per-layer weight exponent. Lava's CPU model accepts any int; snncompile keeps
#: it in a 4-bit signed field [−8, 7] as Loihi synapse formats do (nengo-loihi's
#: discretisation searches wgtExp 0 … −7). Dense applies it to the summed input
#: (left shift, or flooring right shift); Conv ignores it, so conv layers fold a
#: non-negative exponent into the weights (fixed_synapses.conv_weights_for_lava).
WEIGHT_EXP_MIN = -8
WEIGHT_EXP_MAX = 7

#: Neuron state registers: 24-bit signed, saturating (v; docs/lava.md §17.2).
STATE = FixedPoint(24, signed=True, rounding="trunc0", saturation="saturate")
STATE_MAX = (1 << 23) - 1
#: The built-in LIF's current u wraps instead (docs/lava.md §17.2).
STATE_WRAP = FixedPoint(24, signed=True, rounding="trunc0", saturation="wrap")

#: Input to the neuron is shifted left by 6 (``act_shift``): one weight LSB = 64 state units.
ACT_SHIFT = 6

#: Decays: 12-bit unsigned fractions of 4096, truncating toward zero (docs/lava.md §17.2).
DECAY = FixedPoint(12, frac=12, signed=False, rounding="nearest")
DECAY_UNITY = 4096

#: Built-in LIF threshold ``vth``: 17-bit unsigned, compared as v > vth << 6 (docs/lava.md §17.2).
VTH_BUILTIN = FixedPoint(17, signed=False, rounding="nearest")
#: Built-in LIF bias: 13-bit signed mantissa with a 3-bit exponent (docs/lava.md §17.2).
BIAS_MANT = FixedPoint(13, signed=True)
BIAS_EXP_MAX = 7

#: Custom neurons (backends/lava/docs/fixed_point.md §1): threshold, bias in 24-bit state units.
THRESHOLD = FixedPoint(24, signed=True)
BIAS = FixedPoint(24, signed=True)

#: Sigmoid table: Q·.8 input clamped to ±8, Q0.12 output (backends/lava/docs/fixed_point.md §2).
SIGMOID_IN = FixedPoint(13, frac=8, signed=True, rounding="floor")
SIGMOID_OUT = FixedPoint(12, frac=12, signed=False)
#: ILIF's c and k_m as Q0.12 / Q4.12 (backends/lava/docs/fixed_point.md §5).
C12 = FixedPoint(12, frac=12, signed=False)
KM12 = FixedPoint(16, frac=12, signed=False)

#: Graded spike payloads (input layer): 24 bits on Loihi 2 (docs/lava.md §18 "Graded spikes").
GRADED_PAYLOAD = FixedPoint(24, signed=True)

#: Fan-in: input axons per neurocore. Loihi 1: 4096 (Davies et al., IEEE Micro 2018;
#: enforced as ``IN_AXONS_MAX = 4096`` in nengo-loihi's block validation). Intel has not
#: published a Loihi 2 figure; snncompile uses the Loihi 1 limit as the conservative one.
MAX_FAN_IN = 4096

SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "weights": "8-bit mantissa, mixed sign loses the LSB: lava-nc PyDenseModelBitAcc "
        "(docs/lava.md §18)",
        "weight_exp": "4-bit signed [-8, 7] (Loihi synapse format wgtExp; nengo-loihi)",
        "state": "24-bit, v saturates, u wraps: lava-nc PyLifModelBitAcc (docs/lava.md §17.2)",
        "decay": "12-bit, truncation toward zero (docs/lava.md §17.2)",
        "vth": "17-bit unsigned, v > vth << 6 (docs/lava.md §17.2)",
        "bias": "13-bit mantissa, 3-bit exponent (docs/lava.md §17.2); custom neurons: 24-bit "
        "state units (backends/lava/docs/fixed_point.md §1)",
        "fan_in": "4096 input axons per core: Davies et al. 2018; nengo-loihi IN_AXONS_MAX",
        "sigmoid": "4097-entry table, Q.8 in, Q0.12 out (backends/lava/docs/fixed_point.md §2)",
    }
)
