"""Reads for runs: lists, the lineage of a continuation, curve points since a step."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from toolrl_web.runs.models import ACTIVE_STATUSES, EvalRow, MetricRow, Run, RunStatus


def run_list_for_project(*, project) -> QuerySet[Run]:
    return Run.objects.filter(project=project).select_related("created_by")


def run_get_for_user(*, user, run_id: int) -> Run:
    run = (
        Run.objects.filter(pk=run_id, project__memberships__user=user)
        .select_related("project")
        .first()
    )
    if run is None:
        raise Http404("No such run.")
    return run


def run_get(*, run_id: int) -> Run:
    return Run.objects.get(pk=run_id)


def run_status(*, run_id: int) -> str | None:
    """The run's status, None when there is no such run."""
    return Run.objects.filter(pk=run_id).values_list("status", flat=True).first()


def run_stop_state(*, run_id: int) -> tuple[str, float | None]:
    """The run's status and, once a stop was asked for, when (a POSIX timestamp)."""
    status, asked_at = Run.objects.values_list("status", "cancel_requested_at").get(pk=run_id)
    return status, (asked_at.timestamp() if asked_at else None)


def run_lineage(*, run: Run) -> list[Run]:
    """The chain of runs from the first launch to `run` (continuations resume their parent)."""
    chain = [run]
    while chain[-1].resumed_from_id is not None:
        chain.append(Run.objects.get(pk=chain[-1].resumed_from_id))
    return list(reversed(chain))


def lineage_filter(chain: list[Run]) -> Q:
    """Rows (anything with `run_id` and `step`) that belong to the lineage `chain`."""
    # Each earlier run counts up to the step its continuation restarted from; later steps of a
    # failed run were redone by the continuation.
    q = Q()
    for i, run in enumerate(chain):
        part = Q(run_id=run.pk)
        if i + 1 < len(chain):
            part &= Q(step__lte=chain[i + 1].start_step)
        q |= part
    return q


def run_metric_rows(*, run: Run, since_step: int = -1) -> QuerySet[MetricRow]:
    """Metric rows of the run's whole lineage after `since_step`, one indexed query."""
    chain = run_lineage(run=run)
    return (
        MetricRow.objects.filter(lineage_filter(chain), step__gt=since_step)
        .order_by("step", "run_id")
        .values("step", "values")
    )


def run_eval_rows(*, run: Run, since_step: int = -1) -> list[dict]:
    """The held-out metrics logged during training, over the run's lineage, after a step."""
    rows = EvalRow.objects.filter(lineage_filter(run_lineage(run=run)), step__gt=since_step)
    return list(rows.order_by("step", "run_id", "pk").values("step", "values"))


def runs_queued() -> QuerySet[Run]:
    return Run.objects.filter(status=RunStatus.QUEUED).order_by("queued_at")


def runs_active() -> QuerySet[Run]:
    return Run.objects.filter(status__in=ACTIVE_STATUSES).order_by("started_at")


def runs_active_for_user(*, user) -> QuerySet[Run]:
    """Starting, running and stopping runs of the user's projects (the status page)."""
    return runs_active().filter(project__memberships__user=user).select_related("project")


def runs_queued_for_user(*, user) -> QuerySet[Run]:
    return runs_queued().filter(project__memberships__user=user).select_related("project")
