"""Example tool arguments from a JSON Schema, for generated scenarios.

A generated scenario has to call every granted tool with arguments the tool
accepts, or its trace fills with "invalid arguments" results that say nothing
about the roster. `example_input` builds a value for each required property:
`const`, the first `enum` value, a number inside its bounds, and for strings
a value matching `pattern` (walked from the regex's parse tree: literals, the
first character of each class, the minimum repeat count, the first branch of
an alternation) padded to `minLength`. Whatever it builds is checked against
the schema; what fails falls back to a plain placeholder.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema

from runtime.roster import model as m

try:  # the regex parser moved in 3.11; its parse tree is stable
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse

_CATEGORY = {"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " "}


def _walk(tree: Any) -> str:
    out: list[str] = []
    for op, arg in tree:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "IN":
            out.append(_first_of_class(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _, inner = arg
            out.append(_walk(inner) * low)
        elif name == "SUBPATTERN":
            out.append(_walk(arg[-1]))
        elif name == "BRANCH":
            out.append(_walk(arg[1][0]))
        elif name == "ANY":
            out.append("x")
        elif name == "CATEGORY":
            out.append(_CATEGORY.get(str(arg), "a"))
    return "".join(out)


def _first_of_class(items: Any) -> str:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return _CATEGORY.get(str(arg), "a")
    return "a"


def example_string(spec: dict[str, Any], name: str) -> str:
    pattern = spec.get("pattern")
    text = f"example {name}"
    if isinstance(pattern, str):
        try:
            text = _walk(sre_parse.parse(pattern))
        except (re.error, TypeError, ValueError, IndexError):
            pass
    minimum = spec.get("minLength", 0)
    if isinstance(minimum, int) and len(text) < minimum:
        text = text.ljust(minimum, "x")
    return text


def _value(spec: Any, name: str) -> Any:
    if not isinstance(spec, dict):
        return f"example {name}"
    if "const" in spec:
        return spec["const"]
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type")
    if kind in ("number", "integer"):
        low = spec.get("minimum", 1)
        return max(low, 1) if spec.get("maximum", 1) >= 1 else low
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return example_string(spec, name)


def example_input(tool: m.Tool) -> dict[str, Any]:
    """Arguments the tool's input schema accepts (a best effort), or a placeholder."""
    schema = m.thaw(tool.input_schema) if tool.input_schema else {}
    if not isinstance(schema, dict) or not schema.get("properties"):
        return {"request": f"dry-run call of {tool.id}"}
    props: dict[str, Any] = schema["properties"]
    names = schema.get("required") or list(props)[:1]
    out = {name: _value(props.get(name, {}), name) for name in names}
    try:  # no check_schema here: that is most of jsonschema.validate's time
        valid = jsonschema.Draft202012Validator(schema).is_valid(out)
    except (jsonschema.SchemaError, re.error, TypeError):  # a broken schema: placeholders
        valid = False
    return out if valid else {name: f"example {name}" for name in names}
