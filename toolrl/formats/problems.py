"""Dataset problems: every error names the file, the line (or row) and the field.

Example::

    >>> str(Problem("data.jsonl", 3, "tools[0].parameters", "not an object"))
    'data.jsonl:3: tools[0].parameters: not an object'
    >>> str(Problem("data.jsonl", None, "<file>", "no such file"))
    'data.jsonl: <file>: no such file'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a dataset. `line` is the 1-based line of the record in a text file,
    or the 1-based row number in a parquet file; None when the problem concerns the whole file
    (it is missing, empty, not a dataset...), because there is no line 0 to point at.
    Warnings (odd but usable data, e.g. a call to a tool the row does not list, which the
    released ToolRL data contains) do not stop an import; errors do."""

    path: str
    line: int | None
    field: str
    message: str
    severity: str = "error"

    @property
    def where(self) -> str:
        """`PATH:LINE` or, for the whole file, `PATH`."""
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        note = "warning: " if self.severity == "warning" else ""
        return f"{self.where}: {self.field}: {note}{self.message}"


def sort_key(problem: Problem) -> tuple[int, int]:
    """File order, whole-file problems first."""
    return (0, 0) if not problem.line else (1, problem.line)


class DatasetError(ValueError):
    """A dataset could not be imported; `problems` lists everything found, in file order.

    >>> str(DatasetError([Problem("a.json", 1, "id", "missing")]))
    'a.json:1: id: missing'
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid dataset")


class RecordError(ValueError):
    """Raised inside an importer for one record; the loader adds path and line."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
