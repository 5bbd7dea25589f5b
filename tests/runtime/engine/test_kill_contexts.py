"""The kill switch pressed from every context a user or an embedding app may press it from.

The reported defect: a listener that called `run.kill()` on the 100th `ModelCalled` of
the governance-vacuum sample's assistant ⇄ ops-bot delegation loop (a scripted provider
whose every turn delegates, so the run never suspends) let the run go on to 111,110
model calls, and `asyncio.run` then raised CancelledError. Whatever the context (an
event listener, another thread, a signal handler), the run must stop promptly, finish
with status "stopped" and exactly one RunFinished event, and return normally.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from runtime.engine import events as ev
from runtime.engine.approvals import ScriptedChannel
from runtime.engine.protocols import ModelRequest
from runtime.engine.providers.scripted import ScriptedProvider, Turn
from runtime.engine.run import Run, RunConfig
from runtime.roster.io import loads

SAMPLE = Path(__file__).parents[3] / "resources" / "samples" / "governance-vacuum.roster.yaml"
RUNAWAY = 3000  # far past the press; the provider refuses to go on (the test fails, not hangs)


class Runaway(Exception):
    pass


def loop_turn(delay_s: float = 0.0) -> Any:
    """A turn that always delegates to the other side of the assistant ⇄ ops-bot loop."""
    calls = [0]

    def turn(request: ModelRequest) -> Turn:
        calls[0] += 1
        if calls[0] > RUNAWAY:
            raise Runaway(f"{calls[0]} model calls: the kill switch did not stop the run")
        other = "ops-bot" if request.agent == "assistant" else "assistant"
        return Turn([("delegate", other, "keep going")], delay_s=delay_s)

    return turn


def make_run(delay_s: float = 0.0) -> tuple[Run, list[ev.EngineEvent]]:
    content = loads(SAMPLE.read_text(encoding="utf-8")).content
    events: list[ev.EngineEvent] = []
    run = Run(content, RunConfig(task="keep the loop going", unattended=True),
              ScriptedProvider({}, default=loop_turn(delay_s)), {},
              ScriptedChannel({"*": "deny"}), listeners=(events.append,))
    return run, events


def model_calls(events: list[ev.EngineEvent]) -> int:
    return sum(isinstance(e, ev.ModelCalled) for e in events)


def assert_stopped(run: Run, events: list[ev.EngineEvent], reason: str) -> None:
    finished = [e for e in events if isinstance(e, ev.RunFinished)]
    assert len(finished) == 1, "exactly one RunFinished"
    assert finished[0].status == "stopped" and finished[0].error == reason
    assert run.status == "stopped"
    pressed = [e for e in events if isinstance(e, ev.KillSwitchPressed)]
    assert [p.reason for p in pressed] == [reason]
    assert pressed[0].seq < finished[0].seq
    after = [e for e in events if e.seq > pressed[0].seq and isinstance(
        e, ev.ModelCalled | ev.Delegated | ev.AgentStarted | ev.ToolCalled)]
    assert not after, f"work started after the press: {after[:3]}"
    assert events[-1] is finished[0], "nothing is reported after RunFinished"


def test_a_listener_pressing_the_switch_stops_a_run_that_never_suspends() -> None:
    run, events = make_run()

    def press_on_100th(event: ev.EngineEvent) -> None:
        if isinstance(event, ev.ModelCalled) and model_calls(events) == 100:
            run.kill("listener")

    run.listeners.append(press_on_100th)
    asyncio.run(run.execute())  # returns normally: no stray CancelledError

    assert model_calls(events) == 100
    assert run.model_calls == 100
    assert_stopped(run, events, "listener")
    press = next(e.seq for e in events if isinstance(e, ev.KillSwitchPressed))
    stopped = [e for e in events if isinstance(e, ev.AgentFinished) and e.seq > press]
    assert stopped and all(e.status == "stopped" for e in stopped)
    started = sum(isinstance(e, ev.AgentStarted) for e in events)
    assert sum(isinstance(e, ev.AgentFinished) for e in events) == started, \
        "every agent that started reports how it finished"


def test_the_run_task_ends_normally_and_the_loop_keeps_working_after_a_press() -> None:
    """The task running `execute` is not left cancelled: the caller goes on awaiting."""
    run, events = make_run()

    def press(event: ev.EngineEvent) -> None:
        if isinstance(event, ev.ModelCalled) and model_calls(events) == 5:
            run.kill("listener")

    run.listeners.append(press)

    async def main() -> str:
        task = asyncio.create_task(run.execute())
        await task
        assert not task.cancelled()
        assert task.cancelling() == 0
        await asyncio.sleep(0.01)  # this task was never cancelled either
        return "after"

    assert asyncio.run(main()) == "after"
    assert_stopped(run, events, "listener")


def test_another_thread_stops_the_run_via_call_soon_threadsafe() -> None:
    run, events = make_run(delay_s=0.001)
    pressed: list[float] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def other_thread() -> None:
            while model_calls(events) < 20:
                time.sleep(0.001)
            pressed.append(time.monotonic())
            loop.call_soon_threadsafe(run.kill, "thread")

        worker = threading.Thread(target=other_thread)
        worker.start()
        await asyncio.wait_for(run.execute(), 30)
        worker.join()

    asyncio.run(main())
    assert time.monotonic() - pressed[0] < 2.0
    assert_stopped(run, events, "thread")


def test_another_thread_may_call_kill_directly() -> None:
    """`run.kill()` called from a foreign thread is handed to the run's loop."""
    run, events = make_run(delay_s=0.001)

    async def main() -> None:
        def other_thread() -> None:
            while model_calls(events) < 20:
                time.sleep(0.001)
            run.kill("direct")

        worker = threading.Thread(target=other_thread)
        worker.start()
        await asyncio.wait_for(run.execute(), 30)
        worker.join()

    asyncio.run(main())
    assert_stopped(run, events, "direct")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_signal_handler_installed_with_signal_signal_stops_a_busy_run() -> None:
    """A plain `signal.signal` handler runs between two bytecodes of the busy run, possibly
    in the middle of delivering an event; the press is still orderly."""
    run, events = make_run()

    def handler(signum: int, frame: object) -> None:
        run.kill("SIGUSR1")

    def send_at_50th(event: ev.EngineEvent) -> None:
        if isinstance(event, ev.ModelCalled) and model_calls(events) == 50:
            os.kill(os.getpid(), signal.SIGUSR1)  # the handler runs inside this listener

    run.listeners.insert(0, send_at_50th)
    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        asyncio.run(run.execute())
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert model_calls(events) <= 51
    assert_stopped(run, events, "SIGUSR1")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_signal_handler_installed_on_the_loop_stops_the_run() -> None:
    run, events = make_run(delay_s=0.001)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR2, run.kill, "SIGUSR2")
        try:
            def other_thread() -> None:
                while model_calls(events) < 10:
                    time.sleep(0.001)
                os.kill(os.getpid(), signal.SIGUSR2)

            worker = threading.Thread(target=other_thread)
            worker.start()
            await asyncio.wait_for(run.execute(), 30)
            worker.join()
        finally:
            loop.remove_signal_handler(signal.SIGUSR2)

    asyncio.run(main())
    assert_stopped(run, events, "SIGUSR2")


def test_a_press_before_the_run_starts_stops_it_before_its_first_model_call() -> None:
    run, events = make_run()
    run.kill("early")
    asyncio.run(run.execute())
    assert model_calls(events) == 0
    finished = [e for e in events if isinstance(e, ev.RunFinished)]
    assert len(finished) == 1 and finished[0].status == "stopped"


def test_a_press_after_the_run_finished_changes_nothing() -> None:
    content = loads(SAMPLE.read_text(encoding="utf-8")).content
    events: list[ev.EngineEvent] = []
    run = Run(content, RunConfig(task="hi", unattended=True), ScriptedProvider({}), {},
              ScriptedChannel({"*": "deny"}), listeners=(events.append,))
    asyncio.run(run.execute())
    run.kill("late")
    assert run.status == "completed"
    assert not [e for e in events if isinstance(e, ev.KillSwitchPressed)]
    assert isinstance(events[-1], ev.RunFinished)


def test_another_thread_stops_a_run_that_never_yields_to_the_loop() -> None:
    """The press comes from a thread while the run is busy (it never gives the loop a turn,
    so a callback handed to the loop could not run): the run acts on it at its next
    checkpoint."""
    run, events = make_run()
    at_50, pressed = threading.Event(), threading.Event()

    def hold_at_50th(event: ev.EngineEvent) -> None:
        if isinstance(event, ev.ModelCalled) and model_calls(events) == 50:
            at_50.set()
            assert pressed.wait(5), "the other thread did not press"

    def other_thread() -> None:
        assert at_50.wait(30)
        run.kill("busy")
        pressed.set()

    run.listeners.append(hold_at_50th)
    worker = threading.Thread(target=other_thread)
    worker.start()
    asyncio.run(run.execute())
    worker.join()
    assert model_calls(events) == 50
    assert_stopped(run, events, "busy")
