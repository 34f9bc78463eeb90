"""Datasets and tool sets a project trains on.

A `Dataset` row is the truth about its file and its validation: the Celery task that reads the
file only moves it along `uploaded -> validating -> valid | invalid` with conditional updates
that name the `version` they work for, so a re-upload while a validation runs leaves the old
task nothing to write. Files live under `TOOLRL_UPLOADS_DIR` by content hash
(`toolrl_web.datasets.storage`); problems found are rows of `DatasetProblem`, paged by keyset.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from toolrl.schema import ToolSpec

sha256_validator = RegexValidator(r"^[0-9a-f]{64}$", "not a SHA-256 hex digest")


class Toolset(models.Model):
    """A named set of tool specs (JSON Schema parameters), checked when uploaded."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "Uploaded file"
        SYNTHETIC = "synthetic", "Built-in synthetic task"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="toolsets"
    )
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.UPLOAD)
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, validators=[sha256_validator])
    size = models.BigIntegerField(default=0)
    # `ToolSpec.model_dump()` of every tool, in file order.
    tools = models.JSONField(default=list)
    warnings = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="toolset_name_per_project")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tool_count(self) -> int:
        return len(self.tools)

    def specs(self) -> list[ToolSpec]:
        return [ToolSpec.model_validate(t) for t in self.tools]


class DatasetStatus(models.TextChoices):
    UPLOADED = "uploaded", "Waiting for a worker"
    VALIDATING = "validating", "Validating"
    VALID = "valid", "Valid"
    INVALID = "invalid", "Invalid"


FINAL_DATASET_STATUSES = (DatasetStatus.VALID, DatasetStatus.INVALID)


class Dataset(models.Model):
    class Kind(models.TextChoices):
        UPLOAD = "upload", "Uploaded file"
        SYNTHETIC = "synthetic", "Built-in synthetic task"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="datasets"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.UPLOAD)
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, validators=[sha256_validator])
    size = models.BigIntegerField(default=0)
    format = models.CharField(max_length=32, default="auto")
    detected_format = models.CharField(max_length=32, blank=True)
    toolset = models.ForeignKey(
        Toolset, on_delete=models.PROTECT, null=True, blank=True, related_name="datasets"
    )
    # The split: a held-out fraction drawn with a seed, or another dataset for validation.
    validation_fraction = models.FloatField(default=0.1)
    split_seed = models.IntegerField(default=0)
    validation_dataset = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="validation_for"
    )
    synthetic_size = models.IntegerField(null=True, blank=True)
    synthetic_seed = models.IntegerField(null=True, blank=True)
    # The model whose tokenizer measures prompt lengths ("" = do not measure).
    tokenizer = models.CharField(max_length=200, blank=True)

    status = models.CharField(
        max_length=16, choices=DatasetStatus.choices, default=DatasetStatus.UPLOADED
    )
    # Bumped by every re-upload or change of settings; a validation works for one version.
    version = models.IntegerField(default=1)
    phase = models.CharField(max_length=80, blank=True)
    rows_read = models.IntegerField(default=0)
    percent = models.FloatField(default=0.0)
    row_count = models.IntegerField(default=0)
    train_rows = models.IntegerField(default=0)
    validation_rows = models.IntegerField(default=0)
    error_count = models.IntegerField(default=0)
    warning_count = models.IntegerField(default=0)
    statistics = models.JSONField(default=dict, blank=True)
    tokens_pending = models.BooleanField(default=False)
    # Why a validation stopped without a verdict on the file (a crash, not the file's fault).
    failure = models.TextField(blank=True)

    queued_at = models.DateTimeField(null=True, blank=True)
    message_sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="dataset_name_per_project")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_DATASET_STATUSES

    @property
    def is_valid(self) -> bool:
        return self.status == DatasetStatus.VALID

    @property
    def display_name(self) -> str:
        """How problems name the file: its name as uploaded."""
        if self.kind == self.Kind.SYNTHETIC:
            return f"synthetic-{self.synthetic_size}-seed{self.synthetic_seed}.jsonl"
        return self.original_name or self.name


class DatasetProblem(models.Model):
    """One problem a validation found: `FILE:LINE: field: message` (no line: the whole file)."""

    class Severity(models.TextChoices):
        ERROR = "error", "Error"
        WARNING = "warning", "Warning"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="problems")
    version = models.IntegerField()
    severity = models.CharField(max_length=8, choices=Severity.choices)
    line = models.IntegerField(null=True, blank=True)
    field = models.CharField(max_length=300)
    message = models.TextField()

    class Meta:
        indexes = [
            models.Index(
                fields=["dataset", "version", "severity", "line", "id"],
                name="datasetproblem_page",
            )
        ]

    def __str__(self) -> str:
        where = (
            f"{self.dataset.display_name}:{self.line}" if self.line else self.dataset.display_name
        )
        return f"{where}: {self.field}: {self.message}"
