"""Reads for the rollout pages: a filtered step's rollouts (keyset paged), a GRPO group, one
prompt across steps, and the failure counts per step.

Every query is scoped to one run and served by an index of `runs.Rollout` that starts with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, BooleanField, Count, F, Max, Min, Q, QuerySet
from django.db.models.expressions import RawSQL

from toolrl.errors import UserError
from toolrl.explain import explain_rollout
from toolrl.parser import CALL_ERRORS, ERRORS
from toolrl.rewards import RewardConfig
from toolrl.training.config import RunConfig
from toolrl_web.rollouts.rendering import calls_html, completion_html
from toolrl_web.runs.models import Rollout, RolloutPrompt, Run

# The numbers a range filter applies to: the columns of `Rollout` a user can bound.
RANGE_COLUMNS = ("total", "format", "correctness", "length", "advantage")
PAGE_SIZE = 10  # a card is about a screen tall; 20 doubled the page's server time


@dataclass(frozen=True)
class RolloutFilters:
    """What the rollout browser is narrowed to; every field optional."""

    step: int | None = None
    component: str | None = None
    low: float | None = None
    high: float | None = None
    error: str | None = None
    failure: str | None = None
    truncated: bool = False
    equal_groups: bool = False
    prompt_id: str | None = None
    text: str | None = None


def _equal_groups(run: Run, step: int | None) -> RawSQL:
    """Rollouts whose group's totals are all equal: GRPO learns nothing from them (every
    advantage is 0).

    Raw SQL because the ORM has no `(a, b) IN (subquery)`: PostgreSQL then streams the grouped
    subquery in step order over the (run, step, group) index and stops at the page's end (0.3 ms
    for a page across 20,000 rollouts, where NOT EXISTS took 100 ms: bench/pages.py).
    """
    table = Rollout._meta.db_table
    step_sql, params = ("", [run.pk]) if step is None else (" AND step = %s", [run.pk, step])
    return RawSQL(
        f'("step", "group") IN (SELECT "step", "group" FROM {table} WHERE run_id = %s{step_sql}'
        ' GROUP BY "step", "group" HAVING MIN("total") = MAX("total"))',
        params,
        output_field=BooleanField(),
    )


def rollouts_filtered(*, run: Run, filters: RolloutFilters) -> QuerySet[Rollout]:
    """The run's rollouts narrowed by `filters`, in browsing order (step, id)."""
    qs = Rollout.objects.filter(run=run)
    f = filters
    if f.step is not None:
        qs = qs.filter(step=f.step)
    if f.component in RANGE_COLUMNS:
        if f.low is not None:
            qs = qs.filter(**{f"{f.component}__gte": f.low})
        if f.high is not None:
            qs = qs.filter(**{f"{f.component}__lte": f.high})
    if f.error:
        qs = qs.filter(error_category=f.error)
    if f.failure:
        qs = qs.filter(failure=f.failure)
    if f.truncated:
        qs = qs.filter(truncated=True)
    if f.prompt_id:
        qs = qs.filter(prompt_id=f.prompt_id)
    if f.text:
        # Case-sensitive: a plain LIKE scans a run's completions 3x faster than ILIKE.
        qs = qs.filter(completion__contains=f.text)
    if f.equal_groups:
        qs = qs.filter(_equal_groups(run, f.step))
    return qs.order_by("step", "id")


def rollout_page(
    *,
    run: Run,
    filters: RolloutFilters,
    after: tuple[int, int] | None = None,
    size: int | None = None,
) -> tuple[list[Rollout], tuple[int, int] | None]:
    """One page of `size` (default PAGE_SIZE) filtered rollouts after the keyset cursor
    (step, id), and the next cursor (None on the last page). Keyset, not OFFSET: page 1,000
    costs what page 1 does. (The JSON API pages with a larger `size`.)"""
    size = size or PAGE_SIZE  # read at call time: tests shrink PAGE_SIZE
    qs = rollouts_filtered(run=run, filters=filters)
    if after is not None:
        step, last_id = after
        qs = qs.filter(Q(step__gt=step) | Q(step=step, id__gt=last_id))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, ((rows[-1].step, rows[-1].pk) if more else None)


def rollout_steps(*, run: Run) -> tuple[int, int] | None:
    """The first and last step with rollouts, None when there are none (the slider's range)."""
    bounds = Rollout.objects.filter(run=run).aggregate(lo=Min("step"), hi=Max("step"))
    return None if bounds["lo"] is None else (bounds["lo"], bounds["hi"])


def rollout_error_categories() -> list[str]:
    """Every category a rollout's `error` can take (the filter's suggestions): the parser's
    and the reward's, from `toolrl`, so no query scans a run's rows for them."""
    return sorted({*ERRORS, *CALL_ERRORS, "wrong_layout"})


def rollout_group(*, run: Run, step: int, group: int) -> list[Rollout]:
    """All completions of one GRPO group at one step, best reward first."""
    return list(
        Rollout.objects.filter(run=run, step=step, group=group).order_by(
            F("total").desc(nulls_last=True), "id"
        )
    )


def prompt_messages(*, run: Run, prompt_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The stored prompt (system + user messages) of each prompt id that has one."""
    rows = RolloutPrompt.objects.filter(run=run, prompt_id__in=set(prompt_ids))
    return {p.prompt_id: p.messages for p in rows}


def prompt_history(*, run: Run, prompt_id: str) -> list[dict[str, Any]]:
    """One prompt across steps: per step its group's mean, lowest and highest total, how many
    completions and how many were correct (one grouped query over the (run, prompt, step)
    index)."""
    return list(
        Rollout.objects.filter(run=run, prompt_id=prompt_id)
        .values("step")
        .annotate(
            mean=Avg("total"),
            low=Min("total"),
            high=Max("total"),
            n=Count("id"),
            correct=Count("id", filter=Q(failure="correct")),
            group=Min("group"),
        )
        .order_by("step")
    )


def failure_counts(*, run: Run, since_step: int = -1) -> list[dict[str, Any]]:
    """(step, failure, n) for every step after `since_step`: the taxonomy chart's data in one
    grouped query, an index-only scan of (run, step, failure)."""
    return list(
        Rollout.objects.filter(run=run, step__gt=since_step)
        .values("step", "failure")
        .annotate(n=Count("*"))
        .order_by("step", "failure")
    )


def run_reward_config(*, run: Run) -> tuple[RewardConfig | None, int | None]:
    """The reward configuration the run trained with and its step count (None, None when the
    stored configuration no longer validates: the page then scores with the defaults)."""
    try:
        cfg = RunConfig.from_dict(run.config)
        return cfg.reward_config(), run.max_steps or cfg.grpo.max_steps
    except (UserError, ValueError, TypeError):
        return None, run.max_steps


def rollout_cards(*, run: Run, rollouts: list[Rollout]) -> list[dict[str, Any]]:
    """What each rollout's card shows: the row, its prompt, and `toolrl.explain`'s reading
    (parts, calls against the ground truth, sub-scores) at the step it was scored."""
    cfg, max_steps = run_reward_config(run=run)
    prompts = prompt_messages(run=run, prompt_ids=[r.prompt_id for r in rollouts])
    cards = []
    for r in rollouts:
        # A rollout of step N was scored before the N-th update, at trainer step N - 1.
        explained = explain_rollout(
            r.completion, r.ground_truth, cfg, step=max(r.step - 1, 0), max_steps=max_steps
        )
        cards.append(
            {
                "rollout": r,
                "x": explained,
                "prompt": prompts.get(r.prompt_id),
                "completion_html": completion_html(explained["parts"]),
                "calls_html": calls_html(explained["comparison"]),
            }
        )
    return cards
