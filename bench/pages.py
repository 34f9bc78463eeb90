"""Server time of the pages that must stay fast on a big database (issue 11 §4).

    python bench/pages.py [--reseed] [--requests 20] [--only rollout]

Seeds a PostgreSQL database `bench_pages` (on DATABASE_URL's server, default
postgres://postgres@127.0.0.1:5432/) with 50 runs, 1,000,000 rollouts and 50,000 metric rows
(COPY; kept between invocations, `--reseed` rebuilds it), then requests each page with Django's
test Client inside this process: the time is the server's (URL routing, access check, queries,
template), not the network's. Prints the median and p95 of `--requests` requests per page, after
one warm-up request, against the aim p95 <= 150 ms.

Each page's bench is a module-level function `bench_<page>(seeded) -> [(label, url), ...]`;
`main` times every such function in the order they are defined, so adding a page is adding one
function (`bench_runs_list`, `bench_run_page`, `bench_run_chart_data` time the run pages here too;
`bench/run_pages.py` times them on one 50,000-step run).
`seeded` (`Seeded`) names the bench's project, its runs and the run most pages look at.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

DATABASE = "bench_pages"
RUNS = 50
ROLLOUTS = 1_000_000
METRIC_ROWS = 50_000
GROUP_SIZE = 4  # completions per GRPO group
GROUPS_PER_STEP = 25  # so a run logs 100 rollouts per step, 200 steps of rollouts
PROMPTS_PER_RUN = 400
AIM_MS = 150.0


@dataclass
class Seeded:
    """What the seeding made, for the bench functions to build URLs from."""

    project_slug: str
    run_ids: list[int]
    run_id: int  # the run the per-run pages look at (one in the middle)
    last_step: int
    prompt_id: str


# --- seeding -------------------------------------------------------------------------------

GT_CALL = (
    "<think> I should use the appropriate tool with proper parameters to respond to the user's "
    'need. </think>\n<tool_call>\n{"name": "get_weather", "parameters": {"city": "Paris", '
    '"days": 3}}\n</tool_call>'
)
GT_ANSWER = (
    "<think> I should directly respond to the user's need. </think>\n"
    "<response> You are welcome, have a nice trip! </response>"
)
THINK = "<think> The user asks about the weather in Paris for the next days, so I look it up. </think>\n"
CALL = '<tool_call>\n{{"name": "{name}", "parameters": {params}}}\n</tool_call>'
# (completion, ground truth, weight early, weight late): what a model writes, worse to better.
POOL = [
    (
        THINK + CALL.format(name="get_weather", params='{"city": "Paris", "days": 3}'),
        GT_CALL,
        1,
        12,
    ),
    (THINK + CALL.format(name="get_weather", params='{"city": "Lyon", "days": 3}'), GT_CALL, 3, 2),
    (THINK + CALL.format(name="get_weather", params='{"city": "Paris"}'), GT_CALL, 3, 1),
    (
        THINK + CALL.format(name="get_weather", params='{"city": "Paris", "days": 3, "unit": "c"}'),
        GT_CALL,
        2,
        1,
    ),
    (THINK + CALL.format(name="get_time", params='{"city": "Paris"}'), GT_CALL, 3, 1),
    (THINK + "<response> It will be sunny in Paris. </response>", GT_CALL, 4, 1),
    (
        THINK + '<tool_call>\n{"name": "get_weather", "parameters": {"city": \n</tool_call>',
        GT_CALL,
        4,
        1,
    ),
    ("I will call get_weather for Paris.", GT_CALL, 4, 0),
    (THINK + "<tool_call>\n" + '{"name": "get_weather", "parameters": {"ci', GT_CALL, 3, 0),
    (THINK + "<response> You are welcome! </response>", GT_ANSWER, 2, 8),
    (THINK + CALL.format(name="get_weather", params='{"city": "Paris"}'), GT_ANSWER, 3, 1),
]


def _pool_columns() -> list[dict]:
    """Each pool entry scored and labelled by toolrl, as COPY text per column."""
    from toolrl.rewards import RewardConfig, score
    from toolrl.taxonomy import classify
    from toolrl_web.runs import ingest

    cfg = RewardConfig.preset("toolrl")
    out = []
    for completion, gt, early, late in POOL:
        b = score(completion, gt, cfg)
        record = {
            "completion": completion,
            "ground_truth": gt,
            "rewards": dict(b.components),
            "total": b.total,
            "error": b.details.get("error"),
            "failure": classify(completion, gt),
            "sample": 0,
            "weights": {"format": 1.0, "correctness": 1.0},
        }
        cols = ingest._copy_line(0, 0, record).split("\t")
        out.append(
            {
                "cols": cols,
                "total": b.total,
                "early": early,
                "late": late,
                "gt": gt,
                "text": completion,
            }
        )
    return out


def _rollout_lines(run_id: int, steps: int, pool: list[dict], rng: random.Random):
    """COPY lines of one run: groups of one prompt each, better completions as steps go on."""
    from toolrl_web.runs.ingest import ROLLOUT_COLUMNS

    at = {c: i for i, c in enumerate(ROLLOUT_COLUMNS)}
    by_gt = {gt: [p for p in pool if p["gt"] == gt] for gt in (GT_CALL, GT_ANSWER)}
    for step in range(1, steps + 1):
        progress = step / steps
        for group in range(GROUPS_PER_STEP):
            prompt = rng.randrange(PROMPTS_PER_RUN)
            options = by_gt[GT_ANSWER if prompt % 5 == 0 else GT_CALL]
            weights = [p["early"] * (1 - progress) + p["late"] * progress for p in options]
            members = rng.choices(options, weights, k=GROUP_SIZE)
            mean = sum(m["total"] for m in members) / GROUP_SIZE
            sd = statistics.pstdev([m["total"] for m in members]) or 1.0
            for sample, m in enumerate(members):
                cols = list(m["cols"])
                cols[at["run_id"]] = str(run_id)
                cols[at["step"]] = str(step)
                cols[at["prompt_id"]] = f"row-{prompt}"
                cols[at["group"]] = str(group)
                cols[at["details"]] = f'{{"sample": {sample}}}'
                cols[at["advantage"]] = repr((m["total"] - mean) / sd)
                cols[at["num_tokens"]] = str(len(m["text"]) // 4)
                cols[at["truncated"]] = "t" if not m["text"].rstrip().endswith(">") else "f"
                yield "\t".join(cols)


def _copy(cursor, table: str, columns: list[str], lines) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= 20_000:
                copy.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            copy.write("\n".join(chunk) + "\n")


def _metric_lines(run_id: int, steps: int, rng: random.Random):
    for step in range(1, steps + 1):
        p = step / steps
        values = {
            "loss": rng.gauss(0.01, 0.005),
            "reward": -2 + 5 * p + rng.gauss(0, 0.3),
            "rewards/format/mean": min(1.0, 0.4 + 0.6 * p + rng.gauss(0, 0.05)),
            "rewards/correctness/mean": -2 + 4 * p + rng.gauss(0, 0.3),
            "completion_length": 60 + rng.gauss(0, 5),
            "learning_rate": 1e-6,
        }
        yield f"{run_id}\t{step}\t{json.dumps(values)}\t2026-01-01 00:00:00+00"


def seed() -> Seeded:
    """Build the bench database's content (the caller made the database and migrated it)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from toolrl_web.projects.services import project_add_member, project_create
    from toolrl_web.runs.models import Run, RunStatus

    users = get_user_model().objects
    owner = users.create_user("bench-owner", password="bench-owner-pw")
    member = users.create_user("bench-member", password="bench-member-pw")
    project = project_create(
        owner=owner, name="Bench pages", description="seeded by bench/pages.py"
    )
    project_add_member(project=project, username=member.username, added_by=owner)
    steps = ROLLOUTS // RUNS // (GROUP_SIZE * GROUPS_PER_STEP)
    metric_steps = METRIC_ROWS // RUNS
    config = {"preset": "cpu-tiny", "reward": "toolrl", "grpo": {"max_steps": metric_steps}}
    runs = Run.objects.bulk_create(
        Run(
            project=project,
            name=f"bench-{i:02d}",
            created_by=owner,
            status=RunStatus.FINISHED,
            config=config,
            last_step=metric_steps,
            max_steps=metric_steps,
        )
        for i in range(RUNS)
    )
    pool = _pool_columns()
    from toolrl_web.runs.ingest import ROLLOUT_COLUMNS

    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        rng = random.Random(0)
        lines = (line for run in runs for line in _rollout_lines(run.pk, steps, pool, rng))
        _copy(cursor, "runs_rollout", list(ROLLOUT_COLUMNS), lines)
        metrics = (line for run in runs for line in _metric_lines(run.pk, metric_steps, rng))
        _copy(cursor, "runs_metricrow", ["run_id", "step", "values", "logged_at"], metrics)
        prompt = json.dumps(
            [
                {
                    "role": "system",
                    "content": "You are a helpful multi-turn dialogue assistant. " * 40,
                },
                {
                    "role": "user",
                    "content": "**Dialogue Records History**\n<user> Weather? </user>",
                },
            ]
        ).replace("\\", "\\\\")
        prompts = (f"{run.pk}\trow-{i}\t{prompt}" for run in runs for i in range(PROMPTS_PER_RUN))
        _copy(cursor, "runs_rolloutprompt", ["run_id", "prompt_id", "messages"], prompts)
    with connection.cursor() as cursor:
        # Sets the visibility map, so the grouped counts are index-only scans, as on a database
        # autovacuum has visited.
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return seeded_state()


def seeded_state() -> Seeded | None:
    from toolrl_web.projects.models import Project
    from toolrl_web.runs.models import Rollout, Run

    project = Project.objects.filter(name="Bench pages").first()
    if project is None:
        return None
    run_ids = list(Run.objects.filter(project=project).order_by("pk").values_list("pk", flat=True))
    if len(run_ids) != RUNS:
        return None
    run_id = run_ids[RUNS // 2]
    last = Rollout.objects.filter(run_id=run_id).order_by("-step").values_list("step", flat=True)
    return Seeded(project.slug, run_ids, run_id, last.first() or 0, "row-7")


def use_bench_database(reseed: bool) -> None:
    """Point Django at the `bench_pages` database; (re)create and migrate it when asked or new."""
    import psycopg

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [DATABASE]).fetchone()
        if reseed and exists:
            conn.execute(f"DROP DATABASE {DATABASE} WITH (FORCE)")
            exists = None
        if not exists:
            conn.execute(f"CREATE DATABASE {DATABASE}")
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{DATABASE}"))


# --- the pages -----------------------------------------------------------------------------


def bench_baseline(s: Seeded) -> list[tuple[str, str]]:
    """A page with no query and a small template: what the machine's load alone costs (the
    2 CPUs are shared; read the other rows against this one)."""
    return [("baseline: login form (no queries)", "/login/")]


def bench_runs_list(s: Seeded) -> list[tuple[str, str]]:
    """The project's runs list (50 runs); `bench/run_pages.py` times it on a 50,000-step run."""
    url = f"/projects/{s.project_slug}/runs/"
    return [("runs list (50 runs)", url), ("runs list, finished only", url + "?status=finished")]


def bench_run_page(s: Seeded) -> list[tuple[str, str]]:
    return [
        ("run page", f"/runs/{s.run_id}/"),
        ("run page: log tail", f"/runs/{s.run_id}/log/"),
    ]


def bench_run_chart_data(s: Seeded) -> list[tuple[str, str]]:
    url = f"/runs/{s.run_id}/chart-data/"
    return [
        ("run chart data: all steps", url),
        ("run chart data: live update", f"{url}?since={max(0, s.last_step - 3)}"),
    ]


def _browser(s: Seeded, query: str = "") -> str:
    return f"/runs/{s.run_id}/rollouts/{query}"


def bench_rollout_browser(s: Seeded) -> list[tuple[str, str]]:
    """The rollout browser: unfiltered, then each filter (the run has 20,000 rollouts)."""
    step = s.last_step // 2
    return [
        ("rollouts: last step (bare page)", _browser(s)),
        ("rollouts: step N", _browser(s, f"?step={step}")),
        ("rollouts: all steps", _browser(s, "?step=")),
        ("rollouts: all steps, deep page (keyset)", _browser(s, f"?step=&after={step}.0")),
        ("rollouts: total range", _browser(s, "?component=total&min=1&max=2.5")),
        ("rollouts: correctness range", _browser(s, "?component=correctness&max=-1")),
        ("rollouts: failure label at step", _browser(s, f"?step={step}&failure=wrong_value")),
        ("rollouts: failure label, all steps", _browser(s, "?failure=missing_parameter")),
        ("rollouts: error category", _browser(s, "?error=invalid_json")),
        ("rollouts: truncated", _browser(s, "?truncated=1")),
        ("rollouts: equal groups at step", _browser(s, f"?step={step}&equal_groups=1")),
        ("rollouts: equal groups, all steps", _browser(s, "?equal_groups=1")),
        ("rollouts: prompt id", _browser(s, f"?prompt={quote(s.prompt_id)}")),
        ("rollouts: text at step", _browser(s, f"?step={step}&q=Lyon")),
        ("rollouts: text, all steps", _browser(s, "?q=get_time")),
        ("rollouts: text, rare, all steps", _browser(s, "?q=no-such-text")),
        ("rollouts: htmx next page", _browser(s, f"?step={step}&after={step}.0") + "#htmx"),
    ]


def bench_group_view(s: Seeded) -> list[tuple[str, str]]:
    return [("group view", f"/runs/{s.run_id}/rollouts/group/{s.last_step // 2}/3/")]


def bench_prompt_history(s: Seeded) -> list[tuple[str, str]]:
    base = f"/runs/{s.run_id}/rollouts/prompt/"
    return [
        ("prompt history page", f"{base}?id={s.prompt_id}"),
        ("prompt history data", f"{base}data/?id={s.prompt_id}"),
    ]


def bench_failure_chart(s: Seeded) -> list[tuple[str, str]]:
    return [
        ("failure chart page", f"/runs/{s.run_id}/failures/"),
        ("failure chart data (all steps)", f"/runs/{s.run_id}/failures/data/"),
        ("failure chart data (since)", f"/runs/{s.run_id}/failures/data/?since={s.last_step - 5}"),
    ]


# --- timing --------------------------------------------------------------------------------


def time_url(client, url: str, n: int) -> tuple[float, float, float, int]:
    """(median ms, p95 ms, median CPU ms of this process, bytes) of `n` GETs after one
    warm-up; a `#htmx` suffix sends the htmx header (the partial). The CPU time leaves out the
    database's and the time spent waiting for a core, so it reads the same on a busy machine."""
    headers = {"HX-Request": "true"} if url.endswith("#htmx") else {}
    url = url.removesuffix("#htmx")
    first = client.get(url, headers=headers)
    # 286 is htmx's "stop polling": the log tail of a finished run answers with it.
    if first.status_code not in (200, 286):
        raise SystemExit(f"{url}: HTTP {first.status_code}")
    times, cpu = [], []
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        client.get(url, headers=headers)
        times.append(1000 * (time.perf_counter() - t0))
        cpu.append(1000 * (time.process_time() - c0))
    times.sort()
    p95 = times[max(0, math.ceil(0.95 * n) - 1)]
    return statistics.median(times), p95, statistics.median(cpu), len(first.content)


def benches() -> list[Callable[[Seeded], list[tuple[str, str]]]]:
    """Every `bench_*` function of this module, in the order they are defined."""
    module = sys.modules[__name__]
    found = [
        f for name, f in vars(module).items() if name.startswith("bench_") and inspect.isfunction(f)
    ]
    return sorted(found, key=lambda f: f.__code__.co_firstlineno)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reseed", action="store_true", help="drop and rebuild bench_pages")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--only", default="", help="time only benches whose name contains this")
    args = parser.parse_args()

    use_bench_database(args.reseed)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolrl_web.settings")
    os.environ["DEBUG"] = "0"  # production settings: no query log, no debug templates
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    seeded = seeded_state() or seed()
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-member"))

    print(f"{RUNS} runs, {ROLLOUTS:,} rollouts, {METRIC_ROWS:,} metric rows; run #{seeded.run_id}")
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {args.requests} requests each"
    )
    print(
        f"{'page':<42} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} {'KB':>7}"
        f"  aim p95 <= {AIM_MS:.0f} ms"
    )
    slow = 0
    for bench in benches():
        if args.only not in bench.__name__:
            continue
        for label, url in bench(seeded):
            median, p95, cpu, size = time_url(client, url, args.requests)
            ok = p95 <= AIM_MS
            slow += not ok
            print(
                f"{label:<42} {median:10.1f} {p95:8.1f} {cpu:7.1f} {size / 1024:7.1f}"
                f"  {'ok' if ok else 'SLOW'}"
            )
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
