"""Health hints on the run page, table-driven on seeded metrics, evaluations and rollouts;
each links to the rollout browser with the filters that show it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from toolrl_web.runs import ingest
from toolrl_web.runs.models import Rollout

pytestmark = pytest.mark.django_db


def seed_equal_groups(run):
    ingest.metrics_write(
        run_id=run.pk,
        rows=[(s, {"reward": 1.0, "frac_reward_zero_std": 0.75}) for s in range(1, 13)],
    )


def seed_truncated(run):
    ingest.metrics_write(
        run_id=run.pk,
        rows=[(s, {"reward": 1.0, "completions/clipped_ratio": 0.5}) for s in range(1, 13)],
    )


def seed_saturated(run):
    # The tiny run's reward is the `toolrl` preset: format in [0, 1], correctness in [-3, 3].
    ingest.metrics_write(run_id=run.pk, rows=[(s, {"reward": 1.0}) for s in range(1, 4)])
    Rollout.objects.bulk_create(
        Rollout(
            run=run,
            step=3,
            prompt_id=f"p{i}",
            group=i // 4,
            completion="c",
            rewards={"format": 1.0, "correctness": -2.5},
        )
        for i in range(16)
    )


def seed_reward_not_task(run):
    ingest.metrics_write(run_id=run.pk, rows=[(s, {"reward": 0.5 + s / 30}) for s in range(1, 31)])
    for step in (10, 20, 30):
        ingest.eval_write(run_id=run.pk, step=step, values={"eval/exact_call_accuracy": 0.25})


def seed_healthy(run):
    ingest.metrics_write(
        run_id=run.pk,
        rows=[(s, {"reward": 1.0, "frac_reward_zero_std": 0.1}) for s in range(1, 13)],
    )
    for step, acc in ((4, 0.1), (8, 0.3), (12, 0.5)):
        ingest.eval_write(run_id=run.pk, step=step, values={"eval/exact_call_accuracy": acc})


CASES = [
    ("equal_groups", seed_equal_groups, "rollouts/?step=12&amp;equal_groups=1"),
    ("truncated", seed_truncated, "rollouts/?truncated=1"),
    ("saturated", seed_saturated, "rollouts/?step=3&amp;component=correctness&amp;max=0.0"),
    ("reward_not_task", seed_reward_not_task, "rollouts/?step=30"),
    (None, seed_healthy, None),
]


@pytest.mark.parametrize(("kind", "seed", "link"), CASES, ids=[str(c[0]) for c in CASES])
def test_health_hint_on_the_run_page(client_for, owner, run, kind, seed, link):
    seed(run)
    html = client_for(owner).get(reverse("run-detail", args=[run.pk])).content.decode()
    health = html[html.index('id="health"') :].split("</section>")[0]
    if kind is None:
        assert 'data-hint="none"' in health
        return
    assert f'data-hint="{kind}"' in health
    assert health.count('data-hint="') == 1  # only this one
    assert f'href="/runs/{run.pk}/{link}"' in health
