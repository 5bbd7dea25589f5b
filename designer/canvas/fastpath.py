"""Build one `QPainterPath` from numpy coordinate arrays without a Python call per point.

Painting thousands of edges or node blocks through one path per style is what
keeps a large roster fluid, but adding the points one `lineTo` at a time costs
about a microsecond each through Shiboken. `QPainterPath` can be read from a
`QDataStream`, whose format is public (element count, then per element its type
and two doubles, then the start of the current subpath and the fill rule), so
the bytes are assembled with numpy and Qt parses them in C++ (the same technique
pyqtgraph uses).
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from PySide6.QtCore import QByteArray, QDataStream, QIODevice
from PySide6.QtGui import QPainterPath

MOVE_TO, LINE_TO = 0, 1
_RECORD = np.dtype([("c", ">i4"), ("x", ">f8"), ("y", ">f8")])


def path_from_arrays(x: Any, y: Any, connect: Any) -> QPainterPath:
    """A path through the points (x[i], y[i]); point i is a moveTo where connect[i] is 0
    and a lineTo from point i-1 otherwise (connect[0] is ignored: a path starts with a move)."""
    count = len(x)
    path = QPainterPath()
    if count == 0:
        return path
    records = np.empty(count, dtype=_RECORD)
    records["x"] = x
    records["y"] = y
    records["c"] = connect
    records["c"][0] = MOVE_TO
    data = struct.pack(">i", count) + records.tobytes() + struct.pack(">ii", 0, 0)
    buffer = QByteArray(data)  # the stream reads from it: keep it alive until done
    stream = QDataStream(buffer, QIODevice.OpenModeFlag.ReadOnly)
    stream >> path
    del stream, buffer
    return path


def polylines_path(xs: Any, ys: Any, starts: Any) -> QPainterPath:
    """One path of several polylines: flat coordinate arrays and the index where each
    polyline starts (a moveTo there, lineTo elsewhere)."""
    connect = np.ones(len(xs), dtype=np.int32)
    connect[starts] = MOVE_TO
    return path_from_arrays(xs, ys, connect)


def segments_path(x0: Any, y0: Any, x1: Any, y1: Any) -> QPainterPath:
    """One path of independent straight segments (x0, y0) → (x1, y1)."""
    n = len(x0)
    xs = np.empty(2 * n)
    ys = np.empty(2 * n)
    xs[0::2], xs[1::2] = x0, x1
    ys[0::2], ys[1::2] = y0, y1
    connect = np.tile(np.array([MOVE_TO, LINE_TO], dtype=np.int32), n)
    return path_from_arrays(xs, ys, connect)


def rects_path(left: Any, top: Any, width: float, height: float) -> QPainterPath:
    """One path of axis-aligned rectangles of one size at (left[i], top[i]), for filling."""
    n = len(left)
    right, bottom = np.asarray(left) + width, np.asarray(top) + height
    xs = np.stack([left, right, right, left, left], axis=1).ravel()
    ys = np.stack([top, top, bottom, bottom, top], axis=1).ravel()
    connect = np.tile(np.array([MOVE_TO, LINE_TO, LINE_TO, LINE_TO, LINE_TO], dtype=np.int32), n)
    path = path_from_arrays(xs, ys, connect)
    return path
