"""Writes of the reward lab: choosing a reward, starting a re-score, running it.

`rescore_job_create` finds the job of the same (run, step range, reward) when there is one, so
a second visit opens instantly; otherwise it creates the row and sends the `cpu` task by name
once the transaction commits. `rescore_job_run` (in the worker) claims the row and calls
`toolrl_web.lab.rescoring`, which reads, scores and writes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from toolrl.errors import validation_messages
from toolrl.rewards import PRESETS, RewardConfig
from toolrl_web.lab.models import RescoredGroup, RescoredRollout, RescoreJob, RescoreStatus
from toolrl_web.tasks import send_task

log = logging.getLogger(__name__)


def config_hash(cfg: RewardConfig) -> str:
    """The sha256 of the configuration's canonical JSON, its name left out (names do not score)."""
    data = cfg.model_dump(mode="json", exclude={"name"})
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _parse_edited(text: str) -> dict[str, Any]:
    import yaml  # YAML also reads JSON

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValidationError({"edited": [f"{where}not valid YAML or JSON ({problem})"]}) from None
    if data is None:
        raise ValidationError({"edited": ["Write a reward configuration (YAML or JSON)."]})
    if not isinstance(data, dict):
        raise ValidationError({"edited": ["Give a mapping such as `correctness: {max: 1}`."]})
    return data


def reward_config_choose(
    *, project, source: str, saved_id: int | None = None, preset: str = "", edited: str = ""
) -> tuple[RewardConfig, str]:
    """The chosen reward and its label; `ValidationError` naming the form field otherwise."""
    from pydantic import ValidationError as PydanticValidationError

    from toolrl.errors import UserError

    if source == RescoreJob.Source.PRESET:
        if preset not in PRESETS:
            raise ValidationError({"preset": [f"Pick one of: {', '.join(PRESETS)}."]})
        return RewardConfig.preset(preset), preset
    if source == RescoreJob.Source.SAVED:
        saved = project.reward_configurations.filter(pk=saved_id).first() if saved_id else None
        if saved is None:
            raise ValidationError({"saved": ["Pick a saved configuration of this project."]})
        data, field, label = saved.config, "saved", saved.name
    elif source == RescoreJob.Source.EDITED:
        data, field, label = _parse_edited(edited), "edited", "edited in place"
    else:
        raise ValidationError({"source": ["Pick a saved configuration, a preset or edit one."]})
    try:
        return RewardConfig.from_dict(data), label
    except PydanticValidationError as exc:
        raise ValidationError({field: validation_messages(exc)}) from None
    except UserError as exc:  # an unknown `preset:` key
        raise ValidationError({field: [str(exc)]}) from None


def rescore_job_create(
    *,
    run,
    user,
    cfg: RewardConfig,
    label: str,
    source: str,
    step_from: int | None = None,
    step_to: int | None = None,
) -> tuple[RescoreJob, bool]:
    """The job re-scoring `run` over the step range under `cfg`: an existing one (False) or a
    new one, queued (True). A failed job is not reused: asking again tries again; nor is one
    asked for before the run's last step (it has not seen the newer rollouts)."""
    if step_from is not None and step_to is not None and step_from > step_to:
        raise ValidationError({"step_to": ["The last step must not come before the first."]})
    digest = config_hash(cfg)
    existing = (
        RescoreJob.objects.filter(
            run=run,
            config_hash=digest,
            step_from=step_from,
            step_to=step_to,
            run_step=run.last_step,
        )
        .exclude(status=RescoreStatus.FAILED)
        .order_by("-created_at")
        .first()
    )
    if existing is not None:
        return existing, False
    job = RescoreJob.objects.create(
        run=run,
        created_by=user,
        config=cfg.model_dump(mode="json"),
        config_hash=digest,
        label=label[:200],
        source=source,
        step_from=step_from,
        step_to=step_to,
        run_step=run.last_step,
    )
    transaction.on_commit(lambda: rescore_job_enqueue(job_id=job.pk))
    return job, True


def rescore_job_enqueue(*, job_id: int) -> None:
    try:
        send_task("workers.tasks.lab_rescore", args=[job_id], queue="cpu")
    except Exception as exc:  # broker down: say so on the row rather than hang at "queued"
        log.warning("could not send re-score %s: %s", job_id, exc)
        RescoreJob.objects.filter(pk=job_id, status=RescoreStatus.QUEUED).update(
            status=RescoreStatus.FAILED,
            error=f"The task queue could not be reached ({exc}). Ask again to retry.",
            finished_at=timezone.now(),
        )


def rescore_job_run(*, job_id: int, workers: int = 2) -> str:
    """Claim the queued job and re-score (the worker's task; also the bench's entry point)."""
    from toolrl_web.lab import rescoring

    claimed = RescoreJob.objects.filter(pk=job_id, status=RescoreStatus.QUEUED).update(
        status=RescoreStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:  # a duplicate message, or the job is gone
        return "skipped"
    job = RescoreJob.objects.select_related("run").get(pk=job_id)
    try:
        summary, timings = rescoring.rescore(job=job, workers=workers)
    except Exception as exc:
        log.exception("re-score %s failed", job_id)
        # Nothing half-written.
        RescoredRollout.objects.filter(job_id=job_id).delete()
        RescoredGroup.objects.filter(job_id=job_id).delete()
        RescoreJob.objects.filter(pk=job_id).update(
            status=RescoreStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        return "failed"
    RescoreJob.objects.filter(pk=job_id).update(
        status=RescoreStatus.FINISHED,
        summary=summary,
        timings=timings,
        finished_at=timezone.now(),
    )
    return "finished"
