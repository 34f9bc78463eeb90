"""The reward lab end to end: 1,000,000 stored rollouts in PostgreSQL re-scored under another
reward and the summary written, by the same service function the `cpu` task calls.

    python bench/reward_lab.py [--rollouts 1000000] [--workers 2] [--reward equal-max] [--reseed]

Seeds a run of `--rollouts` rollouts (groups of 4, 250 groups per step, the GRPO-like mix of
`bench/reward_throughput.py` built from ToolRL's validation ground truths, scored under `toolrl`)
with COPY into the database `bench_lab` of the PostgreSQL at postgres://postgres@127.0.0.1:5432/
(created and migrated if missing; the seeded run is kept and reused unless `--reseed`). Then runs
`toolrl_web.lab.services.rescore_job_run` in this process and prints the scoring time (the aim:
<= 10 s on 2 cores) beside the whole task's time (read, score, summary, write), and the time to
open the same re-score a second time (found, not recomputed).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT), str(ROOT / "bench")]

SERVER = "postgres://postgres@127.0.0.1:5432"
GROUP = 4
GROUPS_PER_STEP = 250


def scratch_database() -> str:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname='bench_lab'").fetchone():
            conn.execute("CREATE DATABASE bench_lab")
    return f"{SERVER}/bench_lab"


def one_value_wrong(completion: str) -> list[str]:
    """The completion with its first parameter value changed (valid JSON, partly right), or
    nothing when no call has a parameter."""
    import json

    lines = completion.split("\n")
    for i, line in enumerate(lines):
        try:
            call = json.loads(line)
        except ValueError:
            continue
        if isinstance(call, dict) and call.get("parameters"):
            first = next(iter(call["parameters"]))
            call["parameters"][first] = "something else"
            return ["\n".join([*lines[:i], json.dumps(call), *lines[i + 1 :]])]
    return []


def seed(run, n: int) -> None:
    """`n` rollouts of `run` by COPY: each group four of one ground truth's completions (the mix
    of `reward_throughput.py` plus one with a wrong parameter value), in random order."""
    import numpy as np
    from django.db import connection, transaction
    from reward_throughput import ground_truths, group

    from toolrl.lab import group_codes, grpo_advantages
    from toolrl.rewards import RewardConfig, score_columns

    gts = ground_truths()
    variants = {gt: [*group(gt), *one_value_wrong(group(gt)[0])] for gt in gts}
    cfg = RewardConfig.preset("toolrl")
    scored = {}
    for gt, completions in variants.items():
        cols = score_columns(completions, gt, cfg)
        for i, c in enumerate(completions):
            scored[(gt, c)] = (cols["total"][i], cols["format"][i], cols["correctness"][i])
    rng = random.Random(0)
    rows = []
    for i in range(n // GROUP):
        step, g = divmod(i, GROUPS_PER_STEP)
        gt = rng.choice(gts)
        completions = rng.sample(variants[gt], GROUP)
        for c in completions:
            rows.append((step + 1, g, gt, c, *scored[(gt, c)]))
    codes, _ = group_codes([r[0] for r in rows], [r[1] for r in rows])
    advantages = grpo_advantages(np.array([r[4] for r in rows]), codes).tolist()

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    esc_gt = {gt: esc(gt) for gt in gts}
    gt_id = {gt: i for i, gt in enumerate(gts)}
    esc_c = {c: esc(c) for cs in variants.values() for c in cs}
    columns = (
        'run_id, step, prompt_id, "group", completion, ground_truth, rewards, total, format, '
        "correctness, advantage, error_category, truncated"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY runs_rollout ({columns}) FROM STDIN") as copy:
            for lo in range(0, len(rows), 100_000):
                lines = [
                    f"{run.pk}\t{s}\tp{gt_id[gt]}\t{g}\t{esc_c[c]}\t{esc_gt[gt]}\t{{}}\t"
                    f"{t!r}\t{f!r}\t{k!r}\t{a!r}\t\tf"
                    for (s, g, gt, c, t, f, k), a in zip(
                        rows[lo : lo + 100_000], advantages[lo : lo + 100_000], strict=True
                    )
                ]
                copy.write("\n".join(lines) + "\n")
        cursor.execute("ANALYZE runs_rollout")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reward", default="equal-max", help="preset to re-score under")
    parser.add_argument("--reseed", action="store_true", help="seed the run again")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = scratch_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolrl_web.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from toolrl.rewards import RewardConfig
    from toolrl_web.lab import services
    from toolrl_web.lab.models import RescoredRollout, RescoreJob
    from toolrl_web.projects.models import Project
    from toolrl_web.projects.services import project_create
    from toolrl_web.runs.models import Rollout, Run, RunStatus

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench")
    name = f"reward lab {args.rollouts}"
    run = Run.objects.filter(name=name).first()
    if run is not None and (
        args.reseed or Rollout.objects.filter(run=run).count() != args.rollouts
    ):
        project = run.project
        Rollout.objects.filter(run=run).delete()
        run.delete()
        project.delete()
        run = None
    if run is None:
        project = Project.objects.filter(name="bench lab").first() or project_create(
            owner=user, name="bench lab"
        )
        run = Run.objects.create(
            project=project, name=name, config={"reward": "toolrl"}, status=RunStatus.FINISHED
        )
        t0 = time.perf_counter()
        seed(run, args.rollouts)
        print(f"seeded {args.rollouts:,} rollouts by COPY in {time.perf_counter() - t0:.1f} s")

    cfg = RewardConfig.preset(args.reward)
    RescoreJob.objects.filter(run=run).delete()  # a fresh re-score every time
    job = RescoreJob.objects.create(
        run=run,
        created_by=user,
        config=cfg.model_dump(mode="json"),
        config_hash=services.config_hash(cfg),
        label=args.reward,
        source=RescoreJob.Source.PRESET,
    )
    t0 = time.perf_counter()
    outcome = services.rescore_job_run(job_id=job.pk, workers=args.workers)
    wall = time.perf_counter() - t0
    job.refresh_from_db()
    if outcome != "finished":
        print(f"re-score {outcome}: {job.error}")
        return 1
    t = job.timings
    s = job.summary
    stored = RescoredRollout.objects.filter(job=job).count()
    t0 = time.perf_counter()
    again, created = services.rescore_job_create(
        run=run, user=user, cfg=cfg, label=args.reward, source="preset"
    )
    reopen_ms = 1000 * (time.perf_counter() - t0)
    print(f"re-scored {s['rollouts']:,} rollouts ({s['groups']:,} groups) under {args.reward}")
    print(
        f"scoring          : {t['score']:6.2f} s on {args.workers} processes "
        f"({s['rollouts'] / t['score']:,.0f} rollouts/s; aim <= 10 s); CPU {t['score_cpu']:.2f} s "
        f"= {t['score_cpu'] / args.workers:.2f} s per core"
    )
    print(
        f"whole task       : {wall:6.2f} s  (read {t['read']:.2f} s, score {t['score']:.2f} s, "
        f"summary {t['summary']:.2f} s, write {t['write']:.2f} s); CPU {t['cpu']:.2f} s here "
        "(PostgreSQL's own work not counted)"
    )
    print(f"machine load     : {os.getloadavg()[0]:.1f} (1-minute average, {os.cpu_count()} cores)")
    print(
        f"second open      : {reopen_ms:6.1f} ms (same job found: {again.pk == job.pk and not created})"
    )
    print(
        f"summary          : ranking changes in {s['ranking_changed_share']:.1%} of groups, best "
        f"in {s['best_changed_share']:.1%}; Spearman {s['spearman']}, Kendall {s['kendall']}"
    )
    print(f"rows checked     : {stored:,} re-scores stored of {s['rollouts']:,}")
    return 0 if stored == s["rollouts"] == args.rollouts else 1


if __name__ == "__main__":
    sys.exit(main())
