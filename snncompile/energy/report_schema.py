"""The JSON Schema of ``snncompile.energy-report/1`` (what :meth:`EnergyReport.to_json` emits).

Changing a required key or a type here is a breaking change: bump the version in
``REPORT_SCHEMA_ID`` and keep reading the old one.
"""

from __future__ import annotations

from typing import Any

REPORT_SCHEMA_ID = "snncompile.energy-report/1"

_NUMBER_MAP = {"type": "object", "additionalProperties": {"type": "number"}}
_ESTIMATE: dict[str, Any] = {
    "type": "object",
    "required": [
        "profile",
        "title",
        "basis",
        "trust",
        "mode",
        "label",
        "total_j",
        "partial",
        "by_category_j",
        "terms",
        "unpriced",
        "per_layer_j",
        "options",
    ],
    "properties": {
        "profile": {"type": "string"},
        "mode": {"enum": ["snn", "ann-equivalent"]},
        "label": {"const": "estimate"},
        # total_j: per sample in schema/1 (deprecated name, kept for old readers);
        # per_sample_j and per_step_j (= per_sample_j / T) name their scope
        "total_j": {"type": "number", "minimum": 0},
        "per_sample_j": {"type": "number", "minimum": 0},
        "per_step_j": {"type": "number", "minimum": 0},
        "partial": {"type": "boolean"},
        "by_category_j": _NUMBER_MAP,
        "terms": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "name",
                    "category",
                    "count",
                    "unit",
                    "constant",
                    "price",
                    "price_unit",
                    "energy_j",
                    "basis",
                    "source",
                ],
            },
        },
        "unpriced": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "category", "count", "unit", "reason", "included"],
            },
        },
        "per_layer_j": _NUMBER_MAP,
    },
}
_LAYER: dict[str, Any] = {
    "type": "object",
    "required": [
        "name",
        "kind",
        "describe",
        "samples",
        "timesteps",
        "static",
        "totals",
        "per_sample",
        "firing_rate",
        "notes",
    ],
    "properties": {
        "kind": {"enum": ["dense", "conv", "pool", "scale", "neuron"]},
        "totals": _NUMBER_MAP,
        "per_sample": _NUMBER_MAP,
        "firing_rate": {"type": ["number", "null"]},
    },
}

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": REPORT_SCHEMA_ID,
    "type": "object",
    "required": [
        "schema",
        "generator",
        "label",
        "metadata",
        "metrics",
        "counts",
        "estimates",
        "ann_equivalent",
        "resources",
        "profiles",
    ],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": REPORT_SCHEMA_ID},
        "generator": {"const": "snncompile.energy"},
        "label": {"type": "string"},
        "metadata": {"type": "object"},
        "metrics": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["unit", "definition"],
                "properties": {"unit": {"type": "string"}, "definition": {"type": "string"}},
            },
        },
        "counts": {
            "type": "object",
            "required": [
                "samples",
                "timesteps",
                "options",
                "layers",
                "totals_per_sample",
                "neurobench",
                "firing_rate",
            ],
            "properties": {
                "layers": {"type": "array", "items": _LAYER},
                "totals_per_sample": _NUMBER_MAP,
                "neurobench": _NUMBER_MAP,
            },
        },
        "estimates": {"type": "array", "items": _ESTIMATE},
        "ann_equivalent": {"type": "array", "items": _ESTIMATE},
        "resources": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["chip", "cores", "chips", "fits_one_chip", "placements", "label"],
                },
            ]
        },
        "profiles": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "title", "basis", "trust", "citations", "constants", "source"],
            },
        },
        # optional (added within schema/1): the per-inference summary, static and dynamic
        # apart, latency and energy-delay product per profile (snncompile.energy.summary)
        "summary": {
            "type": "object",
            "required": ["fps", "profiles"],
            "properties": {
                "fps": {"type": ["number", "null"]},
                "profiles": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [
                            "profile",
                            "dynamic_j",
                            "dynamic_priced",
                            "static_j",
                            "per_inference_j",
                            "partial",
                            "label",
                        ],
                    },
                },
            },
        },
        # optional (added in place: older reports lack them)
        "deployment": {
            "type": "object",
            "properties": {
                "target": {"type": ["string", "null"]},
                "engine": {"type": "string"},
                # the engine chosen (--engine): the target's reference arithmetic or a
                # Lava run (optional: older reports lack it)
                "count_engine": {"enum": ["reference", "lava"]},
                "passes": {"type": "array", "items": {"type": "string"}},
                "notes": {"type": "array", "items": {"type": "string"}},
            },
        },
        "layers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "module", "kind", "folded", "precision", "ops", "energy"],
                "properties": {
                    "precision": {"type": ["object", "null"]},
                    "ops": _NUMBER_MAP,
                    "energy": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["dynamic_j", "not_priced"],
                        },
                    },
                },
            },
        },
    },
}
