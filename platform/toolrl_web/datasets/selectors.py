"""Reads for datasets and tool sets. Lookups are scoped to the asking user (404 for an outsider)
or to a project (a ValidationError naming the field, for choices submitted with a form)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from toolrl_web.datasets.models import Dataset, DatasetProblem, DatasetStatus, Toolset

PROBLEMS_PAGE = 50


def dataset_list_for_project(*, project) -> QuerySet[Dataset]:
    return Dataset.objects.filter(project=project).select_related("toolset")


def datasets_valid_for_project(*, project) -> QuerySet[Dataset]:
    """The datasets a run of this project may use (only a valid dataset can be chosen)."""
    return dataset_list_for_project(project=project).filter(status=DatasetStatus.VALID)


def dataset_get_for_user(*, user, dataset_id: int) -> Dataset:
    dataset = (
        Dataset.objects.filter(pk=dataset_id, project__memberships__user=user)
        .select_related("project", "toolset", "validation_dataset")
        .first()
    )
    if dataset is None:
        raise Http404("No such dataset.")
    return dataset


def dataset_get_valid_for_project(*, project, dataset_id, field: str = "dataset") -> Dataset:
    """The valid dataset `dataset_id` of `project`; a ValidationError on `field` otherwise.

    A launch form (or the API) submits ids: an id from another project is refused the same
    way as one that does not exist, without telling them apart."""
    try:
        pk = int(dataset_id)
    except (TypeError, ValueError):
        raise ValidationError({field: "Choose one of the project's datasets."}) from None
    dataset = dataset_list_for_project(project=project).filter(pk=pk).first()
    if dataset is None:
        raise ValidationError({field: "Choose one of the project's datasets."})
    if not dataset.is_valid:
        message = f"Dataset “{dataset.name}” is {dataset.get_status_display().lower()}: "
        raise ValidationError({field: message + "only a valid dataset can be used."})
    return dataset


def toolset_list_for_project(*, project) -> QuerySet[Toolset]:
    return Toolset.objects.filter(project=project)


def toolset_get_for_user(*, user, toolset_id: int) -> Toolset:
    toolset = (
        Toolset.objects.filter(pk=toolset_id, project__memberships__user=user)
        .select_related("project")
        .first()
    )
    if toolset is None:
        raise Http404("No such tool set.")
    return toolset


def toolset_get_for_project(*, project, toolset_id, field: str = "toolset") -> Toolset:
    try:
        pk = int(toolset_id)
    except (TypeError, ValueError):
        raise ValidationError({field: "Choose one of the project's tool sets."}) from None
    toolset = toolset_list_for_project(project=project).filter(pk=pk).first()
    if toolset is None:
        raise ValidationError({field: "Choose one of the project's tool sets."})
    return toolset


def _protecting(obj: models.Model) -> list[str]:
    """What keeps `obj` from being deleted: every row pointing at it through a foreign key
    with `on_delete=PROTECT`. This is the hook for "delete refused while a run uses it": a
    `Run` -> `Dataset`/`Toolset` foreign key with `on_delete=models.PROTECT` is all a launch
    needs to add for deletes (and the pruning of files) to respect it."""
    found = []
    for relation in obj._meta.related_objects:
        if relation.on_delete is not models.PROTECT:
            continue
        related = relation.related_model.objects.filter(**{relation.field.name: obj})
        for other in related[:5]:
            found.append(f"{relation.related_model._meta.verbose_name} “{other}”")
    return found


def dataset_used_by(*, dataset: Dataset) -> list[str]:
    """Descriptions of what uses the dataset (runs, datasets validating on it); empty if none."""
    return _protecting(dataset)


def toolset_used_by(*, toolset: Toolset) -> list[str]:
    return _protecting(toolset)


@dataclass(frozen=True)
class ProblemPage:
    problems: list[DatasetProblem]
    next_after: str | None  # the keyset cursor of the next page, None on the last page
    total: int


def _cursor(problem: DatasetProblem) -> str:
    return f"{problem.line if problem.line is not None else ''}:{problem.pk}"


def _after_filter(after: str) -> Q:
    line_text, _, pk_text = after.partition(":")
    try:
        pk = int(pk_text)
        line = int(line_text) if line_text else None
    except ValueError:
        return Q()
    if line is None:  # whole-file problems come first
        return Q(line__isnull=True, pk__gt=pk) | Q(line__isnull=False)
    return Q(line__gt=line) | Q(line=line, pk__gt=pk)


def dataset_problems_page(
    *, dataset: Dataset, severity: str, after: str = "", limit: int = PROBLEMS_PAGE
) -> ProblemPage:
    """One page of the current version's problems of one severity, in file order, by keyset
    (`after` is the cursor the previous page returned)."""
    rows = DatasetProblem.objects.filter(
        dataset=dataset, version=dataset.version, severity=severity
    )
    total = dataset.error_count if severity == "error" else dataset.warning_count
    page = rows.filter(_after_filter(after)) if after else rows
    ordered = page.order_by(models.F("line").asc(nulls_first=True), "pk")
    problems = list(ordered[: limit + 1])
    more = len(problems) > limit
    problems = problems[:limit]
    next_after = _cursor(problems[-1]) if more and problems else None
    return ProblemPage(problems, next_after, total)
