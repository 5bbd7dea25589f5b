"""Specification of `roster keys`: set, list, delete and check, which never show a value."""

from __future__ import annotations

import argparse
import io
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring.backends.fail
import pytest

from runtime.cli import keys as keys_cli
from runtime.secrets.keystore import KeyStore
from runtime.secrets.refs import DEFAULT_SERVICE
from tests.runtime.keyring_backends import (
    HangingKeyring,
    MemoryKeyring,
    PlaintextKeyring,
    fake_admin_key,
    fake_api_key,
)

Run = Callable[..., int]


@pytest.fixture
def memory() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def use_backend(monkeypatch: pytest.MonkeyPatch) -> Callable[[object], None]:
    """Make every command use the given backend (with its own --service/--timeout)."""

    def use(backend: object) -> None:
        monkeypatch.setattr(
            keys_cli,
            "make_store",
            lambda args: KeyStore(service=args.service, timeout=args.timeout, backend=backend),
        )

    return use


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch, memory: MemoryKeyring, use_backend: Callable[[object], None]
) -> Run:
    """Run `roster keys ...` with `stdin` as input; `tty` says whether a person is typing."""
    use_backend(memory)

    def run_(*argv: str, stdin: str | io.StringIO = "", tty: bool = False, answer: str = "") -> int:
        monkeypatch.setattr(keys_cli, "stdin_is_tty", lambda: tty)
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin) if isinstance(stdin, str) else stdin)
        monkeypatch.setattr("builtins.input", lambda prompt="": answer)
        parser = argparse.ArgumentParser(prog="roster")
        keys_cli.register(parser.add_subparsers())
        args = parser.parse_args(argv)
        code: int = args.handler(args)
        return code

    return run_


def stored(memory: MemoryKeyring, name: str, service: str = DEFAULT_SERVICE) -> str | None:
    return memory.store.get((service, name))


def assert_one_line_error(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("roster keys: error: "), err
    assert "Traceback" not in err


# --- wiring --------------------------------------------------------------------------


def test_roster_main_offers_the_keys_group(capsys: pytest.CaptureFixture[str]) -> None:
    from runtime.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(["keys", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("set", "list", "delete", "check"):
        assert command in out


def test_a_non_positive_timeout_is_a_usage_error(run: Run) -> None:
    with pytest.raises(SystemExit) as info:
        run("keys", "list", "--timeout", "0")
    assert info.value.code == 2


# --- set -----------------------------------------------------------------------------


def test_set_reads_the_value_from_stdin(run: Run, memory: MemoryKeyring) -> None:
    key = fake_api_key()
    assert run("keys", "set", "anthropic", stdin=key + "\n") == 0
    assert stored(memory, "anthropic") == key


def test_set_strips_exactly_one_trailing_newline(run: Run, memory: MemoryKeyring) -> None:
    run("keys", "set", "anthropic", stdin="value\n\n")
    assert stored(memory, "anthropic") == "value\n"


def test_set_strips_one_windows_line_ending(run: Run, memory: MemoryKeyring) -> None:
    run("keys", "set", "anthropic", stdin="value\r\n")
    assert stored(memory, "anthropic") == "value"


def test_set_keeps_unicode_exactly(run: Run, memory: MemoryKeyring) -> None:
    run("keys", "set", "anthropic", stdin="ключ 🔑\u200b\n")
    assert stored(memory, "anthropic") == "ключ 🔑\u200b"


def test_set_on_a_terminal_uses_a_hidden_prompt(
    run: Run, memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = fake_api_key()
    prompts: list[str] = []

    def hidden_prompt(prompt: str) -> str:
        prompts.append(prompt)
        return key

    monkeypatch.setattr("getpass.getpass", hidden_prompt)
    assert run("keys", "set", "anthropic", tty=True) == 0
    assert stored(memory, "anthropic") == key
    assert prompts and key not in prompts[0]


def test_set_never_prints_the_value(
    run: Run, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = fake_api_key()
    run("keys", "set", "anthropic", stdin=key)
    out, err = capsys.readouterr()
    assert key not in out + err + caplog.text
    assert "keyring:agent-roster/anthropic" in out


def test_set_refuses_an_empty_value(
    run: Run, memory: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("keys", "set", "anthropic", stdin="\n") == 1
    assert_one_line_error(capsys.readouterr().err)
    assert memory.store == {}


def test_set_refuses_input_that_is_not_text(
    run: Run, memory: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    class BinaryStdin(io.StringIO):
        def read(self, size: int | None = -1) -> str:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    assert run("keys", "set", "anthropic", stdin=BinaryStdin()) == 1
    assert_one_line_error(capsys.readouterr().err)
    assert memory.store == {}


def test_set_refuses_an_admin_key_and_explains_why(
    run: Run, memory: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    key = fake_admin_key()
    assert run("keys", "set", "anthropic", stdin=key + "\n") == 1
    out, err = capsys.readouterr()
    assert_one_line_error(err)
    assert "Admin API key" in err and "regular API key" in err
    assert key not in out + err
    assert memory.store == {}


def test_set_refuses_an_invalid_name(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run("keys", "set", "__index__", stdin="v")
    assert "invalid key name" in capsys.readouterr().err


def test_set_will_not_overwrite_an_existing_key_unasked(
    run: Run, memory: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    run("keys", "set", "anthropic", stdin="old")
    assert run("keys", "set", "anthropic", stdin="new") == 1
    assert "--replace" in capsys.readouterr().err
    assert stored(memory, "anthropic") == "old"


def test_set_with_replace_overwrites(run: Run, memory: MemoryKeyring) -> None:
    run("keys", "set", "anthropic", stdin="old")
    assert run("keys", "set", "anthropic", "--replace", stdin="new") == 0
    assert stored(memory, "anthropic") == "new"


def test_set_on_a_terminal_asks_before_replacing(
    run: Run, memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("keys", "set", "anthropic", stdin="old")
    monkeypatch.setattr("getpass.getpass", lambda prompt: "new")
    assert run("keys", "set", "anthropic", tty=True, answer="n") == 1
    assert stored(memory, "anthropic") == "old"


def test_set_uses_the_given_service(run: Run, memory: MemoryKeyring) -> None:
    run("keys", "set", "token", "--service", "payments", stdin="t")
    assert stored(memory, "token", service="payments") == "t"


def test_set_through_a_plaintext_backend_fails_and_writes_nothing(
    run: Run, use_backend: Callable[[object], None], capsys: pytest.CaptureFixture[str]
) -> None:
    plaintext = PlaintextKeyring()
    use_backend(plaintext)
    assert run("keys", "set", "anthropic", stdin=fake_api_key()) == 1
    assert_one_line_error(capsys.readouterr().err)
    assert plaintext.calls == []


# --- list ----------------------------------------------------------------------------


def test_list_shows_names_and_a_secure_backend_but_never_values(
    run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    key = fake_api_key()
    run("keys", "set", "anthropic", stdin=key)
    run("keys", "set", "payments", stdin="p-value")
    capsys.readouterr()
    assert run("keys", "list") == 0
    out = capsys.readouterr().out
    assert "anthropic" in out and "payments" in out
    assert "MemoryKeyring (secure" in out
    assert key not in out and "p-value" not in out


def test_list_with_nothing_stored_says_so(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("keys", "list") == 0
    assert "No keys stored" in capsys.readouterr().out


def test_list_on_an_insecure_backend_says_not_secure_and_fails(
    run: Run, use_backend: Callable[[object], None], capsys: pytest.CaptureFixture[str]
) -> None:
    use_backend(keyring.backends.fail.Keyring())
    assert run("keys", "list") == 1
    out, err = capsys.readouterr()
    assert "NOT secure" in out
    assert_one_line_error(err)


# --- delete --------------------------------------------------------------------------


def test_delete_with_yes_deletes(run: Run, memory: MemoryKeyring) -> None:
    run("keys", "set", "anthropic", stdin="v")
    assert run("keys", "delete", "anthropic", "--yes") == 0
    assert stored(memory, "anthropic") is None


def test_delete_on_a_terminal_deletes_after_yes(run: Run, memory: MemoryKeyring) -> None:
    run("keys", "set", "anthropic", stdin="v")
    assert run("keys", "delete", "anthropic", tty=True, answer="y") == 0
    assert stored(memory, "anthropic") is None


def test_delete_on_a_terminal_keeps_the_key_unless_confirmed(
    run: Run, memory: MemoryKeyring
) -> None:
    run("keys", "set", "anthropic", stdin="v")
    assert run("keys", "delete", "anthropic", tty=True, answer="") == 1
    assert stored(memory, "anthropic") == "v"


def test_delete_without_a_terminal_requires_yes(
    run: Run, memory: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    run("keys", "set", "anthropic", stdin="v")
    assert run("keys", "delete", "anthropic") == 1
    assert "--yes" in capsys.readouterr().err
    assert stored(memory, "anthropic") == "v"


def test_deleting_a_missing_key_is_a_one_line_error(
    run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("keys", "delete", "anthropic", "--yes") == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert "no key named 'anthropic'" in err


# --- check ---------------------------------------------------------------------------

ROSTER = """\
format_version: 1
providers:
  anthropic:
    api_key: keyring:agent-roster/anthropic
mcp_servers:
  payments-mcp:
    command: python
    env: {PAYMENTS_TOKEN: "keyring:agent-roster/payments"}
agents:
  manager:
    role: "env: production is where this runs"
"""


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "team.roster.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    return path


def test_check_reports_a_resolvable_and_a_missing_reference_and_fails(
    run: Run, roster: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = fake_api_key()
    run("keys", "set", "anthropic", stdin=key)
    capsys.readouterr()
    assert run("keys", "check", str(roster)) == 1
    out, err = capsys.readouterr()
    assert "ok      keyring:agent-roster/anthropic  (at providers.anthropic.api_key)" in out
    assert "MISSING keyring:agent-roster/payments" in out
    assert "mcp_servers.payments-mcp.env.PAYMENTS_TOKEN" in out
    assert "roster keys set payments" in out
    assert "1 of 2 references resolve" in out
    assert key not in out + err


def test_check_passes_when_every_reference_resolves(
    run: Run, roster: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("keys", "set", "anthropic", stdin="a")
    run("keys", "set", "payments", stdin="p")
    capsys.readouterr()
    assert run("keys", "check", str(roster)) == 0
    assert "2 of 2 references resolve" in capsys.readouterr().out


def test_check_resolves_env_references_from_the_environment(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("a: env:ROSTER_TEST_SET\nb: env:ROSTER_TEST_UNSET\n", encoding="utf-8")
    monkeypatch.setenv("ROSTER_TEST_SET", "secret-value")
    monkeypatch.delenv("ROSTER_TEST_UNSET", raising=False)
    assert run("keys", "check", str(path)) == 1
    out = capsys.readouterr().out
    assert "ok      env:ROSTER_TEST_SET" in out
    assert "MISSING env:ROSTER_TEST_UNSET" in out
    assert "secret-value" not in out


def test_check_reports_a_malformed_reference_as_invalid(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("api_key: keyring:anthropic\n", encoding="utf-8")
    assert run("keys", "check", str(path)) == 1
    assert "INVALID keyring:anthropic" in capsys.readouterr().out


def test_check_without_references_says_so(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("agents: {}\n", encoding="utf-8")
    assert run("keys", "check", str(path)) == 0
    assert "No credential references" in capsys.readouterr().out


def test_check_of_a_missing_file_is_a_one_line_error(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("keys", "check", str(tmp_path / "absent.yaml")) == 1
    assert_one_line_error(capsys.readouterr().err)


def test_check_of_broken_yaml_names_the_line(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("a: [1, 2\nb: c\n", encoding="utf-8")
    assert run("keys", "check", str(path)) == 1
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert f"{path}:" in err and "not valid YAML" in err


def test_check_refuses_python_tags(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("a: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    assert run("keys", "check", str(path)) == 1
    assert_one_line_error(capsys.readouterr().err)


def test_check_survives_an_alias_bomb_quickly(run: Run, tmp_path: Path) -> None:
    lines = ['a0: &a0 ["keyring:agent-roster/x", "y"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.monotonic()
    assert run("keys", "check", str(path)) == 1
    assert time.monotonic() - started < 5.0


def test_check_asks_a_hung_keyring_only_once(
    run: Run, roster: Path, use_backend: Callable[[object], None]
) -> None:
    hanging = HangingKeyring(30.0)
    use_backend(hanging)
    try:
        started = time.monotonic()
        assert run("keys", "check", str(roster), "--timeout", "0.5") == 1
        assert time.monotonic() - started < 1.5
    finally:
        hanging.release()


@pytest.fixture
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = []
    yield secrets
    for secret in secrets:
        assert secret not in caplog.text


def test_check_never_logs_a_resolved_value(
    run: Run, roster: Path, no_secret_in_logs: list[str]
) -> None:
    key = fake_api_key()
    no_secret_in_logs.append(key)
    run("keys", "set", "anthropic", stdin=key)
    run("keys", "check", str(roster))
