"""`toolrl score --data PATH --completions PATH [--reward PRESET|FILE] [--json]`.

Scores model completions against a dataset's ground truths and prints a per-row breakdown and
the means.

Completions file: JSON Lines, each line either
- an object `{"id": ROW_ID, "completion": TEXT}`: matched to the row with that id; several lines
  may share an id (a GRPO group), rows without a completion are skipped; or
- a JSON string: the completion for the row at the same position (the file must then have
  exactly one line per row).

Exit codes: 0 scored; 1 the dataset or the completions file is invalid (problems on stderr as
`PATH:LINE: field: message`); 2 the reward configuration is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from toolrl.commands.reward_preview import load_reward
from toolrl.formats import FORMATS, DatasetError, Problem, load_rows
from toolrl.formats.reading import read_records
from toolrl.rewards import score_batch
from toolrl.schema import Row


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="dataset file (any supported format)")
    parser.add_argument("--format", default="auto", choices=["auto", *FORMATS])
    parser.add_argument("--completions", required=True, help="JSON Lines of completions")
    parser.add_argument("--reward", default="toolrl", help="preset name or YAML/JSON file")
    parser.add_argument("--step", type=float, default=0, help="training step for schedules")
    parser.add_argument("--max-steps", type=float, default=None, help="steps in the run")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def pair_completions(rows: list[Row], path: str | Path) -> list[tuple[Row, str]]:
    """(row, completion) pairs from a completions file; raises DatasetError naming lines."""
    records, problems = read_records(path)
    if problems:
        raise DatasetError(problems)
    by_id = {row.id: row for row in rows}
    pairs: list[tuple[Row, str]] = []
    if records and all(isinstance(r, str) for _, r in records):
        if len(records) != len(rows):
            msg = f"{len(records)} completions for {len(rows)} rows; give one per row or use ids"
            raise DatasetError([Problem(str(path), 0, "<file>", msg)])
        return [(row, text) for row, (_, text) in zip(rows, records, strict=True)]
    for line, record in records:
        if not isinstance(record, dict) or not isinstance(record.get("completion"), str):
            problems.append(Problem(str(path), line, "completion", "expected a string"))
        elif str(record.get("id")) not in by_id:
            problems.append(Problem(str(path), line, "id", f"no row with id {record.get('id')!r}"))
        else:
            pairs.append((by_id[str(record["id"])], record["completion"]))
    if problems:
        raise DatasetError(problems)
    return pairs


def _table(results: list[dict[str, Any]], names: list[str], means: dict[str, float]) -> None:
    width = max([len(r["id"]) for r in results] + [4])
    print(f"{'id':<{width}}  {'total':>7}  " + "  ".join(f"{n:>11}" for n in names) + "  error")
    for r in results:
        comps = "  ".join(f"{r['components'][n]:>11.4f}" for n in names)
        print(f"{r['id']:<{width}}  {r['total']:>7.4f}  {comps}  {r['error'] or ''}")
    comps = "  ".join(f"{means[n]:>11.4f}" for n in names)
    print(f"{'mean':<{width}}  {means['total']:>7.4f}  {comps}  ({len(results)} completions)")


def run(args: argparse.Namespace) -> int:
    cfg = load_reward(args.reward)
    if cfg is None:
        return 2
    try:
        rows = load_rows(args.data, args.format)
        pairs = pair_completions(rows, args.completions)
    except DatasetError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    breakdowns = score_batch(
        [c for _, c in pairs], [r.target for r, _ in pairs], cfg, args.step, args.max_steps
    )
    names = cfg.component_names()
    results = [
        {"id": row.id, "total": b.total, "components": b.components, "error": b.details["error"]}
        for (row, _), b in zip(pairs, breakdowns, strict=True)
    ]
    n = len(results) or 1
    means = {"total": sum(r["total"] for r in results) / n}
    for name in names:
        means[name] = sum(r["components"][name] for r in results) / n
    if args.json:
        print(
            json.dumps({"reward": cfg.name, "count": len(results), "mean": means, "rows": results})
        )
    else:
        _table(results, names, means)
    return 0
