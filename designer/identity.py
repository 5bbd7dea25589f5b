"""The application's identity on the desktop: its window icon and its desktop entry's name."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QIcon

from runtime.resources import resource

DESKTOP_FILE = "agent-roster"  # installer/linux/agent-roster.desktop
ICON = ("icons", "agent-roster.svg")


def apply_identity(app: QGuiApplication) -> None:
    """Give `app` its icon and the desktop file name (the Wayland app id).

    With the desktop file name set, the compositor shows the installed entry's name and
    icon in the task switcher; the window icon is the SVG the installer's PNGs come from.
    """
    icon = resource(*ICON)
    app.setWindowIcon(QIcon(str(icon)) if icon.is_file() else QIcon())
    app.setDesktopFileName(DESKTOP_FILE)
