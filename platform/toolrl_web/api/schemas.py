"""What the API reads and returns: pydantic schemas (django-ninja), described in the OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class FieldError(Schema):
    field: str = Field(description="The input that was refused: a body field, dotted for nested.")
    message: str


class ErrorOut(Schema):
    detail: list[FieldError] | str


class ProjectOut(Schema):
    slug: str
    name: str
    description: str
    owner: str = Field(alias="owner.username")
    created_at: datetime


def _help(name: str, extra: str = "") -> str:
    """The launch form's help text of a field, so the page and the API describe it alike."""
    from toolrl_web.runs.forms import RunLaunchForm

    field = RunLaunchForm.base_fields[name]
    return " ".join(p for p in (str(field.label or ""), str(field.help_text or ""), extra) if p)


class RunLaunchIn(Schema):
    """The launch form's fields, by the same names; every one optional (left out or null: the
    preset's value). Datasets, tool sets and reward configurations are chosen by their id in
    the project, a model by name; any other key (`data`, `reward`, `overrides`...) is refused by
    name, as a path on the server would be."""

    name: str | None = Field(None, description=_help("name", "Default: toolrl run."))
    preset: str | None = Field(None, description=_help("preset", "cpu-tiny or toolrl-paper."))
    model: str | None = Field(None, description=_help("model"))
    dataset: int | None = Field(None, description=_help("dataset", "A dataset id."))
    toolset: int | None = Field(None, description=_help("toolset", "A tool set id."))
    validation_dataset: int | None = Field(
        None, description=_help("validation_dataset", "A dataset id.")
    )
    reward_configuration: int | None = Field(
        None, description=_help("reward_configuration", "A reward configuration id.")
    )
    reward_preset: str | None = Field(None, description=_help("reward_preset"))
    num_generations: int | None = Field(None, description=_help("num_generations"))
    prompts_per_step: int | None = Field(None, description=_help("prompts_per_step"))
    learning_rate: float | None = Field(None, description=_help("learning_rate"))
    temperature: float | None = Field(None, description=_help("temperature"))
    top_p: float | None = Field(None, description=_help("top_p"))
    max_completion_length: int | None = Field(None, description=_help("max_completion_length"))
    max_steps: int | None = Field(None, description=_help("max_steps"))
    epochs: float | None = Field(None, description=_help("epochs"))
    beta: float | None = Field(None, description=_help("beta"))
    epsilon: float | None = Field(None, description=_help("epsilon"))
    scale_rewards: str | None = Field(None, description=_help("scale_rewards"))
    lora: bool | None = Field(None, description=_help("lora"))
    lora_r: int | None = Field(None, description=_help("lora_r"))
    generation_backend: str | None = Field(None, description=_help("generation_backend"))
    eval_every: int | None = Field(None, description=_help("eval_every"))
    seed: int | None = Field(None, description=_help("seed"))
    queue: str | None = Field(None, description=_help("queue", "cpu or gpu."))
    clone_of: int | None = Field(
        None, description="A run id of the project: start from its configuration."
    )


class SweepLaunchIn(RunLaunchIn):
    """A launch's fields plus the setting to vary and its values: one run per value."""

    sweep_field: str = Field(description=_help("sweep_field"))
    sweep_values: str | list[float | int | str] = Field(
        description=_help("sweep_values", "Or a JSON list, e.g. [1e-5, 3e-5].")
    )


class RunOut(Schema):
    id: int
    name: str
    project: str = Field(alias="project.slug")
    status: str
    created_by: str | None = Field(None, alias="created_by.username")
    created_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    last_step: int
    max_steps: int | None
    error: str
    resumed_from: int | None = Field(None, alias="resumed_from_id")
    start_step: int
    sweep: str


class RunDetailOut(RunOut):
    config: dict[str, Any]
    versions: dict[str, Any]
    summary: dict[str, Any]
    last_checkpoint_step: int | None
    stop_reason: str
    can_resume: bool


class CancelOut(Schema):
    outcome: str = Field(description="canceled (it never started) or stopping (checkpoints first)")
    run: RunOut


class Point(Schema):
    step: int
    values: dict[str, Any]


class CurveOut(Schema):
    run: int
    status: str
    final: bool = Field(description="The run ended: no point after these will come.")
    points: list[Point]
    next_since: int = Field(description="Pass as `since` to get only newer points.")


class EvaluationResultOut(Schema):
    suite: str
    score: float = Field(description="The suite's headline score.")
    item_count: int
    metrics: dict[str, Any]


class EvaluationJobOut(Schema):
    """An evaluation job of the evaluations app: a checkpoint of the run on benchmark suites."""

    id: int
    status: str
    checkpoint_step: int
    model_label: str
    suites: list[str]
    limit: int = Field(description="Items per suite; 0: all.")
    progress_done: int
    progress_total: int
    current_suite: str
    error: str
    created_by: str | None = Field(None, alias="created_by.username")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    results: list[EvaluationResultOut]


class SuitePoint(Schema):
    step: int = Field(description="The checkpoint step evaluated.")
    score: float
    scores: dict[str, Any]
    headline: str
    items: int
    evaluation: int = Field(description="The evaluation job the point comes from.")
    model: str


class EvaluationsOut(CurveOut):
    """Held-out metrics logged during training (`points`, as in `metrics`), and the
    evaluations app's jobs and per-suite results for the run."""

    suites: dict[str, list[SuitePoint]] = Field(
        description="Per suite, the latest finished result of each checkpoint step (all of "
        "them: `since` applies to `points` only)."
    )
    evaluations: list[EvaluationJobOut] = Field(description="Newest first, 20 a page.")
    evaluations_before: int | None = Field(
        description="Pass as `before` for older jobs; null: no more."
    )


class RolloutOut(Schema):
    id: int
    step: int
    prompt_id: str
    group: int
    completion: str
    ground_truth: str
    calls: Any
    rewards: dict[str, Any]
    details: Any
    total: float | None
    format: float | None
    correctness: float | None
    length: float | None
    advantage: float | None
    error_category: str
    failure: str
    num_tokens: int | None
    truncated: bool


class RolloutPageOut(Schema):
    rollouts: list[RolloutOut] = Field(description="In (step, id) order, as the browser shows.")
    next_after: str | None = Field(description="Pass as `after` for the next page; null: last.")


class DatasetOut(Schema):
    id: int
    project: str = Field(alias="project.slug")
    name: str
    kind: str
    status: str
    format: str
    detected_format: str
    row_count: int
    train_rows: int
    validation_rows: int
    error_count: int
    warning_count: int
    toolset: int | None = Field(None, alias="toolset_id")
    created_at: datetime


class DatasetDetailOut(DatasetOut):
    original_name: str
    sha256: str
    size: int
    validation_fraction: float
    split_seed: int
    statistics: dict[str, Any]


class RewardConfigurationOut(Schema):
    id: int
    project: str = Field(alias="project.slug")
    name: str
    description: str
    preset: str
    created_at: datetime
    updated_at: datetime


class RewardConfigurationDetailOut(RewardConfigurationOut):
    config: dict[str, Any]


class RolloutQuery(Schema):
    """The rollout browser's filters, by its own names (its query string works here as is);
    every one given must hold."""

    step: int | None = Field(None, description="Only this training step.")
    component: str | None = Field(
        None,
        description="The score `min`/`max` bound: total, format, correctness, length or "
        "advantage (default: total).",
    )
    min: float | None = Field(None, description="The score at least this.")
    max: float | None = Field(None, description="The score at most this.")
    error: str | None = Field(None, description="Parser/reward error category, e.g. bad_json.")
    failure: str | None = Field(
        None, description="Failure label (toolrl.taxonomy), e.g. correct, wrong_tool."
    )
    truncated: bool = Field(False, description="true: only completions cut at the length.")
    equal_groups: bool = Field(
        False,
        description="true: only groups whose completions all scored the same (no learning signal).",
    )
    prompt: str | None = Field(None, description="Only this prompt id's completions.")
    q: str | None = Field(None, description="Text in the completion (exact case).")
    after: str | None = Field(None, description="`next_after` of the previous page (STEP.ID).")
    limit: int = Field(50, ge=1, le=500, description="Rollouts per page.")
