"""`toolrl validate PATH [--format auto|...] [--json]`: check a dataset file.

Exit 0 and print a summary (rows, tools per row, calls per row, response-only share) when the
file imports; warnings (odd but usable data) are listed on stderr. Exit 1 and print one
`PATH:LINE: field: message` line per problem on stderr when it does not.
"""

from __future__ import annotations

import argparse
import json
import sys
from statistics import mean
from typing import Any

from toolrl.formats import FORMATS, inspect_rows
from toolrl.schema import Row


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="dataset file (JSON, JSON Lines or parquet)")
    parser.add_argument(
        "--format", default="auto", choices=["auto", *FORMATS], help="input format (default: auto)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def summarize(rows: list[Row]) -> dict[str, Any]:
    """Counts and shares describing a list of rows.

    >>> from toolrl.schema import Target
    >>> summarize([Row(id="a", target=Target(response="hi"))])["response_only_share"]
    1.0
    """
    n = len(rows)
    tools = [len(r.tools) for r in rows] or [0]
    calls = [len(r.target.calls) for r in rows] or [0]
    response_only = sum(1 for r in rows if not r.target.calls and r.target.response is not None)
    both = sum(1 for r in rows if r.target.calls and r.target.response is not None)
    with_obs = sum(1 for r in rows if any(t.role == "observation" for t in r.history))
    sources: dict[str, int] = {}
    for r in rows:
        sources[r.source or "?"] = sources.get(r.source or "?", 0) + 1
    return {
        "rows": n,
        "tools_per_row": {"mean": mean(tools), "min": min(tools), "max": max(tools)},
        "calls_per_row": {"mean": mean(calls), "min": min(calls), "max": max(calls)},
        "response_only_share": response_only / n if n else 0.0,
        "calls_and_response_share": both / n if n else 0.0,
        "multi_step_share": with_obs / n if n else 0.0,
        "sources": sources,
    }


def _print_summary(path: str, s: dict[str, Any], warnings: int) -> None:
    t, c = s["tools_per_row"], s["calls_per_row"]
    print(
        f"{path}: valid, {s['rows']} rows ({', '.join(f'{k} {v}' for k, v in s['sources'].items())})"
    )
    print(f"  tools per row:      mean {t['mean']:.2f}  min {t['min']}  max {t['max']}")
    print(f"  calls per row:      mean {c['mean']:.2f}  min {c['min']}  max {c['max']}")
    print(f"  response-only:      {s['response_only_share']:.1%}")
    print(f"  calls + response:   {s['calls_and_response_share']:.1%}")
    print(f"  with observations:  {s['multi_step_share']:.1%}")
    if warnings:
        print(f"  warnings:           {warnings} (listed on stderr)")


def run(args: argparse.Namespace) -> int:
    rows, problems = inspect_rows(args.path, args.format)
    for problem in problems:
        print(problem, file=sys.stderr)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        print(f"{args.path}: {len(errors)} error(s)", file=sys.stderr)
        return 1
    summary = summarize(rows)
    if args.json:
        print(json.dumps({**summary, "warnings": len(problems)}, indent=2))
    else:
        _print_summary(args.path, summary, len(problems))
    return 0
