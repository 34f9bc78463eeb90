"""Reads for the API. Every lookup is scoped to the token's user: an outsider gets 404.

Rollouts are read through the rollout browser's filter form and selector, evaluation jobs and
their per-suite results through the evaluations app's selectors: the API adds no query of its
own that a page could disagree with.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from toolrl_web.api.models import ApiToken
from toolrl_web.rewards.models import RewardConfiguration
from toolrl_web.rollouts.forms import RolloutFilterForm
from toolrl_web.rollouts.selectors import rollout_page
from toolrl_web.runs.models import Rollout, Run

ROLLOUT_PAGE = 50
ROLLOUT_PAGE_MAX = 500


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


def rollouts_page(
    *, run: Run, query: Mapping, limit: int = ROLLOUT_PAGE
) -> tuple[list[Rollout], str | None]:
    """One page of the run's rollouts narrowed by the rollout browser's own filter form and
    selector (so the API and the browser never disagree), in (step, id) order by keyset; and
    the `after` of the next page ("STEP.ID", the browser's cursor), None on the last page.

    Where the browser's page shows a bad filter's message and leaves the filter out, the API
    refuses it naming the parameter."""
    form = RolloutFilterForm(query)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    limit = max(1, min(limit, ROLLOUT_PAGE_MAX))
    rows, cursor = rollout_page(run=run, filters=form.filters(), after=form.cursor(), size=limit)
    return rows, (f"{cursor[0]}.{cursor[1]}" if cursor else None)
