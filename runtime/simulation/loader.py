"""Reading scenario files: safe YAML, schema validation, located errors, roster cross-checks.

`load_scenario` accepts a path or the text of a `NAME.scenario.yaml` file and
returns a `Scenario`, or raises `ScenarioError` (a `RosterLoadError`, so it
reads `file:line:col: what is wrong`, then what was expected and a fix, with
"did you mean" for misspelt keys and ids). The YAML is read by the project's
safe reader (no tags, anchors or duplicate keys) and checked against the
scenario JSON Schema before anything is built. `check_against` then checks
every agent, tool and human the scenario names against the roster it runs on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path as FsPath
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from runtime.roster import model as m
from runtime.roster import yaml_read
from runtime.roster.codec import RosterContent
from runtime.roster.costs import Usage
from runtime.roster.errors import RosterLoadError
from runtime.roster.fields import did_you_mean
from runtime.secrets.scanner import scan_value
from runtime.simulation.scenario import (
    CURRENT_VERSION,
    FORMAT_NAME,
    Action,
    AgentScript,
    Expectations,
    Path,
    Repeat,
    Route,
    Scenario,
    ToolStub,
    TurnSpec,
)
from runtime.simulation.schema import SCENARIO_SCHEMA

_VALIDATOR = jsonschema.Draft202012Validator(SCENARIO_SCHEMA)
SUFFIX = ".scenario.yaml"


class ScenarioError(RosterLoadError):
    """A scenario that cannot be loaded or does not fit its roster; nothing was run."""

    @property
    def location(self) -> str:
        return super().location.replace("<roster>", "<scenario>", 1)


def _fail(message: str, path: Path = (), *, expected: str | None = None,
          hint: str | None = None, at_key: bool = False) -> ScenarioError:
    return ScenarioError(message, path=path, expected=expected, hint=hint, at_key=at_key)


def _place(error: RosterLoadError, text: str | None, filename: str) -> ScenarioError:
    if not isinstance(error, ScenarioError):
        error = ScenarioError(error.message, line=error.line, column=error.column,
                              path=error.path, expected=error.expected, hint=error.hint,
                              at_key=error.at_key)
    error.file = filename
    if error.line is None and text is not None:
        try:
            where = yaml_read.locate(yaml_read.position_index(text), error.path,
                                     value=not error.at_key)
        except Exception:  # unparsable text: leave the error unplaced
            where = None
        if where is not None:
            error.line, error.column = where
    return error


def load_scenario(source: str | FsPath, *, text: str | None = None) -> Scenario:
    """Load a scenario from a file path, or from `text` (then `source` only names it).

    A string containing a newline is taken as the text itself."""
    name = str(source)
    if text is None and isinstance(source, str) and "\n" in source:
        text, name = source, "<scenario>"
    if text is None:
        try:
            with open(source, "rb") as handle:
                data = handle.read(yaml_read.MAX_BYTES + 1)
        except OSError as exc:
            raise ScenarioError(f"cannot read the scenario: {exc.strerror or exc}", file=name,
                                hint="check the path") from None
        try:
            text = yaml_read.decode(data)
        except RosterLoadError as error:
            raise _place(error, None, name) from None
    try:
        raw = yaml_read.parse(text)
        _envelope(raw)
        _validate(raw)
        _refuse_secrets(raw)
        scenario = _build(raw)
    except RosterLoadError as error:
        raise _place(error, text, name) from None
    return _with_source(scenario, name, text)


def _with_source(scenario: Scenario, name: str, text: str) -> Scenario:
    from dataclasses import replace

    return replace(scenario, source=name, text=text)


def _envelope(raw: Any) -> None:
    if not isinstance(raw, dict):
        raise _fail("a scenario is a mapping of sections",
                    expected=f"format: {FORMAT_NAME}, version: {CURRENT_VERSION}, name, task, "
                             "expect", hint="see docs/scenarios.md for an example")
    if raw.get("format") != FORMAT_NAME:
        raise _fail(f"this is not a scenario file (format is {raw.get('format')!r})",
                    ("format",) if "format" in raw else (),
                    expected=f"format: {FORMAT_NAME}",
                    hint=f"add 'format: {FORMAT_NAME}' and 'version: 1' as the first lines")
    if raw.get("version") != CURRENT_VERSION:
        raise _fail(f"unsupported scenario version {raw.get('version')!r}",
                    ("version",) if "version" in raw else (),
                    expected=f"version: {CURRENT_VERSION}",
                    hint="this program reads version 1 scenarios")


def _refuse_secrets(raw: Any) -> None:
    hits = scan_value(raw)
    if hits:
        hit = hits[0]
        raise _fail(f"this looks like {hit.description} ({hit.redacted()}); a scenario is a "
                    "shared file and must hold no secret", hit.path,
                    hint="use a made-up value: a dry run never reaches a real system")


def _validate(raw: Any) -> None:
    error = best_match(_VALIDATOR.iter_errors(raw))
    if error is None:
        return
    raise _schema_error(error)


def _schema_error(error: ValidationError) -> ScenarioError:
    path: Path = tuple(error.absolute_path)
    keyword = error.validator
    wanted: Any = error.validator_value
    props = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    if keyword == "additionalProperties" and isinstance(error.instance, dict) and props:
        unknown = next((k for k in error.instance if k not in props), "?")
        return _fail(f"unknown key {unknown!r}", (*path, unknown), at_key=True,
                     expected="one of: " + ", ".join(props),
                     hint=did_you_mean(unknown, list(props)) or "remove it")
    if keyword == "required":
        return _fail(error.message.replace("property", "key"), path,
                     expected="the keys " + ", ".join(wanted),
                     hint="add the missing key; see docs/scenarios.md")
    if keyword == "enum":
        choices = [str(x) for x in wanted]
        return _fail(f"{error.instance!r} is not allowed here", path,
                     expected="one of: " + ", ".join(choices),
                     hint=did_you_mean(str(error.instance), choices))
    if keyword == "oneOf" and path and path[-1:] != () and isinstance(error.instance, dict):
        return _fail("an action names exactly one of tool, delegate or ask", path,
                     expected="`tool: ID` (with input), `delegate: AGENT` (with message) or "
                              "`ask: HUMAN` (with question)",
                     hint="split the turn with `actions: [...]` to do several things")
    if keyword == "not":
        return _fail("a turn names at most one of tool, delegate or ask", path,
                     expected="one action inline, or several under `actions: [...]`",
                     hint="list them under `actions:` to do several things in one turn")
    if keyword == "dependentRequired":
        return _fail(error.message.replace("is a dependency of", "is needed with"), path,
                     hint="`input` goes with `tool`, `message` with `delegate`, `question` "
                          "with `ask`")
    if keyword == "pattern" and path and path[0] == "humans":
        return _fail(f"{error.instance!r} is not a human answer", path,
                     expected="approve, deny, timeout, or 'approve: NOTE' / 'deny: NOTE'")
    return _fail(error.message, path, expected=_describe(error.schema))


def _describe(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    if "type" in schema:
        return f"a value of type {schema['type']}" + (
            f" of at least {schema['minimum']}" if "minimum" in schema else "")
    return schema.get("description")


# ---------------------------------------------------------------- building


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    return Usage(input_tokens=raw.get("input_tokens", 0),
                 output_tokens=raw.get("output_tokens", 0),
                 cache_read_tokens=raw.get("cache_read_tokens", 0))


def _action(raw: dict[str, Any], path: Path) -> Action | None:
    if "tool" in raw:
        return Action("tool", raw["tool"], dict(raw.get("input") or {}), path)
    if "delegate" in raw:
        return Action("delegate", raw["delegate"], str(raw.get("message", "")), path)
    if "ask" in raw:
        return Action("ask", raw["ask"], str(raw.get("question", "")), path)
    return None


def _turn(raw: dict[str, Any], path: Path) -> TurnSpec:
    actions = [_action(a, (*path, "actions", i)) for i, a in enumerate(raw.get("actions", []))]
    single = _action(raw, path)
    if single is not None:
        actions.insert(0, single)
    if raw.get("final") is not None and (actions or raw.get("fail") is not None):
        raise _fail("a final answer ends the agent, so it cannot come with actions or a "
                    "failure", (*path, "final"), at_key=True,
                    hint="put the final answer in a turn of its own")
    return TurnSpec(tuple(a for a in actions if a is not None), raw.get("say", ""),
                    raw.get("final"), raw.get("fail"), _usage(raw.get("usage")),
                    float(raw.get("delay_s", 0.0)))


def _script(raw: dict[str, Any], path: Path) -> AgentScript:
    route: dict[str, Any] | None = raw.get("route")
    repeat: dict[str, Any] | None = raw.get("repeat")
    if route is not None and repeat is not None:
        raise _fail("an agent either routes or repeats, not both", (*path, "repeat"),
                    at_key=True, hint="script the turns explicitly with `turns:` instead")
    if raw.get("turns") and (route is not None or repeat is not None):
        raise _fail("an agent follows either scripted turns or a rule (route, repeat)",
                    (*path, "route" if route is not None else "repeat"), at_key=True,
                    hint="keep `turns:` and write the rule's turns out, or drop `turns:`")
    repeat_action = _action(repeat, (*path, "repeat")) if repeat is not None else None
    if repeat is not None and repeat_action is None:
        raise _fail("repeat needs an action", (*path, "repeat"),
                    expected="tool, delegate or ask, with `times`")
    return AgentScript(
        turns=tuple(_turn(t, (*path, "turns", i)) for i, t in enumerate(raw.get("turns", []))),
        route=Route(tuple(route["keywords"].items()), route.get("otherwise",
                                                                "Nothing to route."))
        if route is not None else None,
        repeat=Repeat(repeat_action, repeat["times"])
        if repeat is not None and repeat_action is not None else None,
        fail_on_turn=raw.get("fail_on_turn"), final=raw.get("final"),
        usage=_usage(raw.get("usage")))


def _stub(raw: dict[str, Any], path: Path) -> ToolStub:
    if "output" in raw and "outputs" in raw:
        raise _fail("give either output or outputs", (*path, "outputs"), at_key=True)
    outputs = (raw["output"],) if "output" in raw else tuple(raw.get("outputs", ()))
    return ToolStub(outputs, raw.get("error"), raw.get("fail_on_call"),
                    float(raw.get("latency_s", 0.0)), bool(raw.get("injection", False)),
                    raw.get("pick", "sequence"))


def _build(raw: dict[str, Any]) -> Scenario:
    expect = raw["expect"] or {}
    for key, where in (("max_usd", raw), ("max_usd", expect)):  # .nan would disable a cap
        value = where.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail("expected a finite number", ("max_usd",) if where is raw
                        else ("expect", "max_usd"), hint="write a number such as 0.5")
    answers = {k: (v,) if isinstance(v, str) else tuple(v)
               for k, v in (raw.get("humans") or {}).items()}
    return Scenario(
        name=raw["name"], task=raw["task"], entry=raw.get("entry"),
        description=raw.get("description", ""), seed=raw.get("seed", 0),
        roster=raw.get("roster"), max_usd=raw.get("max_usd"), kind=raw.get("kind", "written"),
        unattended=bool(raw.get("unattended", False)),
        agents={k: _script(v, ("agents", k)) for k, v in (raw.get("agents") or {}).items()},
        tools={k: _stub(v, ("tools", k)) for k, v in (raw.get("tools") or {}).items()},
        humans=answers,
        expect=Expectations(
            status=expect.get("status"),
            **{key: tuple(expect.get(key, ())) for key in (
                "tools_called", "tools_not_called", "tools_denied", "approvals_requested",
                "delegation_path", "stopped_by")},
            max_usd=expect.get("max_usd"), max_model_calls=expect.get("max_model_calls"),
            no_policy_violation=expect.get("no_policy_violation")))


# ---------------------------------------------------------------- against the roster


def _ids(content: RosterContent, kind: type) -> _Ids:
    return _Ids(n.id for n in content.nodes.values() if isinstance(n, kind))


def _check_id(value: str, known: list[str], path: Path, what: str, *, key: bool = False
              ) -> None:
    if value not in _as_set(known):
        raise _fail(f"{what} {value!r} is not in the roster", path, at_key=key,
                    expected=f"one of the roster's {what}s: " + (", ".join(known) or "none"),
                    hint=did_you_mean(value, known))


class _Ids(list[str]):
    """A sorted id list that also answers membership in constant time."""

    def __init__(self, ids: Iterable[str]) -> None:
        super().__init__(sorted(ids))
        self.members = frozenset(self)


def _as_set(known: list[str]) -> frozenset[str]:
    return known.members if isinstance(known, _Ids) else frozenset(known)


def _actions(scenario: Scenario) -> Iterable[Action]:
    for script in scenario.agents.values():
        for turn in script.turns:
            yield from turn.actions
        if script.repeat is not None:
            yield script.repeat.action


def check_against(scenario: Scenario, content: RosterContent) -> None:
    """Raise a located `ScenarioError` if the scenario names anything the roster lacks."""
    try:
        _check_refs(scenario, content)
    except RosterLoadError as error:
        raise _place(error, scenario.text, scenario.source or "<scenario>") from None


def _check_refs(scenario: Scenario, content: RosterContent) -> None:
    agents, tools, humans = (_ids(content, m.Agent), _ids(content, m.Tool),
                             _ids(content, m.Human))
    if scenario.entry is not None:
        _check_id(scenario.entry, agents, ("entry",), "agent")
    elif not content.meta.entry:
        raise _fail("the roster has no entry agent, so the scenario must name one", (),
                    expected="entry: AGENT")
    for agent_id, script in scenario.agents.items():
        _check_id(agent_id, agents, ("agents", agent_id), "agent", key=True)
        if script.route is not None:
            for i, (_, target) in enumerate(script.route.keywords):
                _check_id(target, agents, ("agents", agent_id, "route", "keywords", i), "agent")
    for tool_id in scenario.tools:
        _check_id(tool_id, tools, ("tools", tool_id), "tool", key=True)
    for human_id in scenario.humans:
        if human_id != "*":
            _check_id(human_id, humans, ("humans", human_id), "human", key=True)
    kinds = {"tool": (tools, "tool"), "delegate": (agents, "agent"), "ask": (humans, "human")}
    for action in _actions(scenario):
        known, what = kinds[action.kind]
        _check_id(action.target, known, (*action.path, action.kind), what)
    expect = scenario.expect
    for key in ("tools_called", "tools_not_called", "tools_denied"):
        for i, tool_id in enumerate(getattr(expect, key)):
            _check_id(tool_id, tools, ("expect", key, i), "tool")
    for i, name in enumerate(expect.approvals_requested):
        _check_id(name, _Ids([*tools, *humans]), ("expect", "approvals_requested", i),
                  "tool or human")
    for i, agent_id in enumerate(expect.delegation_path):
        _check_id(agent_id, agents, ("expect", "delegation_path", i), "agent")


def sibling_scenarios(roster_path: str | FsPath) -> list[FsPath]:
    """The `*.scenario.yaml` files next to a roster whose name starts with the roster's."""
    path = FsPath(roster_path)
    stem = path.name.split(".")[0]
    return sorted(p for p in path.parent.glob(f"{stem}*{SUFFIX}") if p.is_file())
