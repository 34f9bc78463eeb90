"""The reward lab: a run's stored rollouts re-scored under another reward configuration.

A `RescoreJob` is one (run, step range, reward configuration) re-score; the job row is the truth
about it (status, progress, timings, and the summary the page shows). Its scores live in
`RescoredRollout`, one row per rollout, never in the run's own `Rollout` rows: a re-score must
not change what the run says it trained on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RescoreStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class RescoreJob(models.Model):
    class Source(models.TextChoices):
        SAVED = "saved", "Saved configuration"
        PRESET = "preset", "Preset"
        EDITED = "edited", "Edited in place"

    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="rescore_jobs")
    # Inclusive step range; None means from the first / to the last stored step.
    step_from = models.IntegerField(null=True, blank=True)
    step_to = models.IntegerField(null=True, blank=True)
    # The run's last step when the re-score was asked for: a run still training has more
    # rollouts later, and then the same question needs a new answer.
    run_step = models.IntegerField(default=0)
    source = models.CharField(max_length=16, choices=Source.choices)
    # What the user picked, in their words: a preset's or a saved configuration's name.
    label = models.CharField(max_length=200)
    # `toolrl.rewards.RewardConfig` as JSON, and the hash of its canonical form (name left out),
    # so picking the same reward again, however it was chosen, finds this job.
    config = models.JSONField()
    config_hash = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=RescoreStatus.choices, default=RescoreStatus.QUEUED
    )
    rollouts_total = models.IntegerField(default=0)
    rollouts_done = models.IntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    # Seconds spent reading, scoring, summarising and writing (figures for the page and bench).
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["run", "config_hash"], name="rescorejob_run_config")]

    def __str__(self) -> str:
        return f"re-score #{self.pk} of run #{self.run_id} under {self.label}"

    @property
    def is_final(self) -> bool:
        return self.status in (RescoreStatus.FINISHED, RescoreStatus.FAILED)

    @property
    def percent(self) -> int:
        if not self.rollouts_total:
            return 100 if self.status == RescoreStatus.FINISHED else 0
        return min(100, round(100 * self.rollouts_done / self.rollouts_total))

    @property
    def step_range(self) -> str:
        if self.step_from is None and self.step_to is None:
            return "all steps"
        lo = "first" if self.step_from is None else self.step_from
        hi = "last" if self.step_to is None else self.step_to
        return f"steps {lo} to {hi}"


class RescoredRollout(models.Model):
    """One rollout's scores under a job's reward (the rollout's own columns stay as they were).

    No advantage column: a group's advantages follow from its totals, and the one page that
    shows them (the group view) has the whole group at hand.
    """

    # (job, rollout) is the key: no surrogate id and no second index to fill on a million rows.
    pk = models.CompositePrimaryKey("job", "rollout_id")
    # No database constraint: a million rows arrive by COPY, and a per-row foreign-key trigger
    # would cost more than the scoring; rows go with their job (Django's cascade deletes them).
    job = models.ForeignKey(
        RescoreJob, on_delete=models.CASCADE, related_name="rescores", db_constraint=False
    )
    rollout_id = models.BigIntegerField()
    total = models.FloatField(null=True)
    format = models.FloatField(null=True)
    correctness = models.FloatField(null=True)
    length = models.FloatField(null=True)


class RescoredGroup(models.Model):
    """One GRPO group of a job: does its ranking or its best completion change, and by how much
    do its advantages move (`toolrl.lab.group_changes`). The job page lists every group."""

    pk = models.CompositePrimaryKey("job", "step", "group")
    job = models.ForeignKey(
        RescoreJob, on_delete=models.CASCADE, related_name="groups", db_constraint=False
    )
    step = models.IntegerField()
    group = models.IntegerField()
    size = models.IntegerField()
    ranking_changed = models.BooleanField()
    best_changed = models.BooleanField()
    # Mean absolute change of the completions' advantages.
    advantage_change = models.FloatField()
