"""Writes for evaluation jobs. Every status change is a conditional UPDATE, so two workers (or a
redelivered message) can never both act on one evaluation."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from toolrl_web.evaluations import catalog, selectors
from toolrl_web.evaluations.models import Evaluation, EvaluationResult, EvaluationStatus
from toolrl_web.tasks import send_task

log = logging.getLogger(__name__)

# The worker's evaluation task, sent by name (toolrl_web never imports `workers`).
EVALUATION_TASK = "workers.tasks.evaluation_run"
EVALUATION_QUEUE = "gpu"
ACTIVE = (EvaluationStatus.QUEUED, EvaluationStatus.RUNNING)

# to-status -> the statuses it may come from
TRANSITIONS: dict[str, tuple[str, ...]] = {
    EvaluationStatus.RUNNING: (EvaluationStatus.QUEUED,),
    EvaluationStatus.FINISHED: (EvaluationStatus.RUNNING,),
    EvaluationStatus.FAILED: (EvaluationStatus.QUEUED, EvaluationStatus.RUNNING),
    EvaluationStatus.CANCELED: (EvaluationStatus.QUEUED, EvaluationStatus.RUNNING),
}


def model_choices(*, run) -> list[tuple[str, str]]:
    """(value, label) of every model an evaluation of `run` may use: its checkpoints, its base
    model and the allow-listed base models. The value names a record or a listed id, never a path."""
    choices = [
        (f"artifact:{a.pk}", _artifact_label(a, run=run))
        for a in selectors.lineage_artifacts(run=run)
    ]
    base = (run.config.get("model") or {}).get("name_or_path")
    for model in dict.fromkeys([m for m in [base, *catalog.base_models()] if m]):
        choices.append((f"base:{model}", f"Base model {model} (step 0)"))
    return choices


def _artifact_label(artifact, *, run) -> str:
    label = f"{artifact.get_kind_display()} at step {artifact.step}"
    if artifact.run_id != run.pk:  # a checkpoint of a run this one continues
        label += f" (run #{artifact.run_id} {artifact.run.name}, resumed here)"
    return label


def _resolve_model(*, run, choice: str) -> dict[str, Any]:
    """The fields an evaluation stores for a model choice; ValidationError for any other value."""
    kind, _, value = choice.partition(":")
    if kind == "artifact" and value.isdigit():
        artifact = selectors.lineage_artifacts(run=run).filter(pk=int(value)).first()
        if artifact is not None:
            return {
                "artifact": artifact,
                "checkpoint_step": artifact.step or 0,
                "model": artifact.path,
                "model_label": f"run #{artifact.run_id} step {artifact.step}",
            }
    if kind == "base" and choice in dict(model_choices(run=run)):
        return {"checkpoint_step": 0, "model": value, "model_label": f"{value} (base)"}
    raise ValidationError({"model": [f"model: {choice!r} is not one of this run's choices"]})


def _run_has_validation(run) -> bool:
    """Whether the run trained with validation rows (the held-out suite scores those): a
    validation file, a share held out of its dataset, or the synthetic task's own."""
    from toolrl.training.settings import DataSettings

    fields = DataSettings.model_fields
    given = {k: v for k, v in (run.config.get("data") or {}).items() if k in fields}
    data = DataSettings.model_validate(given)
    return data.train is None or data.validation is not None or data.validation_fraction > 0


def _check_suites(suites: list[str], *, run) -> list[str]:
    if not suites:
        raise ValidationError({"suites": ["suites: choose at least one suite"]})
    problems = []
    for name in suites:
        if name not in catalog.SUITE_LABELS:
            problems.append(f"suites: unknown suite {name!r}")
            continue
        found = catalog.suite_availability(name)
        if not found.available:
            problems.append(f"suites: {found.problem}")
        elif name == "held-out" and not _run_has_validation(run):
            problems.append(
                f"suites: held-out scores run #{run.pk}'s validation rows, and it trained "
                "without any (its dataset holds none out)"
            )
    if problems:
        raise ValidationError({"suites": problems})
    # In the catalogue's order, each once.
    return [name for name in catalog.SUITE_LABELS if name in suites]


def evaluation_create(
    *, run, user, model: str, suites: list[str], limit: int = 0, max_new_tokens: int = 512
) -> Evaluation:
    """Check the choice, record the evaluation as queued, send its message after the commit."""
    fields = _resolve_model(run=run, choice=model)
    suites = _check_suites(list(suites), run=run)
    if limit < 0 or not 1 <= max_new_tokens <= 8192:
        raise ValidationError({"limit": ["limit: at least 0; max_new_tokens: between 1 and 8192"]})
    evaluation = Evaluation.objects.create(
        project=run.project,
        run=run,
        suites=suites,
        limit=limit,
        options={"max_new_tokens": max_new_tokens},
        created_by=user,
        **fields,
    )
    transaction.on_commit(lambda: evaluation_enqueue(evaluation_id=evaluation.pk))
    return evaluation


def evaluation_enqueue(*, evaluation_id: int) -> bool:
    """Send the message; a broker outage leaves it queued, and housekeeping sends it again."""
    try:
        send_task(EVALUATION_TASK, args=[evaluation_id], queue=EVALUATION_QUEUE)
    except Exception as exc:  # noqa: BLE001 - the row is the truth; the message can wait
        log.warning("evaluation %s: message not sent (%s)", evaluation_id, exc)
        return False
    Evaluation.objects.filter(pk=evaluation_id).update(message_sent_at=timezone.now())
    return True


def evaluations_send_pending(*, older_than_seconds: int = 10) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = Evaluation.objects.filter(
        status=EvaluationStatus.QUEUED, message_sent_at__isnull=True, created_at__lt=cutoff
    ).values_list("pk", flat=True)
    return [pk for pk in pending if evaluation_enqueue(evaluation_id=pk)]


def evaluation_transition(*, evaluation_id: int, to: str, **fields: Any) -> bool:
    """Move to `to` if the current status allows it; False when it did not."""
    if to in (EvaluationStatus.FINISHED, EvaluationStatus.FAILED, EvaluationStatus.CANCELED):
        fields.setdefault("finished_at", timezone.now())
    return (
        Evaluation.objects.filter(pk=evaluation_id, status__in=TRANSITIONS[to]).update(
            status=to, **fields
        )
        == 1
    )


def evaluation_claim(*, evaluation_id: int, worker_host: str, output_dir: str) -> bool:
    """queued -> running, once, unless a cancel was asked for meanwhile."""
    now = timezone.now()
    return (
        Evaluation.objects.filter(
            pk=evaluation_id, status=EvaluationStatus.QUEUED, cancel_requested_at__isnull=True
        ).update(
            status=EvaluationStatus.RUNNING,
            worker_host=worker_host,
            output_dir=output_dir,
            started_at=now,
            heartbeat_at=now,
        )
        == 1
    )


def evaluation_heartbeat(
    *, evaluation_id: int, pid: int | None = None, progress: dict | None = None
) -> bool:
    """The worker is alive (with the child's progress); False when no longer running."""
    fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
    if pid is not None:
        fields["pid"] = pid
    if progress:
        fields["progress_done"] = int(progress.get("done", 0))
        fields["progress_total"] = int(progress.get("total", 0))
        fields["current_suite"] = str(progress.get("suite", ""))[:64]
    return (
        Evaluation.objects.filter(pk=evaluation_id, status=EvaluationStatus.RUNNING).update(
            **fields
        )
        == 1
    )


def evaluation_record_result(*, evaluation_id: int, suite: str, summary: dict) -> EvaluationResult:
    """Store one suite's summary (toolrl's JSON), its item count and headline score."""
    headline = summary.get("headline") or "accuracy"
    score = (summary.get("scores") or {}).get(headline, summary.get("accuracy", 0.0))
    result, _ = EvaluationResult.objects.update_or_create(
        evaluation_id=evaluation_id,
        suite=suite,
        defaults={
            "metrics": summary,
            "item_count": int(summary.get("count", 0)),
            "score": float(score or 0.0),
        },
    )
    return result


def evaluation_cancel(*, evaluation: Evaluation) -> str:
    """A queued evaluation never starts; a running one is stopped by its worker."""
    canceled = Evaluation.objects.filter(pk=evaluation.pk, status=EvaluationStatus.QUEUED).update(
        status=EvaluationStatus.CANCELED,
        error="canceled by the user",
        cancel_requested_at=timezone.now(),
        finished_at=timezone.now(),
    )
    if canceled:
        return "canceled"
    updated = Evaluation.objects.filter(
        pk=evaluation.pk, status=EvaluationStatus.RUNNING, cancel_requested_at__isnull=True
    ).update(cancel_requested_at=timezone.now())
    if updated:
        return "stopping"
    evaluation.refresh_from_db()
    raise ValidationError(f"A {evaluation.status} evaluation cannot be canceled.")


def evaluation_finish(*, evaluation_id: int, exit_code: int | None, error: str = "") -> str:
    """Record how the job ended: canceled when a cancel was asked for, else by exit code."""
    evaluation = Evaluation.objects.get(pk=evaluation_id)
    if evaluation.cancel_requested_at is not None:
        to, error = EvaluationStatus.CANCELED, "canceled by the user"
    elif exit_code == 0:
        to = EvaluationStatus.FINISHED
    else:
        to = EvaluationStatus.FAILED
    evaluation_transition(evaluation_id=evaluation_id, to=to, error=error[-20000:])
    return Evaluation.objects.values_list("status", flat=True).get(pk=evaluation_id)


def evaluations_reap_stale(*, stale_seconds: int | None = None) -> list[int]:
    """Fail running evaluations whose worker stopped beating; returns their ids."""
    stale_seconds = stale_seconds or getattr(settings, "RUN_STALE_SECONDS", 45)
    cutoff = timezone.now() - timedelta(seconds=stale_seconds)
    reaped = []
    for pk, host in Evaluation.objects.filter(
        status=EvaluationStatus.RUNNING, heartbeat_at__lt=cutoff
    ).values_list("pk", "worker_host"):
        reason = (
            f"The worker {host or '(unknown)'} stopped reporting: no heartbeat for more than "
            f"{stale_seconds} s. Launch the evaluation again."
        )
        updated = Evaluation.objects.filter(
            pk=pk, status=EvaluationStatus.RUNNING, heartbeat_at__lt=cutoff
        ).update(status=EvaluationStatus.FAILED, error=reason, finished_at=timezone.now())
        if updated:
            reaped.append(pk)
    return reaped
