"""The evaluation process the supervisor starts: the model loaded once, every suite in turn.

    python -m workers.evaluation_child SPEC.json

It imports `toolrl` only (no Django, no database): what the job's row needs is written into the
output folder, which the supervisor reads. `progress.json` (done, total, current suite) is
replaced as items are generated; each suite's predictions, items and `results.json` go to
`OUT/<suite>/` as soon as it is judged; on failure, `error.txt` holds the one line to show (the
traceback, if any, goes to the log).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from toolrl.evaluation import EvaluationError, GenerationOptions, evaluate_suite, load_suite
from toolrl.evaluation.base import write_text

PROGRESS_FILE = "progress.json"
ERROR_FILE = "error.txt"


def _run_validation(run_config: dict[str, Any]) -> tuple[list[Any], Any, str]:
    """The validation rows the run trained with (its frozen `data` section and seed, split the
    way training splits it) and its reward; EvaluationError naming the file when unreadable."""
    from toolrl.errors import UserError
    from toolrl.formats import DatasetError
    from toolrl.training.config import RunConfig
    from toolrl.training.data import load_splits

    try:
        cfg = RunConfig.from_dict(run_config)
        _, rows = load_splits(cfg.data, cfg.seed)
        reward = cfg.reward_config()
    except DatasetError as exc:
        raise EvaluationError([f"the run's validation data: {p}" for p in exc.problems]) from None
    except (UserError, ValueError, OSError) as exc:
        raise EvaluationError(f"the run's validation data: {exc}") from None
    if cfg.data.train is None:
        source = f"the run's synthetic validation rows (seed {cfg.seed})"
    elif cfg.data.validation is not None:
        source = cfg.data.validation
    else:
        source = (
            f"{cfg.data.train} (the {cfg.data.validation_fraction:g} held out, seed {cfg.seed})"
        )
    if not rows:
        raise EvaluationError(f"held-out: {source}: the run has no validation rows")
    return rows, reward, source


def _load_suites(spec: dict[str, Any]) -> list[Any]:
    """Every suite of the spec. With a run (`run_config`), `held-out` is the run's validation
    rows and both held-out suites judge with the run's reward; without one, the synthetic task's
    held-out rows and the `toolrl` preset."""
    run_config = spec.get("run_config")
    rows = reward = source = None
    if run_config is not None and "held-out" in spec["suites"]:
        rows, reward, source = _run_validation(run_config)
    elif run_config is not None:
        from toolrl.training.config import RunConfig

        reward = RunConfig.from_dict(run_config).reward_config()
    limit = spec.get("limit") or None
    suites = []
    for name in spec["suites"]:
        if name == "held-out" and rows is not None:
            suite = load_suite(name, rows=rows, limit=limit, reward=reward)
            suite.data = source
        elif name == "held-out":
            suite = load_suite(name, max_rows=spec.get("held_out_rows", 100), limit=limit)
        elif name == "toolrl-validation" and reward is not None:
            suite = load_suite(name, data_dir=spec.get("data_dir"), limit=limit, reward=reward)
        else:
            suite = load_suite(name, data_dir=spec.get("data_dir"), limit=limit)
        suites.append(suite)
    return suites


def run(spec: dict[str, Any]) -> None:
    out = Path(spec["out_dir"])
    # Every suite is read before the model loads: a data problem shows in a second, and the
    # progress total is known from the start.
    suites = _load_suites(spec)
    total = sum(len(s.items) for s in suites)
    state = {"done": 0, "total": total, "suite": ""}

    def report(done_in_suite: int = 0, _total: int = 0) -> None:
        payload = dict(state, done=state["done"] + done_in_suite)
        write_text(out / PROGRESS_FILE, json.dumps(payload))

    report()
    from toolrl.evaluation import load_generator

    options = GenerationOptions(
        max_new_tokens=int(spec.get("max_new_tokens", 512)),
        batch_size=int(spec.get("batch_size", 8)),
    )
    generator = load_generator(spec["model"], options)
    for suite in suites:
        state["suite"] = suite.name
        report()
        evaluate_suite(suite, model=generator, progress=report, out_dir=out / suite.name)
        state["done"] += len(suite.items)
        report()


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    out = Path(spec["out_dir"])
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        run(spec)
    except EvaluationError as exc:
        write_text(out / ERROR_FILE, "\n".join(exc.lines) + "\n")
        print("\n".join(exc.lines), file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the page shows one line; the log keeps the rest
        traceback.print_exc()
        write_text(out / ERROR_FILE, f"evaluation failed: {type(exc).__name__}: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
