"""The body of the `workers.tasks.dataset_validate` task (queue `cpu`): read a dataset's file
once, streaming, through the same library functions as `toolrl validate`, and record the verdict.

The file is read into a prepared version (`storage.prepared_dir`): every imported row as our
JSONL with an offset index (the preview pages it), and for a valid dataset the training and
validation files of its split. Problems go to `DatasetProblem` in batches; progress (rows read,
percent of bytes) is written at most once a second. The verdict is written with a conditional
update naming the version, so a validation that lost the race with a re-upload writes nothing.
Token counts come last, on a sample, after the dataset is already usable: loading a tokenizer
imports transformers (and `tiny` may have to build the tiny model first).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from django.utils import timezone

from toolrl.commands.validate import Validation, validate_file
from toolrl.formats import Problem, Progress, save_rows
from toolrl.formats.rowfile import RowWriter, held_out, rows_at, write_split
from toolrl_web.datasets import selectors, storage
from toolrl_web.datasets.models import Dataset, DatasetProblem, DatasetStatus

log = logging.getLogger(__name__)

# Problems kept per severity; the counts go on (the report says how many were not kept).
MAX_STORED_PROBLEMS = 20_000
PROGRESS_SECONDS = 1.0


class _ProblemSink:
    def __init__(self, dataset: Dataset) -> None:
        self.dataset, self.buffer = dataset, []
        self.stored = {"error": 0, "warning": 0}

    def add(self, problem: Problem) -> None:
        if self.stored[problem.severity] >= MAX_STORED_PROBLEMS:
            return
        self.stored[problem.severity] += 1
        self.buffer.append(
            DatasetProblem(
                dataset=self.dataset,
                version=self.dataset.version,
                severity=problem.severity,
                line=problem.line or None,
                field=problem.field[:300],
                message=problem.message[:2000],
            )
        )
        if len(self.buffer) >= 500:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            DatasetProblem.objects.bulk_create(self.buffer)
            self.buffer = []


class _ProgressWriter:
    def __init__(self, dataset: Dataset) -> None:
        self.rows = Dataset.objects.filter(pk=dataset.pk, version=dataset.version)
        self.last = 0.0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        self.rows.update(
            rows_read=progress.records, percent=progress.percent, heartbeat_at=timezone.now()
        )


def _source(dataset: Dataset, staging: Path) -> Path:
    if dataset.kind == Dataset.Kind.SYNTHETIC:
        from toolrl.synthetic import make_rows

        path = staging / "source.jsonl"
        save_rows(make_rows(dataset.synthetic_size, seed=dataset.synthetic_seed), path)
        return path
    return storage.blob_path(dataset.sha256)


def _split(dataset: Dataset, folder: Path, rows: int) -> tuple[int, int]:
    """Write the training and validation files; (training rows, validation rows)."""
    if dataset.validation_dataset_id:
        return rows, 0  # validation rows come from the other dataset's file
    held = held_out(rows, dataset.validation_fraction, dataset.split_seed)
    if len(held) >= rows:
        return 0, len(held)
    return write_split(
        folder / "rows.jsonl", folder / "train.jsonl", folder / "validation.jsonl", held
    )


def _read(dataset: Dataset, staging: Path) -> tuple[Validation, int, int]:
    """Read and check the file into `staging`; (validation, training rows, validation rows)."""
    source = _source(dataset, staging)
    sink = _ProblemSink(dataset)
    tools = dataset.toolset.specs() if dataset.toolset_id else None
    with RowWriter(staging / "rows.jsonl") as writer:
        validation = validate_file(
            source,
            dataset.format,
            name=dataset.display_name,
            tools=tools,
            progress=_ProgressWriter(dataset),
            on_problem=sink.add,
            on_row=lambda line, row: writer.write(row),
            seed=dataset.split_seed,
        )
    if dataset.kind == Dataset.Kind.SYNTHETIC:
        source.unlink()
    train = held = 0
    if validation.valid:
        train, held = _split(dataset, staging, validation.stats["rows"])
        if train == 0:
            message = "no rows left for training once the validation fraction is held out"
            sink.add(Problem(dataset.display_name, None, "validation_fraction", message))
            validation.errors += 1
    sink.flush()
    return validation, train, held


def _record_verdict(dataset: Dataset, validation: Validation, train: int, held: int) -> bool:
    """Write the verdict for this version; False when a newer version took over meanwhile."""
    valid = validation.valid
    counting = valid and bool(dataset.tokenizer)
    return bool(
        Dataset.objects.filter(
            pk=dataset.pk, version=dataset.version, status=DatasetStatus.VALIDATING
        ).update(
            status=DatasetStatus.VALID if valid else DatasetStatus.INVALID,
            detected_format=validation.format or "",
            row_count=validation.stats["rows"],
            rows_read=validation.stats["rows"],
            train_rows=train,
            validation_rows=held,
            error_count=validation.errors,
            warning_count=validation.warnings,
            statistics=validation.stats,
            tokens_pending=counting,
            percent=100.0,
            phase="Counting prompt tokens" if counting else "",
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
    )


def _check_and_prepare(dataset: Dataset) -> tuple[Validation, bool]:
    """Read the file into a new prepared version and record the verdict; (validation,
    whether this version is still the current one)."""
    staging = storage.prepared_staging(dataset.pk, dataset.version)
    try:
        validation, train, held = _read(dataset, staging)
        storage.publish_prepared(staging, dataset.pk, dataset.version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not _record_verdict(dataset, validation, train, held):
        storage.remove_prepared(dataset.pk, keep=set())
        return validation, False
    if not selectors.dataset_used_by(dataset=dataset):
        # Older versions stay on disk while runs use the dataset: their configs name them.
        storage.remove_prepared(dataset.pk, keep={dataset.version})
    return validation, True


def load_tokenizer(name: str):
    """The tokenizer of `tiny[:recipe]` or a model hub id (the dataset's settings allow no
    paths; a hub id that happens to name a folder here is refused, so nothing local opens)."""
    from toolrl.commands.validate import load_tokenizer as load

    if not name.startswith("tiny") and Path(name).exists():
        raise ValueError(f"{name!r} is not a model hub id")
    return load(name)


def _count_tokens(dataset: Dataset, validation: Validation) -> None:
    from toolrl.commands.validate import measure_tokens

    try:
        tokenizer = load_tokenizer(dataset.tokenizer)
        folder = storage.prepared_dir(dataset.pk, dataset.version)
        rows = rows_at(folder / "rows.jsonl", validation.sample.indices())
        summary = measure_tokens(tokenizer, dataset.tokenizer, validation.sample, rows)
    except Exception as exc:  # noqa: BLE001 - an unusable tokenizer costs the counts, not the dataset
        log.warning("dataset %s: no token counts (%s)", dataset.pk, exc)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        summary = {"tokenizer": dataset.tokenizer, "unavailable": reason[:300]}
    statistics = {**validation.stats, "prompt_tokens": summary}
    Dataset.objects.filter(pk=dataset.pk, version=dataset.version).update(
        statistics=statistics, tokens_pending=False, phase="", heartbeat_at=timezone.now()
    )


def dataset_validation_run(*, dataset_id: int, version: int) -> str:
    """Validate one version of a dataset; 'skipped' when it is not waiting for validation
    (a duplicate message, or a newer version replaced it)."""
    now = timezone.now()
    claimed = Dataset.objects.filter(
        pk=dataset_id, version=version, status=DatasetStatus.UPLOADED
    ).update(
        status=DatasetStatus.VALIDATING, started_at=now, heartbeat_at=now, phase="Reading the file"
    )
    if not claimed:
        return "skipped"
    dataset = Dataset.objects.select_related("toolset").get(pk=dataset_id)
    DatasetProblem.objects.filter(dataset=dataset).exclude(version=version).delete()
    try:
        validation, current = _check_and_prepare(dataset)
    except Exception as exc:
        log.exception("dataset %s v%s: validation failed", dataset_id, version)
        Dataset.objects.filter(
            pk=dataset_id, version=version, status=DatasetStatus.VALIDATING
        ).update(
            status=DatasetStatus.INVALID,
            failure=f"The validation stopped on an internal error ({type(exc).__name__}); "
            "the worker's log has the details. Validate again, or report it.",
            phase="",
            finished_at=timezone.now(),
        )
        return "failed"
    if not current:
        return "replaced"
    if validation.valid and dataset.tokenizer:
        _count_tokens(dataset, validation)
    return "valid" if validation.valid else "invalid"
