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


def _load_suites(spec: dict[str, Any]) -> list[Any]:
    suites = []
    for name in spec["suites"]:
        limit = spec.get("limit") or None
        if name == "held-out":
            suites.append(load_suite(name, max_rows=spec.get("held_out_rows", 100), limit=limit))
        else:
            suites.append(load_suite(name, data_dir=spec.get("data_dir"), limit=limit))
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
