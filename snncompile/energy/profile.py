"""Hardware energy profiles: data files validated against ``profiles/schema.json``.

A profile is a JSON (built in, under ``snncompile/energy/profiles/``) or a user-supplied
YAML or JSON file. Every constant carries its value, a ``basis`` and the ``cite`` id of
one of the profile's citations. Bases:

| basis | meaning |
|---|---|
| measured | measured on silicon |
| simulated | a simulator calibrated against silicon |
| pre-silicon | circuit simulation before (or without) silicon characterisation |
| all-in | total power ÷ event rate: already includes every other term |
| derived | computed from published figures (e.g. a multiply plus an add) |
| reported | a published figure whose method is not stated, or a secondary citation |

Units: energies in pJ, ``memory_byte`` in pJ per byte, ``static_power`` in W,
``t_step`` in s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from snncompile.errors import BackendUnavailableError, ConfigError

SCHEMA_ID = "snncompile.energy-profile/1"
_PACKAGE = "snncompile.energy"

#: The built-in profiles, in the order reports show them.
BUILTIN_PROFILES: tuple[str, ...] = (
    "cmos45-fp32",
    "cmos45-fp16",
    "cmos45-int8",
    "ann-gpu",
    "loihi",
    "loihi-sanafe",
    "loihi2",
    "truenorth",
    "spinnaker1",
    "spinnaker2-2019",
    "spinnaker2-2021",
)
#: Shown when no profile is named: fp32 and int8 45 nm, a GPU baseline, three chips.
DEFAULT_PROFILES: tuple[str, ...] = (
    "cmos45-fp32",
    "cmos45-int8",
    "ann-gpu",
    "loihi",
    "loihi-sanafe",
    "loihi2",
)


@dataclass(frozen=True, eq=False)
class Constant:
    """One priced constant: value (pJ, pJ/B, W or s), basis, full citation, note, cite id."""

    value: float
    basis: str
    cite: str
    note: str = ""
    cite_id: str = ""


@dataclass(frozen=True, eq=False)
class HardwareProfile:
    """A validated profile (see ``profiles/schema.json`` for every field).

    Attributes:
        data: the validated document.
        source: ``builtin:<name>`` or the file path it was read from.
    """

    data: Mapping[str, Any]
    source: str

    @property
    def name(self) -> str:
        """The profile name."""
        return str(self.data["name"])

    @property
    def title(self) -> str:
        """One-line title."""
        return str(self.data["title"])

    @property
    def basis(self) -> str:
        """The profile's overall basis."""
        return str(self.data["basis"])

    @property
    def trust(self) -> str:
        """How far to trust the profile."""
        return str(self.data["trust"])

    @property
    def event_driven(self) -> bool:
        """True when synaptic work follows events; False when every synapse runs each step."""
        return bool(self.data["event_driven"])

    @property
    def weight_bits(self) -> int:
        """Weight width for the memory term (32 when not stated)."""
        return int(self.data.get("widths", {}).get("weight_bits", 32))

    @property
    def state_bits(self) -> int:
        """State width for the memory term (32 when not stated)."""
        return int(self.data.get("widths", {}).get("state_bits", 32))

    def default(self, key: str, fallback: float) -> float:
        """A value of the profile's ``defaults`` block."""
        return float(self.data.get("defaults", {}).get(key, fallback))

    def constant(self, key: str) -> Constant | None:
        """The constant ``key`` with its citation text resolved, or None when absent."""
        raw = self.data["constants"].get(key)
        if raw is None:
            return None
        return Constant(
            float(raw["value"]),
            raw["basis"],
            self.citation(raw["cite"]),
            raw.get("note", ""),
            raw["cite"],
        )

    def citation(self, cite_id: str) -> str:
        """The full citation text (with DOI/arXiv) of ``cite_id``."""
        for entry in self.data["citations"]:
            if entry["id"] == cite_id:
                text = entry["text"]
                if "doi" in entry:
                    text += f" doi:{entry['doi']}"
                if "arxiv" in entry:
                    text += f" arXiv:{entry['arxiv']}"
                return str(text)
        raise AssertionError(f"unresolved citation {cite_id!r}")  # checked at load time

    @property
    def alternatives(self) -> tuple[str, ...]:
        """Built-in profiles pricing the same chip from other published figures."""
        return tuple(self.data.get("alternatives", ()))

    @property
    def has_chip_limits(self) -> bool:
        """True when the profile carries per-core limits (a core mapping is possible)."""
        return "chip_limits" in self.data

    def chip_limit(self, key: str) -> Constant | None:
        """A ``chip_limits`` entry (counts or bytes) with its citation, or None."""
        return self._constant(self.data.get("chip_limits", {}).get(key))

    @property
    def has_timing(self) -> bool:
        """True when the profile carries per-operation times (a latency model is possible)."""
        return "timing" in self.data

    def timing(self, key: str) -> tuple[float, float, Constant] | None:
        """A ``timing`` entry as (fast end, slow end, constant) in s, or None when absent.

        The slow end is ``value``; the fast end is ``low`` (``value`` without a range)."""
        raw = self.data.get("timing", {}).get(key)
        const = self._constant(raw)
        if const is None:
            return None
        return float(raw.get("low", raw["value"])), const.value, const

    def _constant(self, raw: Mapping[str, Any] | None) -> Constant | None:
        if raw is None:
            return None
        return Constant(
            float(raw["value"]),
            raw["basis"],
            self.citation(raw["cite"]),
            raw.get("note", ""),
            raw["cite"],
        )

    @property
    def not_priced(self) -> dict[str, str]:
        """term -> why the profile cannot price it."""
        return {x["term"]: x["reason"] for x in self.data.get("not_priced", [])}

    def not_priced_entry(self, term: str) -> dict[str, Any] | None:
        """The ``not_priced`` entry of ``term`` (``reason``, optional ``included``)."""
        for entry in self.data.get("not_priced", []):
            if entry["term"] == term:
                return dict(entry)
        return None

    def to_dict(self) -> dict[str, Any]:
        """The profile document plus its source."""
        return {**json.loads(json.dumps(dict(self.data))), "source": self.source}


@cache
def profile_schema() -> dict[str, Any]:
    """The JSON Schema of profiles (``profiles/schema.json``)."""
    text = resources.files(_PACKAGE).joinpath("profiles/schema.json").read_text("utf-8")
    return dict(json.loads(text))


def validate_profile(data: Any, source: str) -> HardwareProfile:
    """Validate a profile document and return it as a :class:`HardwareProfile`.

    Raises:
        ConfigError: the document fails the schema (the message names the field, what is
            expected and the file), or a constant cites an unknown citation id.
    """
    validator_cls = _jsonschema().Draft202012Validator
    errors = sorted(
        validator_cls(profile_schema()).iter_errors(data), key=lambda e: list(e.absolute_path)
    )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        expected = first.schema.get("description") or _expected(first)
        raise ConfigError(
            f"energy profile {source}: field '{where}' is invalid: {first.message}",
            hint=f"expected {expected}; see snncompile/energy/profiles/schema.json"
            + (f" ({len(errors) - 1} more error(s))" if len(errors) > 1 else ""),
        )
    _check_citations(data, source)
    return HardwareProfile(data, source)


def _check_citations(data: Mapping[str, Any], source: str) -> None:
    ids = {c["id"] for c in data["citations"]}
    cited = [
        (f"{block}/{key}", const)
        for block in ("constants", "chip_limits", "timing")
        for key, const in data.get(block, {}).items()
    ]
    for where, const in cited:
        if const["cite"] not in ids:
            raise ConfigError(
                f"energy profile {source}: {where}/cite is {const['cite']!r}, "
                f"not one of the profile's citation ids {sorted(ids)}",
                hint="add the reference to 'citations' or fix the id",
            )


def _expected(error: Any) -> str:
    validator = error.validator
    value = error.validator_value
    if validator == "enum":
        return f"one of {value}"
    if validator == "type":
        return f"a value of type {value}"
    if validator == "required":
        return f"the fields {value}"
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"only the fields {allowed}"
    if validator == "minimum":
        return f"a number >= {value}"
    return f"{validator} {value!r}"


def _jsonschema() -> Any:
    try:
        import jsonschema
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BackendUnavailableError(
            "validating energy profiles needs the 'jsonschema' package",
            hint="pip install jsonschema",
        ) from exc
    return jsonschema


def load_profile(name_or_path: str | Path) -> HardwareProfile:
    """A built-in profile by name, or a user profile from a ``.json``/``.yaml``/``.yml`` file.

    Raises:
        ConfigError: unknown name (the message lists the known ones), unreadable file, or
            a document that fails the schema.
    """
    text = str(name_or_path)
    if text in BUILTIN_PROFILES:
        return _builtin(text)
    path = Path(text)
    if path.suffix.lower() in (".json", ".yaml", ".yml") or path.exists():
        return validate_profile(_read_document(path), str(path))
    raise ConfigError(
        f"unknown energy profile {text!r}",
        hint=f"use one of {list(BUILTIN_PROFILES)}, or the path of a .yaml/.json profile file",
    )


@cache
def _builtin(name: str) -> HardwareProfile:
    text = resources.files(_PACKAGE).joinpath(f"profiles/{name}.json").read_text("utf-8")
    data, source = json.loads(text), f"builtin:{name}"
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        # The shipped files are schema-checked by the test suite; without jsonschema they
        # are still usable (user-supplied profiles are not).
        _check_citations(data, source)
        return HardwareProfile(data, source)
    return validate_profile(data, source)


def _read_document(path: Path) -> Any:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read energy profile {str(path)!r}: {exc.strerror or exc}",
            hint="check the path",
        ) from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"energy profile {str(path)!r} is not valid JSON: {exc}", hint="fix the syntax"
            ) from exc
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BackendUnavailableError(
            "reading YAML energy profiles needs the 'pyyaml' package",
            hint="pip install pyyaml (or write the profile as JSON)",
        ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"energy profile {str(path)!r} is not valid YAML: {exc}", hint="fix the syntax"
        ) from exc


def load_profiles(names: list[str] | tuple[str, ...] | None = None) -> list[HardwareProfile]:
    """Several profiles (``DEFAULT_PROFILES`` when ``names`` is None or empty)."""
    return [load_profile(n) for n in (names or DEFAULT_PROFILES)]
