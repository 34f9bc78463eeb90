"""The BFCL single-turn suite: every category the data folder has, judged as BFCL's AST checker.

Data: `BFCL_v<N>_<category>.json` question files (JSON Lines) with `possible_answer/<same name>`
beside them for the AST categories. Item ids are BFCL's (`simple_python_12`,
`live_multiple_3-1-0`). Java/JavaScript, multi-turn and agentic files are skipped (listed in the
summary): they need BFCL's language converters or an environment to run.

Prompts are ToolRL's, as the paper evaluated BFCL: the training system prompt listing each
function's `properties` (`toolrl.prompt.render_system`), and a user message with the history
heading and each user turn followed by ToolRL's single-turn instruction (decline, or call "None",
when no tool fits). Like ToolRL's handler, BFCL's own system messages are left out.

Judging (`docs/bfcl-notes.md`): calls are decoded from the last tool block (`decoding`); AST
categories go through `bfcl_checker.check_entry`; `irrelevance`/`live_irrelevance` pass when no
call decodes; `live_relevance` passes when one does.

Summary scores (`scores`, all in [0, 1]), as BFCL aggregates them over the categories present:
`non_live_ast` the plain mean of simple, multiple, parallel, parallel_multiple (Python only: the
Java/JavaScript thirds of BFCL's "simple" are not in the data); `live_ast` the share of live AST
entries right (weighted by entry counts); `irrelevance` the plain mean of the two irrelevance
categories; `relevance`; and `single_turn_mean`, the plain mean of the first three (their weights
in BFCL v4's overall are equal). This is **not** BFCL's overall score, which also needs the
multi-turn and agentic categories.

Example::

    suite = BfclSuite.load("../shared/data")
    result = suite.judge(suite.items[0], completion)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from toolrl.evaluation.base import EvalDataError, EvalItem, ItemResult, Suite, summarize
from toolrl.evaluation.bfcl_checker import (
    EMPTY_VALUES,
    answer_conflict,
    check_entry,
    find_doc,
    schema_parts,
)
from toolrl.evaluation.data import data_root, locate, read_json_lines
from toolrl.evaluation.decoding import decode_calls
from toolrl.prompt import HISTORY_HEADING, render_assistant, render_system
from toolrl.schema import ToolCall, ToolSpec

FILE_NAME = re.compile(r"^BFCL_v(\d+)_(.+)\.json$")
NON_LIVE = ("simple_python", "simple", "multiple", "parallel", "parallel_multiple")
LIVE = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
IRRELEVANCE = ("irrelevance", "live_irrelevance")
RELEVANCE = ("live_relevance",)
ORDER = (*NON_LIVE, "irrelevance", *LIVE, "live_irrelevance", "live_relevance")
SINGLE_TURN_SUFFIX = (
    "If there's no appropriate tools to apply or required parameters are missing, please "
    "directly inform me in your response without any tool call, or call the tool with the "
    "name as 'None'. Otherwise, you should use one or more necessary tool calls to complete "
    "the given task in this turn."
)
SCORE_LABELS = {
    "non_live_ast": "non-live AST (mean of simple, multiple, parallel, parallel_multiple)",
    "live_ast": "live AST (weighted by entries)",
    "irrelevance": "irrelevance (mean of irrelevance, live_irrelevance)",
    "relevance": "relevance (live_relevance)",
    "single_turn_mean": "single-turn mean (of the three above; not BFCL's overall)",
}


def _question_files(folder: Path) -> dict[str, Path]:
    """category -> newest-version question file in `folder`."""
    found: dict[str, tuple[int, Path]] = {}
    for path in folder.glob("BFCL_v*_*.json"):
        m = FILE_NAME.match(path.name)
        if m and (m.group(2) not in found or int(m.group(1)) > found[m.group(2)][0]):
            found[m.group(2)] = (int(m.group(1)), path)
    return {category: path for category, (_, path) in found.items()}


def _check_question(path: Path, line: int, record: Any) -> None:
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise EvalDataError(f"{path}:{line}: expected an object with a string 'id'")
    if not isinstance(record.get("question"), list) or not record["question"]:
        raise EvalDataError(f"{path}:{line}: 'question' must be a non-empty list of turns")
    functions = record.get("function")
    if not isinstance(functions, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) for f in functions
    ):
        raise EvalDataError(f"{path}:{line}: 'function' must be a list of docs with a 'name'")


def _read_answers(path: Path) -> dict[str, list[dict[str, Any]]]:
    if not path.exists():
        raise EvalDataError(f"{path}: no such file (the answers of {path.name})")
    answers = {}
    for line, record in read_json_lines(path):
        gt = record.get("ground_truth") if isinstance(record, dict) else None
        if not isinstance(gt, list) or not all(
            isinstance(c, dict) and len(c) == 1 and isinstance(next(iter(c.values())), dict)
            for c in gt
        ):
            raise EvalDataError(
                f"{path}:{line}: 'ground_truth' must be a list of {{function: {{param: [allowed]}}}}"
            )
        answers[str(record.get("id"))] = gt
    return answers


def _messages_of(question: list[Any]) -> list[dict[str, Any]]:
    # Single-turn files hold one turn (a list of messages); old files a flat list of messages.
    turns = question if isinstance(question[0], list) else [question]
    return [m for turn in turns for m in turn if isinstance(m, dict)]


def user_prompt(question: list[Any]) -> str:
    """The user message ToolRL's BFCL handler writes for a single-turn entry."""
    out = HISTORY_HEADING
    for msg in _messages_of(question):
        content = str(msg.get("content", "")).strip()
        if msg.get("role") == "user":
            out += f"<user> {content}\n{SINGLE_TURN_SUFFIX} </user>\n"
        elif msg.get("role") == "assistant":
            out += f"\n{content}\n"
    return out.strip()


def _first_allowed(allowed: dict[str, Any], doc: dict[str, Any] | None) -> dict[str, Any]:
    """A passing choice of parameters from an answer: optional ones ("" allowed) left out,
    required ones given their first allowed value (or the empty value of their type when the
    answer only allows ""); dicts, also inside lists, get the same treatment."""
    props, required = schema_parts(doc)
    out = {}
    for param, options in allowed.items():
        options = options if isinstance(options, list) else [options]
        values = [v for v in options if v != ""]
        if "" in options and param not in required:
            continue
        kind = (props.get(param) or {}).get("type")
        out[param] = _pick(values[0]) if values else EMPTY_VALUES.get(kind, "")
    return out


def _pick(value: Any) -> Any:
    if isinstance(value, dict):
        # A dict answer maps each key to its allowed values; the values themselves are raw.
        return {k: v[0] for k, v in value.items() if isinstance(v, list) and v and v[0] != ""}
    if isinstance(value, list):
        return [_pick(v) if isinstance(v, dict) else v for v in value]
    return value


class BfclSuite(Suite):
    name = "bfcl"
    title = "BFCL single-turn (ToolRL prompt, BFCL AST checker)"

    def __init__(self, items: list[EvalItem], data: str, skipped: list[str]):
        self.items, self.data, self.skipped = items, data, skipped

    @classmethod
    def load(cls, data_dir: str | Path | None = None, limit: int | None = None) -> BfclSuite:
        folder = locate(
            data_root(data_dir),
            ["bfcl", "."],
            lambda p: p.is_dir() and bool(_question_files(p)),
            "BFCL files (BFCL_v4_<category>.json, answers in possible_answer/)",
        )
        files = _question_files(folder)
        known = [c for c in ORDER if c in files]
        skipped = sorted(files[c].name for c in files if c not in ORDER)
        items: list[EvalItem] = []
        seen: dict[str, str] = {}
        for category in known:
            path = files[category]
            ast = category not in IRRELEVANCE + RELEVANCE
            answers = _read_answers(folder / "possible_answer" / path.name) if ast else {}
            for n, (line, record) in enumerate(read_json_lines(path)):
                if limit is not None and n >= limit:
                    break
                _check_question(path, line, record)
                item_id = record["id"]
                if item_id in seen:
                    raise EvalDataError(
                        f"{path}:{line}: id {item_id!r} already used in {seen[item_id]}"
                    )
                seen[item_id] = path.name
                if ast and item_id not in answers:
                    raise EvalDataError(
                        f"{path}:{line}: no answer for {item_id!r} in possible_answer/"
                    )
                answer = (answers[item_id], record["function"]) if ast else None
                items.append(EvalItem(item_id, category, answer, record))
        return cls(items, str(folder), skipped)

    def messages(self, item: EvalItem) -> list[dict[str, str]]:
        record = item.source
        tools = [
            ToolSpec(
                name=f["name"],
                description=str(f.get("description", "")),
                parameters=f.get("parameters") if isinstance(f.get("parameters"), dict) else {},
            )
            for f in record["function"]
        ]
        return [
            {"role": "system", "content": render_system(tools)},
            {"role": "user", "content": user_prompt(record["question"])},
        ]

    def gold(self, item: EvalItem) -> str:
        if item.category in IRRELEVANCE:
            return render_assistant(None, [], "None of the available functions fits this request.")
        if item.category in RELEVANCE:
            functions = item.source["function"][:1]
            return render_assistant(None, [ToolCall(name=f["name"]) for f in functions], None)
        expected, docs = item.answer
        calls = []
        for call in expected:
            ((name, allowed),) = call.items()
            calls.append(
                ToolCall(name=name, parameters=_first_allowed(allowed, find_doc(docs, name)))
            )
        return render_assistant(None, calls, None)

    def judge(self, item: EvalItem, completion: str) -> ItemResult:
        calls = decode_calls(completion)
        details: dict[str, Any] = {"calls": calls}
        if item.category in IRRELEVANCE:
            fail = (
                ("irrelevance_call", f"called {calls[0]['name']!r} on an irrelevance item")
                if calls
                else None
            )
        elif item.category in RELEVANCE:
            fail = None if calls else ("relevance_no_call", "no call on a relevance item")
        else:
            expected, docs = item.answer
            pairs = [(c["name"], c["parameters"]) for c in calls]
            fail = check_entry(item.category, pairs, expected, docs)
        if fail:
            details["error"] = fail[0]
        return ItemResult(item.id, item.category, fail is None, fail[1] if fail else None, details)

    def summarize(self, results: list[ItemResult]) -> dict[str, Any]:
        summary = summarize(results)
        cats = summary["categories"]
        segments = {
            "non_live_ast": [c for c in NON_LIVE if c in cats],
            "live_ast": [c for c in LIVE if c in cats],
            "irrelevance": [c for c in IRRELEVANCE if c in cats],
            "relevance": [c for c in RELEVANCE if c in cats],
        }
        scores = {}
        for name, members in segments.items():
            if not members:
                continue
            if name == "live_ast":
                passed = sum(cats[c]["passed"] for c in members)
                scores[name] = passed / sum(cats[c]["count"] for c in members)
            else:
                scores[name] = sum(cats[c]["accuracy"] for c in members) / len(members)
        three = [scores[k] for k in ("non_live_ast", "live_ast", "irrelevance") if k in scores]
        if len(three) == 3:
            scores["single_turn_mean"] = sum(three) / 3
        summary["scores"] = scores
        summary["segments"] = {k: v for k, v in segments.items() if v}
        summary["headline"] = "single_turn_mean" if "single_turn_mean" in scores else "accuracy"
        summary["skipped_files"] = self.skipped
        # Entries whose answer contradicts their schema: no output passes them (BFCL's data).
        summary["unpassable"] = {
            i.id: why for i in self.items if i.answer and (why := answer_conflict(*i.answer))
        }
        return summary

    @classmethod
    def table(cls, summary: dict[str, Any]) -> list[tuple[str, str]]:
        return [(SCORE_LABELS[k], f"{100 * v:.2f} %") for k, v in summary["scores"].items()]
