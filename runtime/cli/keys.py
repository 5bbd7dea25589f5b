"""The `roster keys` command group: store, list, delete and check API keys in the OS keyring.

Values go in through a hidden prompt or stdin and never come out: no command prints
or logs a key, only names, references, backends and whether a reference resolves.
Errors are one line on stderr and exit code 1. All keyring access goes through
`runtime.secrets.keystore`, which time-boxes it.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

from runtime.secrets.keystore import (
    DEFAULT_TIMEOUT,
    KeyNotFound,
    KeyringInitError,
    KeyringLockedError,
    KeyringTimeout,
    KeyStore,
    KeyStoreError,
    NoSecureBackend,
    resolve,
)
from runtime.secrets.refs import (
    DEFAULT_SERVICE,
    KeyringRef,
    ReferenceSyntaxError,
    check_name,
    check_service,
    looks_like_ref,
    parse_ref,
)

ADMIN_KEY_PREFIX: Final = "sk-ant-admin01-"

# Failures that concern the whole keyring rather than one key: after the first, `check`
# reports the rest without asking again (each could cost a full timeout).
_BACKEND_FAILURES: Final = (NoSecureBackend, KeyringLockedError, KeyringTimeout, KeyringInitError)


def stdin_is_tty() -> bool:
    """Whether a person is typing (a seam for tests)."""
    return sys.stdin.isatty()


def make_store(args: argparse.Namespace) -> KeyStore:
    """The store a command uses (a seam for tests, which inject a test backend)."""
    return KeyStore(service=args.service, timeout=args.timeout)


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, not {text!r}")
    return value


def _service_name(text: str) -> str:
    try:
        return check_service(text)
    except ReferenceSyntaxError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _key_name(text: str) -> str:
    try:
        return check_name(text)
    except ReferenceSyntaxError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--service",
        type=_service_name,
        default=DEFAULT_SERVICE,
        help=f"keyring service the keys live under (default: {DEFAULT_SERVICE})",
    )
    common.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on an unresponsive keyring after this long (default: {DEFAULT_TIMEOUT:g})",
    )
    keys = subparsers.add_parser(
        "keys",
        help="store, list, delete and check API keys in the OS keyring",
        description="API keys live only in the OS keyring; a roster holds references "
        "such as keyring:agent-roster/anthropic or env:ANTHROPIC_API_KEY.",
    )
    sub = keys.add_subparsers(dest="keys_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("set", parents=[common], help="store a key (hidden prompt, or stdin)")
    p.add_argument("name", type=_key_name, metavar="NAME")
    p.add_argument("--replace", action="store_true", help="replace an existing key unasked")
    p.set_defaults(handler=_guarded(cmd_set))

    p = sub.add_parser("list", parents=[common], help="list stored key names (never values)")
    p.set_defaults(handler=_guarded(cmd_list))

    p = sub.add_parser("delete", parents=[common], help="delete a stored key")
    p.add_argument("name", type=_key_name, metavar="NAME")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=_guarded(cmd_delete))

    p = sub.add_parser(
        "check", parents=[common], help="check that every key reference in a roster resolves"
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the roster file whose references "
                   "to check (not a key name)")
    p.set_defaults(handler=_guarded(cmd_check))


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn expected failures into one line on stderr and exit code 1."""

    def handler(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (CommandError, KeyStoreError, ReferenceSyntaxError) as exc:
            print(f"roster keys: error: {' '.join(str(exc).split())}", file=sys.stderr)
            return 1

    return handler


def _confirm(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _read_value(name: str) -> str:
    if stdin_is_tty():
        try:
            value = getpass.getpass(f"Value for {name} (input hidden): ")
        except EOFError:
            value = ""
    else:
        try:
            value = sys.stdin.read()
        except UnicodeDecodeError:
            raise CommandError("the value on stdin is not valid text; nothing was stored") from None
    if value.endswith("\r\n"):
        value = value[:-2]
    elif value.endswith("\n"):
        value = value[:-1]
    if not value:
        raise CommandError(f"no value given for {name!r}; nothing was stored")
    if value.startswith(ADMIN_KEY_PREFIX):
        raise CommandError(
            "this is an Anthropic Admin API key (sk-ant-admin01-…), which manages your "
            "organization and must never be given to agents; create a regular API key in "
            "the Anthropic Console and store that instead. Nothing was stored."
        )
    return value


def cmd_set(args: argparse.Namespace) -> int:
    store = make_store(args)
    if not args.replace and store.get(args.name) is not None:
        question = f"A key named {args.name!r} already exists in {args.service!r}. Replace it?"
        if not stdin_is_tty():
            raise CommandError(
                f"a key named {args.name!r} already exists in keyring service "
                f"{args.service!r}; pass --replace to overwrite it"
            )
        if not _confirm(question):
            print("Nothing changed.")
            return 1
    value = _read_value(args.name)
    if value != value.strip():
        print("warning: the value has leading or trailing whitespace", file=sys.stderr)
    store.set(args.name, value)
    del value
    ref = KeyringRef(args.service, args.name)
    print(f"Stored {args.name!r} in keyring service {args.service!r}. Use it as: {ref}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    store = make_store(args)
    info = store.backend_info()
    verdict = "secure" if info.secure else "NOT secure"
    print(f"Backend: {info.name} ({verdict}: {info.reason})")
    names = store.list_names()
    if not names:
        print(f"No keys stored by Agent Roster in service {args.service!r}.")
    for name in names:
        print(f"{name}\t{KeyringRef(args.service, name)}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    if not args.yes:
        if not stdin_is_tty():
            raise CommandError(f"refusing to delete {args.name!r} without confirmation; pass --yes")
        if not _confirm(f"Delete the key {args.name!r} from keyring service {args.service!r}?"):
            print("Nothing deleted.")
            return 1
    make_store(args).delete(args.name)
    print(f"Deleted {args.name!r} from keyring service {args.service!r}.")
    return 0


def _walk(document: Any) -> Iterator[tuple[str, str]]:
    """Every string in a YAML document (keys and values) with its location, in order.

    Iterative, and each container is visited once, so aliases, alias bombs and
    self-referencing nodes cannot make it loop or explode.
    """
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict | list):
            if id(node) in seen:
                continue
            seen.add(id(node))
        children: list[tuple[str, Any]] = []
        if isinstance(node, dict):
            for key, value in node.items():
                here = f"{path}.{key}" if path else str(key)
                if isinstance(key, str):
                    children.append((here, key))
                children.append((here, value))
        elif isinstance(node, list):
            children = [(f"{path}[{i}]", item) for i, item in enumerate(node)]
        elif isinstance(node, str):
            yield path or "(document)", node
        stack.extend(reversed(children))


def _load_yaml(path: Path) -> Any:
    import yaml

    try:
        with path.open("rb") as stream:
            return yaml.safe_load(stream)
    except FileNotFoundError:
        hint = (" `roster keys check` takes a roster file and checks the key references in it"
                " (e.g. `roster keys check team.roster.yaml`); `roster keys list` shows the"
                " stored keys")
        raise CommandError(f"cannot read {path}: no such file.{hint}") from None
    except IsADirectoryError:
        raise CommandError(f"cannot read {path}: it is a directory; `roster keys check` "
                           "takes a roster file, e.g. team.roster.yaml") from None
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    except RecursionError:
        raise CommandError(f"{path}: nested too deeply to be a roster") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f":{where.line + 1}:{where.column + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise CommandError(f"{path}{at}: not valid YAML ({problem})") from None


def cmd_check(args: argparse.Namespace) -> int:
    document = _load_yaml(args.file)
    where: dict[str, list[str]] = {}
    for location, text in _walk(document):
        if looks_like_ref(text):
            where.setdefault(text, []).append(location)
    if not where:
        print(f"No credential references found in {args.file}.")
        return 0
    store = make_store(args)
    backend_failure: KeyStoreError | None = None
    failures = 0
    for text, locations in where.items():
        status, problem = "ok", ""
        try:
            ref = parse_ref(text)
            if isinstance(ref, KeyringRef) and backend_failure is not None:
                raise backend_failure
            resolve(text, store)  # the value is dropped at once, never shown
        except ReferenceSyntaxError as exc:
            status, problem = "INVALID", str(exc)
        except KeyNotFound as exc:
            status, problem = "MISSING", str(exc)
        except KeyStoreError as exc:
            status, problem = "ERROR", str(exc)
            if isinstance(exc, _BACKEND_FAILURES):
                backend_failure = exc
        shown = text if not problem or len(text) <= 40 else text[:12] + "…"
        print(f"{status:<7} {shown}  (at {', '.join(locations)})")
        if problem:
            failures += 1
            print(f"        {' '.join(problem.split())}")
    print(f"{len(where) - failures} of {len(where)} references resolve.")
    return 1 if failures else 0
