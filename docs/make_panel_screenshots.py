"""Screenshots of the oversight panels with the content-studio sample, into docs/images/.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_panel_screenshots.py [-o DIR]
    xvfb-run -a .venv/bin/python docs/make_panel_screenshots.py

Runs the real main window with the content-studio roster and drives three
runs from the run panel through the real bridge, engine, DBOS and journal,
against the loopback Messages-API server of the test suite (scripted
replies, so no key and no network are needed; the provider is the real
Anthropic SDK). The sample's tools need servers and folders that do not
exist here, so each tool answers with a short canned result. Run 1 hands a
post to the writer and the SEO specialist; run 2 asks the client lead to
approve a client email (the live screenshots are taken while the card
waits) and is approved; run 3's email is denied with a note. Writes:
panel-live.png (canvas lit mid-run, the approval card, the transcript), panel-run.png,
panel-approvals.png, panel-transcript.png, panel-runs.png, panel-replay.png
(the window with run 2 replayed half way), panel-dashboard.png. The journal
lives in a temporary folder and is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "resources" / "samples" / "content-studio.roster.yaml"
MANAGER = "You run client jobs for the studio"
WRITER = "Write the piece described in the task"
SEO = "Read the draft and the client's keyword list"
CLIENT = "Look up the client's account and contacts in the CRM"
CANNED = {
    "project-files": "brief.md: 900-word launch post for Northwind, friendly, cites the "
                     "2026 survey.",
    "studio-memory": "Northwind voice: plain, warm, no exclamation marks.",
    "drafts": "saved drafts/northwind-launch/post.md (912 words)",
    "crm": "Northwind Traders: contact Ana Trujillo <ana@northwind.example>, account "
           "in good standing.",
    "client-email": "queued for delivery to ana@northwind.example",
}


class CannedTool:
    """Stands in for a sample tool whose server or folder does not exist on this machine."""

    def __init__(self, tool_id: str) -> None:
        from runtime.engine.protocols import ToolSpec

        self.spec = ToolSpec(tool_id, f"{tool_id} (canned for screenshots)",
                             {"type": "object"})
        self.tool_id = tool_id

    async def call(self, arguments: dict[str, Any], ctx: Any) -> Any:
        from runtime.engine.protocols import ToolResult

        return ToolResult(CANNED.get(self.tool_id, "ok"))


def script(server: Any) -> None:
    from tests.messages_server import Msg, thinking, tool_use

    push = server.script.push
    # run 1: writer and SEO
    push(Msg([thinking("The brief asks for a post and SEO; writer first."),
              tool_use("project-files", {"path": "northwind/brief.md"})]),
         Msg([tool_use("agent__writer", {"task": "Write the Northwind launch post"})]),
         Msg([tool_use("agent__seo", {"task": "Title and meta for the launch post"})]),
         Msg("Post drafted and SEO done; ready for review."), system_contains=MANAGER)
    push(Msg([tool_use("studio-memory", {"operation": "read", "topic": "northwind"})]),
         Msg([tool_use("drafts", {"path": "northwind-launch/post.md", "text": "…"})]),
         Msg("Draft saved at drafts/northwind-launch/post.md."), system_contains=WRITER)
    push(Msg("Title: Northwind launches spring range (52 chars)."), system_contains=SEO)
    # runs 2 and 3: a client email needing the client lead's approval
    for _ in range(2):
        push(Msg([tool_use("agent__client-success",
                           {"task": "Tell Northwind the launch post is ready for review"})]),
             Msg("Client success reported back."), system_contains=MANAGER)
        push(Msg([tool_use("crm", {"account": "Northwind"})]),
             Msg([tool_use("client-email", {"to": "ana@northwind.example",
                                            "subject": "Your launch post is ready",
                                            "body": "Hi Ana, the draft is ready for review."})]),
             Msg("Email handled."), system_contains=CLIENT)


def settle(app: Any, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def wait(app: Any, condition: Any, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise SystemExit("timed out waiting for the run")
        app.processEvents()
        time.sleep(0.01)


def grab_window(app: Any, window: Any, out: Path) -> None:
    from PySide6.QtCore import Qt

    bottom = [d for d in window._docks.values()
              if window.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea
              and not d.visibleRegion().isEmpty()]
    window.resizeDocks(bottom[:1], [250], Qt.Orientation.Vertical)
    settle(app)
    if not window.grab().save(str(out)):
        raise SystemExit(f"could not write {out}")
    print(out)


def grab_dock(app: Any, window: Any, key: str, out: Path, size: tuple[int, int]) -> None:
    dock = window.oversight.dock(key)
    dock.setFloating(True)
    dock.show()
    dock.raise_()
    dock.resize(*size)
    settle(app, 0.5)
    if not dock.grab().save(str(out)):
        raise SystemExit(f"could not write {out}")
    window.restoreState(window.docked_state)  # back in its tab, no floating leftovers
    settle(app, 0.2)
    print(out)


def open_window(app: Any, folder: Path, name: str) -> Any:
    from PySide6.QtCore import QSettings

    from designer.main_window import MainWindow

    window = MainWindow(QSettings(str(folder / f"{name}.ini"), QSettings.Format.IniFormat))
    window.resize(1600, 1000)
    window.show()
    if not window.open_path(SAMPLE):
        raise SystemExit(f"could not open {SAMPLE}")
    settle(app, 0.3)
    window.docked_state = window.saveState()
    return window


def make(out_dir: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from runtime.engine.providers.anthropic import AnthropicProvider
    from runtime.roster import model as m
    from tests.conftest import make_anthropic_key
    from tests.messages_server import MessagesServer

    app = QApplication.instance() or QApplication([])
    out_dir.mkdir(parents=True, exist_ok=True)
    key = make_anthropic_key()
    with tempfile.TemporaryDirectory() as tmp, MessagesServer() as server:
        os.environ["ROSTER_DATA_DIR"] = tmp
        script(server)
        window = open_window(app, Path(tmp), "live")
        o = window.oversight
        o.bridge.use_factories(
            provider=lambda content: (AnthropicProvider(key, server.base_url), (key,)),
            tools=lambda content, base: {n.id: CannedTool(n.id) for n in content.nodes.values()
                                         if isinstance(n, m.Tool)})
        done: list[Any] = []
        o.bridge.run_finished.connect(done.append)

        def run(task: str) -> None:
            o.show_dock("run")
            o.run_panel.entry.setCurrentText("manager")
            o.run_panel.task.setPlainText(task)
            o.run_panel.run_button.click()

        run("Write the Northwind launch post and its SEO title")
        wait(app, lambda: len(done) == 1)
        run("Tell Northwind their launch post is ready for review")
        wait(app, lambda: bool(o.approvals.cards))
        settle(app, 0.4)
        window.view.set_zoom(0.62)
        window.view.centerOn(window.scene.nodes["client-success"])
        o.show_dock("approvals")
        o.show_dock("transcript")
        settle(app)
        written = [out_dir / "panel-live.png"]
        grab_window(app, window, written[0])
        o.show_dock("transcript")
        o.transcript.show_agent("client-success")
        o.transcript.tree.expandAll()
        for name, key_, size in (("panel-approvals.png", "approvals", (520, 560)),
                                 ("panel-transcript.png", "transcript", (1100, 420))):
            grab_dock(app, window, key_, out_dir / name, size)
            written.append(out_dir / name)
        o.transcript.show_agent(None)
        o.show_dock("run")
        grab_dock(app, window, "run", out_dir / "panel-run.png", (460, 420))
        written.append(out_dir / "panel-run.png")
        (card,) = o.approvals.cards.values()
        card.approve.click()
        wait(app, lambda: len(done) == 2)
        run("Send Northwind the launch date")
        wait(app, lambda: bool(o.approvals.cards))
        (card,) = o.approvals.cards.values()
        card.note.setText("Hold the email until the client signs the SOW")
        card.deny_note.click()
        wait(app, lambda: len(done) == 3)
        settle(app, 1.5)
        window.controller.undo_stack.setClean()
        window.close()
        o.shutdown()
        # a fresh window for the history, the replay and the dashboard (floating docks
        # leave tab-bar ghosts behind in an offscreen window)
        window = open_window(app, Path(tmp), "history")
        o = window.oversight
        o.show_dock("runs")
        wait(app, lambda: o.runs.model.rowCount() == 3)
        o.open_run(done[1].id)
        wait(app, lambda: o.replay.run_id == done[1].id)
        kinds = [type(e).__name__ for e in o.replay.events]
        o.replay.seek(kinds.index("ToolCalled") + 1)
        window.view.set_zoom(0.62)
        window.view.centerOn(window.scene.nodes["client-success"])
        o.show_dock("replay")
        grab_window(app, window, out_dir / "panel-replay.png")
        written.append(out_dir / "panel-replay.png")
        grab_dock(app, window, "runs", out_dir / "panel-runs.png", (1100, 300))
        written.append(out_dir / "panel-runs.png")
        o.show_dock("dashboard")
        wait(app, lambda: o.dashboard.stats.runs == 3)
        grab_dock(app, window, "dashboard", out_dir / "panel-dashboard.png", (1300, 720))
        written.append(out_dir / "panel-dashboard.png")
        window.controller.undo_stack.setClean()
        window.close()
        o.shutdown()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    make(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
