"""Writes for datasets and tool sets: upload, re-upload, settings, the synthetic task, delete,
and resolving a dataset to the files a run trains on.

Validation never runs here (a request): a dataset is recorded as `uploaded` and its validation
task is sent by name after the commit (`toolrl_web.datasets.validation` is its body). Any
change of file or settings starts a new `version`, which a validation still running for an
older one cannot overwrite.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from toolrl.formats import FORMATS, Problem
from toolrl.formats.tools import read_tools
from toolrl_web.datasets import selectors, storage
from toolrl_web.datasets.models import Dataset, DatasetProblem, DatasetStatus, Toolset
from toolrl_web.datasets.tasks import VALIDATE_TASK, send_task

log = logging.getLogger(__name__)

MAX_FRACTION = 0.9
MAX_SYNTHETIC_ROWS = 20_000
SYNTHETIC_TOOLSET_NAME = "Synthetic task tools"
# `tiny`, `tiny:<recipe>`, or a model hub id `org/name`. Never a path: the worker loads it.
_TOKENIZER = re.compile(r"^(tiny(:[a-z0-9_-]+)?|[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95})$")


class ToolsetInvalid(ValidationError):
    """A tool set file with errors; `problems` lists them (nothing was stored)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__({"file": [str(p) for p in problems if p.severity == "error"]})


def check_tokenizer(value: str) -> str:
    value = (value or "").strip()
    if value and (not _TOKENIZER.match(value) or ".." in value):
        raise ValidationError(
            {
                "tokenizer": "Give tiny, tiny:<recipe> or a model hub id such as Qwen/Qwen2.5-3B, "
                "or leave it empty to skip token counts."
            }  # fmt: skip
        )
    return value


def _check_settings(
    *, project, format: str, toolset, validation_fraction, validation_dataset, dataset=None
) -> None:
    errors: dict[str, str] = {}
    if format != "auto" and format not in FORMATS:
        errors["format"] = f"Unknown format {format!r}; choose auto or one of " + ", ".join(FORMATS)
    if toolset is not None and toolset.project_id != project.pk:
        errors["toolset"] = "Choose one of the project's tool sets."
    if not 0 <= float(validation_fraction) <= MAX_FRACTION:
        errors["validation_fraction"] = f"Hold out between 0 and {MAX_FRACTION} of the rows."
    if validation_dataset is not None:
        if validation_dataset.project_id != project.pk:
            errors["validation_dataset"] = "Choose one of the project's datasets."
        elif dataset is not None and validation_dataset.pk == dataset.pk:
            errors["validation_dataset"] = "A dataset cannot be its own validation split."
    if errors:
        raise ValidationError(errors)


def _name(project, name: str, fallback: str, model, exclude_pk=None) -> str:
    name = (name or "").strip() or fallback.strip() or "dataset"
    name = name[:200]
    clash = model.objects.filter(project=project, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        noun = "tool set" if model is Toolset else "dataset"
        raise ValidationError({"name": f"The project already has a {noun} called “{name}”."})
    return name


def _create(model, **fields):
    """Create a row; a name taken meanwhile (the unique constraint) becomes a form error."""
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError:
        noun = "tool set" if model is Toolset else "dataset"
        message = f"The project already has a {noun} called “{fields['name']}”."
        raise ValidationError({"name": message}) from None


def _upload_name(upload) -> str:
    return Path(upload.name or "upload").name[:255]


def dataset_enqueue(*, dataset_id: int, version: int) -> bool:
    """Send the validation message; the row keeps `message_sent_at` empty when it could not."""
    if not send_task(VALIDATE_TASK, args=[dataset_id, version], queue="cpu"):
        return False
    Dataset.objects.filter(pk=dataset_id, version=version).update(message_sent_at=timezone.now())
    return True


def _enqueue_after_commit(dataset: Dataset) -> None:
    dataset_id, version = dataset.pk, dataset.version
    transaction.on_commit(lambda: dataset_enqueue(dataset_id=dataset_id, version=version))


@transaction.atomic
def dataset_create_from_upload(
    *,
    project,
    user,
    upload,
    name: str = "",
    format: str = "auto",
    toolset: Toolset | None = None,
    validation_fraction: float = 0.1,
    split_seed: int = 0,
    validation_dataset: Dataset | None = None,
    tokenizer: str | None = None,
) -> Dataset:
    """Record an uploaded file (a `StagedUpload`) as a dataset and queue its validation."""
    _check_settings(
        project=project,
        format=format,
        toolset=toolset,
        validation_fraction=validation_fraction,
        validation_dataset=validation_dataset,
    )
    original = _upload_name(upload)
    fallback = re.sub(r"(\.jsonl|\.json|\.parquet|\.ndjson)?(\.gz)?$", "", original)
    dataset = _create(
        Dataset,
        project=project,
        name=_name(project, name, fallback, Dataset),
        original_name=original,
        sha256=upload.sha256,
        size=upload.size,
        format=format,
        toolset=toolset,
        validation_fraction=0.0 if validation_dataset else validation_fraction,
        split_seed=split_seed,
        validation_dataset=validation_dataset,
        tokenizer=check_tokenizer(settings.DATASET_TOKENIZER if tokenizer is None else tokenizer),
        created_by=user,
        queued_at=timezone.now(),
    )
    # Last, so a failure above leaves the staged file to be deleted with the request.
    storage.store_staged(Path(upload.temporary_file_path()), upload.sha256)
    _enqueue_after_commit(dataset)
    return dataset


_RESET = {
    "status": DatasetStatus.UPLOADED,
    "phase": "",
    "rows_read": 0,
    "percent": 0.0,
    "row_count": 0,
    "train_rows": 0,
    "validation_rows": 0,
    "error_count": 0,
    "warning_count": 0,
    "statistics": {},
    "tokens_pending": False,
    "failure": "",
    "detected_format": "",
    "message_sent_at": None,
    "started_at": None,
    "heartbeat_at": None,
    "finished_at": None,
}


def _new_version(dataset: Dataset, **changes) -> Dataset:
    """Start a new version (the file or the settings changed) and queue its validation."""
    Dataset.objects.filter(pk=dataset.pk).update(
        version=F("version") + 1, queued_at=timezone.now(), **_RESET, **changes
    )
    dataset.refresh_from_db()
    DatasetProblem.objects.filter(dataset=dataset).exclude(version=dataset.version).delete()
    _enqueue_after_commit(dataset)
    return dataset


def _forget_blob_later(sha256: str) -> None:
    """Delete a stored file after the commit when no dataset or tool set refers to it."""

    def forget() -> None:
        if not sha256:
            return
        if Dataset.objects.filter(sha256=sha256).exists():
            return
        if Toolset.objects.filter(sha256=sha256).exists():
            return
        storage.remove_blob(sha256)

    transaction.on_commit(forget)


@transaction.atomic
def dataset_replace_file(*, dataset: Dataset, upload) -> Dataset:
    """A new file for the same dataset (the fix after reading the report)."""
    if dataset.kind != Dataset.Kind.UPLOAD:
        raise ValidationError({"file": "The synthetic task has no file to replace."})
    old = dataset.sha256
    dataset = _new_version(
        dataset, original_name=_upload_name(upload), sha256=upload.sha256, size=upload.size
    )
    storage.store_staged(Path(upload.temporary_file_path()), upload.sha256)
    if old != upload.sha256:
        _forget_blob_later(old)
    return dataset


@transaction.atomic
def dataset_update_settings(
    *,
    dataset: Dataset,
    format: str,
    toolset: Toolset | None,
    validation_fraction: float,
    split_seed: int,
    validation_dataset: Dataset | None,
    tokenizer: str,
) -> Dataset:
    """Change how the file is read, checked and split; validates it again."""
    _check_settings(
        project=dataset.project,
        format=format,
        toolset=toolset,
        validation_fraction=validation_fraction,
        validation_dataset=validation_dataset,
        dataset=dataset,
    )
    if validation_dataset is not None and validation_dataset.validation_dataset_id == dataset.pk:
        raise ValidationError(
            {"validation_dataset": f"“{validation_dataset.name}” validates on this dataset."}
        )
    if dataset.kind == Dataset.Kind.SYNTHETIC:
        format = "rows"  # the task is generated as our rows; nothing else to read it as
    return _new_version(
        dataset,
        format=format,
        toolset=toolset,
        validation_fraction=0.0 if validation_dataset else validation_fraction,
        split_seed=split_seed,
        validation_dataset=validation_dataset,
        tokenizer=check_tokenizer(tokenizer),
    )


def dataset_validation_is_stuck(*, dataset: Dataset, seconds: int = 120) -> bool:
    """A validation whose message never left, that no worker took, or whose worker went
    silent (killed, lost)."""
    if dataset.status == DatasetStatus.UPLOADED:
        if dataset.message_sent_at is None:
            return True
        since = dataset.message_sent_at
    elif dataset.status == DatasetStatus.VALIDATING:
        since = dataset.heartbeat_at or dataset.started_at
    else:
        return False
    return since is None or (timezone.now() - since).total_seconds() > seconds


@transaction.atomic
def dataset_revalidate(*, dataset: Dataset) -> Dataset:
    if not dataset.is_final and not dataset_validation_is_stuck(dataset=dataset):
        raise ValidationError("The dataset is being validated; wait for the report.")
    return _new_version(dataset)


def toolset_synthetic(*, project, user) -> Toolset:
    """The built-in synthetic task's tools as a tool set of the project (made once)."""
    from toolrl.synthetic import TOOLS

    toolset, _ = Toolset.objects.get_or_create(
        project=project,
        name=SYNTHETIC_TOOLSET_NAME,
        defaults={
            "source": Toolset.Source.SYNTHETIC,
            "tools": [t.spec.model_dump() for t in TOOLS],
            "created_by": user,
        },
    )
    return toolset


@transaction.atomic
def dataset_create_synthetic(
    *,
    project,
    user,
    size: int,
    seed: int = 0,
    name: str = "",
    validation_fraction: float = 0.1,
    tokenizer: str | None = None,
) -> Dataset:
    """The built-in synthetic task as a dataset (`size` rows drawn with `seed`), with its tool
    set; validated and prepared by the same task as an upload."""
    if not 1 <= int(size) <= MAX_SYNTHETIC_ROWS:
        raise ValidationError({"size": f"Choose between 1 and {MAX_SYNTHETIC_ROWS:,} rows."})
    _check_settings(
        project=project,
        format="rows",
        toolset=None,
        validation_fraction=validation_fraction,
        validation_dataset=None,
    )
    toolset_synthetic(project=project, user=user)
    dataset = _create(
        Dataset,
        project=project,
        name=_name(project, name, f"Synthetic task ({size} rows, seed {seed})", Dataset),
        kind=Dataset.Kind.SYNTHETIC,
        format="rows",
        synthetic_size=int(size),
        synthetic_seed=int(seed),
        validation_fraction=validation_fraction,
        split_seed=int(seed),
        tokenizer=check_tokenizer(settings.DATASET_TOKENIZER if tokenizer is None else tokenizer),
        created_by=user,
        queued_at=timezone.now(),
    )
    _enqueue_after_commit(dataset)
    return dataset


def _refuse_when_used(used: list[str], noun: str) -> None:
    if used:
        raise ValidationError(
            f"This {noun} cannot be deleted: it is used by " + ", ".join(used) + "."
        )


@transaction.atomic
def dataset_delete(*, dataset: Dataset) -> None:
    """Delete the dataset and its files; refused while anything uses it (see
    `selectors.dataset_used_by`)."""
    _refuse_when_used(selectors.dataset_used_by(dataset=dataset), "dataset")
    dataset_id, sha = dataset.pk, dataset.sha256
    try:
        dataset.delete()
    except ProtectedError:  # something started using it meanwhile
        _refuse_when_used(selectors.dataset_used_by(dataset=dataset), "dataset")
        raise
    transaction.on_commit(lambda: storage.remove_prepared(dataset_id))
    _forget_blob_later(sha)


@transaction.atomic
def toolset_create_from_upload(*, project, user, upload, name: str = "") -> Toolset:
    """Check a tool set file (small: checked in the request) and keep it if it has no errors."""
    original = _upload_name(upload)
    name = _name(project, name, re.sub(r"\.jsonl?$|\.gz$", "", original), Toolset)
    tools, problems = read_tools(upload.temporary_file_path(), name=original)
    if any(p.severity == "error" for p in problems):
        raise ToolsetInvalid(problems)
    toolset = _create(
        Toolset,
        project=project,
        name=name,
        original_name=original,
        sha256=upload.sha256,
        size=upload.size,
        tools=[t.model_dump() for t in tools],
        warnings=[str(p) for p in problems],
        created_by=user,
    )
    storage.store_staged(Path(upload.temporary_file_path()), upload.sha256)
    return toolset


@transaction.atomic
def toolset_delete(*, toolset: Toolset) -> None:
    _refuse_when_used(selectors.toolset_used_by(toolset=toolset), "tool set")
    sha = toolset.sha256
    toolset.delete()
    _forget_blob_later(sha)


def dataset_run_data(*, dataset: Dataset, toolset: Toolset | None = None) -> dict:
    """The `data` section of a run configuration for a valid dataset: files on this server
    resolved from the record (never from user input), with the dataset's split. The rows carry
    their tools (a tool set attached to the dataset is already in them, its calls checked), so
    a launch that also names a tool set must name that one.

    A launch resolves the dataset chosen by id with `selectors.dataset_get_valid_for_project`
    first, then calls this; the paths name one prepared version, kept while runs use it."""
    if not dataset.is_valid:
        raise ValidationError({"dataset": f"Dataset “{dataset.name}” is not valid."})
    if toolset is not None and toolset.pk != dataset.toolset_id:
        message = (
            f"“{dataset.name}” is checked against "
            + (f"the tool set “{dataset.toolset.name}”" if dataset.toolset_id else "its own tools")
            + f"; attach “{toolset.name}” in the dataset's settings to train with it."
        )
        raise ValidationError({"toolset": message})
    folder = storage.prepared_dir(dataset.pk, dataset.version)
    validation: Path | None
    if dataset.validation_dataset_id:
        other = dataset.validation_dataset
        if not other.is_valid:
            message = f"Its validation dataset “{other.name}” is not valid."
            raise ValidationError({"validation_dataset": message})
        train = folder / "rows.jsonl"
        validation = storage.prepared_dir(other.pk, other.version) / "rows.jsonl"
    else:
        train = folder / "train.jsonl"
        validation = folder / "validation.jsonl" if dataset.validation_rows else None
    for path in (train, validation):
        if path is not None and not path.is_file():
            raise ValidationError(
                {"dataset": f"The files of “{dataset.name}” are missing; validate it again."}
            )
    return {
        "train": str(train),
        "validation": str(validation) if validation else None,
        "format": "rows",
        "validation_fraction": 0.0,
    }
