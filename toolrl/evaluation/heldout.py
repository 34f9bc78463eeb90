"""Held-out evaluation with the training reward's parser: the `held-out` and `toolrl-validation`
suites, and the metrics the in-training evaluation logs.

Per row (`eval_samples`): the reward breakdown, whether the calls equal the ground truth
(`exact`, any order), whether the model called a tool exactly when it should (`decision_ok`),
and for rows whose answer is a response, whether it answered without a call (`answered`).

Metrics (`summarize`, all in [0, 1] except the reward means):

- `eval/format_rate`: outputs with the exact layout the ground truth asks for (format reward max);
- `eval/exact_call_accuracy`: on rows whose ground truth calls tools, the calls equal it;
- `eval/decision_accuracy`: called a tool (wrote a `<tool_call>` block) exactly when it should;
- `eval/irrelevance_accuracy`: on rows whose answer is a response (no tool fits), the model
  answered and called nothing;
- `eval/mean_<component>`, `eval/mean_total`: the reward's means;
- `eval/exact_call_accuracy/<kind>`: exact-call accuracy per row kind, when rows have kinds.

An item of the suites passes when its calls are exact (call rows) or it answered without a call
(response rows). Categories are the rows' kinds (`meta["kind"]`) or, without kinds, `single`,
`parallel` (several calls) and `answer`.

Example::

    >>> from toolrl.synthetic import make_rows
    >>> from toolrl.prompt import render_target
    >>> rows = make_rows(3, seed=0)
    >>> m = score_outputs([render_target(r.target) for r in rows], rows)
    >>> m["eval/format_rate"], m["eval/exact_call_accuracy"], m["eval/mean_total"] >= 1.0
    (1.0, 1.0, True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolrl.calls import calls_equal, describe_difference
from toolrl.evaluation.base import (
    EvalDataError,
    EvalItem,
    ItemResult,
    Suite,
    missing_result,
)
from toolrl.evaluation.base import (
    summarize as summarize_items,
)
from toolrl.evaluation.data import data_root, locate
from toolrl.parser import RE_CLOSE, RE_OPEN, TC_OPEN, parse_calls
from toolrl.prompt import render_messages, render_target
from toolrl.rewards import RewardConfig, parse_ground_truth, score_batch
from toolrl.schema import Row


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def score_outputs(
    outputs: list[str],
    rows: list[Row],
    cfg: RewardConfig | None = None,
    step: int = 0,
    max_steps: int | None = None,
) -> dict[str, float]:
    """Evaluation metrics of model outputs against the rows' targets."""
    return summarize(eval_samples(outputs, rows, cfg, step, max_steps))


def eval_samples(
    outputs: list[str],
    rows: list[Row],
    cfg: RewardConfig | None = None,
    step: int = 0,
    max_steps: int | None = None,
) -> list[dict[str, Any]]:
    """One record per row: what the model wrote and how it scored.

    Keys: prompt_id, kind (the row's `meta["kind"]`, if any), output, calls (parsed, or None),
    ground_truth (ToolRL text), rewards {component: value}, total, format_ok, exact (the calls
    equal the ground truth's; None for response-only rows), decision_ok (called a tool exactly
    when the ground truth does), answered (response rows: a response and no call; else None),
    error (why reward was lost, or None).
    """
    cfg = cfg or RewardConfig.preset("toolrl")
    gts = [render_target(r.target) for r in rows]
    breakdowns = score_batch(outputs, gts, cfg, step=step, max_steps=max_steps)
    samples = []
    for row, text, gt_text, b in zip(rows, outputs, gts, breakdowns, strict=True):
        gt = parse_ground_truth(gt_text)
        calls = parse_calls(text.strip())[0]
        called = TC_OPEN in text
        samples.append(
            {
                "prompt_id": row.id,
                "kind": row.meta.get("kind"),
                "output": text,
                "calls": calls,
                "ground_truth": gt_text,
                "rewards": dict(b.components),
                "total": b.total,
                "format_ok": bool(b.details["format_ok"]),
                "exact": calls_equal(calls, gt.calls) if gt.has_calls else None,
                "decision_ok": called == gt.has_calls,
                "answered": None
                if gt.has_calls
                else (not called and RE_OPEN in text and RE_CLOSE in text),
                "error": b.details.get("error"),
            }
        )
    return samples


def summarize(samples: list[dict[str, Any]]) -> dict[str, float]:
    """The evaluation metrics of `eval_samples` records.

    `eval/exact_call_accuracy/<kind>` is added per row kind when the rows have kinds (the
    synthetic task's simple, single, parallel, followup), so a run shows *which* calls it gets.
    """
    tool = [s for s in samples if s["exact"] is not None]
    answer = [s for s in samples if s.get("answered") is not None]
    metrics = {
        "eval/format_rate": _mean([s["format_ok"] for s in samples]),
        "eval/exact_call_accuracy": _mean([s["exact"] for s in tool]),
        "eval/decision_accuracy": _mean([s["decision_ok"] for s in samples]),
        "eval/irrelevance_accuracy": _mean([s["answered"] for s in answer]),
    }
    present = {n for s in samples for n in s["rewards"]}
    names = sorted(present | {"format", "correctness"}, key=_component_order)
    for name in names:
        metrics[f"eval/mean_{name}"] = _mean([s["rewards"].get(name, 0.0) for s in samples])
    metrics["eval/mean_total"] = _mean([s["total"] for s in samples])
    metrics["eval/rows"] = float(len(samples))
    kinds = sorted({s["kind"] for s in tool if s["kind"]})
    for kind in kinds:
        metrics[f"eval/exact_call_accuracy/{kind}"] = _mean(
            [s["exact"] for s in tool if s["kind"] == kind]
        )
    return metrics


def _component_order(name: str) -> tuple[int, str]:
    order = ("format", "correctness", "length")
    return (order.index(name) if name in order else len(order), name)


def row_category(row: Row) -> str:
    if row.meta.get("kind"):
        return str(row.meta["kind"])
    n = len(row.target.calls)
    return "answer" if n == 0 else "single" if n == 1 else "parallel"


def _passed(sample: dict[str, Any]) -> bool:
    return bool(sample["answered"] if sample["exact"] is None else sample["exact"])


def _reason(sample: dict[str, Any], row: Row) -> str:
    """Why an item failed, in words."""
    if sample["exact"] is None:
        if TC_OPEN in sample["output"]:
            return "called a tool where the answer is a response"
        return "no <response> block"
    if TC_OPEN not in sample["output"]:
        return "no tool call"
    if sample["calls"] is None:
        return f"the calls do not parse ({parse_calls(sample['output'].strip())[1]})"
    gold = [c.model_dump() for c in row.target.calls]
    return describe_difference(sample["calls"], gold) or "the calls differ from the expected ones"


class HeldOutSuite(Suite):
    """Rows of a dataset (any format `toolrl.formats` reads) or the synthetic task's held-out
    rows, judged with the training reward (`reward`, default the `toolrl` preset)."""

    name = "held-out"
    title = "held-out rows (training reward's parser)"

    def __init__(self, rows: list[Row], data: str, reward: RewardConfig | None = None):
        self.rows = {r.id: r for r in rows}
        if len(self.rows) != len(rows):
            raise EvalDataError(f"{data}: row ids are not unique")
        self.items = [EvalItem(r.id, row_category(r)) for r in rows]
        self.data = data
        self.reward = reward or RewardConfig.preset("toolrl")

    @classmethod
    def load(
        cls,
        data_dir: str | Path | None = None,
        *,
        rows: list[Row] | None = None,
        max_rows: int | None = None,
        limit: int | None = None,
        seed: int = 0,
        reward: RewardConfig | None = None,
        format: str = "auto",
    ) -> HeldOutSuite:
        """`rows` as given, else the rows file `data_dir`, else 100 synthetic held-out rows."""
        if rows is not None:
            data = "rows"
        elif data_dir:
            rows, data = _load_rows(Path(data_dir), format), str(data_dir)
        else:
            from toolrl.synthetic import make_splits

            rows, data = make_splits(1, max_rows or 100, seed=seed)[1], f"synthetic (seed {seed})"
        rows = rows[:max_rows] if max_rows else rows
        rows = _first_per_category(rows, limit) if limit else rows
        if not rows:
            raise EvalDataError(f"{data}: no rows to evaluate")
        return cls(rows, data, reward)

    def messages(self, item: EvalItem) -> list[dict[str, str]]:
        return render_messages(self.rows[item.id])

    def gold(self, item: EvalItem) -> str:
        return render_target(self.rows[item.id].target)

    def judge(self, item: EvalItem, completion: str) -> ItemResult:
        return self._judge([item], [completion])[0]

    def _judge(self, items: list[EvalItem], outputs: list[str]) -> list[ItemResult]:
        rows = [self.rows[i.id] for i in items]
        samples = eval_samples(outputs, rows, self.reward)
        results = []
        for item, row, sample in zip(items, rows, samples, strict=True):
            passed = _passed(sample)
            reason = None if passed else _reason(sample, row)
            details = {k: v for k, v in sample.items() if k not in ("prompt_id", "kind")}
            results.append(ItemResult(item.id, item.category, passed, reason, details))
        return results

    def judge_all(self, completions: dict[str, str]) -> list[ItemResult]:
        present = [i for i in self.items if i.id in completions]
        judged = iter(self._judge(present, [completions[i.id] for i in present]))
        return [next(judged) if i.id in completions else missing_result(i) for i in self.items]

    def summarize(self, results: list[ItemResult]) -> dict[str, Any]:
        summary = summarize_items(results)
        rows = [self.rows[r.id] for r in results]
        tool = [r for r, row in zip(results, rows, strict=True) if row.target.calls]
        answer = [r for r, row in zip(results, rows, strict=True) if not row.target.calls]
        judged = [r.details for r in results if not r.details.get("missing")]
        scores = {
            "accuracy": summary["accuracy"],
            "format_rate": _mean([bool(r.details.get("format_ok")) for r in results]),
            "decision_accuracy": _mean([bool(r.details.get("decision_ok")) for r in results]),
        }
        if tool:
            scores["exact_call_accuracy"] = _mean([r.passed for r in tool])
        if answer:
            scores["irrelevance_accuracy"] = _mean([r.passed for r in answer])
        names = self.reward.component_names()
        rewards = {n: _mean([d["rewards"].get(n, 0.0) for d in judged]) for n in names}
        rewards["total"] = _mean([d["total"] for d in judged])
        summary.update(scores=scores, rewards=rewards, headline="accuracy", reward=self.reward.name)
        return summary

    @classmethod
    def table(cls, summary: dict[str, Any]) -> list[tuple[str, str]]:
        labels = {
            "format_rate": "format rate",
            "exact_call_accuracy": "exact-call accuracy (call rows)",
            "decision_accuracy": "call/answer decision accuracy",
            "irrelevance_accuracy": "irrelevance accuracy (answer rows)",
        }
        rows = [
            (labels[k], f"{100 * v:.2f} %") for k, v in summary["scores"].items() if k in labels
        ]
        judged = summary["count"] - summary["missing"]
        for name, value in summary["rewards"].items():
            rows.append((f"mean {name} reward ({judged} rows)", f"{value:.3f}"))
        return rows


class ToolrlValidationSuite(HeldOutSuite):
    """ToolRL's own 80-row validation split (`rlla_4k/test.parquet`), in its own format."""

    name = "toolrl-validation"
    title = "ToolRL validation split (rlla_4k/test.parquet, training reward's parser)"

    @classmethod
    def load(  # type: ignore[override]
        cls,
        data_dir: str | Path | None = None,
        *,
        limit: int | None = None,
        reward: RewardConfig | None = None,
    ) -> ToolrlValidationSuite:
        path = locate(
            data_root(data_dir),
            ["toolrl/dataset/rlla_4k/test.parquet", "rlla_4k/test.parquet", "test.parquet", "."],
            lambda p: p.is_file() and p.suffix == ".parquet",
            "ToolRL validation split (rlla_4k/test.parquet)",
        )
        rows = _load_rows(path, "toolrl-parquet")
        if limit:
            rows = _first_per_category(rows, limit)
        return cls(rows, str(path), reward)


def _first_per_category(rows: list[Row], limit: int) -> list[Row]:
    seen: dict[str, int] = {}
    kept = []
    for row in rows:
        cat = row_category(row)
        seen[cat] = seen.get(cat, 0) + 1
        if seen[cat] <= limit:
            kept.append(row)
    return kept


def _load_rows(path: Path, format: str) -> list[Row]:
    from toolrl.formats import DatasetError, load_rows

    try:
        return load_rows(path, format)
    except DatasetError as exc:
        raise EvalDataError(
            [
                f"{p.path}:{p.line}: {p.field}: {p.message}" if p.line else f"{p.path}: {p.message}"
                for p in exc.problems
            ]
        ) from None
