"""Read a data file as `(line, record)` pairs: a JSON array, JSON Lines, or parquet.

Line numbers point at where each record starts, so problems can be reported as `PATH:LINE`;
for parquet the "line" is the 1-based row number.

Example::

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.json")
    >>> _ = open(p, "w").write('[\\n {"a": 1},\\n {"a": 2}\\n]')
    >>> read_records(p)
    ([(2, {'a': 1}), (3, {'a': 2})], [])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolrl.formats.problems import Problem

Records = list[tuple[int, Any]]

_WS = " \t\n\r"


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _json_array(text: str, path: str) -> tuple[Records, list[Problem]]:
    decoder = json.JSONDecoder()
    records: Records = []
    i = _skip_ws(text, text.index("[") + 1)
    while i < len(text) and text[i] != "]":
        line = text.count("\n", 0, i) + 1
        try:
            value, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            return records, [Problem(path, exc.lineno, "<json>", exc.msg)]
        records.append((line, value))
        i = _skip_ws(text, i)
        if i < len(text) and text[i] == ",":
            i = _skip_ws(text, i + 1)
        elif i < len(text) and text[i] != "]":
            where = text.count("\n", 0, i) + 1
            return records, [Problem(path, where, "<json>", "expected ',' or ']'")]
    if i >= len(text):
        return records, [Problem(path, text.count("\n") + 1, "<json>", "unterminated array")]
    if text[i + 1 :].strip():
        where = text.count("\n", 0, i + 1) + 1
        return records, [Problem(path, where, "<json>", "extra data after the array")]
    return records, []


def _json_lines(text: str, path: str) -> tuple[Records, list[Problem]]:
    records: Records = []
    problems = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((n, json.loads(line)))
        except ValueError as exc:
            problems.append(Problem(path, n, "<json>", f"not valid JSON ({exc})"))
    return records, problems


def _parquet(path: Path) -> tuple[Records, list[Problem]]:
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        return [], [Problem(str(path), 0, "<parquet>", f"cannot read parquet ({exc})")]
    return [(n, r) for n, r in enumerate(rows, start=1)], []


def read_records(path: str | Path) -> tuple[Records, list[Problem]]:
    """All records of a file with their line (or row) numbers, and any reading problems."""
    path = Path(path)
    if not path.is_file():
        return [], [Problem(str(path), 0, "<file>", "no such file")]
    if path.suffix.lower() == ".parquet":
        return _parquet(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(str(path), 0, "<file>", f"cannot read ({exc})")]
    stripped = text.lstrip()
    if stripped.startswith("["):
        return _json_array(text, str(path))
    if not stripped:
        return [], [Problem(str(path), 0, "<file>", "empty file")]
    records, problems = _json_lines(text, str(path))
    if problems and not records:
        # Maybe one pretty-printed object rather than JSON Lines.
        try:
            value = json.loads(text)
        except ValueError:
            return records, problems
        if isinstance(value, dict):
            return [(text.count("\n", 0, text.index("{")) + 1, value)], []
    return records, problems
