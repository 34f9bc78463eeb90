"""Small filters for the rollout pages. Their output is plain text: the template escapes it."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def as_json(value: Any) -> str:
    """A parsed value as the JSON a model writes (`"1"` and `1` must look different)."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


@register.filter
def label_text(label: str) -> str:
    """A failure label in words: `format:invalid_json` -> `format: invalid json`."""
    return (label or "unlabelled").replace("_", " ").replace(":", ": ")
