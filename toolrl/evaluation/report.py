"""A suite's summary as the text table `toolrl evaluate` prints (from the summary alone).

Example::

    >>> s = {"suite": "api-bank", "title": "API-Bank", "data": "d", "count": 2, "passed": 1,
    ...      "missing": 0, "accuracy": 0.5,
    ...      "categories": {"level-1": {"count": 2, "passed": 1, "accuracy": 0.5}}}
    >>> print(format_table(s).splitlines()[2])
    level-1                                                     2       1    50.00 %
"""

from __future__ import annotations

from typing import Any

from toolrl.evaluation.suites import SUITES

WIDTH = 54


def format_table(summary: dict[str, Any]) -> str:
    lines = [
        f"{summary['title']}  ({summary['data']})",
        f"{'category':{WIDTH}s} {'items':>6s} {'passed':>7s} {'accuracy':>10s}",
    ]
    for name, c in summary["categories"].items():
        lines.append(
            f"{name:{WIDTH}s} {c['count']:6d} {c['passed']:7d} {100 * c['accuracy']:8.2f} %"
        )
    lines.append(
        f"{'all items':{WIDTH}s} {summary['count']:6d} {summary['passed']:7d} "
        f"{100 * summary['accuracy']:8.2f} %"
    )
    suite = SUITES.get(summary["suite"])
    extra = suite.table(summary) if suite else []
    if extra:
        width = max(WIDTH + 15, *(len(label) for label, _ in extra))
        lines.append("")
        lines += [f"{label:{width}s} {value:>10s}" for label, value in extra]
    if summary.get("missing"):
        lines.append("")
        lines.append(f"{summary['missing']} items had no prediction (counted as failures)")
    if summary.get("unpassable"):
        n = len(summary["unpassable"])
        lines.append(
            f"{n} entries cannot be passed: their answer contradicts the function's schema"
        )
    truncated = summary.get("generation", {}).get("truncated_prompts")
    if truncated:
        lines.append(
            f"{truncated} prompts were longer than the model's context and lost their start"
        )
    return "\n".join(lines)
