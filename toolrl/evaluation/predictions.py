"""Reading a predictions file: JSON Lines of `{"id": ITEM_ID, "completion": TEXT}`.

Completions are in the ToolRL output format; ids are the suite's item ids. Every problem in the
file is collected and reported together as `FILE:LINE: message` (`PredictionsError`), and
nothing is scored while any remains, so a typo never silently turns into a failed item.

Example::

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "p.jsonl")
    >>> _ = open(p, "w").write('{"id": "a", "completion": "x"}\\n{"id": "a", "completion": "y"}\\n')
    >>> try:
    ...     read_predictions(p, known_ids={"a"})
    ... except PredictionsError as exc:
    ...     print(exc.lines[0].split(": ", 1)[1])
    duplicate id 'a' (first on line 1)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from toolrl.evaluation.base import PredictionsError

MAX_REPORTED = 20


def _record_problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return f'expected an object {{"id": ..., "completion": ...}}, got {type(record).__name__}'
    if "id" not in record:
        return 'missing field "id"'
    if not isinstance(record["id"], str | int) or isinstance(record["id"], bool):
        return f'"id" must be a string, got {json.dumps(record["id"])[:60]}'
    if "completion" not in record:
        return 'missing field "completion"'
    if not isinstance(record["completion"], str):
        return f'"completion" must be a string, got {type(record["completion"]).__name__}'
    return None


def _lines(path: Path) -> list[str]:
    if not path.exists():
        raise PredictionsError(f"{path}: no such file")
    if path.is_dir():
        raise PredictionsError(f"{path}: is a folder, expected a JSON Lines file")
    try:
        return path.read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise PredictionsError(f"{path}:{line}: not UTF-8 text") from None
    except OSError as exc:
        raise PredictionsError(f"{path}: cannot read ({exc.strerror or exc})") from None


def read_predictions(path: str | Path, known_ids: Iterable[str] | None = None) -> dict[str, str]:
    """`{id: completion}` from a predictions file, or `PredictionsError` listing every problem.

    With `known_ids`, an id that is not one of them is a problem too.
    """
    path = Path(path)
    known = set(known_ids) if known_ids is not None else None
    out: dict[str, str] = {}
    first_line: dict[str, int] = {}
    problems: list[str] = []
    for n, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            problems.append(f"{path}:{n}: not JSON ({exc})")
            continue
        problem = _record_problem(record)
        if problem is None:
            item_id = str(record["id"])
            if item_id in first_line:
                problem = f"duplicate id {item_id!r} (first on line {first_line[item_id]})"
            elif known is not None and item_id not in known:
                problem = f"unknown id {item_id!r}: not an item of this suite"
            else:
                first_line[item_id] = n
                out[item_id] = record["completion"]
        if problem:
            problems.append(f"{path}:{n}: {problem}")
    if not out and not problems:
        problems.append(f"{path}: no predictions (the file is empty)")
    if problems:
        raise PredictionsError(_capped(problems))
    return out


def check_mapping(predictions: Mapping[str, str], known_ids: Iterable[str]) -> dict[str, str]:
    """Predictions given in memory: the same checks as a file, naming ids instead of lines."""
    known = set(known_ids)
    problems = []
    out = {}
    for item_id, completion in predictions.items():
        if str(item_id) not in known:
            problems.append(f"predictions: unknown id {item_id!r}: not an item of this suite")
        elif not isinstance(completion, str):
            problems.append(f"predictions[{item_id!r}]: completion must be a string")
        else:
            out[str(item_id)] = completion
    if problems:
        raise PredictionsError(_capped(problems))
    return out


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_REPORTED:
        return problems
    return [*problems[:MAX_REPORTED], f"... and {len(problems) - MAX_REPORTED} more problems"]
