"""`roster submit FILE "TASK" --db URL`: put a run on the pool's queue and print its id.

The roster is loaded and checked exactly as `roster run` does (blocking findings
refuse unless --force); the run is recorded with the roster's text and task in
the shared run database and queued for the workers (`roster worker`). With
--wait the command stays until the run has finished and prints its answer.
Nobody watches a submitted run live, so its approvals are answered with
`roster runs approvals/approve/deny --db URL` (or in the designer), or it is
submitted --unattended deny.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from runtime.cli.common import EXIT_OK, EXIT_UNREADABLE, err, journal_arg, load_or_report
from runtime.engine.budget import usd_cap_arg


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "submit", help="queue a run for the worker pool and print its id",
        description="Queue a run of a roster on a task for the workers of a shared run "
        "database. Prints the run id on stdout. Exit status: 0 queued (or, with --wait, "
        "completed), 1 failed/limit/stopped, 2 unusable input or database.")
    parser.add_argument("file", metavar="FILE", help="the roster file")
    parser.add_argument("task", metavar="TASK", help="what to do")
    parser.add_argument("--db", metavar="URL", required=True, type=journal_arg,
                        help="the shared run database (postgresql://USER@HOST/DB)")
    parser.add_argument("--entry", metavar="AGENT", help="start at this agent")
    parser.add_argument("--max-usd", type=usd_cap_arg, metavar="X", help="cap the run's spend")
    parser.add_argument("--unattended", choices=("deny",),
                        help="nobody will answer: deny every approval")
    parser.add_argument("--force", action="store_true",
                        help="submit even though the roster has blocking governance findings")
    parser.add_argument("--wait", action="store_true",
                        help="wait for the run to finish and print its answer")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.file)
    if loaded is None:
        return EXIT_UNREADABLE
    content = loaded.content
    from runtime.cli.preflight import blocked, entry_agent
    from runtime.scale.limits import LimitsError, parse_limits

    if blocked(loaded, args.file, force=args.force, verb="submit") or (
            entry_agent(content, args.entry) is None):
        return EXIT_UNREADABLE
    try:
        parse_limits(content)
    except LimitsError as exc:
        err(f"{args.file}: {exc}")
        return EXIT_UNREADABLE
    return _submit(args, content)


def _submit(args: argparse.Namespace, content: Any) -> int:
    from runtime.cli.run import EXIT_FAILED
    from runtime.cli.worker import shown_url
    from runtime.engine.executor import RunSpec
    from runtime.scale.submit import QueueError, Submitter

    secrets = tuple(v for v in (os.environ.get("ANTHROPIC_API_KEY", ""),) if v)
    try:
        submitter = Submitter(args.db)
    except Exception as exc:
        err(f"cannot open the run database {shown_url(args.db)}: {exc}")
        return EXIT_UNREADABLE
    try:
        spec = RunSpec(task=args.task, roster_path=args.file, content=content,
                       entry=args.entry, max_usd=args.max_usd,
                       unattended=args.unattended == "deny")
        try:
            run_id = submitter.submit(spec, secrets)
        except QueueError as exc:
            err(str(exc))
            return EXIT_UNREADABLE
        print(run_id, flush=True)
        if not args.wait:
            return EXIT_OK
        status = submitter.wait(run_id)
        record = submitter.journal.get_run(run_id)
    finally:
        submitter.close()
    if record is not None and record.output:
        print(record.output)
    if status == "completed":
        return EXIT_OK
    err(f"run {run_id} {status}" + (f": {record.error}" if record and record.error else ""))
    return EXIT_FAILED
