"""What every suite shares: items, per-item results, the suite result and the errors users see.

A suite is a list of `EvalItem`s (an id, a category and the ToolRL prompt) and a judge that turns
one completion into an `ItemResult` (passed, and the reason when not). `summarize` builds the
JSON-able summary every suite starts from: counts and accuracy overall and per category, all
accuracies in [0, 1]. A missing prediction is a failure with the reason "no prediction".

Example::

    >>> results = [ItemResult("a", "x", True), ItemResult("b", "x", False, "wrong name")]
    >>> summarize(results)["categories"]["x"]
    {'count': 2, 'passed': 1, 'accuracy': 0.5}
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Progress = Callable[[int, int], None]
"""`progress(done, total)`: called as items are generated and judged."""

NO_PREDICTION = "no prediction"


class EvaluationError(Exception):
    """Bad input from the user (data folder, predictions file, model path): `lines` say what.

    Each line names the file (and line) or the path at fault; the command prints them as they
    are, never a traceback.
    """

    def __init__(self, lines: str | list[str]):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


class EvalDataError(EvaluationError):
    """A suite's data is missing or unreadable."""


class PredictionsError(EvaluationError):
    """A predictions file is not what `toolrl evaluate --predictions` reads."""


class ModelError(EvaluationError):
    """The model cannot be loaded or run (a path that is not a model, a backend not installed)."""


@dataclass(slots=True)
class EvalItem:
    """One thing to answer: its id, category and what the judge needs (`answer`)."""

    id: str
    category: str
    answer: Any = None
    source: Any = None
    """What the prompt is built from (the suite's own record); see `Suite.messages`."""


@dataclass(slots=True)
class ItemResult:
    """How one item was judged. `details` are suite-specific and JSON-able."""

    id: str
    category: str
    passed: bool
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "category": self.category, "passed": self.passed}
        out["reason"] = self.reason
        if self.details:
            out["details"] = self.details
        return out


class Suite:
    """A benchmark: items, how to prompt for them, how to judge and summarise the answers.

    Subclasses set `name`, `items` and `data` (where the items were read from) and implement
    `messages` and `judge`; `judge_all` and `summarize` may be overridden (held-out scores a
    batch at once and adds reward means).
    """

    name: str = ""
    title: str = ""
    items: list[EvalItem]
    data: str = ""

    def messages(self, item: EvalItem) -> list[dict[str, str]]:
        """The chat messages (system, user) of the ToolRL prompt for `item`."""
        raise NotImplementedError

    def judge(self, item: EvalItem, completion: str) -> ItemResult:
        raise NotImplementedError

    def gold(self, item: EvalItem) -> str:
        """A completion in the ToolRL format that the judge must accept (the answer itself)."""
        raise NotImplementedError

    def judge_all(self, completions: dict[str, str]) -> list[ItemResult]:
        """Every item judged; one without a completion fails as "no prediction"."""
        return [
            self.judge(item, completions[item.id])
            if item.id in completions
            else missing_result(item)
            for item in self.items
        ]

    def summarize(self, results: list[ItemResult]) -> dict[str, Any]:
        return summarize(results)

    @classmethod
    def table(cls, summary: dict[str, Any]) -> list[tuple[str, str]]:
        """(label, value) rows printed after the per-category table (from the summary alone,
        so a saved `results.json` prints the same)."""
        return []


def missing_result(item: EvalItem) -> ItemResult:
    return ItemResult(item.id, item.category, False, NO_PREDICTION, {"missing": True})


def accuracy(passed: int, count: int) -> float:
    return passed / count if count else 0.0


def summarize(results: list[ItemResult]) -> dict[str, Any]:
    """Counts and accuracies, overall and per category (categories in order of appearance)."""
    categories: dict[str, dict[str, Any]] = {}
    for r in results:
        c = categories.setdefault(r.category, {"count": 0, "passed": 0})
        c["count"] += 1
        c["passed"] += int(r.passed)
    for c in categories.values():
        c["accuracy"] = accuracy(c["passed"], c["count"])
    passed = sum(int(r.passed) for r in results)
    missing = sum(1 for r in results if r.details.get("missing"))
    return {
        "count": len(results),
        "passed": passed,
        "missing": missing,
        "accuracy": accuracy(passed, len(results)),
        "categories": categories,
    }


@dataclass
class SuiteResult:
    """A suite evaluated: `summary` (JSON-able), one `ItemResult` per item, and the
    completions (`predictions`, in item order) when a model wrote them."""

    suite: str
    summary: dict[str, Any]
    items: list[ItemResult]
    predictions: list[dict[str, str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "summary": self.summary}

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write `predictions.jsonl` (if any), `items.jsonl` and `results.json` into `out_dir`.

        Each file is written whole or not at all (a temporary file renamed into place).
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        if self.predictions is not None:
            paths["predictions"] = write_jsonl(out / "predictions.jsonl", self.predictions)
        paths["items"] = write_jsonl(out / "items.jsonl", (r.to_dict() for r in self.items))
        paths["results"] = write_text(out / "results.json", json.dumps(self.to_dict(), indent=2))
        return paths


def write_text(path: str | Path, text: str) -> Path:
    """Write `text` atomically: a reader never sees half a file, a failure leaves none."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> Path:
    return write_text(path, "".join(json.dumps(r) + "\n" for r in records))
