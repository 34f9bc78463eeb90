"""Template filters of the run pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """A remaining time in the user's words: "40 s", "12 min", "3 h 5 min"."""
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


@register.filter
def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"
