"""What an evaluation job's process costs against `toolrl evaluate` on the same work.

    python bench/eval_job.py [--model tiny:fast] [--limit 4] [--max-new-tokens 32] [--suites held-out]

Runs the job's child (`python -m workers.evaluation_child SPEC`, what a worker starts) and the
command line (`toolrl evaluate MODEL --suite S ...`, once per suite) on the same items, one after
the other in this process's session, and prints each wall time, items per second, and the ratio
job / command line (above 1: the job's own overhead, its progress file and results writing).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The console script beside this interpreter (the package has no __main__).
TOOLRL = str(Path(sys.executable).with_name("toolrl"))


def timed_run(argv: list[str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny:fast")
    parser.add_argument("--limit", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--suites", default="held-out", help="comma-separated")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    suites = [s.strip() for s in args.suites.split(",") if s.strip()]
    # Build (or find) the model once, so neither timing includes it.
    timed_run(
        [
            TOOLRL,
            "evaluate",
            args.model,
            "--rows",
            "1",
            "--max-new-tokens",
            "1",
            "--out",
            tempfile.mkdtemp(),
            "--no-progress",
        ]
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "job"
        out.mkdir()
        spec = {
            "model": args.model,
            "suites": suites,
            "limit": args.limit,
            "data_dir": args.data,
            "held_out_rows": 100,
            "max_new_tokens": args.max_new_tokens,
            "out_dir": str(out),
        }
        (out / "spec.json").write_text(json.dumps(spec))
        job = timed_run([sys.executable, "-m", "workers.evaluation_child", str(out / "spec.json")])
        items = json.loads((out / "progress.json").read_text())["total"]
        cli = 0.0
        for suite in suites:
            argv = [
                TOOLRL,
                "evaluate",
                args.model,
                "--suite",
                suite,
                "--limit",
                str(args.limit),
                "--max-new-tokens",
                str(args.max_new_tokens),
                "--out",
                str(Path(tmp) / f"cli-{suite}"),
                "--no-progress",
                "--json",
            ]
            if suite != "held-out":
                argv += ["--data", args.data]
            cli += timed_run(argv)
    print(
        f"suites {', '.join(suites)}; {items} items; {args.max_new_tokens} new tokens; {args.model}"
    )
    print(
        f"evaluation job (one process, model loaded once): {job:7.1f} s  {items / job:5.2f} items/s"
    )
    print(
        f"toolrl evaluate (one process per suite):         {cli:7.1f} s  {items / cli:5.2f} items/s"
    )
    print(f"ratio job / command line: {job / cli:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
