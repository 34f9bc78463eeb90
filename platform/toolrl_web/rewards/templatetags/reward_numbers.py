"""`{{ value|num }}`: a reward number rounded to 4 decimals without trailing zeros (0.5, 3.625)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def num(value) -> str:
    try:
        return f"{round(float(value), 4):g}"
    except (TypeError, ValueError):
        return "" if value is None else str(value)
