"""Rollouts written per second into PostgreSQL: the database sink's COPY path against a
row-by-row baseline, measured in the same run on the same database.

    python bench/ingest.py [--rows 100000] [--baseline-rows 3000]

Uses the PostgreSQL server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) and
a scratch database `toolrl_bench` on it, created and migrated if missing.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]


def scratch_database(url: str) -> str:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname='toolrl_bench'").fetchone():
            conn.execute("CREATE DATABASE toolrl_bench")
    return urlunsplit(parts._replace(path="/toolrl_bench"))


def fake_rollouts(n: int, step: int) -> list[dict]:
    rng = random.Random(step)
    errors = [None, None, None, "invalid_json", "no_tool_block", "wrong_name"]
    out = []
    for i in range(n):
        fmt, corr = float(rng.random() < 0.7), rng.uniform(-3, 3)
        out.append(
            {
                "step": step,
                "prompt_id": f"row-{i // 4}",
                "group": i // 4,
                "sample": i % 4,
                "completion": "<think> I should call the tool. </think>\n<tool_call>\n"
                '{"name": "get_weather", "parameters": {"city": "Paris", "unit": "c"}}'
                "\n</tool_call>",
                "calls": [{"name": "get_weather", "parameters": {"city": "Paris", "unit": "c"}}],
                "ground_truth": '<think> x </think>\n<tool_call>\n{"name": "get_weather", '
                '"parameters": {"city": "Paris"}}\n</tool_call>',
                "rewards": {"format": fmt, "correctness": corr},
                "weights": {"format": 1, "correctness": 1},
                "total": fmt + corr,
                "advantage": rng.gauss(0, 1),
                "error": rng.choice(errors),
                "format_ok": bool(fmt),
                "exact": False,
                "length": rng.randint(20, 120),
                "truncated": rng.random() < 0.05,
            }
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2048, help="rollouts per step (one COPY)")
    parser.add_argument("--baseline-rows", type=int, default=3000)
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = scratch_database(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolrl_web.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from toolrl_web.projects.services import project_create
    from toolrl_web.runs import ingest
    from toolrl_web.runs.models import Rollout, Run

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench")
    project = project_create(owner=user, name="bench")
    run = Run.objects.create(project=project, name="bench", config={})

    # Baseline: one INSERT per rollout (what a naive sink does).
    records = fake_rollouts(args.baseline_rows, step=0)
    t0 = time.perf_counter()
    for r in records:
        values = ingest.rollout_values(run.pk, 0, r)
        Rollout.objects.create(**dict(zip(ingest.ROLLOUT_COLUMNS, values, strict=True)))
    baseline = args.baseline_rows / (time.perf_counter() - t0)

    # The sink's path: one COPY per step of `--batch` rollouts.
    steps = max(1, args.rows // args.batch)
    batches = [fake_rollouts(args.batch, step=s + 1) for s in range(steps)]
    t0 = time.perf_counter()
    for s, batch in enumerate(batches, start=1):
        ingest.rollouts_write(run_id=run.pk, step=s, records=batch)
    copy_rate = steps * args.batch / (time.perf_counter() - t0)

    # The rollout browser's queries on what was just written (a page of 50 each).
    qs = Rollout.objects.filter(run=run)
    queries = {
        "step page": qs.filter(step=steps // 2).order_by("group", "id")[:50],
        "total range": qs.filter(total__gte=3.5).order_by("total")[:50],
        "correctness range": qs.filter(correctness__lte=-2.5).order_by("correctness")[:50],
        "error category": qs.filter(error_category="invalid_json").order_by("-step")[:50],
        "one group": qs.filter(step=3, group=17),
        "one prompt": qs.filter(prompt_id="row-42").order_by("step")[:50],
    }
    for label, query in queries.items():
        t0 = time.perf_counter()
        n = len(list(query))
        print(f"query {label:<18}: {1000 * (time.perf_counter() - t0):7.1f} ms ({n} rows)")

    written = Rollout.objects.filter(run=run).count()
    expected = args.baseline_rows + steps * args.batch
    run.delete()
    project.delete()
    print(f"row-by-row INSERT : {baseline:10,.0f} rollouts/s  ({args.baseline_rows:,} rows)")
    print(
        f"COPY per step     : {copy_rate:10,.0f} rollouts/s  ({steps * args.batch:,} rows, "
        f"{steps} steps of {args.batch})"
    )
    print(f"ratio             : {copy_rate / baseline:10.1f}x")
    print(f"rows checked      : {written:,} of {expected:,}")
    return 0 if written == expected else 1


if __name__ == "__main__":
    sys.exit(main())
