"""Time to score every BFCL single-turn prediction, measured in one run.

Two prediction sets over all 3,491 entries of `data/bfcl/`: the gold answers (each rendered as a
ToolRL completion) and a perturbed set where each entry gets one kind of mistake in turn (wrong
name, a parameter dropped, an extra parameter, a wrong type, a wrong value, parallel calls
reversed, a call on an irrelevance entry, an answer instead of a call). For each set it prints:

- the suite load (19 JSON Lines files, the entries checked);
- scoring in-process: reading the predictions file, judging, summarising (`evaluate_suite`);
- the whole command, `toolrl evaluate --suite bfcl --predictions F --json`, as a user runs it
  (interpreter start and imports included);
and, as the baseline in the same run, the time just to parse the predictions file with `json`.
The aim: the whole command under 5 s on the 2-core reference machine.

Run: `python bench/eval_scoring.py [--data DIR]` (default `$TOOLRL_EVAL_DATA`, else
`../shared/data`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolrl.evaluation import evaluate_suite, load_suite  # noqa: E402
from toolrl.evaluation.decoding import decode_calls  # noqa: E402
from toolrl.prompt import render_assistant  # noqa: E402
from toolrl.schema import ToolCall  # noqa: E402

AIM_SECONDS = 5.0


def perturb(suite, item, k: int) -> str:
    """The gold completion of `item` with mistake number `k % 8`."""
    calls = decode_calls(suite.gold(item))
    if not calls:  # irrelevance: call the first offered function
        functions = item.source["function"][:1]
        return render_assistant(None, [ToolCall(name=f["name"]) for f in functions], None)
    first = calls[0]["parameters"]
    kind = k % 8
    if kind == 0:
        calls[0]["name"] += "_v2"
    elif kind == 1 and first:
        first.pop(next(iter(first)))
    elif kind == 2:
        first["unexpected"] = 1
    elif kind == 3 and first:
        key = next(iter(first))
        first[key] = str(first[key]) if not isinstance(first[key], str) else 7
    elif kind == 4 and first:
        key = next(iter(first))
        first[key] = "a different value"
    elif kind == 5:
        calls.reverse()
    elif kind == 6:
        return render_assistant(None, [], "I would rather not call a tool.")
    return render_assistant(None, [ToolCall(**c) for c in calls], None)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def parse_only(path: Path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines()]


def measure(suite, data: str, name: str, predictions: dict[str, str], tmp: Path) -> str:
    path = tmp / f"{name}.jsonl"
    path.write_text(
        "".join(json.dumps({"id": i, "completion": c}) + "\n" for i, c in predictions.items())
    )
    _, parse_s = timed(parse_only, path)
    result, score_s = timed(evaluate_suite, suite, predictions=path)
    cmd = [sys.executable, "-m", "toolrl.cli", "evaluate", "--suite", "bfcl", "--data", data]
    cmd += ["--predictions", str(path), "--json"]
    done, command_s = timed(subprocess.run, cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    assert json.loads(done.stdout)["accuracy"] == result.summary["accuracy"]
    return (
        f"{name:10s} {100 * result.summary['accuracy']:8.2f}% {parse_s:9.2f}s {score_s:10.2f}s "
        f"{command_s:8.2f}s {command_s / AIM_SECONDS:6.0%}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("TOOLRL_EVAL_DATA") or str(ROOT.parent / "shared" / "data")
    parser.add_argument("--data", default=default)
    args = parser.parse_args()
    suite, load_s = timed(load_suite, "bfcl", data_dir=args.data)
    print(f"BFCL single-turn: {len(suite.items)} entries from {suite.data}; load {load_s:.2f} s")
    sets = {
        "gold": {i.id: suite.gold(i) for i in suite.items},
        "perturbed": {i.id: perturb(suite, i, k) for k, i in enumerate(suite.items)},
    }
    print(
        f"{'set':10s} {'accuracy':>9s} {'json only':>10s} {'in-process':>11s} {'command':>9s} {'of aim':>7s}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, predictions in sets.items():
            print(measure(suite, args.data, name, predictions, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
