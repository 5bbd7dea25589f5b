"""A faster `__init__` for the frozen, slotted dataclasses the engine builds on every step.

A frozen dataclass's generated `__init__` stores each field with
`object.__setattr__(self, name, value)`: a global lookup, an attribute lookup
and a generic call per field, about twice the cost of the whole object
otherwise. The engine builds several such objects per model turn (the
request, the response, tool results, and each event when someone listens), so
`fast_init` replaces the generated `__init__` by one with the very same
signature (positional and keyword-only parameters, defaults, default
factories, `__post_init__`) that stores each field through its slot's member
descriptor. Nothing else changes: the class is still frozen (assignment
raises `FrozenInstanceError`), and equality, hashing, `repr`, `replace` and
pickling are the dataclass's own.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

C = TypeVar("C", bound=type)

_FACTORY = object()  # marks "use the default factory" in a generated signature


def fast_init(cls: C) -> C:
    """Class decorator, applied *outside* `@dataclass(frozen=True, slots=True)`."""
    params = dataclasses.fields(cls)
    options: Any = cls.__dict__.get("__dataclass_params__")
    if options is None or not options.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"fast_init is for frozen dataclasses with slots, not {cls.__name__}")
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for field in params:
        if not field.init:
            raise TypeError(f"fast_init does not handle init=False fields ({field.name})")
        name = field.name
        namespace[f"_set_{name}"] = getattr(cls, name).__set__  # the slot's member descriptor
        if field.default is not dataclasses.MISSING:
            namespace[f"_default_{name}"] = field.default
            param = f"{name}=_default_{name}"
            value = name
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{name}"] = field.default_factory
            param = f"{name}=_FACTORY"
            value = f"_factory_{name}() if {name} is _FACTORY else {name}"
        else:
            param, value = name, name
        (keyword if field.kw_only else positional).append(param)
        body.append(f"    _set_{name}(self, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({signature}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(source, namespace)  # generated from the field names, as dataclasses itself does
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = {**{f.name: f.type for f in params}, "return": None}
    cls.__init__ = init  # type: ignore[misc]
    return cls


__all__ = ["fast_init"]
