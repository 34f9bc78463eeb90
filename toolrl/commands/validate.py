"""`toolrl validate PATH [--format auto|...] [--tools FILE] [--tokenizer MODEL] [--json]`.

Checks a dataset file the way the platform's upload page does (both call `validate_file`):
exit 0 and print a summary (rows, tools and calls per row, response-only, parallel-call and
multi-step shares, and with `--tokenizer` the prompt length in tokens) when the file imports;
warnings (odd but usable data) are listed on stderr. Exit 1 and print one
`PATH:LINE: field: message` line per problem on stderr when it does not. `--tools` attaches a
tool set file to rows that list no tools and checks every ground-truth call against it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolrl.formats import FORMATS, Problem, ProgressFn, scan_rows
from toolrl.formats.problems import sort_key
from toolrl.formats.stats import DatasetStats, RowSample, token_summary
from toolrl.formats.tools import read_tools
from toolrl.schema import Row, ToolSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="dataset file (JSON, JSON Lines or parquet; .gz too)")
    parser.add_argument(
        "--format", default="auto", choices=["auto", *FORMATS], help="input format (default: auto)"
    )
    parser.add_argument(
        "--tools", help="tool set file (JSON function specs) for rows that list no tools"
    )
    parser.add_argument(
        "--tokenizer",
        help="count prompt tokens with this model's tokenizer (tiny, tiny:fast, a hub id or a "
        "local model folder); loads transformers",
    )
    parser.add_argument(
        "--sample", type=int, default=2000, help="rows measured with the tokenizer (default 2000)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


@dataclass
class Validation:
    """What validating a file found: the format read, statistics, problem counts, the rows
    chosen for token counting (`sample`) and, when asked for, those rows themselves."""

    format: str | None
    stats: dict[str, Any]
    errors: int = 0
    warnings: int = 0
    sample: RowSample = field(default_factory=RowSample)
    sample_rows: dict[int, Row] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.errors == 0 and self.stats.get("rows", 0) > 0


def validate_file(
    path: str | Path,
    format: str = "auto",
    *,
    name: str | None = None,
    tools: list[ToolSpec] | None = None,
    progress: ProgressFn | None = None,
    on_problem: Callable[[Problem], None] | None = None,
    on_row: Callable[[int, Row], int] | None = None,
    keep_sample_rows: bool = False,
    sample_size: int = 2000,
    seed: int = 0,
) -> Validation:
    """Stream a dataset file through every check and the statistics.

    `on_problem` receives each problem as it is found; `on_row(line, row)` each imported row
    and returns its size in bytes (used to pick the longest rows for token counting; the size
    of the row's JSON when not given). Rows are numbered in the order they are imported; the
    sample names rows by that number, and `keep_sample_rows` keeps them in memory (bounded).

    >>> v = validate_file("no/such/file.jsonl")
    >>> v.errors, v.valid
    (1, False)
    """
    scan = scan_rows(path, format, name=name, tools=tools, progress=progress)
    stats = DatasetStats()
    sample = RowSample(size=sample_size, seed=seed)
    kept: dict[int, Row] = {}
    errors = warnings = 0
    for item in scan:
        if isinstance(item, Problem):
            if item.severity == "error":
                errors += 1
            else:
                warnings += 1
            if on_problem is not None:
                on_problem(item)
            continue
        line, row = item
        index = stats.rows
        stats.add(row)
        size = on_row(line, row) if on_row is not None else len(row.model_dump_json())
        if sample.offer(index, size) and keep_sample_rows:
            kept[index] = row
            if len(kept) > 2 * (sample.size + sample.n_longest):
                wanted = set(sample.indices())
                kept = {i: r for i, r in kept.items() if i in wanted}
    if keep_sample_rows:
        wanted = set(sample.indices())
        kept = {i: r for i, r in kept.items() if i in wanted}
    result = Validation(scan.format, stats.as_dict(), errors, warnings, sample, kept)
    if not result.stats["rows"] and not errors:
        result.errors = 1
        if on_problem is not None:
            on_problem(Problem(name or str(path), None, "<file>", "no rows"))
    return result


def load_tokenizer(model: str) -> Any:
    """The tokenizer of `model` (`tiny[:recipe]` builds or reuses the tiny local model).
    Imports transformers: call it only where that is acceptable (the CLI, a worker)."""
    from transformers import AutoTokenizer

    from toolrl.tiny import resolve_model_path

    return AutoTokenizer.from_pretrained(resolve_model_path(model))


def count_prompt_tokens(tokenizer: Any, rows: list[Row], batch: int = 256) -> list[int]:
    """Tokens of each row's prompt as training renders it (chat template, generation prompt)."""
    from toolrl.training.data import prompt_lengths, to_records

    out: list[int] = []
    for start in range(0, len(rows), batch):
        out += prompt_lengths(tokenizer, to_records(rows[start : start + batch]))
    return out


def _print_summary(path: str, s: dict[str, Any], warnings: int) -> None:
    t, c = s["tools_per_row"], s["calls_per_row"]
    sources = ", ".join(f"{k} {v}" for k, v in s["sources"].items())
    print(f"{path}: valid, {s['rows']} rows ({sources})")
    print(f"  tools per row:      mean {t['mean']:.2f}  min {t['min']}  max {t['max']}")
    print(f"  calls per row:      mean {c['mean']:.2f}  min {c['min']}  max {c['max']}")
    histogram = "  ".join(f"{k}: {v}" for k, v in c["histogram"])
    print(f"  calls histogram:    {histogram}")
    print(f"  response-only:      {s['response_only_share']:.1%}")
    print(f"  calls + response:   {s['calls_and_response_share']:.1%}")
    print(f"  parallel calls:     {s['parallel_call_share']:.1%}")
    print(f"  with observations:  {s['multi_step_share']:.1%}")
    tokens = s.get("prompt_tokens")
    if tokens:
        measured = f"{tokens['measured_rows']} of {tokens['total_rows']} rows"
        print(
            f"  prompt tokens:      mean {tokens['mean']:.0f}  p50 {tokens['p50']}  "
            f"p90 {tokens['p90']}  max {tokens['max']}  ({tokens['tokenizer']}, {measured})"
        )
    if warnings:
        print(f"  warnings:           {warnings} (listed on stderr)")


def measure_tokens(tokenizer: Any, name: str, sample: RowSample, rows: dict[int, Row]) -> dict:
    """The prompt-token statistics of the sampled `rows` (index -> row)."""
    indices = sorted(rows)
    counts = count_prompt_tokens(tokenizer, [rows[i] for i in indices])
    lengths = dict(zip(indices, counts, strict=True))
    ids = {i: rows[i].id for i in indices}
    return token_summary(lengths, sample, tokenizer=name, ids=ids)


def run(args: argparse.Namespace) -> int:
    tools = None
    if args.tools:
        tools, tool_problems = read_tools(args.tools)
        for problem in tool_problems:
            print(problem, file=sys.stderr)
        if any(p.severity == "error" for p in tool_problems):
            print(f"{args.tools}: the tool set has errors", file=sys.stderr)
            return 1
    problems: list[Problem] = []
    validation = validate_file(
        args.path,
        args.format,
        tools=tools,
        on_problem=problems.append,
        keep_sample_rows=bool(args.tokenizer),
        sample_size=args.sample,
    )
    problems.sort(key=sort_key)
    for problem in problems:
        print(problem, file=sys.stderr)
    if validation.errors:
        print(f"{args.path}: {validation.errors} error(s)", file=sys.stderr)
        return 1
    summary = dict(validation.stats)
    if args.tokenizer:
        tokenizer = load_tokenizer(args.tokenizer)
        summary["prompt_tokens"] = measure_tokens(
            tokenizer, args.tokenizer, validation.sample, validation.sample_rows
        )
    if args.json:
        print(json.dumps({**summary, "warnings": validation.warnings}, indent=2))
    else:
        _print_summary(args.path, summary, validation.warnings)
    return 0
