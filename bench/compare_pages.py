"""Server time of the compare page and its endpoints: 10 runs of 1,000 steps each.

    python bench/compare_pages.py [--runs 10] [--steps 1000] [--repeats 20]

Target: every URL answers in <= 300 ms at p95 of 20 requests. Wall times include waiting for a
core, so the load average is printed with them; the web process's own CPU time per request is
printed too (the database's is not in it). The rows are as wide as a real
run's (~32 metric names per step). Baseline in the same process: the chart data built the
obvious way, by reading each lineage's full metric rows (`run_metric_rows`) and picking the keys
in Python, against the endpoint's per-key JSON reads.

Uses the PostgreSQL server of DATABASE_URL; without it a throwaway server is started from the
local PostgreSQL binaries (as the test suite does) and removed at exit. `bench_compare` is the
function a combined pages benchmark calls with a logged-in test client and the run ids.
"""

from __future__ import annotations

import argparse
import atexit
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

DATA_METRICS = (
    "reward,rewards/format/mean,rewards/correctness/mean,kl,entropy,completions/mean_length"
)


def _p95(times: list[float]) -> float:
    """Nearest rank: of 20 requests, the 19th fastest."""
    ordered = sorted(times)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def _measure(call, repeats: int) -> dict[str, float]:
    call()  # warm caches (templates, query plans) as a running server has them
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        call()
        times.append(1000 * (time.perf_counter() - t0))
        cpu.append(1000 * (time.process_time() - c0))
    return {
        "p50": statistics.median(times),
        "p95": _p95(times),
        "max": max(times),
        "cpu": statistics.median(cpu),
    }


def bench_compare(*, client, run_ids: list[int], repeats: int = 20) -> dict[str, dict]:
    """Milliseconds (p50, p95, max) per compare URL, requested through `client` in-process."""
    from django.urls import reverse

    ids = ",".join(map(str, run_ids))
    urls = {
        "compare page": f"{reverse('compare')}?runs={ids}",
        "chart data (6 metrics)": f"{reverse('compare-data')}?runs={ids}&metrics={DATA_METRICS}",
        "chart data since last-10": f"{reverse('compare-data')}?runs={ids}&since=990",
        "value table": f"{reverse('compare-table')}?runs={ids}&step=500",
        "CSV export (defaults)": f"{reverse('compare-csv')}?runs={ids}",
    }
    results = {}
    for label, url in urls.items():

        def call(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        results[label] = _measure(call, repeats)
    return results


def _baseline_full_rows(run_ids: list[int], metrics: list[str]) -> None:
    """The obvious way: every lineage's whole metric rows, keys picked in Python."""
    from toolrl_web.runs.models import Run
    from toolrl_web.runs.selectors import run_metric_rows

    for run in Run.objects.filter(pk__in=run_ids):
        curves: dict[str, list] = {m: [] for m in metrics}
        for row in run_metric_rows(run=run):
            for m in metrics:
                if m in row["values"]:
                    curves[m].append((row["step"], row["values"][m]))


def _database() -> None:
    if os.environ.get("DATABASE_URL"):
        return
    from tests import services

    os.environ["DATABASE_URL"] = services._start_postgres()
    atexit.register(services._stop_everything)


def _seed(n_runs: int, steps: int):
    from django.contrib.auth import get_user_model

    from tests.web.compare_pages.helpers import seed_run
    from toolrl_web.projects.services import project_create
    from toolrl_web.runs import services

    services.run_enqueue = lambda *, run_id: None  # seeded runs are finished; no broker message
    user, _ = get_user_model().objects.get_or_create(username="bench-compare")
    project = project_create(owner=user, name=f"bench compare {time.time():.0f}", description="")
    rewards = ["toolrl", "two-stage", "dynamic", "coarse", "equal-max"]
    runs = [
        seed_run(
            project=project,
            user=user,
            name=f"bench {i}",
            steps=steps,
            reward=rewards[i % len(rewards)],
            lr=(1e-4, 3e-4)[i % 2],
            seed=i,
            eval_every=50,
        )
        for i in range(n_runs)
    ]
    return user, project, runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    _database()
    os.environ.setdefault("TOOLRL_VAR_DIR", tempfile.mkdtemp(prefix="toolrl-bench-var-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolrl_web.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client needs it (ALLOWED_HOSTS, template signals)
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    user, project, runs = _seed(args.runs, args.steps)
    print(f"seeded {args.runs} runs x {args.steps} steps in {time.perf_counter() - t0:.1f} s")
    print(
        f"database: {connection.vendor}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )

    client = Client()
    client.force_login(user)
    ids = [r.pk for r in runs]
    results = bench_compare(client=client, run_ids=ids, repeats=args.repeats)
    worst = 0.0
    for label, ms in results.items():
        worst = max(worst, ms["p95"])
        print(
            f"{label:<26}: p50 {ms['p50']:6.1f} ms  p95 {ms['p95']:6.1f} ms  "
            f"max {ms['max']:6.1f} ms  (web process CPU p50 {ms['cpu']:5.1f} ms)"
        )
    metrics = DATA_METRICS.split(",")
    base = _measure(lambda: _baseline_full_rows(ids, metrics), max(3, args.repeats // 4))
    data = results["chart data (6 metrics)"]
    print(f"{'baseline: full rows':<26}: p50 {base['p50']:6.1f} ms (data only, no JSON out)")
    print(f"ratio full rows / endpoint : {base['p50'] / data['p50']:6.2f}x (p50)")
    print(
        f"target p95 <= 300 ms       : {'met' if worst <= 300 else 'NOT met'} (worst {worst:.1f})"
    )
    project.delete()
    return 0 if worst <= 300 else 1


if __name__ == "__main__":
    sys.exit(main())
