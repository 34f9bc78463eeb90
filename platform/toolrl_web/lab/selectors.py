"""Reads of the reward lab: jobs a user may see, a group's rollouts under both rewards."""

from __future__ import annotations

import numpy as np
from django.db.models import Q, QuerySet
from django.http import Http404

from toolrl.lab import grpo_advantages
from toolrl_web.lab.models import RescoredGroup, RescoredRollout, RescoreJob
from toolrl_web.runs.models import Rollout


def rescore_job_get_for_user(*, user, job_id: int) -> RescoreJob:
    """The job when the user is a member of its run's project; 404 otherwise."""
    job = (
        RescoreJob.objects.filter(pk=job_id, run__project__memberships__user=user)
        .select_related("run", "run__project")
        .first()
    )
    if job is None:
        raise Http404("No such re-score.")
    return job


def rescore_jobs_for_run(*, run) -> QuerySet[RescoreJob]:
    return RescoreJob.objects.filter(run=run).defer("summary").order_by("-created_at")


def run_step_bounds(*, run) -> tuple[int | None, int | None]:
    """The first and last step with stored rollouts (None, None when there are none)."""
    first = Rollout.objects.filter(run=run).order_by("step").values_list("step", flat=True)
    last = Rollout.objects.filter(run=run).order_by("-step").values_list("step", flat=True)
    return first.first(), last.first()


def rescore_group_rows(*, job: RescoreJob, step: int, group: int) -> list[dict]:
    """The group's completions with their old and new scores, best new total first."""
    rollouts = list(
        Rollout.objects.filter(run_id=job.run_id, step=step, group=group)
        .order_by("id")
        .values("id", "prompt_id", "completion", "total", "advantage", "format", "correctness")
    )
    if not rollouts:
        raise Http404("No such group.")
    new = {
        r["rollout_id"]: r
        for r in RescoredRollout.objects.filter(
            job=job, rollout_id__in=[r["id"] for r in rollouts]
        ).values("rollout_id", "total", "format", "correctness", "length")
    }
    rows = [{**r, "new": new.get(r["id"])} for r in rollouts]
    scored = [r["new"] for r in rows if r["new"] is not None]
    # The new advantages follow from the group's new totals, as GRPO would have computed them.
    advantages = grpo_advantages([s["total"] for s in scored], np.zeros(len(scored), np.int64))
    for s, advantage in zip(scored, advantages.tolist(), strict=True):
        s["advantage"] = advantage
    rows.sort(key=lambda r: -((r["new"] or {}).get("total") or float("-inf")))
    return rows


GROUP_FILTERS = {
    "all": Q(),
    "ranking": Q(ranking_changed=True),
    "best": Q(best_changed=True),
    "same": Q(ranking_changed=False),
}


def rescore_groups_page(
    *, job: RescoreJob, changed: str = "all", after: tuple[int, int] | None = None, limit: int = 50
) -> tuple[list[RescoredGroup], tuple[int, int] | None]:
    """One page of the job's groups in (step, group) order after the key `after` (keyset, not
    OFFSET: the millionth group costs what the first does), and the key to ask for next."""
    groups = RescoredGroup.objects.filter(GROUP_FILTERS.get(changed, Q()), job=job)
    if after is not None:
        step, group = after
        groups = groups.filter(Q(step__gt=step) | Q(step=step, group__gt=group))
    rows = list(groups.order_by("step", "group")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1].step, rows[-1].group) if more else None)
