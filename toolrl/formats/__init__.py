"""Dataset importers: every supported format becomes a list of canonical `Row`s.

Formats (`FORMATS`), detected automatically from the file and its first record:

- `toolrl-raw`: ToolRL raw JSON, `{"instruction", "input", "output"}` (`rlla_sft.json`).
- `toolrl-parquet`: the veRL parquet ToolRL trains on (`prompt`, `reward_model`, `extra_info`).
- `xlam`: xLAM function calling, `{"query", "tools", "answers"}` (JSON strings or lists);
  without `tools`, questions and answers only, for a separate tool set (`toolrl.formats.tools`).
- `hammer`: Hammer's alpaca-style xLAM records (`instruction` with `[BEGIN OF ...]` sections).
- `toolace`: `{"system", "conversations"}`; one row per assistant message.
- `bfcl`: `{"question", "function"}` with `ground_truth` inline or in a `possible_answer/`
  file of the same name next to it.
- `rows`: our own JSONL, one `Row.model_dump_json()` per line (`save_rows` writes it).

Files may be a JSON array, JSON Lines or parquet, gzip-compressed or not (told from the content,
see `toolrl.formats.reading`). `scan_rows` streams a file (rows and problems as they come, memory
flat); `inspect_rows` and `load_rows` collect it. Problems read `PATH:LINE: field: message`
(`PATH: field: message` when they concern the whole file); `load_rows` raises them together as
a `DatasetError`.

Example::

    >>> rows = load_rows("../shared/data/toolrl/dataset/rlla_4k/test.parquet")  # doctest: +SKIP
    >>> rows[0].target.calls[0].name  # doctest: +SKIP
    'get_futured_playlists'
"""

from __future__ import annotations

import itertools
import os
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pydantic

from toolrl.formats import bfcl, rlla, toolace, xlam
from toolrl.formats.checks import row_problems
from toolrl.formats.jsontext import LineParser
from toolrl.formats.problems import DatasetError, Problem, RecordError, sort_key
from toolrl.formats.reading import Progress, ProgressFn, iter_records, read_records
from toolrl.formats.tools import CallChecker
from toolrl.schema import Row, ToolSpec

__all__ = [
    "FORMATS",
    "DatasetError",
    "Problem",
    "Progress",
    "detect_format",
    "inspect_rows",
    "load_rows",
    "save_rows",
    "RowScan",
    "scan_rows",
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
    if {"query", "answers"} <= keys:
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


def _stem(name: str) -> str:
    """`weather.jsonl.gz` -> `weather`: row ids read better without the file's suffixes."""
    stem = Path(name).name
    for suffix in (".gz", ".jsonl", ".json", ".parquet", ".ndjson"):
        stem = stem.removesuffix(suffix)
    return stem or "row"


def _first_record(
    items: Iterator[tuple[int, Any] | Problem],
) -> tuple[list[tuple[int, Any] | Problem], dict[str, Any] | None, int | None]:
    """Items up to the first JSON object (to tell the format from), that object and its line."""
    seen: list[tuple[int, Any] | Problem] = []
    for item in items:
        seen.append(item)
        if not isinstance(item, Problem) and isinstance(item[1], dict):
            return seen, item[1], item[0]
        if len(seen) >= 1000:
            break
    return seen, None, None


def _rows_of(record: dict[str, Any], fmt: str, row_id: str, answers: dict[str, Any]) -> list[Row]:
    if fmt == "bfcl":
        out = bfcl.from_bfcl(record, row_id, answers.get(str(record.get("id"))))
    else:
        out = FORMATS[fmt](record, row_id)
    return out if isinstance(out, list) else [out]


class _Duplicates:
    """Row ids seen so far as 64-bit hashes with their lines (12 bytes a row, not a dict of
    strings), sorted once at the end to find the repeats."""

    def __init__(self) -> None:
        self.hashes = array("q")
        self.lines = array("Q")

    def add(self, row_id: str, line: int) -> None:
        self.hashes.append(hash(row_id))
        self.lines.append(line)

    def repeats(self) -> list[tuple[int, int]]:
        """(line, line of the first row with the same id) for every repeated id."""
        if len(self.hashes) < 2:
            return []
        import numpy as np

        hashes = np.frombuffer(self.hashes, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        # Sorted positions equal to the one before: only those are walked in Python. Runs of
        # equal ids are consecutive positions, each run's first row just before its first
        # repeat (17 bytes a row at the peak, not ~40 for a run-start array).
        repeated = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1
        del ordered
        out = []
        run_start = previous = -2
        for p in repeated.tolist():
            if p - 1 != previous:
                run_start = p - 1
            previous = p
            out.append((self.lines[order[p]], self.lines[order[run_start]]))
        return sorted(out)


def scan_rows(
    path: str | Path,
    format: str = "auto",
    *,
    name: str | None = None,
    tools: list[ToolSpec] | None = None,
    progress: ProgressFn | None = None,
) -> RowScan:
    """Stream a dataset file: `(line, Row)` for every imported row and a `Problem` for
    everything wrong, in file order (repeated ids come last). Memory stays flat.

    `name` is how problems name the file (and what row ids are made from); `tools` is a tool
    set for rows that carry no tools of their own, against which every ground-truth call is
    then checked; `progress` is called as the file is read. The returned scan's `format` is the
    format read (known once the first record has been seen).

    >>> [str(p) for p in scan_rows("no/such/file.json")]
    ['no/such/file.json: <file>: no such file']
    """
    return RowScan(path, format, name=name, tools=tools, progress=progress)


class RowScan:
    """An iterable over the rows and problems of one file (see `scan_rows`)."""

    def __init__(
        self,
        path: str | Path,
        format: str,
        *,
        name: str | None,
        tools: list[ToolSpec] | None,
        progress: ProgressFn | None,
    ) -> None:
        self.path, self.requested = Path(path), format
        self.name = name or str(path)
        self.tools, self.progress = tools, progress
        self.format: str | None = None

    def __iter__(self) -> Iterator[tuple[int, Row] | Problem]:
        shown = self.name
        if self.requested != "auto" and self.requested not in FORMATS:
            known = ", ".join(FORMATS)
            message = f"unknown format {self.requested!r} (known: {known})"
            yield Problem(shown, None, "format", message)
            return
        lines = LineParser()
        items = iter_records(self.path, name=shown, progress=self.progress, lines=lines)
        fmt = self.requested
        if fmt == "auto":
            seen, first, line = _first_record(items)
            detected = detect_format(first, self.path) if first is not None else None
            if detected is None:
                yield from (p for p in seen if isinstance(p, Problem))
                if first is not None or not any(isinstance(p, Problem) for p in seen):
                    message = "cannot tell the format; choose one (" + ", ".join(FORMATS) + ")"
                    yield Problem(shown, line, "<record>", message)
                return
            fmt = detected
            items = itertools.chain(seen, items)
        self.format = fmt
        if fmt == "rows":
            # Our own lines go straight from text to `Row` (pydantic's JSON parser); a line it
            # refuses is read again the precise way, so problems read exactly as before.
            # (`Row.model_validate_json` without its Python wrapper: the same call, per line.)
            lines.parse = Row.__pydantic_validator__.validate_json
        try:
            answers = _bfcl_answers(self.path) if fmt == "bfcl" else {}
        except DatasetError as exc:  # the BFCL answer file next to it is broken
            yield from exc.problems
            return
        yield from _import(items, fmt, shown, self.tools, answers)


def _import(
    items: Iterator[tuple[int, Any] | Problem],
    fmt: str,
    shown: str,
    tools: list[ToolSpec] | None,
    answers: dict[str, Any],
) -> Iterator[tuple[int, Row] | Problem]:
    stem = _stem(shown)
    checker = CallChecker(tools) if tools else None
    duplicates = _Duplicates()
    # `duplicates.add` inline, once a row: bound methods of its two arrays.
    add_hash, add_line = duplicates.hashes.append, duplicates.lines.append
    n_records = n_rows = own_tools = 0
    for item in items:
        if isinstance(item, Problem):
            yield item
            continue
        line, record = item
        n_records += 1
        if type(record) is Row:  # read by the rows format's fast path: already validated
            rows = [record]
        elif not isinstance(record, dict):
            yield Problem(shown, line, "<record>", "not a JSON object")
            continue
        else:
            try:
                rows = _rows_of(record, fmt, f"{stem}-{n_records - 1}", answers)
            except RecordError as exc:
                yield Problem(shown, line, exc.field, exc.message)
                continue
            except pydantic.ValidationError as exc:
                for err in exc.errors():
                    where = ".".join(str(p) for p in err["loc"]) or "<record>"
                    yield Problem(shown, line, where, err["msg"])
                continue
        for row in rows:
            attach = checker is not None and not row.tools
            if attach:
                row.tools = checker.tools
            elif checker is not None:
                own_tools += 1
            for field, message, severity in row_problems(row, tools_checked=attach):
                yield Problem(shown, line, field, message, severity)
            if attach:
                for field, message in checker.problems(row.target.calls):
                    yield Problem(shown, line, field, message)
            add_hash(hash(row.id))
            add_line(line)
            n_rows += 1
            yield line, row
    for line, first in duplicates.repeats():
        yield Problem(shown, line, "id", f"the same id as the row on line {first}")
    if own_tools:
        message = (
            f"{own_tools} row(s) list their own tools; the attached tool set is used only "
            "for rows without tools"
        )
        yield Problem(shown, None, "tools", message, "warning")
    if n_records == 0 and n_rows == 0:
        yield Problem(shown, None, "<file>", "no records in the file")


def inspect_rows(
    path: str | Path, format: str = "auto", *, tools: list[ToolSpec] | None = None
) -> tuple[list[Row], list[Problem]]:
    """Import what can be imported and return it with every problem (errors and warnings),
    problems in file order.

    >>> inspect_rows("no/such/file.json")[1][0].message
    'no such file'
    """
    rows: list[Row] = []
    problems: list[Problem] = []
    for item in scan_rows(path, format, tools=tools):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            rows.append(item[1])
    problems.sort(key=sort_key)
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
