"""`percent`: a score in [0, 1] as the paper prints it (two decimals, in %)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—"
    return f"{100 * value:.2f} %"
