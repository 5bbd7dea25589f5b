"""The main window: wires canvas, panels, menus, toolbar and status bar together.

It holds no business logic: menu actions call the controller (edits) or the
file service (open, save, autosave, recovery); panels listen to the
controller's signals. Window geometry and dock state persist in QSettings,
never in the roster file. The start builds only what the first window shows:
the inspector, the oversight and planning panels, the key store and the
file dialogs are made on first use (window_parts.py, lazy_host.py); the file
commands live in window_files.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from designer.canvas.scene import RosterScene
from designer.canvas.view import RosterView
from designer.controller import RosterController
from designer.files import FileService
from designer.oversight.presenter import Oversight
from designer.panels.overview import OverviewPanel
from designer.panels.palette import PalettePanel
from designer.panels.problems import ProblemsPanel
from designer.panels.welcome import WelcomePage
from designer.planning import Planning
from designer.status import StatusSummary
from designer.window_files import APP_NAME, FileActions
from designer.window_parts import LazyParts
from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.catalog import load_catalog
from runtime.roster.errors import RosterLoadError
from runtime.roster.summary import summarize

if TYPE_CHECKING:  # each Qt class costs its enums on first use: these wait for their action
    from PySide6.QtGui import QCloseEvent, QShowEvent


class MainWindow(FileActions, LazyParts, QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.catalog = load_catalog()
        self.controller = RosterController(self)
        self.files = FileService(self.controller, self)
        self.scene = RosterScene(self.catalog, self)
        self.view = RosterView(self.scene, self.controller.can_connect)
        self.welcome = WelcomePage(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.view)
        self.setCentralWidget(self.stack)
        self.palette = PalettePanel(self)
        self.problems = ProblemsPanel(self)
        self.problems.default_acknowledger = str(self.settings.value("user/name", ""))
        self.overview = OverviewPanel(self.view, self)
        self.status = StatusSummary(self.statusBar())
        self._docks: dict[str, QDockWidget] = {}
        self._sized_docks = False
        self._add_dock("palette", "Palette", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock(  # built when a roster opens (window_parts.py)
            "inspector", "Inspector", self._make_inspector_host(),
            Qt.DockWidgetArea.RightDockWidgetArea,
        )
        self._add_dock("overview", "Overview", self.overview, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock(
            "problems", "Problems", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.oversight = Oversight(self)  # run, approvals, history, replay, dashboard (#7)
        self.planning = Planning(self)  # simulation and forecast docks, Simulate menu (#7)
        self._build_actions()
        self._build_menus()
        self.oversight.build_menu()
        self.planning.build_menu()
        self._wire()
        self.resize(1400, 900)
        self._restore_state()
        self._show_welcome()

    # ------------------------------------------------------------ construction

    def _add_dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self._docks[key] = dock

    def _action(
        self, text: str, slot: object, shortcut: QKeySequence | str | None = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)  # type: ignore[arg-type]
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        stack = self.controller.undo_stack
        self.act_new = self._action(
            "&New…", self.new_from_template, K.New, "Start a roster from a template"
        )
        self.act_open = self._action("&Open…", self.open_dialog, K.Open)
        self.act_save = self._action("&Save", self.save, K.Save)
        self.act_save_as = self._action("Save &As…", self.save_as, K.SaveAs)
        self.act_revert = self._action("&Revert", self.revert, None, "Reload the saved file")
        self.act_export_yaml = self._action("Roster &YAML…", self.export_yaml)
        self.act_export_png = self._action("Canvas as &PNG…", lambda: self.export_image("png"))
        self.act_export_svg = self._action("Canvas as S&VG…", lambda: self.export_image("svg"))
        self.act_quit = self._action("&Quit", self.close, K.Quit)
        self.act_undo = stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(K.Undo)
        self.act_redo = stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcut(K.Redo)
        self.act_cut = self._action("Cu&t", self.cut, K.Cut)
        self.act_copy = self._action("&Copy", self.copy, K.Copy)
        self.act_paste = self._action("&Paste", self.paste, K.Paste)
        self.act_duplicate = self._action("D&uplicate", self.duplicate, "Ctrl+D")
        self.act_delete = self._action("&Delete", self.delete_selection, K.Delete)
        self.act_select_all = self._action("Select &All", self.select_all, K.SelectAll)
        self.act_rename = self._action("Re&name Id…", self.rename_selected, "F2")
        self.act_find = self._action("&Find Node…", self.find_node, K.Find)
        self.act_zoom_in = self._action("Zoom &In", lambda: self.view.zoom_by(1.25), K.ZoomIn)
        self.act_zoom_out = self._action("Zoom &Out", lambda: self.view.zoom_by(0.8), K.ZoomOut)
        self.act_zoom_fit = self._action("&Fit All", self.view.fit_all, "Ctrl+0")
        self.act_zoom_100 = self._action("Actual &Size", lambda: self.view.set_zoom(1.0), "Ctrl+1")
        self.act_layout = self._action(
            "Auto-&Layout",
            self.controller.auto_layout,
            "Ctrl+L",
            "Arrange nodes left to right by delegation depth",
        )
        self.act_api_keys = self._action(
            "API &Keys…", self.open_api_keys, None, "Store, replace, delete and check API keys"
        )
        self.act_legend = self._action("Edge &Legend", self.show_legend)
        self.act_about = self._action("&About Agent Roster", self.about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.act_new, self.act_open])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addSeparator()
        file_menu.addActions([self.act_save, self.act_save_as, self.act_revert])
        export_menu = file_menu.addMenu("&Export")
        export_menu.addActions([self.act_export_yaml, self.act_export_png, self.act_export_svg])
        from designer.interop_actions import InteropActions  # Import/Export other tools, diff

        self.interop = InteropActions(self)
        self.interop.install(file_menu, export_menu)
        from designer.run_database import install_run_database  # File → Run Database

        install_run_database(self, file_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.act_undo, self.act_redo])
        edit_menu.addSeparator()
        edit_menu.addActions(
            [
                self.act_cut,
                self.act_copy,
                self.act_paste,
                self.act_duplicate,
                self.act_delete,
                self.act_select_all,
            ]
        )
        edit_menu.addSeparator()
        edit_menu.addActions([self.act_rename, self.act_find])
        view_menu = bar.addMenu("&View")
        view_menu.addActions(
            [self.act_zoom_in, self.act_zoom_out, self.act_zoom_fit, self.act_zoom_100]
        )
        view_menu.addSeparator()
        view_menu.addAction(self.act_layout)
        view_menu.addSeparator()
        for dock in self._docks.values():
            view_menu.addAction(dock.toggleViewAction())
        settings_menu = bar.addMenu("&Settings")
        settings_menu.addAction(self.act_api_keys)
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.act_legend, self.act_about])
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("toolbar-main")
        toolbar.addActions([self.act_new, self.act_open, self.act_save])
        toolbar.addSeparator()
        toolbar.addActions([self.act_undo, self.act_redo])
        toolbar.addSeparator()
        toolbar.addActions([self.act_zoom_fit, self.act_layout])
        self._refresh_recent()

    def _wire(self) -> None:
        c = self.controller
        c.document_replaced.connect(self._document_replaced)
        c.findings_changed.connect(self._findings_changed)
        c.clean_changed.connect(lambda clean: self._update_title())
        c.path_changed.connect(lambda path: self._update_title())
        self.scene.nodes_dragged.connect(lambda positions: c.move_nodes(positions))
        self.scene.selectionChanged.connect(self._selection_changed)
        self.view.connect_requested.connect(self._connect)
        self.view.drop_requested.connect(self._drop)
        self.view.refused.connect(lambda reason: self.status.flash(f"Not connected: {reason}"))
        self.view.hint_changed.connect(self.status.set_hint)
        self.view.zoom_changed.connect(self.status.set_zoom)
        self.view.nudge_requested.connect(self._nudge)
        self.view.delete_requested.connect(self.delete_selection)
        self.palette.activated_key.connect(self._add_at_centre)
        self.problems.jump_requested.connect(self.jump_to)
        self.problems.acknowledge_requested.connect(
            lambda finding, by, reason: c.acknowledge(finding, by, reason)
        )
        self.welcome.open_requested.connect(self.open_path)
        self.files.autosave_refused.connect(
            lambda msg: QMessageBox.warning(self, "Autosave paused", msg)
        )
        self.files.read_only_changed.connect(lambda read_only: self._update_title())
        self.welcome.template_requested.connect(self.open_template)

    # ------------------------------------------------------------ state

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized_docks and self.settings.value("window/state") is None:
            self._sized_docks = True
            self.default_dock_sizes()

    def default_dock_sizes(self) -> None:
        """The first start's dock sizes (a restored state brings its own). Applied again
        once the oversight docks have joined their tab groups: their panels are built later,
        so their placeholders' size hints must not decide the split."""
        self.resizeDocks(
            [self._docks["palette"], self._docks["inspector"]], [210, 360],
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks([self._docks["overview"]], [200], Qt.Orientation.Vertical)
        self.resizeDocks([self._docks["problems"]], [170], Qt.Orientation.Vertical)

    def _restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def _save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())

    def _show_welcome(self) -> None:
        self.welcome.set_recent(self.recent_files())
        self.stack.setCurrentWidget(self.welcome)
        self._update_title()

    def _document_replaced(self, document: object) -> None:
        self.inspector_host.ensure()  # shows the new roster's settings (a no-op once built)
        self.scene.attach(self.controller.document, self.controller.signals)
        self.controller.signals.changed.connect(self._update_status)
        self.stack.setCurrentWidget(self.view)
        self.view.fit_all()
        self._update_title()
        self._update_status()

    def _findings_changed(self, findings: list[object]) -> None:
        self.scene.show_findings(self.controller.findings)
        self.problems.show_findings(self.controller.findings)
        self.status.set_findings(self.controller.findings)

    def _update_status(self) -> None:
        content = self.controller.document.content()
        self.status.set_cost(content, self.catalog)
        summary = summarize(content, self.catalog)
        self.status.set_counts(summary)

    def _update_title(self) -> None:
        path = self.controller.path
        name = self.controller.document.meta.name or (path.name if path else "Untitled")
        where = f" — {path}" if path else ""
        if self.files.read_only:
            where += " [read-only]"
        self.setWindowTitle(f"{name}{where}[*] — {APP_NAME}")
        self.setWindowModified(self.controller.modified)

    def _selection_changed(self) -> None:
        self.controller.break_merge()
        host = self.inspector_host
        if shiboken6.isValid(self.scene) and shiboken6.isValid(host) and host.built:
            self.inspector.show_selection(self.scene.selected_ids())

    # ------------------------------------------------------------ canvas intents

    def _connect(self, source: str, target: str) -> None:
        try:
            edge = self.controller.connect_nodes(source, target)
        except e.EditError as exc:
            self.status.flash(f"Not connected: {exc}")
            return
        self.scene.select_ids([edge.id])

    def _drop(self, key: str, pos: QPointF) -> None:
        node_id = self.controller.add_node(key, m.Position(round(pos.x()), round(pos.y())))
        self.scene.select_ids([node_id])

    def _add_at_centre(self, key: str) -> None:
        if self.stack.currentWidget() is not self.view:
            return
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        self._drop(key, centre)

    def _nudge(self, dx: float, dy: float) -> None:
        ids = [i for i in self.scene.selected_ids() if i in self.scene.nodes]
        positions = {}
        for node_id in ids:
            pos = self.scene.nodes[node_id].pos()
            positions[node_id] = m.Position(pos.x() + dx, pos.y() + dy)
        self.controller.move_nodes(positions, merge_key=("nudge", tuple(sorted(ids))), text="Nudge")

    def jump_to(self, item_id: str) -> None:
        self.view.centre_on_id(item_id)

    def select_all(self) -> None:
        for item in self.scene.items():
            item.setSelected(True)

    def delete_selection(self) -> None:
        ids = self.scene.selected_ids()
        if ids:
            self.controller.remove(ids)

    def copy(self) -> None:
        ids = [i for i in self.scene.selected_ids() if i in self.scene.nodes]
        if ids:
            QGuiApplication.clipboard().setText(self.controller.copy_text(ids))

    def cut(self) -> None:
        self.copy()
        self.delete_selection()

    def paste(self) -> None:
        text = QGuiApplication.clipboard().text()
        try:
            ids = self.controller.paste_text(text)
        except (RosterLoadError, e.EditError) as exc:
            self.status.flash(f"Nothing to paste: {exc}")
            return
        self.scene.select_ids(ids)

    def duplicate(self) -> None:
        ids = [i for i in self.scene.selected_ids() if i in self.scene.nodes]
        if ids:
            self.scene.select_ids(self.controller.duplicate(ids))

    def rename_selected(self) -> None:
        ids = [i for i in self.scene.selected_ids() if i in self.scene.nodes]
        if len(ids) != 1:
            self.status.flash("Select one node to rename its id")
            return
        from PySide6.QtWidgets import QInputDialog

        new_id, ok = QInputDialog.getText(self, "Rename id", "New id:", text=ids[0])
        if ok and new_id:
            try:
                self.controller.rename(ids[0], new_id.strip())
            except e.EditError as exc:
                QMessageBox.warning(self, "Rename", str(exc))

    def find_node(self) -> None:
        nodes = self.controller.document.nodes
        labels = [f"{n.name or n.id} ({n.id})" for n in nodes.values()]
        if not labels:
            return
        from PySide6.QtWidgets import QInputDialog

        choice, ok = QInputDialog.getItem(self, "Find node", "Node:", labels, 0, True)
        if ok and choice:
            for node, label in zip(nodes.values(), labels, strict=True):
                if label == choice or choice.lower() in label.lower():
                    self.jump_to(node.id)
                    return
            self.status.flash(f"No node matches {choice!r}")

    def export_yaml(self) -> None:
        from designer.export import export_roster_yaml

        export_roster_yaml(self)

    def export_image(self, kind: str) -> None:
        from designer.export import export_canvas

        export_canvas(self, kind)

    def open_api_keys(self) -> None:
        from designer.keys.dialog import ApiKeysDialog

        dialog = ApiKeysDialog(
            self.key_store, self, controller=self.controller, session=self.session_keys
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.api_keys_dialog = dialog
        dialog.open()

    def show_legend(self) -> None:
        from designer.panels.legend import legend_html

        QMessageBox.information(self, "Edge legend", legend_html())

    def about(self) -> None:
        from runtime import __version__

        QMessageBox.about(
            self,
            APP_NAME,
            f"<b>{APP_NAME}</b> {__version__}<br>"
            "Design, govern, simulate and run rosters of AI agents.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self._save_state()
        self.files.shutdown()
        self.oversight.shutdown()
        event.accept()
        app = QApplication.instance()
        if app is not None:
            app.setProperty("clean_exit", True)


__all__ = ["MainWindow"]
