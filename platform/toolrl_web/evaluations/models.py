"""Evaluation jobs and their results: one model (a run's checkpoint or a base model) on suites.

The `Evaluation` row is the truth about the job. Celery carries only its id; every status change
is a conditional UPDATE in `toolrl_web.evaluations.services`, so a duplicate or redelivered
message finds nothing to claim. Results are stored per evaluation and suite; the run and the
checkpoint step they belong to are on the evaluation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EvaluationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


FINAL_STATUSES = (EvaluationStatus.FINISHED, EvaluationStatus.FAILED, EvaluationStatus.CANCELED)


class Evaluation(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="evaluations"
    )
    # The run whose checkpoint (or base model) is evaluated; empty for a project-level base model.
    run = models.ForeignKey(
        "runs.Run", on_delete=models.CASCADE, null=True, blank=True, related_name="evaluations"
    )
    # The model is chosen from the run's artifacts or the allow-listed base models, never typed:
    # `model` is what the worker loads, resolved by the service from that choice.
    artifact = models.ForeignKey(
        "runs.Artifact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checkpoint_step = models.IntegerField(default=0)
    model = models.CharField(max_length=1000)
    model_label = models.CharField(max_length=300)
    suites = models.JSONField()
    # Items per category at most (0: all), and generation settings (toolrl GenerationOptions).
    limit = models.IntegerField(default=0)
    options = models.JSONField(default=dict, blank=True)

    status = models.CharField(
        max_length=16,
        choices=EvaluationStatus.choices,
        default=EvaluationStatus.QUEUED,
        db_index=True,
    )
    # Items generated and judged so far, over all suites.
    progress_done = models.IntegerField(default=0)
    progress_total = models.IntegerField(default=0)
    current_suite = models.CharField(max_length=64, blank=True)
    worker_host = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    output_dir = models.CharField(max_length=1000, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    message_sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["run", "status"], name="evaluation_run_status")]

    def __str__(self) -> str:
        return f"evaluation #{self.pk} of {self.model_label} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class EvaluationResult(models.Model):
    """One suite's outcome: `metrics` is toolrl's JSON summary, `score` its headline value."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="results")
    suite = models.CharField(max_length=64)
    metrics = models.JSONField()
    item_count = models.IntegerField()
    score = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["evaluation", "suite"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "suite"], name="one_result_per_evaluation_suite"
            )
        ]

    def __str__(self) -> str:
        return f"{self.suite}: {self.score:.4f}"
