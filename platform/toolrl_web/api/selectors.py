"""Reads for the API. Every lookup is scoped to the token's user: an outsider gets 404.

Evaluations and the rollout filters read `runs.EvalRow` and `runs.Rollout` here until the
evaluations and rollouts apps publish their own selectors; the parameter names are the rollout
browser's, so pointing the API at them changes no client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from toolrl_web.api.models import ApiToken
from toolrl_web.rewards.models import RewardConfiguration
from toolrl_web.runs.models import EvalRow, Rollout, Run
from toolrl_web.runs.selectors import run_lineage

ROLLOUT_PAGE = 50
ROLLOUT_PAGE_MAX = 500
# Components stored as columns; any other name is looked up in the `rewards` JSON.
ROLLOUT_COLUMNS = ("total", "format", "correctness", "length", "advantage")
COMPONENT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def token_list_for_user(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def reward_configuration_list_for_project(*, project) -> QuerySet[RewardConfiguration]:
    return RewardConfiguration.objects.filter(project=project)


def reward_configuration_get_for_user(*, user, reward_configuration_id: int) -> RewardConfiguration:
    found = (
        RewardConfiguration.objects.filter(
            pk=reward_configuration_id, project__memberships__user=user
        )
        .select_related("project")
        .first()
    )
    if found is None:
        raise Http404("No such reward configuration.")
    return found


def run_eval_rows(*, run: Run, since_step: int = -1) -> list[dict]:
    """The held-out metrics logged during training, over the run's lineage, after a step."""
    chain = run_lineage(run=run)
    q = Q()
    for i, part in enumerate(chain):
        this = Q(run_id=part.pk)
        if i + 1 < len(chain):
            this &= Q(step__lte=chain[i + 1].start_step)
        q |= this
    rows = EvalRow.objects.filter(q, step__gt=since_step).order_by("step", "run_id", "pk")
    return list(rows.values("step", "values"))


@dataclass(frozen=True)
class RolloutFilters:
    step: int | None = None
    min_total: float | None = None
    max_total: float | None = None
    component: str | None = None
    min: float | None = None
    max: float | None = None
    error_category: str | None = None
    truncated: bool | None = None
    equal_groups: bool | None = None
    prompt_id: str | None = None
    q: str | None = None


def _component_filter(filters: RolloutFilters) -> Q:
    if filters.min is None and filters.max is None:
        return Q()
    name = filters.component or "total"
    if not COMPONENT_NAME.match(name):
        raise ValidationError({"component": f"Not a reward component name: {name!r}."})
    lookup = name if name in ROLLOUT_COLUMNS else f"rewards__{name}"
    q = Q()
    if filters.min is not None:
        q &= Q(**{f"{lookup}__gte": filters.min})
    if filters.max is not None:
        q &= Q(**{f"{lookup}__lte": filters.max})
    return q


def _equal_group_filter(equal_groups: bool) -> Q:
    # A group whose completions all scored the same has zero advantage: GRPO learns nothing.
    other_score = Rollout.objects.filter(
        run_id=OuterRef("run_id"), step=OuterRef("step"), group=OuterRef("group")
    ).exclude(total=OuterRef("total"))
    return ~Q(Exists(other_score)) if equal_groups else Q(Exists(other_score))


def rollouts_filtered(*, run: Run, filters: RolloutFilters) -> QuerySet[Rollout]:
    f = filters
    q = Q(run=run) & _component_filter(f)
    exact = {"step": f.step, "error_category": f.error_category, "truncated": f.truncated}
    exact["prompt_id"] = f.prompt_id
    q &= Q(**{key: value for key, value in exact.items() if value is not None})
    if f.min_total is not None:
        q &= Q(total__gte=f.min_total)
    if f.max_total is not None:
        q &= Q(total__lte=f.max_total)
    if f.equal_groups is not None:
        q &= _equal_group_filter(f.equal_groups)
    if f.q:
        q &= Q(completion__icontains=f.q)
    return Rollout.objects.filter(q)


def rollouts_page(
    *, run: Run, filters: RolloutFilters, after: int | None = None, limit: int = ROLLOUT_PAGE
) -> tuple[list[Rollout], int | None]:
    """One page of the run's rollouts in id order, by keyset; and the `after` of the next page."""
    limit = max(1, min(limit, ROLLOUT_PAGE_MAX))
    rows = rollouts_filtered(run=run, filters=filters)
    if after is not None:
        rows = rows.filter(pk__gt=after)
    page = list(rows.order_by("pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, (page[-1].pk if more and page else None)
