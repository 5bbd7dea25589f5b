"""Working hours as a time warp: wall-clock seconds ⇄ working seconds, vectorised.

Forecast time starts on a Monday at 00:00 (local time of the people involved)
and is counted in seconds. A `Hours` value says when work happens (for
example 09:00–17:00, Monday to Friday). `to_work(t)` counts the working
seconds before wall time `t`; `to_wall(w)` is its inverse (the wall time at
which `w` working seconds have passed, landing at the start of the next
working period, never in a gap). With both, a reviewer who needs 30 working
minutes and receives a request at 16:50 on Friday answers at 09:20 on Monday,
and a queue of reviewers becomes an ordinary queue in working time. Arrivals
that follow business hours are generated the same way.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np

from runtime.forecast.dists import FloatArray

DAY: Final = 86_400.0
WEEK: Final = 7 * DAY
DAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Hours:
    """Work happens from `start` to `end` (hours of the day, 0–24) on `days` (0 = Monday)."""

    start: float = 0.0
    end: float = 24.0
    days: tuple[int, ...] = tuple(range(7))

    @property
    def always(self) -> bool:
        return self.start == 0.0 and self.end == 24.0 and len(set(self.days)) == 7

    @property
    def seconds_per_day(self) -> float:
        return (self.end - self.start) * 3600.0

    @property
    def seconds_per_week(self) -> float:
        return self.seconds_per_day * len(set(self.days))

    def describe(self) -> str:
        if self.always:
            return "around the clock"
        days = ", ".join(DAY_NAMES[d] for d in sorted(set(self.days)))
        return f"{_clock(self.start)}–{_clock(self.end)} on {days}"

    def _tables(self) -> tuple[FloatArray, FloatArray]:
        """Working seconds before each weekday starts, and whether each weekday works."""
        works = np.zeros(7)
        works[list(set(self.days))] = 1.0
        before = np.concatenate(([0.0], np.cumsum(works * self.seconds_per_day)[:-1]))
        return before, works

    def to_work(self, wall: FloatArray) -> FloatArray:
        """Working seconds elapsed before each wall time."""
        if self.always:
            return wall.copy()
        before, works = self._tables()
        weeks = np.floor(wall / WEEK)
        in_week = wall - weeks * WEEK
        day = np.minimum((in_week // DAY).astype(np.int64), 6)
        of_day = in_week - day * DAY
        within = np.clip(of_day - self.start * 3600.0, 0.0, self.seconds_per_day)
        return weeks * self.seconds_per_week + before[day] + within * works[day]

    def to_wall(self, work: FloatArray) -> FloatArray:
        """The earliest wall time by which `work` working seconds have passed."""
        if self.always:
            return work.copy()
        before, works = self._tables()
        per_week = self.seconds_per_week
        weeks = np.floor(work / per_week)
        rest = work - weeks * per_week
        # the working day holding `rest`: the last working weekday starting at or before it
        ends = before + works * self.seconds_per_day
        day = np.searchsorted(ends, rest, side="right")
        day = np.minimum(day, 6)
        # a rest that falls exactly on a day's end belongs to the next working day's start
        within = rest - before[day]
        return weeks * WEEK + day * DAY + self.start * 3600.0 + within

    def to_work_scalar(self, wall: float) -> float:
        return float(self.to_work(np.array([wall]))[0])

    def scalar(self) -> tuple[Callable[[float], float], Callable[[float], float]]:
        """Plain-float versions of (`to_work`, `to_wall`) for event loops (no NumPy per call)."""
        if self.always:
            return float, float
        before_a, works_a = self._tables()
        before, works = before_a.tolist(), works_a.tolist()
        ends = [b + w * self.seconds_per_day for b, w in zip(before, works, strict=True)]
        open_s, length, per_week = self.start * 3600.0, self.seconds_per_day, self.seconds_per_week

        def to_work(wall: float) -> float:
            weeks = wall // WEEK
            in_week = wall - weeks * WEEK
            day = int(in_week // DAY)
            within = in_week - day * DAY - open_s
            if within < 0.0:
                within = 0.0
            elif within > length:
                within = length
            return float(weeks * per_week + before[day] + within * works[day])

        def to_wall(work: float) -> float:
            weeks = work // per_week
            rest = work - weeks * per_week
            day = bisect.bisect_right(ends, rest)
            if day > 6:
                day = 6
            return float(weeks * WEEK + day * DAY + open_s + rest - before[day])

        return to_work, to_wall


ALWAYS: Final = Hours()


def _clock(hour: float) -> str:
    whole = int(hour)
    return f"{whole:02d}:{round((hour - whole) * 60):02d}"
