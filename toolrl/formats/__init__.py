"""Dataset importers: every supported format becomes a list of canonical `Row`s.

Formats (`FORMATS`), detected automatically from the file and its first record:

- `toolrl-raw`: ToolRL raw JSON, `{"instruction", "input", "output"}` (`rlla_sft.json`).
- `toolrl-parquet`: the veRL parquet ToolRL trains on (`prompt`, `reward_model`, `extra_info`).
- `xlam`: xLAM function calling, `{"query", "tools", "answers"}` (JSON strings or lists).
- `hammer`: Hammer's alpaca-style xLAM records (`instruction` with `[BEGIN OF ...]` sections).
- `toolace`: `{"system", "conversations"}`; one row per assistant message.
- `bfcl`: `{"question", "function"}` with `ground_truth` inline or in a `possible_answer/`
  file of the same name next to it.
- `rows`: our own JSONL, one `Row.model_dump_json()` per line (`save_rows` writes it).

Files may be a JSON array or JSON Lines (`.parquet` for parquet). Problems are collected over the
whole file and raised together as a `DatasetError` whose lines read `PATH:LINE: field: message`.

Example::

    >>> rows = load_rows("../shared/data/toolrl/dataset/rlla_4k/test.parquet")  # doctest: +SKIP
    >>> rows[0].target.calls[0].name  # doctest: +SKIP
    'get_futured_playlists'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pydantic

from toolrl.formats import bfcl, rlla, toolace, xlam
from toolrl.formats.checks import check_rows
from toolrl.formats.problems import DatasetError, Problem, RecordError
from toolrl.formats.reading import read_records
from toolrl.schema import Row

__all__ = [
    "FORMATS",
    "DatasetError",
    "Problem",
    "detect_format",
    "inspect_rows",
    "load_rows",
    "save_rows",
]

Importer = Callable[[dict[str, Any], str], "Row | list[Row]"]

FORMATS: dict[str, Importer] = {
    "toolrl-raw": rlla.from_raw,
    "toolrl-parquet": rlla.from_parquet,
    "xlam": xlam.from_xlam,
    "hammer": xlam.from_hammer,
    "toolace": toolace.from_toolace,
    "bfcl": bfcl.from_bfcl,
    "rows": lambda record, _id: Row.model_validate(record),
}


def detect_format(record: dict[str, Any], path: str | Path = "") -> str | None:
    """The format a record looks like, or None.

    >>> detect_format({"query": "q", "tools": "[]", "answers": "[]"})
    'xlam'
    """
    keys = set(record)
    if {"prompt", "reward_model"} <= keys:
        return "toolrl-parquet"
    if {"instruction", "output"} <= keys:
        if "[BEGIN OF AVAILABLE TOOLS]" in str(record.get("instruction", "")):
            return "hammer"
        return "toolrl-raw"
    if {"query", "tools", "answers"} <= keys:
        return "xlam"
    if {"system", "conversations"} <= keys:
        return "toolace"
    if {"question", "function"} <= keys:
        return "bfcl"
    if {"id", "target"} <= keys:
        return "rows"
    return None


def _bfcl_answers(path: Path) -> dict[str, Any]:
    """Ground truths from `possible_answer/<same file name>` next to a BFCL question file."""
    answer_path = path.parent / "possible_answer" / path.name
    if not answer_path.exists():
        return {}
    records, problems = read_records(answer_path)
    if problems:
        raise DatasetError(problems)
    return {str(r.get("id")): r.get("ground_truth") for _, r in records if isinstance(r, dict)}


def _import(
    records: Iterable[tuple[int, Any]], fmt: str, path: Path
) -> tuple[list[Row], list[int], list[Problem]]:
    importer = FORMATS[fmt]
    answers = _bfcl_answers(path) if fmt == "bfcl" else {}
    rows: list[Row] = []
    lines: list[int] = []
    problems: list[Problem] = []
    for n, (line, record) in enumerate(records):
        row_id = f"{path.stem}-{n}"
        if not isinstance(record, dict):
            problems.append(Problem(str(path), line, "<record>", "not a JSON object"))
            continue
        try:
            if fmt == "bfcl":
                out = bfcl.from_bfcl(record, row_id, answers.get(str(record.get("id"))))
            else:
                out = importer(record, row_id)
        except RecordError as exc:
            problems.append(Problem(str(path), line, exc.field, exc.message))
            continue
        except pydantic.ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "<record>"
                problems.append(Problem(str(path), line, where, err["msg"]))
            continue
        rows.extend(out if isinstance(out, list) else [out])
        lines.extend([line] * (len(out) if isinstance(out, list) else 1))
    return rows, lines, problems


def inspect_rows(path: str | Path, format: str = "auto") -> tuple[list[Row], list[Problem]]:
    """Import what can be imported and return it with every problem (errors and warnings).

    >>> inspect_rows("no/such/file.json")[1][0].message
    'no such file'
    """
    path = Path(path)
    if format != "auto" and format not in FORMATS:
        return [], [Problem(str(path), 0, "format", f"unknown format {format!r}")]
    records, problems = read_records(path)
    if problems:
        return [], problems
    if format == "auto":
        first = next((r for _, r in records if isinstance(r, dict)), None)
        detected = detect_format(first, path) if first is not None else None
        if detected is None:
            msg = "cannot tell the format; pass --format (" + ", ".join(FORMATS) + ")"
            line = records[0][0] if records else 0
            return [], [Problem(str(path), line, "<record>", msg)]
        format = detected
    try:
        rows, lines, problems = _import(records, format, path)
    except DatasetError as exc:  # the BFCL answer file next to it is broken
        return [], exc.problems
    problems += check_rows(rows, str(path), lines)
    problems.sort(key=lambda p: p.line)
    return rows, problems


def load_rows(path: str | Path, format: str = "auto") -> list[Row]:
    """Import a dataset file as canonical rows, or raise `DatasetError` listing every error.

    Warnings (see `toolrl.formats.checks`) do not stop the import; `inspect_rows` returns them.

    >>> import json, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.jsonl")
    >>> _ = open(p, "w").write(json.dumps({"query": "Hi", "tools": [], "answers": []}) + "\\n")
    >>> load_rows(p)[0].source
    'xlam'
    """
    rows, problems = inspect_rows(path, format)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DatasetError(errors)
    return rows


def save_rows(rows: Iterable[Row], path: str | Path) -> int:
    """Write rows as our JSONL (one `Row` per line), atomically: on failure nothing is left.

    >>> import os, tempfile
    >>> from toolrl.schema import Target
    >>> save_rows([Row(id="a", target=Target(response="hi"))], os.path.join(tempfile.mkdtemp(), "r.jsonl"))
    1
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(row.model_dump_json() + "\n")
                count += 1
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
