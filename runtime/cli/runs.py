"""`roster runs list|show|resume|cancel|approvals|approve|deny`: the run journal, local or shared.

`list` and `show` read the journal only (DBOS is not started). `show` prints
the run's record, its trace from the stored event stream (indented by
delegation depth; a resumed run's replayed steps are not shown twice), the
costs per agent and per model, and the final answer. `resume` continues an
unfinished run whose process died: completed model and tool calls come from
the journal, a tool that started without finishing is put to a human, and a
pending approval is asked again. A run id may be abbreviated to a unique prefix.
`cancel` stops a run wherever it executes (its executor sees the request at its
next heartbeat); `approvals` lists the questions runs are waiting on, and
`approve`/`deny` answer one from any machine. With `--db postgresql://...` all
of them work on a worker pool's shared database exactly as on the local file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.cli.common import EXIT_OK, EXIT_UNREADABLE, err
from runtime.cli.run import (
    EXIT_FAILED,
    Progress,
    StdinLines,
    UsageError,
    add_db_option,
    drive,
    factories,
    outcome,
    prepare,
)
from runtime.engine import events as ev
from runtime.roster.costs import Usage, format_usd

if TYPE_CHECKING:
    from collections.abc import Callable

    from runtime.engine.journal import Journal, RunSummary
    from runtime.scale.submit import Submitter


def register(sub: Any) -> None:
    parser = sub.add_parser("runs", help="list, show and resume recorded runs",
                            description="Inspect the run journal and resume killed runs.")
    actions = parser.add_subparsers(dest="runs_command", metavar="ACTION")
    listing = actions.add_parser("list", help="the most recent runs")
    listing.add_argument("--limit", type=int, default=20, metavar="N")
    show = actions.add_parser("show", help="one run: trace, costs per agent and model, answer")
    show.add_argument("run_id", metavar="ID")
    resume = actions.add_parser("resume", help="continue a run whose process died")
    resume.add_argument("run_id", metavar="ID")
    resume.add_argument("--unattended", choices=("deny",),
                        help="deny every approval (including re-running interrupted tools)")
    resume.add_argument("--force", action="store_true",
                        help="resume even if the run looks alive in another process")
    cancel = actions.add_parser("cancel", help="stop a run, wherever it executes")
    cancel.add_argument("run_id", metavar="ID")
    pending = actions.add_parser("approvals", help="questions runs are waiting on")
    answers = []
    for verb in ("approve", "deny"):
        answer = actions.add_parser(verb, help=f"{verb} a pending request of a run")
        answer.add_argument("run_id", metavar="ID")
        answer.add_argument("request_id", metavar="REQUEST",
                            help="the request id (`roster runs approvals` lists them)")
        answer.add_argument("--by", default=os.environ.get("USER", "operator"),
                            metavar="NAME", help="who answers (default: $USER)")
        answer.add_argument("--note", default="", metavar="TEXT",
                            help="a note for the agent (the answer to a question)")
        answer.set_defaults(approved=verb == "approve")
        answers.append((answer, answer_request))
    for sub_parser, handler in ((listing, list_runs), (show, show_run), (resume, resume_run),
                                (cancel, cancel_run), (pending, list_approvals), *answers):
        add_db_option(sub_parser)
        sub_parser.set_defaults(handler=handler)
    parser.set_defaults(handler=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_UNREADABLE


def _journal(args: argparse.Namespace) -> Journal:
    from runtime.engine.dbos_support import journal_url
    from runtime.engine.journal import Journal

    return Journal(journal_url(args.db))


def missing_journal(db: str | None) -> Path | None:
    """The SQLite journal file `--db` (or the default) names when it does not exist yet.

    Read-only actions say "no runs yet" instead of creating an empty journal
    (and its folder) on a machine that never ran anything.
    """
    from runtime.engine.dbos_support import data_dir

    if db and "://" in db:
        return None
    path = Path(db).expanduser() if db else data_dir() / "runs.db"
    return None if path.exists() else path


def _when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp)) if stamp else "-"


def _find(journal: Journal, run_id: str) -> RunSummary | None:
    found = journal.find_run(run_id)
    if len(found) == 1:
        return found[0]
    err(f"no run {run_id!r}" if not found else
        f"{run_id!r} matches several runs: {', '.join(r.id for r in found)}")
    return None


def list_runs(args: argparse.Namespace) -> int:
    absent = missing_journal(args.db)
    if absent is not None:
        print(f"No runs yet (no run journal at {absent}).")
        return EXIT_OK
    journal = _journal(args)
    try:
        found = journal.list_runs(args.limit)
    finally:
        journal.close()
    if not found:
        print(f"No runs recorded in {journal.url}.")
    for r in found:
        task = " ".join(r.task.split())
        print(f"{r.id}  {_when(r.started_at)}  {r.status:<9} {format_usd(r.cost_usd):>9}  "
              f"{r.roster_name[:24]:<24}  {task[:50]}")
    return EXIT_OK


def show_run(args: argparse.Namespace) -> int:
    absent = missing_journal(args.db)
    if absent is not None:
        err(f"no run {args.run_id!r}: no runs yet (no run journal at {absent})")
        return EXIT_UNREADABLE
    journal = _journal(args)
    try:
        run = _find(journal, args.run_id)
        if run is None:
            return EXIT_UNREADABLE
        print_run(journal, run)
    finally:
        journal.close()
    return EXIT_OK


def print_run(journal: Journal, r: RunSummary, out: Any = None) -> None:
    out = out or sys.stdout
    cap = f" of {format_usd(r.max_usd)}" if r.max_usd is not None else ""
    lines = [f"run {r.id}  {r.roster_name}  {r.status}", f"  task:     {r.task}",
             f"  roster:   {r.roster_path or '(stored)'} (sha256 {r.content_hash[:12]})",
             f"  started:  {_when(r.started_at)}   finished: {_when(r.finished_at)}   "
             f"attempts: {r.attempts}   executor: {r.executor or '-'}",
             f"  spend:    {format_usd(r.cost_usd)}{cap}, {r.model_calls} model calls, "
             f"{r.input_tokens} input + {r.output_tokens} output tokens", "", "trace:"]
    progress = Progress(out, live=False)
    attempt = 1
    for number, kind, replayed, data in journal.stored_events(r.id):
        if number != attempt:
            attempt = number
            lines.append(f"  ── resumed (attempt {number}) ──")
        event = _event(kind, data)
        line = None if replayed or event is None else progress.line(event)
        if line is not None:
            lines.append("  " + line)
    for by in ("agent", "model"):
        lines += ["", f"costs per {by}:"]
        for name, calls, tokens_in, tokens_out, cost in journal.costs(r.id, by):
            lines.append(f"  {name:<28} {calls:>4} calls {tokens_in:>9} in {tokens_out:>8} out"
                         f"  {format_usd(cost):>9}")
    if r.output:
        lines += ["", "answer:", *("  " + line for line in r.output.splitlines())]
    if r.error:
        lines += ["", f"error: {r.error}"]
    print("\n".join(lines), file=out)


def _event(kind: str, data: dict[str, Any]) -> ev.EngineEvent | None:
    """Rebuild a stored event, so the trace reads like the live progress."""
    cls = next((c for c in ev.EVENT_TYPES if c.__name__ == kind), None)
    if cls is None:
        return None
    if isinstance(data.get("usage"), dict):
        data = {**data, "usage": Usage(**data["usage"])}
    try:
        return cls(**data)
    except TypeError:  # an event stored by another version of the engine
        return None


def resume_run(args: argparse.Namespace) -> int:
    from runtime.engine.executor import ResumeError, stored_content

    journal = _journal(args)
    try:
        run = _find(journal, args.run_id)
        if run is None:
            return EXIT_UNREADABLE
        if run.status not in ("pending", "running"):
            err(f"run {run.id} already finished ({run.status}); nothing to resume")
            return EXIT_FAILED
        try:
            content = stored_content(journal, run.id)
        except (ResumeError, OSError) as exc:
            err(str(exc))
            return EXIT_UNREADABLE
    finally:
        journal.close()
    base_dir = str(Path(run.roster_path).resolve().parent) if run.roster_path else None
    try:
        provider, secrets, tools, pool = prepare(content, base_dir)
    except UsageError as exc:
        err(str(exc))
        return EXIT_UNREADABLE
    lines = StdinLines()
    made = factories(provider, secrets, tools, lines, deny=args.unattended == "deny")
    try:
        return asyncio.run(_resume(args, run.id, made))
    finally:
        lines.close()
        if pool is not None:
            pool.kill()


async def _resume(args: argparse.Namespace, run_id: str, made: Any) -> int:
    from runtime.engine.executor import LocalExecutor, ResumeError

    async with LocalExecutor(made, db=args.db) as executor:
        try:
            await executor.resume(run_id, force=args.force)
        except ResumeError as exc:
            err(str(exc))
            return EXIT_FAILED
        print(f"resuming run {run_id}", file=sys.stderr)
        summary = await drive(executor, run_id)
    return outcome(summary)


def _on_run(args: argparse.Namespace, act: Callable[[Submitter, RunSummary], int]) -> int:
    """Open the (shared) database, find the run by id or prefix, and act on it."""
    from runtime.scale.submit import Submitter

    submitter = Submitter(args.db)
    try:
        run = _find(submitter.journal, args.run_id)
        return EXIT_UNREADABLE if run is None else act(submitter, run)
    finally:
        submitter.close()


def cancel_run(args: argparse.Namespace) -> int:
    def cancel(submitter: Submitter, run: RunSummary) -> int:
        if run.status not in ("pending", "running"):
            err(f"run {run.id} already finished ({run.status})")
            return EXIT_FAILED
        submitter.cancel(run.id)
        print(f"cancel requested for run {run.id}")
        return EXIT_OK
    return _on_run(args, cancel)


def list_approvals(args: argparse.Namespace) -> int:
    from runtime.scale.submit import Submitter

    if missing_journal(args.db) is not None:
        print("No run is waiting for an approval (no runs yet).")
        return EXIT_OK
    submitter = Submitter(args.db)
    try:
        found = submitter.pending()
    finally:
        submitter.close()
    if not found:
        print("No run is waiting for an approval.")
    for p in found:
        expires = p.expires_at()
        left = f"{max(0.0, expires - time.time()):.0f} s left" if expires else "no limit"
        print(f"{p.run_id}  {p.request_id}  {p.human}: {p.agent} → {p.tool} [{p.risk}] "
              f"({left})\n    {p.reason}")
    return EXIT_OK


def answer_request(args: argparse.Namespace) -> int:
    from runtime.engine.executor import ApprovalAnswer

    def answer(submitter: Submitter, run: RunSummary) -> int:
        waiting = {p.request_id for p in submitter.pending() if p.run_id == run.id}
        if args.request_id not in waiting:
            err(f"run {run.id} is not waiting on {args.request_id!r}"
                + (f"; it waits on: {', '.join(sorted(waiting))}" if waiting else ""))
            return EXIT_FAILED
        submitter.answer(ApprovalAnswer(args.request_id, args.approved, args.by, args.note),
                         run.id)
        print(f"{'approved' if args.approved else 'denied'} {args.request_id} of run {run.id}")
        return EXIT_OK
    return _on_run(args, answer)
