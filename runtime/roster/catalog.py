"""The model catalog: loads resources/catalog/models.yaml into immutable `ModelInfo` values.

This module only reads and validates the human-edited catalog file (limits,
list prices, capability quirks and aliases of each Claude model) and answers
look-ups by id or alias, with "did you mean" suggestions for unknown names. It
does no arithmetic on prices (costs.py does) and never talks to the API. A
malformed file raises `CatalogError` naming the file, the model and the field.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import yaml

TIER_NAMES: Final[Mapping[int, str]] = MappingProxyType(
    {1: "economy", 2: "standard", 3: "premium", 4: "frontier"}
)
CURRENCY: Final = "USD"
UNIT: Final = "per_million_tokens"

_PRICE_FIELDS: Final = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
_REQUIRED: Final = (
    "id", "name", "family", "tier", "context_window", "max_output_tokens", "prices",
    "deprecated", "forced_tool_choice", "thinking_always_on", "source",
)  # fmt: skip
_OPTIONAL: Final = ("aliases", "released", "long_context_prices")
_TOP_LEVEL: Final = ("as_of", "currency", "unit", "models")
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_NAME: Final = re.compile(r"[a-z0-9][a-z0-9.\-]*")


class CatalogError(Exception):
    """The catalog file is missing, is not YAML, or has an invalid entry."""


@dataclass(frozen=True, slots=True)
class Prices:
    """USD per million tokens for each kind of token a request is billed for."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One catalog entry. `long_context_prices` bill a whole request above the threshold."""

    id: str
    name: str
    family: str
    tier: int
    context_window: int
    max_output_tokens: int
    prices: Prices
    long_context_prices: Prices | None
    long_context_threshold: int | None
    deprecated: bool
    aliases: tuple[str, ...]
    forced_tool_choice: bool
    thinking_always_on: bool
    released: str | None = None
    source: str = ""

    @property
    def tier_name(self) -> str:
        return TIER_NAMES.get(self.tier, str(self.tier))


class Catalog:
    """An immutable set of models, indexed by id and by alias."""

    __slots__ = ("_aliases", "_by_id", "_models", "as_of", "currency", "path", "unit")

    def __init__(
        self,
        models: Iterable[ModelInfo],
        *,
        as_of: str,
        currency: str = CURRENCY,
        unit: str = UNIT,
        path: Path | None = None,
    ) -> None:
        where = str(path) if path is not None else "<catalog>"
        self._models = tuple(models)
        by_id: dict[str, ModelInfo] = {}
        for model in self._models:
            if model.id in by_id:
                raise CatalogError(f"{where}: model {model.id!r}: duplicate id")
            by_id[model.id] = model
        aliases: dict[str, str] = {}
        for model in self._models:
            for alias in model.aliases:
                taken_by = alias if alias in by_id else aliases.get(alias)
                if taken_by is not None:
                    raise CatalogError(
                        f"{where}: model {model.id!r}: alias {alias!r} is taken by {taken_by!r}"
                    )
                aliases[alias] = model.id
        self._by_id: Mapping[str, ModelInfo] = MappingProxyType(by_id)
        self._aliases: Mapping[str, str] = MappingProxyType(aliases)
        self.as_of = as_of
        self.currency = currency
        self.unit = unit
        self.path = path

    def __repr__(self) -> str:
        return f"Catalog({len(self._models)} models, as_of={self.as_of!r}, path={self.path})"

    def __contains__(self, model_id: object) -> bool:
        return isinstance(model_id, str) and self.resolve_alias(model_id) is not None

    def models(self) -> tuple[ModelInfo, ...]:
        """All models, in file order."""
        return self._models

    def resolve_alias(self, name: str) -> str | None:
        """The canonical id for an id or alias, or None when the name is unknown."""
        if name in self._by_id:
            return name
        return self._aliases.get(name)

    def get(self, model_id: str) -> ModelInfo | None:
        """The model named by an id or an alias, or None."""
        canonical = self.resolve_alias(model_id)
        return None if canonical is None else self._by_id[canonical]

    def suggest(self, wrong: str, limit: int = 3) -> list[str]:
        """Known ids and aliases that look like `wrong`, best first (for "did you mean")."""
        names = {name.lower(): name for name in (*self._by_id, *self._aliases)}
        matches = difflib.get_close_matches(wrong.strip().lower(), names, n=limit, cutoff=0.6)
        return [names[m] for m in matches]


def default_catalog_path() -> Path:
    """The catalog shipped with the source tree."""
    return Path(__file__).resolve().parents[2] / "resources" / "catalog" / "models.yaml"


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate a catalog file (the shipped one by default), cached per path."""
    target = (path if path is not None else default_catalog_path()).resolve()
    return _load_cached(str(target))


@functools.lru_cache(maxsize=16)
def _load_cached(path: str) -> Catalog:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the model catalog: {exc.strerror}") from exc
    try:
        data = _safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from exc
    return _parse_catalog(data, file)


def _safe_load(text: str) -> Any:
    """yaml.safe_load, through libyaml's C loader when the wheel carries it."""
    if getattr(yaml, "__with_libyaml__", False):
        return yaml.load(text, Loader=yaml.CSafeLoader)
    return yaml.safe_load(text)


def _parse_catalog(data: Any, path: Path) -> Catalog:
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: expected a mapping with as_of, currency, unit and models")
    top = _Fields(data, f"{path}")
    top.reject_unknown(_TOP_LEVEL)
    as_of = top.date("as_of")
    currency = top.check("currency", lambda v: v == CURRENCY, repr(CURRENCY))
    unit = top.check("unit", lambda v: v == UNIT, repr(UNIT))
    entries = top.check("models", lambda v: isinstance(v, list) and bool(v), "a list of models")
    models = [_parse_model(entry, index, path) for index, entry in enumerate(entries)]
    return Catalog(models, as_of=as_of, currency=currency, unit=unit, path=path)


def _parse_model(entry: Any, index: int, path: Path) -> ModelInfo:
    label = f"{path}: models[{index}]"
    if not isinstance(entry, dict):
        raise CatalogError(f"{label}: expected a mapping, got {_kind(entry)}")
    raw_id = entry.get("id")
    if isinstance(raw_id, str) and raw_id:
        label = f"{path}: model {raw_id!r}"
    f = _Fields(entry, label)
    f.reject_unknown(_REQUIRED + _OPTIONAL)
    model_id = f.name("id")
    tier = f.integer("tier", low=1, high=max(TIER_NAMES))
    context_window = f.integer("context_window", low=1)
    max_output = f.integer("max_output_tokens", low=1)
    if max_output > context_window:
        raise CatalogError(f"{label}: field 'max_output_tokens': exceeds context_window")
    long_prices: Prices | None = None
    threshold: int | None = None
    if entry.get("long_context_prices") is not None:
        band = f.sub("long_context_prices", (*_PRICE_FIELDS, "threshold_tokens"))
        threshold = band.integer("threshold_tokens", low=1)
        long_prices = band.prices()
    prices = f.sub("prices", _PRICE_FIELDS)
    released = f.date("released") if entry.get("released") is not None else None
    aliases: tuple[str, ...] = ()
    if entry.get("aliases") is not None:
        aliases = f.names("aliases")
        if model_id in aliases:
            raise CatalogError(f"{label}: field 'aliases': lists the model's own id")
    return ModelInfo(
        id=model_id,
        name=f.text("name"),
        family=f.name("family"),
        tier=tier,
        context_window=context_window,
        max_output_tokens=max_output,
        prices=prices.prices(),
        long_context_prices=long_prices,
        long_context_threshold=threshold,
        deprecated=f.flag("deprecated"),
        aliases=aliases,
        forced_tool_choice=f.flag("forced_tool_choice"),
        thinking_always_on=f.flag("thinking_always_on"),
        released=released,
        source=f.text("source"),
    )


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


class _Fields:
    """Typed, strict access to one mapping of the file; errors carry `label` and the field."""

    def __init__(self, data: dict[Any, Any], label: str, prefix: str = "") -> None:
        self.data, self.label, self.prefix = data, label, prefix

    def fail(self, key: str, problem: str) -> CatalogError:
        return CatalogError(f"{self.label}: field '{self.prefix}{key}': {problem}")

    def reject_unknown(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.fail(str(key), f"unknown field{hint}")

    def require(self, key: str) -> Any:
        if self.data.get(key) is None:
            raise self.fail(key, "missing")
        return self.data[key]

    def check(self, key: str, ok: Callable[[Any], bool], expected: str) -> Any:
        value = self.require(key)
        if not ok(value):
            raise self.fail(key, f"expected {expected}, got {_kind(value)}")
        return value

    def text(self, key: str) -> str:
        return str(self.check(key, _is_text, "a non-empty string"))

    def name(self, key: str) -> str:
        return str(self.check(key, _is_name, "lower-case letters, digits, '.' or '-'"))

    def names(self, key: str) -> tuple[str, ...]:
        value = self.check(key, lambda v: isinstance(v, list), "a list of names")
        for i, item in enumerate(value):
            if not _is_name(item):
                raise self.fail(f"{key}[{i}]", f"expected a lower-case name, got {_kind(item)}")
        if len(set(value)) != len(value):
            raise self.fail(key, "lists a name twice")
        return tuple(value)

    def date(self, key: str) -> str:
        value = self.check(key, lambda v: isinstance(v, str), 'a quoted date like "2026-11-25"')
        if not _DATE.fullmatch(value):
            raise self.fail(key, f"expected a date YYYY-MM-DD, got {value!r}")
        return str(value)

    def flag(self, key: str) -> bool:
        return bool(self.check(key, lambda v: isinstance(v, bool), "true or false"))

    def integer(self, key: str, low: int, high: int | None = None) -> int:
        top = math.inf if high is None else high
        ok = lambda v: _is_int(v) and low <= v <= top  # noqa: E731
        bounds = f"from {low} to {high}" if high is not None else f">= {low}"
        return int(self.check(key, ok, f"an integer {bounds}"))

    def number(self, key: str) -> float:
        ok = lambda v: (_is_int(v) or isinstance(v, float)) and 0 <= v < math.inf  # noqa: E731
        return float(self.check(key, ok, "a finite number >= 0"))

    def sub(self, key: str, allowed: tuple[str, ...]) -> _Fields:
        value = self.check(key, lambda v: isinstance(v, dict), "a mapping")
        sub = _Fields(value, self.label, f"{self.prefix}{key}.")
        sub.reject_unknown(allowed)
        return sub

    def prices(self) -> Prices:
        return Prices(*(self.number(field) for field in _PRICE_FIELDS))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and _NAME.fullmatch(value) is not None
