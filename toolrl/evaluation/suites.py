"""The suites by name, and evaluating one: score given predictions, or generate them with a model.

Example::

    result = evaluate_suite("api-bank", data_dir="../shared/data", predictions="preds.jsonl")
    result.summary["scores"]["overall"], result.items[0].reason
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from toolrl.evaluation.apibank import ApiBankSuite
from toolrl.evaluation.base import Progress, Suite, SuiteResult, write_jsonl
from toolrl.evaluation.bfcl import BfclSuite
from toolrl.evaluation.generation import GenerationOptions, Generator, load_generator
from toolrl.evaluation.heldout import HeldOutSuite, ToolrlValidationSuite
from toolrl.evaluation.predictions import check_mapping, read_predictions

SUITES: dict[str, type[Suite]] = {
    "held-out": HeldOutSuite,
    "toolrl-validation": ToolrlValidationSuite,
    "api-bank": ApiBankSuite,
    "bfcl": BfclSuite,
}


def load_suite(
    name: str, *, data_dir: str | Path | None = None, limit: int | None = None, **options: Any
) -> Suite:
    """A suite with its items read from `data_dir` (default `$TOOLRL_EVAL_DATA`).

    `limit` keeps the first N items of each category. `held-out` also takes `rows` (a list of
    `Row`), `max_rows`, `seed`, `reward` and `format`; `toolrl-validation` takes `reward`.
    `data_dir` is the rows file for `held-out` (synthetic rows without it).
    """
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; known: {', '.join(SUITES)}")
    return SUITES[name].load(data_dir, limit=limit, **options)  # type: ignore[attr-defined]


def evaluate_suite(
    suite: str | Suite,
    *,
    data_dir: str | Path | None = None,
    predictions: str | Path | Mapping[str, str] | None = None,
    model: str | Generator | None = None,
    generation: GenerationOptions | None = None,
    progress: Progress | None = None,
    out_dir: str | Path | None = None,
    limit: int | None = None,
    **suite_options: Any,
) -> SuiteResult:
    """Evaluate a suite on `predictions` (a JSONL file or `{id: completion}`) or on `model`.

    `model` is a path, checkpoint, HF id or `tiny[:recipe]` (loaded with `generation`), or a
    `Generator` already loaded (to evaluate several suites with one model). With `out_dir`, the
    predictions are written there as soon as they exist, then `items.jsonl` and `results.json`.
    Bad input raises an `EvaluationError` whose `lines` say what is wrong.
    """
    if (predictions is None) == (model is None):
        raise ValueError("evaluate_suite needs either predictions or a model")
    t0 = time.monotonic()
    if isinstance(suite, str):
        suite = load_suite(suite, data_dir=data_dir, limit=limit, **suite_options)
    ids = [item.id for item in suite.items]
    generated = None
    generator = None
    if predictions is not None:
        if isinstance(predictions, Mapping):
            completions = check_mapping(predictions, ids)
        else:
            completions = read_predictions(predictions, known_ids=ids)
    else:
        generator = model if isinstance(model, Generator) else load_generator(model, generation)  # type: ignore[arg-type]
        texts = generator.generate([suite.messages(item) for item in suite.items], progress)
        completions = dict(zip(ids, texts, strict=True))
        generated = [{"id": i, "completion": t} for i, t in zip(ids, texts, strict=True)]
        if out_dir is not None:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            write_jsonl(Path(out_dir) / "predictions.jsonl", generated)
    results = suite.judge_all(completions)
    summary: dict[str, Any] = {"suite": suite.name, "title": suite.title, "data": suite.data}
    summary.update(suite.summarize(results))
    if generator is not None:
        summary["generation"] = generator.describe()
    summary["seconds"] = round(time.monotonic() - t0, 2)
    if progress and predictions is not None:
        progress(len(ids), len(ids))
    result = SuiteResult(suite.name, summary, results, generated)
    if out_dir is not None:
        result.write(out_dir)
    return result
