"""What an evaluation can use: the suites, where their data is, the base models, the paper's numbers.

Whether a suite's data is there is asked of `toolrl.evaluation` itself (`load_suite` with one item
per category), so the form and `toolrl evaluate` never disagree about a data folder.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from toolrl.evaluation import ENV_VAR, SUITES, EvaluationError, load_suite

SUITE_LABELS = {
    "held-out": "Held-out rows (the run's validation data)",
    "toolrl-validation": "ToolRL validation split",
    "api-bank": "API-Bank",
    "bfcl": "BFCL single-turn",
}
# The held-out suite reads the run's validation rows (the synthetic task's held-out rows for a
# base model outside a run): it needs no data folder.
NEEDS_DATA = ("toolrl-validation", "api-bank", "bfcl")
HELD_OUT_ROWS = 100

# The paper's headline numbers after GRPO cold start (Qian et al., 2025, tables 1 and 2), in %.
# BFCL's is the v3 "Overall", which our single-turn mean is not: the chart labels it as such.
PAPER_MODELS = ("Qwen2.5-1.5B", "Qwen2.5-3B", "Qwen2.5-7B", "Llama-3.2-3B")
PAPER_REFERENCES = {
    "bfcl": {
        "measure": "BFCL v3 overall",
        "values": dict(zip(PAPER_MODELS, (46.20, 52.98, 58.38, 44.10), strict=True)),
    },
    "api-bank": {
        "measure": "API-Bank overall",
        "values": dict(zip(PAPER_MODELS, (63.15, 67.00, 64.66, 59.13), strict=True)),
    },
}


def eval_data_dir() -> Path | None:
    """The benchmark data folder: `EVAL_DATA_DIR` setting, `$TOOLRL_EVAL_DATA`, or `../shared/data`
    beside the checkout; None when there is none (a user's clone)."""
    # The environment too: a test or a shell may set TOOLRL_EVAL_DATA after settings were read.
    configured = getattr(settings, "EVAL_DATA_DIR", None) or os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    shared = Path(settings.BASE_DIR).parent / "shared" / "data"
    return shared if shared.is_dir() else None


def base_models() -> list[str]:
    """Models anyone may evaluate without a run checkpoint (allow-listed, never typed in)."""
    return list(getattr(settings, "EVAL_BASE_MODELS", ["tiny:fast"]))


@dataclass(frozen=True)
class SuiteAvailability:
    name: str
    label: str
    available: bool
    problem: str = ""


_cache: dict[tuple[str, str], tuple[float, SuiteAvailability]] = {}
_cache_lock = threading.Lock()
CACHE_SECONDS = 300


def _check(name: str, root: Path | None) -> SuiteAvailability:
    label = SUITE_LABELS.get(name, name)
    if name not in NEEDS_DATA:
        return SuiteAvailability(name, label, True)
    if root is None:
        problem = (
            f"{label} needs the benchmark data: no data folder on this server "
            f"(set {ENV_VAR} to the folder holding toolrl/ and bfcl/)"
        )
        return SuiteAvailability(name, label, False, problem)
    try:
        load_suite(name, data_dir=root, limit=1)
    except EvaluationError as exc:
        return SuiteAvailability(name, label, False, f"{label}: {exc.lines[0]}")
    return SuiteAvailability(name, label, True)


def suite_availability(name: str) -> SuiteAvailability:
    """Whether `name` can be evaluated here; cached five minutes (reading the three suites takes ~0.7 s warm, bench/eval_suite_check.py)."""
    root = eval_data_dir()
    key = (name, str(root))
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    found = _check(name, root)
    with _cache_lock:
        _cache[key] = (now, found)
    return found


def suites_availability() -> list[SuiteAvailability]:
    return [suite_availability(name) for name in SUITES]


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
