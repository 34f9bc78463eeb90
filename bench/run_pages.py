"""Page response times on a seeded PostgreSQL database: median and p95 of 20 requests each.

    python bench/run_pages.py [--requests 20] [--reseed]

Uses the PostgreSQL server of BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/)
and a scratch database per group of pages, created, migrated and seeded if missing. Requests go
through Django's test client (the whole view, template and queries; no network). Aim: p95 <=
150 ms.

Run pages (`bench_runs_list`, `bench_run_page`, `bench_run_chart_data`; database
`bench_run_pages`): 50 runs in one project, one of them a long run with 50,000 metric rows
(evaluations every 50 steps, 512 rollouts at its last step) and 49 with 100 rows each.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/")


def scratch_database(name: str, *, reseed: bool = False) -> str:
    import psycopg

    parts = urlsplit(SERVER)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        if reseed:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def django_on(database: str, *, reseed: bool) -> None:
    os.environ["DATABASE_URL"] = scratch_database(database, reseed=reseed)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolrl_web.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)


def timed(label: str, func: Callable[[], object], n: int) -> None:
    """Median and p95 of `n` calls (after one warm-up call)."""
    func()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        func()
        times.append(1000 * (time.perf_counter() - t0))
    times.sort()
    p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
    print(f"{label:<42} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms")


def get(client, url: str, **headers) -> Callable[[], object]:
    def call():
        response = client.get(url, headers=headers)
        assert response.status_code in (200, 286), (url, response.status_code)
        return response

    return call


# --- run pages ---------------------------------------------------------------------------------

LONG_STEPS = 50_000


def _metrics(step: int, rng: random.Random) -> dict:
    reward = 1.0 + math.tanh(step / 10_000) + rng.gauss(0, 0.2)
    return {
        "loss": rng.gauss(0, 0.01),
        "grad_norm": abs(rng.gauss(1, 0.3)),
        "learning_rate": 1e-5,
        "num_tokens": 1000.0 * step,
        "completions/mean_length": rng.uniform(20, 60),
        "completions/min_length": 5.0,
        "completions/max_length": 64.0,
        "completions/clipped_ratio": rng.uniform(0, 0.3),
        "rewards/format/mean": rng.uniform(0.5, 1),
        "rewards/format/std": 0.2,
        "rewards/correctness/mean": rng.uniform(-1, 2),
        "rewards/correctness/std": 0.9,
        "reward": reward,
        "reward_std": 0.5,
        "frac_reward_zero_std": rng.uniform(0, 0.6),
        "entropy": rng.uniform(1, 2),
        "clip_ratio/low_mean": 0.0,
        "clip_ratio/high_mean": 0.0,
        "clip_ratio/region_mean": 0.0,
        "weights/format": 1.0,
        "weights/correctness": 1.0,
        "correctness/name": rng.uniform(0.5, 1),
        "correctness/keys": rng.uniform(0.3, 1),
        "correctness/values": rng.uniform(0, 1),
        "rollouts/exact": rng.uniform(0, 0.5),
        "step_time": 1.5,
        "epoch": step / 1000,
    }


def seed_run_pages():
    """The project, its 50 runs and their rows; reused when already there."""
    from django.contrib.auth import get_user_model

    from toolrl_web.projects.models import Project
    from toolrl_web.projects.services import project_create
    from toolrl_web.runs.models import EvalRow, MetricRow, Rollout, Run, RunStatus

    user, _ = get_user_model().objects.get_or_create(username="bench")
    project = Project.objects.filter(slug="bench-run-pages").first()
    if project is not None and project.runs.count() == 50:
        return user, project, project.runs.order_by("pk").first()
    project = project_create(owner=user, name="bench run pages")
    from tests.conftest import tiny_run_config
    from toolrl_web.runs.services import run_config_validate

    config = run_config_validate(tiny_run_config())
    rng = random.Random(0)
    runs = [
        Run.objects.create(
            project=project,
            name=f"run {i}",
            created_by=user,
            config=config,
            status=RunStatus.RUNNING if i == 0 else RunStatus.FINISHED,
            max_steps=LONG_STEPS if i == 0 else 100,
            last_step=LONG_STEPS if i == 0 else 100,
        )
        for i in range(50)
    ]
    for i, run in enumerate(runs):
        steps = LONG_STEPS if i == 0 else 100
        MetricRow.objects.bulk_create(
            (MetricRow(run=run, step=s, values=_metrics(s, rng)) for s in range(1, steps + 1)),
            batch_size=5000,
        )
        EvalRow.objects.bulk_create(
            EvalRow(run=run, step=s, values={"eval/exact_call_accuracy": rng.uniform(0, 0.6)})
            for s in range(50, steps + 1, 50)
        )
    Rollout.objects.bulk_create(
        Rollout(
            run=runs[0],
            step=LONG_STEPS,
            prompt_id=f"p{k // 8}",
            group=k // 8,
            completion="<tool_call>...</tool_call>",
            rewards={"format": 1.0, "correctness": rng.uniform(-3, 3)},
        )
        for k in range(512)
    )
    return user, project, runs[0]


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def bench_runs_list(user, project, long_run, n: int) -> None:
    from django.urls import reverse

    client = _client(user)
    url = reverse("run-list", args=[project.slug])
    timed("runs list (50 runs)", get(client, url), n)
    timed("runs list, status=finished", get(client, url + "?status=finished"), n)


def bench_run_page(user, project, long_run, n: int) -> None:
    from django.urls import reverse

    client = _client(user)
    url = reverse("run-detail", args=[long_run.pk])
    timed("run page (50,000-step run)", get(client, url), n)
    timed("run page status poll (health hints)", get(client, url, HX_Request="true"), n)
    timed("run page log tail", get(client, reverse("run-log", args=[long_run.pk])), n)


def bench_run_chart_data(user, project, long_run, n: int) -> None:
    from django.core.cache import cache
    from django.urls import reverse

    client = _client(user)
    url = reverse("run-chart-data", args=[long_run.pk])
    cache.clear()  # the first load of a long run computes every block once
    t0 = time.perf_counter()
    size = len(client.get(url).content)
    print(
        f"{'chart data, all steps, cold cache (1 request)':<42} {1000 * (time.perf_counter() - t0):7.1f} ms"
    )
    timed(f"chart data, all 50,000 steps ({size / 1000:.0f} kB)", get(client, url), n)
    live = f"{url}?since={LONG_STEPS - 3}&eval_since={LONG_STEPS}"
    timed("chart data, live update (3 new steps)", get(client, live), n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    args = parser.parse_args()

    django_on("bench_run_pages", reseed=args.reseed)
    t0 = time.perf_counter()
    seeded = seed_run_pages()
    print(f"run pages database ready in {time.perf_counter() - t0:.1f} s")
    for bench in (bench_runs_list, bench_run_page, bench_run_chart_data):
        bench(*seeded, args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
