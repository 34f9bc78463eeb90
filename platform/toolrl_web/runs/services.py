"""Writes for runs. Every status change is a conditional UPDATE that refuses illegal transitions,
so two workers (or a redelivered message) can never both act on one run."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from toolrl_web.runs.models import ACTIVE_STATUSES, Artifact, Run, RunStatus, StopReason
from toolrl_web.tasks import send_task

log = logging.getLogger(__name__)

# The worker's training task, sent by name (toolrl_web never imports `workers`).
RUN_TRAIN_TASK = "workers.tasks.run_train"

# to-status -> the statuses it may come from
TRANSITIONS: dict[str, tuple[str, ...]] = {
    RunStatus.STARTING: (RunStatus.QUEUED,),
    RunStatus.RUNNING: (RunStatus.STARTING,),
    RunStatus.STOPPING: (RunStatus.STARTING, RunStatus.RUNNING),
    RunStatus.FINISHED: (RunStatus.RUNNING, RunStatus.STOPPING),
    RunStatus.FAILED: (RunStatus.STARTING, RunStatus.RUNNING, RunStatus.STOPPING),
    RunStatus.CANCELED: (RunStatus.QUEUED, RunStatus.STARTING, RunStatus.STOPPING),
}


class IllegalTransition(Exception):
    pass


def _pydantic_to_validation_error(exc) -> ValidationError:
    messages = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ())) or "config"
        messages.append(f"{field}: {err.get('msg')}")
    return ValidationError({"config": messages})


def run_config_validate(config: dict) -> dict:
    """The run configuration, validated and completed (toolrl's pydantic model, no torch).

    For configurations built on the server (tests, resumes, the launch service): its data and
    model paths are taken as they are. Anything a user sends goes through
    `toolrl_web.runs.launch.run_launch`, which accepts records and names, never paths. Even here a
    reward given by name must be a preset: `RewardConfig.resolve` would otherwise open it as a
    file in the web process."""
    from pydantic import ValidationError as PydanticValidationError

    from toolrl.rewards import PRESETS as REWARD_PRESETS
    from toolrl.training.config import RunConfig

    reward = config.get("reward")
    if isinstance(reward, str) and reward not in REWARD_PRESETS:
        known = ", ".join(REWARD_PRESETS)
        raise ValidationError({"config": [f"reward: {reward!r} is not a reward preset ({known})"]})

    try:
        return RunConfig.from_dict(config).model_dump(mode="json")
    except PydanticValidationError as exc:
        raise _pydantic_to_validation_error(exc) from None
    except (ValueError, KeyError) as exc:
        raise ValidationError({"config": [str(exc)]}) from None


def _library_versions() -> dict:
    """Versions the run is launched with, read from package metadata (no torch import)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("torch", "transformers", "trl", "peft", "accelerate", "vllm"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def run_create(*, project, user, config: dict, name: str = "") -> Run:
    """Validate a configuration built on the server, record the run as queued, enqueue it after
    the commit. User input goes through `toolrl_web.runs.launch.run_launch` instead."""
    validated = run_config_validate(config)
    run = Run.objects.create(
        project=project,
        created_by=user,
        name=(name or validated.get("name") or "run").strip()[:200],
        config=validated,
        versions=_library_versions(),
        status=RunStatus.QUEUED,
        queued_at=timezone.now(),
        max_steps=(validated.get("grpo") or {}).get("max_steps"),
    )
    transaction.on_commit(lambda: run_enqueue(run_id=run.pk))
    return run


def run_enqueue(*, run_id: int) -> bool:
    """Send the run's message. A broker outage leaves the run queued with no message sent;
    the workers' housekeeping sends it again (`runs_send_pending`)."""
    run = Run.objects.only("queue").get(pk=run_id)
    try:
        send_task(RUN_TRAIN_TASK, args=[run_id], queue=run.queue)
    except Exception as exc:  # noqa: BLE001 - the row is the truth; the message can wait
        log.warning("run %s: message not sent (%s); it will be sent again", run_id, exc)
        return False
    Run.objects.filter(pk=run_id).update(message_sent_at=timezone.now())
    return True


def runs_send_pending(*, older_than_seconds: int = 10) -> list[int]:
    """Send the messages of queued runs whose first send failed (broker was down)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = Run.objects.filter(
        status=RunStatus.QUEUED, message_sent_at__isnull=True, queued_at__lt=cutoff
    ).values_list("pk", flat=True)
    return [run_id for run_id in pending if run_enqueue(run_id=run_id)]


def run_transition(*, run_id: int, to: str, **fields) -> bool:
    """Move the run to `to` if its current status allows it; False when it did not."""
    allowed = TRANSITIONS[to]
    now = timezone.now()
    if to in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.CANCELED):
        fields.setdefault("finished_at", now)
    updated = Run.objects.filter(pk=run_id, status__in=allowed).update(status=to, **fields)
    return updated == 1


def run_claim(*, run_id: int, worker_host: str) -> bool:
    """queued -> starting, once. A duplicate or redelivered message finds nothing to claim."""
    return run_transition(
        run_id=run_id, to=RunStatus.STARTING, worker_host=worker_host, heartbeat_at=timezone.now()
    )


def run_mark_running(*, run_id: int, pid: int, output_dir: str) -> bool:
    Run.objects.filter(pk=run_id).update(launches=F("launches") + 1)
    return run_transition(
        run_id=run_id,
        to=RunStatus.RUNNING,
        pid=pid,
        output_dir=output_dir,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )


def run_heartbeat(*, run_id: int) -> bool:
    """The supervisor is alive; False when the run is no longer active (e.g. reaped)."""
    return (
        Run.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(
            heartbeat_at=timezone.now()
        )
        == 1
    )


def run_request_stop(*, run_id: int, reason: StopReason) -> bool:
    """Ask a starting or running training to checkpoint and stop at its next step."""
    return run_transition(
        run_id=run_id, to=RunStatus.STOPPING, cancel_requested_at=timezone.now(), stop_reason=reason
    )


def run_cancel(*, run: Run) -> str:
    """Cancel: a queued run never starts; a running one checkpoints and stops."""
    if run_transition(run_id=run.pk, to=RunStatus.CANCELED, stop_reason=StopReason.USER_CANCEL):
        return "canceled"
    if run_request_stop(run_id=run.pk, reason=StopReason.USER_CANCEL):
        return "stopping"
    run.refresh_from_db()
    raise IllegalTransition(f"A {run.status} run cannot be canceled.")


def run_finish(*, run_id: int, exit_code: int | None, error: str = "") -> str:
    """Record how the training process ended; returns the final status.

    A run stopping because a user canceled it ends canceled, whatever the exit code; a run stopped
    by its wall time ends like any other (finished on exit code 0).
    """
    run = Run.objects.get(pk=run_id)
    if run.status == RunStatus.STOPPING and run.stop_reason == StopReason.USER_CANCEL:
        to = RunStatus.CANCELED
    elif exit_code == 0:
        to = RunStatus.FINISHED
    else:
        to = RunStatus.FAILED
    run_transition(run_id=run_id, to=to, exit_code=exit_code, error=error[-20000:])
    run.refresh_from_db()
    if run.status == RunStatus.FINISHED and run.last_checkpoint:
        # The checkpoint written when training ended is the run's final model.
        Artifact.objects.filter(run_id=run_id, path=run.last_checkpoint).update(
            kind=Artifact.Kind.FINAL
        )
    return run.status


def run_record_start(*, run_id: int, max_steps: int | None) -> None:
    """The training started: it knows the number of steps it will take."""
    if max_steps:
        Run.objects.filter(pk=run_id).update(max_steps=max_steps)


def run_record_wall_time_stop(*, run_id: int) -> None:
    """The training stopped itself at the run's maximum wall time (it ends finished)."""
    Run.objects.filter(pk=run_id).update(stop_reason=StopReason.WALL_TIME)


def run_record_progress(*, run_id: int, step: int, max_steps: int | None = None) -> None:
    fields = {"last_step": step}
    if max_steps:
        fields["max_steps"] = max_steps
    Run.objects.filter(pk=run_id).update(**fields)


def run_record_checkpoint(*, run_id: int, step: int, path: str, kind: str = "checkpoint") -> None:
    from pathlib import Path

    size = (
        sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
        if Path(path).exists()
        else 0
    )
    Artifact.objects.update_or_create(
        run_id=run_id, path=str(path), defaults={"kind": kind, "step": step, "size_bytes": size}
    )
    Run.objects.filter(pk=run_id).update(last_checkpoint=str(path), last_checkpoint_step=step)


@transaction.atomic
def run_resume(*, run: Run, user) -> Run:
    """A continuation of a failed or canceled run from its last checkpoint, on the same curves."""
    run = Run.objects.select_for_update().get(pk=run.pk)
    if not run.can_resume:
        raise ValidationError(
            "Only a failed or canceled run with a checkpoint, not resumed yet, can be resumed."
        )
    continuation = Run.objects.create(
        project=run.project,
        created_by=user,
        name=run.name,
        config=run.config,
        versions=_library_versions(),
        queue=run.queue,
        status=RunStatus.QUEUED,
        queued_at=timezone.now(),
        resumed_from=run,
        resume_checkpoint=run.last_checkpoint,
        start_step=run.last_checkpoint_step or 0,
        last_step=run.last_checkpoint_step or 0,
        max_steps=run.max_steps,
    )
    transaction.on_commit(lambda: run_enqueue(run_id=continuation.pk))
    return continuation


def runs_reap_stale(*, stale_seconds: int | None = None) -> list[int]:
    """Mark active runs whose supervisor stopped beating as failed; returns their ids."""
    stale_seconds = stale_seconds or settings.RUN_STALE_SECONDS
    cutoff = timezone.now() - timedelta(seconds=stale_seconds)
    stale = list(
        Run.objects.filter(status__in=ACTIVE_STATUSES, heartbeat_at__lt=cutoff).values_list(
            "pk", "worker_host"
        )
    )
    reaped = []
    for run_id, host in stale:
        reason = (
            f"The worker {host or '(unknown)'} stopped reporting: no heartbeat for more than "
            f"{stale_seconds} s (worker killed, node lost or database unreachable). "
            "Resume from the last checkpoint to continue."
        )
        # Conditional on the heartbeat still being stale, so a late beat wins over the reaper.
        updated = Run.objects.filter(
            pk=run_id, status__in=ACTIVE_STATUSES, heartbeat_at__lt=cutoff
        ).update(status=RunStatus.FAILED, error=reason, finished_at=timezone.now())
        if updated:
            log.warning("run %s reaped: %s", run_id, reason)
            reaped.append(run_id)
    return reaped
