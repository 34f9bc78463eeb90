"""The API-Bank suite (levels 1-3), judged by the rule of ToolRL's API-Bank script.

Data: `level-{1,2,3}-api_processed.json` (a JSON array or JSON Lines of `{system, user, answer}`),
as ToolRL released them; the prompts are already in the ToolRL format and are used verbatim.
`answer` is one gold call `{name, parameters}` or a list whose first call is the gold one. Item
ids are `level-<L>-<index>` (0-based position in the file); categories `level-1` ...

An item is right when **any** call in the last tool block has the gold name and parameters equal
to the gold parameters (Python equality of the JSON values: `1 == 1.0`, strings exact). A JSON
object without a `name` or `parameters` key counts as the parameters of a call to the gold
function (the script's rule). Scores: `overall` (right / all items of the levels present, the
paper's micro average) and one per level.

Example::

    suite = ApiBankSuite.load("../shared/data")
    print(suite.judge(suite.items[0], completion).reason)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolrl.calls import parameter_difference
from toolrl.evaluation.base import EvalDataError, EvalItem, ItemResult, Suite, summarize
from toolrl.evaluation.data import data_root, locate
from toolrl.evaluation.decoding import block_objects
from toolrl.prompt import render_assistant
from toolrl.schema import ToolCall

LEVELS = (1, 2, 3)


def level_file(level: int) -> str:
    return f"level-{level}-api_processed.json"


def _where(path: Path, line: int) -> str:
    return f"{path}:{line}" if line else str(path)


def _gold(path: Path, line: int, record: Any) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise EvalDataError(f"{_where(path, line)}: expected an object {{system, user, answer}}")
    for key in ("system", "user"):
        if not isinstance(record.get(key), str):
            raise EvalDataError(f"{_where(path, line)}: '{key}' must be a string")
    answer = record.get("answer")
    gold = answer[0] if isinstance(answer, list) and answer else answer
    if not (
        isinstance(gold, dict)
        and isinstance(gold.get("name"), str)
        and isinstance(gold.get("parameters"), dict)
    ):
        raise EvalDataError(
            f"{_where(path, line)}: 'answer' must be a call {{name, parameters}} or a list of them"
        )
    return gold


class ApiBankSuite(Suite):
    name = "api-bank"
    title = "API-Bank levels 1-3 (ToolRL prompts, any call equal to the gold call)"

    def __init__(self, items: list[EvalItem], data: str, levels: list[int]):
        self.items, self.data, self.levels = items, data, levels

    @classmethod
    def load(cls, data_dir: str | Path | None = None, limit: int | None = None) -> ApiBankSuite:
        folder = locate(
            data_root(data_dir),
            ["toolrl/benchmarks/API-Bank", "API-Bank", "."],
            lambda p: p.is_dir() and any((p / level_file(n)).is_file() for n in LEVELS),
            "API-Bank files (level-1-api_processed.json ... level-3)",
        )
        items, levels = [], []
        for level in LEVELS:
            path = folder / level_file(level)
            if not path.is_file():
                continue
            levels.append(level)
            # toolrl.formats (jsonschema, ...) only when API-Bank is read: scoring BFCL stays quick.
            from toolrl.formats.reading import read_records

            records, problems = read_records(path)
            if problems:
                raise EvalDataError(
                    [f"{_where(Path(p.path), p.line)}: {p.message}" for p in problems]
                )
            for index, (line, record) in enumerate(records[:limit] if limit else records):
                gold = _gold(path, line, record)
                items.append(EvalItem(f"level-{level}-{index}", f"level-{level}", gold, record))
        return cls(items, str(folder), levels)

    def messages(self, item: EvalItem) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": item.source["system"]},
            {"role": "user", "content": item.source["user"]},
        ]

    def gold(self, item: EvalItem) -> str:
        return render_assistant(None, [ToolCall.model_validate(item.answer)], None)

    def judge(self, item: EvalItem, completion: str) -> ItemResult:
        gold = item.answer
        calls = []
        for value in block_objects(completion):
            if not isinstance(value, dict):
                continue
            if "name" in value and "parameters" in value:
                calls.append({"name": value["name"], "parameters": value["parameters"]})
            else:  # the script reads a bare object as the gold function's parameters
                calls.append({"name": gold["name"], "parameters": value})
        details: dict[str, Any] = {"calls": calls}
        if any(c["name"] == gold["name"] and c["parameters"] == gold["parameters"] for c in calls):
            return ItemResult(item.id, item.category, True, None, details)
        same = [c for c in calls if c["name"] == gold["name"]]
        if not calls:
            code, reason = "no_call", "no call"
        elif not same:
            called = ", ".join(repr(c["name"]) for c in calls)
            code, reason = "wrong_name", f"called {called}, expected {gold['name']!r}"
        else:
            params = same[0]["parameters"]
            diff = (
                parameter_difference(params, gold["parameters"])
                if isinstance(params, dict)
                else None
            )
            code, reason = (
                "wrong_parameters",
                f"{gold['name']}: {diff or 'parameters are not an object'}",
            )
        details["error"] = code
        return ItemResult(item.id, item.category, False, reason, details)

    def summarize(self, results: list[ItemResult]) -> dict[str, Any]:
        summary = summarize(results)
        scores = {"overall": summary["accuracy"]}
        scores.update({c: v["accuracy"] for c, v in summary["categories"].items()})
        summary["scores"] = scores
        summary["headline"] = "overall"
        return summary

    @classmethod
    def table(cls, summary: dict[str, Any]) -> list[tuple[str, str]]:
        n = summary["count"]
        return [
            (f"overall (all {n} items of levels present)", f"{100 * summary['accuracy']:.2f} %")
        ]
