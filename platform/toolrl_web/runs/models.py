"""Training runs and what they stream: metrics per step, rollouts, evaluations, artifacts.

The `Run` row is the truth about a job. Celery only carries its id; every status change goes
through `toolrl_web.runs.services`, which refuses illegal transitions with conditional updates.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    STARTING = "starting", "Starting"
    RUNNING = "running", "Running"
    STOPPING = "stopping", "Stopping"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class StopReason(models.TextChoices):
    """Why a stop was asked for: a user's cancel ends `canceled`, the wall time `finished`."""

    USER_CANCEL = "user_cancel", "canceled by the user"
    WALL_TIME = "wall_time", "maximum wall time reached"


ACTIVE_STATUSES = (RunStatus.STARTING, RunStatus.RUNNING, RunStatus.STOPPING)
FINAL_STATUSES = (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.CANCELED)


class Run(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="runs")
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="runs"
    )
    status = models.CharField(
        max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    # The run configuration as launched (toolrl.training.RunConfig) and the library versions.
    config = models.JSONField()
    versions = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=32, default="gpu")

    # What the run was launched from, chosen by record in the run's own project (never a path a
    # user typed). The training data, tools and reward are frozen into `config` at launch.
    dataset = models.ForeignKey(
        "datasets.Dataset", on_delete=models.PROTECT, null=True, blank=True, related_name="runs"
    )
    toolset = models.ForeignKey(
        "datasets.Toolset", on_delete=models.PROTECT, null=True, blank=True, related_name="runs"
    )
    reward_configuration = models.ForeignKey(
        "rewards.RewardConfiguration",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
    )
    # Runs launched together by one sweep share this label, so they can be compared together.
    sweep = models.CharField(max_length=64, blank=True, db_index=True)
    # TRL's end-of-training summary (train_runtime, train_loss, ...): about the run, not a step.
    summary = models.JSONField(default=dict, blank=True)

    # A continuation resumes `resumed_from` at `start_step` from `resume_checkpoint`; the chain of
    # `resumed_from` is the run's lineage, whose curves join into one (selectors.run_lineage).
    resumed_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="continuations"
    )
    resume_checkpoint = models.CharField(max_length=1000, blank=True)
    start_step = models.IntegerField(default=0)

    worker_host = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_step = models.IntegerField(default=0)
    max_steps = models.IntegerField(null=True, blank=True)
    last_checkpoint = models.CharField(max_length=1000, blank=True)
    last_checkpoint_step = models.IntegerField(null=True, blank=True)
    output_dir = models.CharField(max_length=1000, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=16, choices=StopReason.choices, blank=True)
    error = models.TextField(blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    # How many training processes were started for this run (a duplicate message must not add one).
    launches = models.IntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    # When the Celery message went out; empty while the broker could not be reached.
    message_sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="run_status_heartbeat")]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk}, {self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def can_resume(self) -> bool:
        return (
            self.status in (RunStatus.FAILED, RunStatus.CANCELED)
            and bool(self.last_checkpoint)
            and not self.continuations.exists()
        )


class MetricRow(models.Model):
    """Everything logged at one step, as one JSON object (TRL's metric names).

    One row per (run, step): a curve's new points since a step are one indexed range scan.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="metric_rows")
    step = models.IntegerField()
    values = models.JSONField()
    logged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "step"], name="one_metric_row_per_step")
        ]


class EvalRow(models.Model):
    """The evaluation metrics at one step (the sink writes them through `ingest.eval_write`)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="eval_rows")
    step = models.IntegerField()
    values = models.JSONField()
    logged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["run", "step"], name="evalrow_run_step")]


class Rollout(models.Model):
    """One completion of one GRPO group at one step, with its reward broken down.

    The filterable numbers are columns (total, format, correctness, length, advantage); the rest
    of the components and sub-scores stay in `rewards`/`details`. Indexes serve the rollout
    browser's queries on a million rows: by step, by score ranges, by error, by group, by prompt.
    """

    id = models.BigAutoField(primary_key=True)
    # No separate index on run: every composite index below starts with it.
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="rollouts", db_index=False)
    step = models.IntegerField()
    prompt_id = models.CharField(max_length=200)
    group = models.IntegerField()
    completion = models.TextField()
    ground_truth = models.TextField(blank=True)
    calls = models.JSONField(null=True, blank=True)
    rewards = models.JSONField(default=dict)
    details = models.JSONField(null=True, blank=True)
    total = models.FloatField(null=True)
    format = models.FloatField(null=True)
    correctness = models.FloatField(null=True)
    length = models.FloatField(null=True)
    advantage = models.FloatField(null=True)
    error_category = models.CharField(max_length=64, blank=True)
    # The failure taxonomy label (toolrl.taxonomy), computed once in the training process.
    failure = models.CharField(max_length=64, blank=True)
    num_tokens = models.IntegerField(null=True)
    truncated = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["run", "step", "group"], name="rollout_run_step_group"),
            models.Index(fields=["run", "total"], name="rollout_run_total"),
            models.Index(fields=["run", "correctness"], name="rollout_run_correctness"),
            models.Index(fields=["run", "format"], name="rollout_run_format"),
            models.Index(fields=["run", "error_category", "step"], name="rollout_run_error"),
            models.Index(fields=["run", "prompt_id", "step"], name="rollout_run_prompt"),
            # Serves both the failure chart (one grouped index-only scan of a run's
            # (step, failure) pairs) and the browser's filter by label at a step.
            models.Index(fields=["run", "step", "failure"], name="rollout_run_step_failure"),
        ]


class RolloutPrompt(models.Model):
    """The prompt (system + user messages) a run's model saw for one prompt id, stored once per
    (run, prompt id) when its first rollout is written, not once per rollout."""

    run = models.ForeignKey(
        Run, on_delete=models.CASCADE, related_name="rollout_prompts", db_index=False
    )
    prompt_id = models.CharField(max_length=200)
    messages = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "prompt_id"], name="one_prompt_per_run_id")
        ]


class Artifact(models.Model):
    class Kind(models.TextChoices):
        CHECKPOINT = "checkpoint", "Checkpoint"
        FINAL = "final", "Final model"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="artifacts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    step = models.IntegerField(null=True, blank=True)
    path = models.CharField(max_length=1000)
    size_bytes = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "step"]
        constraints = [
            models.UniqueConstraint(fields=["run", "path"], name="one_artifact_per_path")
        ]
