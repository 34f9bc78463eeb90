"""HTML of the parts of a rollout card that repeat per token of text or per call parameter.

They are built here with `format_html` (every value escaped) rather than in the template: a page
shows 20 cards, and the template engine's per-node cost made these loops most of the page's
server time (bench/pages.py).
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def completion_html(parts: list[tuple[str, str]]) -> SafeString:
    """The completion with its `<think>`, `<tool_call>` and `<response>` parts in spans."""
    return format_html_join("", '<span class="part part-{}">{}</span>', parts)


def _value(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _param_row(p: dict[str, Any]) -> SafeString:
    gold = _value(p["gold"]) if p["status"] != "extra" else "—"
    pred = _value(p["pred"]) if p["status"] != "missing" else "—"
    return format_html(
        '<tr class="param {}"><td>&nbsp;&nbsp;<code>{}</code> <span class="muted">{}</span></td>'
        "<td>{}</td><td>{}</td></tr>",
        p["status"],
        p["key"],
        p["status"].replace("_", " "),
        gold,
        pred,
    )


def calls_html(comparison: list[dict[str, Any]]) -> SafeString:
    """Rows of the calls table: each ground-truth call beside the predicted call paired with
    it, then its parameters, each marked match / wrong value / missing / extra."""
    rows = []
    for c in comparison:
        rows.append(
            format_html(
                '<tr class="call-name {}"><td><code>{}</code></td><td>{}</td><td>{}</td></tr>',
                "ok" if c["name_ok"] else "bad",
                c["name"],
                c["name"] if c["gold"] else "—",
                c["name"] if c["pred"] else "—",
            )
        )
        rows += [_param_row(p) for p in c["params"]]
    return SafeString("".join(rows))
