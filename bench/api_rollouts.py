"""The API's rollout pages on a large run: time per request through the whole endpoint (token,
filters, JSON), and a deep page by keyset against the same page by OFFSET, in the same run.

    python bench/api_rollouts.py [--rows 200000] [--repeat 5]

Uses the PostgreSQL server of DATABASE_URL (a scratch database `toolrl_bench` on it); without
DATABASE_URL it starts a throwaway server from the local binaries, as the tests do.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from bench.ingest import fake_rollouts, scratch_database  # noqa: E402


def timed(call, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = call()
        times.append(1000 * (time.perf_counter() - t0))
    return statistics.median(times), result


def setup_database() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        from tests import services

        url = services._start_postgres()
    os.environ["DATABASE_URL"] = scratch_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolrl_web.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2048, help="rollouts per step")
    parser.add_argument("--repeat", type=int, default=5, help="requests per figure (median)")
    args = parser.parse_args()
    setup_database()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from toolrl_web.api import selectors
    from toolrl_web.api.services import token_create
    from toolrl_web.projects.services import project_create
    from toolrl_web.rollouts.selectors import RolloutFilters, rollouts_filtered
    from toolrl_web.runs import ingest
    from toolrl_web.runs.models import Rollout, Run

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-api")
    project = project_create(owner=user, name="bench api")
    run = Run.objects.create(project=project, name="bench", config={})
    steps = max(1, args.rows // args.batch)
    for s in range(1, steps + 1):
        ingest.rollouts_write(run_id=run.pk, step=s, records=fake_rollouts(args.batch, step=s))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Rollout._meta.db_table}")
    rows = Rollout.objects.filter(run=run).count()
    client, token = Client(), token_create(user=user, name="bench")[1]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/runs/{run.pk}/rollouts"

    def api(**params):
        response = client.get(url, params, headers=headers)
        assert response.status_code == 200, response.content[:500]
        return response.json()

    print(f"run with {rows:,} rollouts ({steps} steps of {args.batch}); median of {args.repeat}")
    cases = {
        "first page": {},
        "one step": {"step": steps // 2},
        "total >= 3.5": {"component": "total", "min": 3.5},
        "format >= 1": {"component": "format", "min": 1},
        "error category": {"error": "invalid_json"},
        "failure label": {"failure": "correct"},
        "equal groups": {"equal_groups": "true"},
        "prompt": {"prompt": "row-42"},
        "text search": {"q": "Paris"},
    }
    for label, params in cases.items():
        ms, body = timed(lambda p=params: api(**p), args.repeat)
        print(f"GET rollouts {label:<15}: {ms:8.1f} ms ({len(body['rollouts'])} rows)")

    # A page deep in the run: by keyset (what the API does) against OFFSET of the same depth,
    # both in the rollout browser's (step, id) order.
    depth = rows - 100
    last = Rollout.objects.filter(run=run).order_by("step", "pk").values_list("step", "pk")
    step, last_id = last[depth - 1]
    query = {"after": f"{step}.{last_id}"}
    keyset_ms, (page, _) = timed(
        lambda: selectors.rollouts_page(run=run, query=query, limit=50), args.repeat
    )
    qs = rollouts_filtered(run=run, filters=RolloutFilters())
    offset_ms, offset_page = timed(lambda: list(qs[depth : depth + 50]), args.repeat)
    assert [r.pk for r in page] == [r.pk for r in offset_page]
    print(f"page at row {depth:,} by keyset : {keyset_ms:8.2f} ms")
    print(f"page at row {depth:,} by OFFSET : {offset_ms:8.2f} ms")
    print(f"ratio OFFSET / keyset         : {offset_ms / keyset_ms:8.1f}x")
    run.delete()
    project.delete()
    return 0


def stop_throwaway_database() -> None:
    from tests import services

    services._stop_everything()


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        stop_throwaway_database()
