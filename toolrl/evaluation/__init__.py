"""Evaluation suites: held-out rows, ToolRL's validation split, API-Bank and BFCL single-turn.

Each suite reads its data from a folder the user names (`data_dir`, default the environment
variable `TOOLRL_EVAL_DATA`; the documented source is the project's shared data folder), prompts
in the ToolRL format, and judges a completion the way its own benchmark does. Importing this
package loads no torch: only evaluating a *model* does.

- `evaluate_suite(suite, *, data_dir, predictions=... | model=..., progress=...)` → `SuiteResult`:
  `summary` (JSON-able: `count`, `passed`, `missing`, `accuracy`, `categories` {name: {count,
  passed, accuracy}}, `scores` {name: value in [0, 1]}, `headline` (the key of the score to
  show first), and per suite `rewards`, `segments`, `generation`, ...) and `items` (one
  `ItemResult` per item: id, category, passed, reason, details).
- `load_suite(name, *, data_dir, limit)` → a `Suite` (items, `messages(item)`, `judge(item, text)`).
- `load_generator(model, GenerationOptions(...))` → a `Generator` to reuse across suites.
- Errors the user can fix are `EvaluationError`s (`EvalDataError`, `PredictionsError`,
  `ModelError`) whose `lines` name the file and line or the path.

Example::

    >>> import json, os, tempfile
    >>> from toolrl.prompt import render_target
    >>> suite = load_suite("held-out", max_rows=4)
    >>> preds = {i.id: render_target(suite.rows[i.id].target) for i in suite.items}
    >>> result = evaluate_suite(suite, predictions=preds)
    >>> result.summary["accuracy"], result.summary["scores"]["format_rate"]
    (1.0, 1.0)
"""

from __future__ import annotations

from toolrl.evaluation.base import (
    EvalDataError,
    EvalItem,
    EvaluationError,
    ItemResult,
    ModelError,
    PredictionsError,
    Suite,
    SuiteResult,
)
from toolrl.evaluation.data import ENV_VAR
from toolrl.evaluation.generation import GenerationOptions, Generator, load_generator
from toolrl.evaluation.predictions import read_predictions
from toolrl.evaluation.report import format_table
from toolrl.evaluation.suites import SUITES, evaluate_suite, load_suite

__all__ = [
    "ENV_VAR",
    "SUITES",
    "EvalDataError",
    "EvalItem",
    "EvaluationError",
    "GenerationOptions",
    "Generator",
    "ItemResult",
    "ModelError",
    "PredictionsError",
    "Suite",
    "SuiteResult",
    "evaluate_suite",
    "format_table",
    "load_generator",
    "load_suite",
    "read_predictions",
]
