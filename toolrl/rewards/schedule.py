"""Schedules: a number that changes over training, for reward weights and [min, max] ranges.

A value in a reward configuration is either a plain number or a `Schedule`. Schedules run over
training *progress* `p = step / max_steps` (0 to 1) or over the raw *step*:

- `constant`: `value`.
- `linear`: from `start` at `begin` to `end` at `finish`, held outside (default over p in [0, 1]).
- `cosine`: like linear with a half-cosine ease, `start + (end - start) * (1 - cos(pi t)) / 2`.
- `step`: `before` while x < `at`, `after` from `at` on.
- `piecewise`: linear interpolation through `points` `[[x, value], ...]`, held outside.

Example::

    >>> Schedule(kind="linear", start=-2, end=-1).at_time(step=50, max_steps=100)
    -1.5
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Schedule(BaseModel):
    """A number as a function of training step or progress (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Literal["constant", "linear", "cosine", "step", "piecewise"]
    by: Literal["progress", "step"] = "progress"
    value: float | None = None
    start: float | None = None
    end: float | None = None
    begin: float = 0.0
    finish: float | None = Field(
        default=None,
        description="where linear/cosine reach `end`; default 1 (progress) or max_steps",
    )
    at: float | None = None
    before: float | None = None
    after: float | None = None
    points: list[tuple[float, float]] | None = None

    @model_validator(mode="after")
    def _check_fields(self) -> Schedule:
        need = {
            "constant": ("value",),
            "linear": ("start", "end"),
            "cosine": ("start", "end"),
            "step": ("at", "before", "after"),
            "piecewise": ("points",),
        }[self.kind]
        missing = [name for name in need if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind!r} schedule needs {', '.join(missing)}")
        if self.kind == "piecewise":
            xs = [x for x, _ in self.points or []]
            if not xs or xs != sorted(xs):
                raise ValueError("points must be a non-empty list of [x, value] sorted by x")
        if self.finish is not None and self.finish <= self.begin:
            raise ValueError("finish must be greater than begin")
        return self

    def at_time(self, step: float, max_steps: float | None) -> float:
        """The value at `step` of `max_steps` (progress is clamped to [0, 1]).

        >>> Schedule(kind="step", by="step", at=30, before=1, after=0.5).at_time(30, 105)
        0.5
        """
        x = float(step) if self.by == "step" else progress(step, max_steps)
        if self.kind == "constant":
            return float(self.value)  # type: ignore[arg-type]
        if self.kind == "step":
            return float(self.before if x < self.at else self.after)  # type: ignore[arg-type,operator]
        if self.kind == "piecewise":
            return _interpolate(self.points or [], x)
        finish = self.finish
        if finish is None:
            finish = 1.0 if self.by == "progress" else float(max_steps or 1)
        t = min(max((x - self.begin) / max(finish - self.begin, 1e-12), 0.0), 1.0)
        if self.kind == "cosine":
            t = (1.0 - math.cos(math.pi * t)) / 2.0
        return self.start + (self.end - self.start) * t  # type: ignore[operator]


def progress(step: float, max_steps: float | None) -> float:
    """Training progress `step / max_steps` clamped to [0, 1]; 0 when max_steps is unknown.

    >>> progress(30, 120)
    0.25
    """
    if not max_steps or max_steps <= 0:
        return 0.0
    return min(max(float(step) / float(max_steps), 0.0), 1.0)


def _interpolate(points: list[tuple[float, float]], x: float) -> float:
    if x <= points[0][0]:
        return float(points[0][1])
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x <= x1:
            if x1 == x0:
                return float(y1)
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return float(points[-1][1])


Value = float | Schedule


def value_at(value: Value, step: float, max_steps: float | None) -> float:
    """A plain number, or a schedule evaluated at `step` of `max_steps`.

    >>> value_at(3, step=10, max_steps=100)
    3.0
    """
    if isinstance(value, Schedule):
        return value.at_time(step, max_steps)
    return float(value)
