"""Launching runs from the launch form (and the API): records of the project, never paths.

A launch names its dataset, tool set and reward configuration by their record in the run's own
project, and its model by a Hugging Face id, `tiny[:recipe]` or the name of a folder under
`settings.MODELS_DIR`. This module turns those into the run configuration on the server and
checks the whole with `toolrl`'s `RunConfig` before anything is queued; every problem comes back
as a `ValidationError` keyed by the launch field it is about. No path a user typed is opened
here: the only files looked at are built from a record (`toolrl_web.datasets.storage`) or from a
checked folder name under the models folder.

    run_launch(project=p, user=u, form_data={"dataset": "3", "reward_configuration": "1",
                                             "learning_rate": "1e-5"})
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from toolrl_web.runs.forms import FIELD_PATHS, SWEEP_FIELDS, RunLaunchForm, setting_value
from toolrl_web.runs.models import Run, RunStatus

# `org/name`: a Hub id. A single word is refused: a folder of that name next to the worker
# would be loaded instead of the Hub model, and the models folder covers local models.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")
_FOLDER_NAME = re.compile(r"^[A-Za-z0-9][\w.-]{0,199}$")

# Where a `RunConfig` problem is shown: the launch field that sets it (longest prefix wins).
_CONFIG_TO_FIELD = {
    **{path: name for name, path in FIELD_PATHS.items()},
    "model": "model",
    "model.lora": "lora",
    "model.lora.r": "lora_r",
    "grpo.generation_batch_size": "prompts_per_step",
    "grpo.per_device_train_batch_size": "prompts_per_step",
    "grpo.gradient_accumulation_steps": "prompts_per_step",
    "data": "dataset",
    "reward": "reward_configuration",
    "reward_weights": "reward_configuration",
    "device": "generation_backend",
    "name": "name",
    "preset": "preset",
}


@dataclass
class Launch:
    """What a launch resolves to: the validated configuration and the records it came from."""

    config: dict[str, Any]
    name: str
    queue: str
    dataset: Any = None
    toolset: Any = None
    reward_configuration: Any = None
    clone_of: Run | None = None


def _refuse(field_name: str, message: str) -> ValidationError:
    return ValidationError({field_name: message})


def model_resolve(name: str) -> str:
    """The model a run loads: `tiny[:recipe]`, a Hub id `org/name`, or the folder `name` under
    the models folder (symlinks followed, and refused if they lead out of it)."""
    from toolrl.tiny.recipe import RECIPES
    from toolrl.training.model_source import is_tiny, tiny_recipe_name

    name = (name or "").strip()
    if is_tiny(name):
        if tiny_recipe_name(name) not in RECIPES:
            known = ", ".join(f"tiny:{r}" for r in RECIPES)
            raise _refuse("model", f"model: unknown tiny model recipe {name!r}; known: {known}.")
        return name
    usage = (
        "model: give a Hugging Face id (org/name), tiny, or the name of a folder in the models "
        f"folder ({', '.join(model_folder_names()) or 'none yet'}); paths are not accepted"
    )
    if not name or ".." in name or name.startswith(("/", "~", ".")) or "\\" in name:
        raise _refuse("model", usage + ".")
    if _FOLDER_NAME.match(name):
        root = Path(settings.MODELS_DIR).resolve()
        folder = (root / name).resolve()
        if folder.parent != root or not folder.is_dir():
            raise _refuse("model", usage + f"; there is no model folder {name!r}.")
        return str(folder)
    if _HUB_ID.match(name) and name.split("/")[0] not in _worker_local_names():
        return name
    raise _refuse("model", usage + ".")


def _worker_local_names() -> set[str]:
    """Names of the entries next to the worker (its working directory is the project root):
    a "Hub id" starting with one of them would be read from here instead of the Hub."""
    # `var` and `runs` are made on first use, so they may not be listed yet.
    names = {"var", "runs", Path(settings.VAR_DIR).name}
    try:
        return names | {p.name for p in Path(settings.BASE_DIR).iterdir()}
    except OSError:
        return names


def model_folder_names() -> list[str]:
    """The model folders a launch may name (for the form's suggestions)."""
    root = Path(settings.MODELS_DIR)
    try:
        return sorted(p.name for p in root.iterdir() if p.is_dir() and _FOLDER_NAME.match(p.name))
    except OSError:
        return []


def _reward(project, values: dict) -> tuple[Any, Any]:
    """(the `reward` of the configuration, the record it came from or None)."""
    from toolrl_web.rewards.models import RewardConfiguration

    chosen = values.get("reward_configuration")
    if chosen in (None, ""):
        return values.get("reward_preset") or "toolrl", None
    message = "reward_configuration: choose one of the project's reward configurations."
    try:
        pk = int(chosen)
    except (TypeError, ValueError):
        raise _refuse("reward_configuration", message) from None
    record = RewardConfiguration.objects.filter(project=project, pk=pk).first()
    if record is None:
        raise _refuse("reward_configuration", message)
    if not isinstance(record.config, dict):
        raise _refuse("reward_configuration", f"“{record.name}” holds no configuration.")
    return dict(record.config), record


def _data(project, values: dict) -> tuple[dict, Any, Any]:
    """(the `data` section, the dataset, the tool set) from the chosen records."""
    from toolrl_web.datasets import selectors, services, storage

    dataset_id, toolset_id = values.get("dataset"), values.get("toolset")
    toolset = None
    if toolset_id not in (None, ""):
        toolset = selectors.toolset_get_for_project(project=project, toolset_id=toolset_id)
    if dataset_id in (None, ""):
        if toolset is not None:
            raise _refuse("toolset", "toolset: choose a dataset to train with a tool set.")
        if values.get("validation_dataset") not in (None, ""):
            raise _refuse("validation_dataset", "validation_dataset: choose a dataset first.")
        return {}, None, None  # the built-in synthetic task, generated by the training itself
    dataset = selectors.dataset_get_valid_for_project(project=project, dataset_id=dataset_id)
    try:
        data = services.dataset_run_data(dataset=dataset, toolset=toolset)
    except storage.OutsideUploads:
        raise _refuse("dataset", "dataset: its files are not in the uploads folder.") from None
    other_id = values.get("validation_dataset")
    if other_id not in (None, ""):
        data["validation"] = _validation_rows(project, other_id)
    return data, dataset, toolset or dataset.toolset


def _validation_rows(project, dataset_id) -> str:
    """The rows file of the dataset chosen for validation (all its rows)."""
    from toolrl_web.datasets import selectors, storage

    other = selectors.dataset_get_valid_for_project(
        project=project, dataset_id=dataset_id, field="validation_dataset"
    )
    try:
        rows = storage.prepared_dir(other.pk, other.version) / "rows.jsonl"
    except storage.OutsideUploads:
        rows = None
    if rows is None or not rows.is_file():
        message = f"validation_dataset: the files of “{other.name}” are not in the uploads folder."
        raise _refuse("validation_dataset", message)
    return str(rows)


def run_clone_source(*, project, values) -> Run | None:
    """The run a launch clones (`clone_of`), among the project's runs; None when not a clone."""
    chosen = values.get("clone_of")
    if chosen in (None, ""):
        return None
    try:
        pk = int(chosen)
    except (TypeError, ValueError):
        raise _refuse("clone_of", "clone_of: choose one of the project's runs.") from None
    run = Run.objects.filter(project=project, pk=pk).first()
    if run is None:
        raise _refuse("clone_of", "clone_of: choose one of the project's runs.")
    return run


def _set(config: dict, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _build_config(values: dict, clone_of: Run | None) -> dict:
    """The run configuration the form's values ask for (records not resolved yet)."""
    from toolrl.configfile import deep_merge

    if clone_of is not None:
        config = {k: v for k, v in clone_of.config.items() if k not in ("name",)}
    else:
        config = {"preset": values.get("preset") or "cpu-tiny"}
    overrides: dict = {}
    for name, path in FIELD_PATHS.items():
        if values.get(name) not in (None, ""):
            _set(overrides, path, values[name])
    config = deep_merge(config, overrides)
    if values.get("eval_every") == 0:
        config["eval_at_start"] = False  # "0 = never" includes the evaluation before step 1
    if values.get("lora"):
        lora = dict((config.get("model") or {}).get("lora") or {})
        given = values.get("lora_r")
        lora["r"] = given if given is not None else lora.get("r", 16)
        _set(config, "model.lora", lora)
    else:
        _set(config, "model.lora", None)
    prompts = values.get("prompts_per_step")
    if prompts:
        # One optimizer step per generation round: every completion in one micro-batch.
        size = prompts * int(setting_value(config, "grpo.num_generations"))
        _set(config, "grpo.generation_batch_size", size)
        _set(config, "grpo.per_device_train_batch_size", size)
        _set(config, "grpo.gradient_accumulation_steps", 1)
    config["name"] = values.get("name") or "toolrl run"
    return config


def _field_for(path: str) -> str:
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        found = _CONFIG_TO_FIELD.get(".".join(parts[:end]))
        if found:
            return found
    return NON_FIELD_ERRORS


def _config_errors(lines: list[str]) -> ValidationError:
    """`RunConfig`'s messages (`grpo.beta: ...`) keyed by the launch field that sets them."""
    errors: dict[str, list[str]] = {}
    for line in lines:
        path = line.partition(": ")[0] if ": " in line else ""
        errors.setdefault(_field_for(path), []).append(line)
    return ValidationError(errors)


def run_config_check(config: dict) -> dict:
    """`RunConfig` on a configuration built from records: the complete configuration as JSON,
    or a ValidationError keyed by launch field."""
    from pydantic import ValidationError as PydanticValidationError

    from toolrl.errors import UserError, validation_messages
    from toolrl.training.config import RunConfig

    try:
        return RunConfig.from_dict(config).model_dump(mode="json")
    except PydanticValidationError as exc:
        raise _config_errors(validation_messages(exc)) from None
    except (UserError, ValueError, KeyError) as exc:
        raise _config_errors([str(exc)]) from None


def runs_in_sweep(*, project, label: str) -> list[Run]:
    return list(Run.objects.filter(project=project, sweep=label).order_by("pk"))


# Keys a browser POST carries besides the form's fields.
_TRANSPORT_KEYS = {"csrfmiddlewaretoken", "action"}


def launch_resolve(*, project, form_data: dict) -> Launch:
    """Check a launch and resolve its records into the run configuration; nothing is written.

    `form_data` maps launch field names (`RunLaunchForm`) to values as submitted; a key that is
    not a launch field (`data`, `reward`, `config`, ...) is refused by name, so no path given
    under another name slips through."""
    unknown = sorted(set(form_data) - set(RunLaunchForm.base_fields) - _TRANSPORT_KEYS)
    if unknown:
        raise ValidationError(
            {
                key: f"{key}: not a launch setting; datasets, tool sets and reward configurations "
                "are chosen by their record, a model by name"
                for key in unknown
            }
        )
    form = RunLaunchForm(project=project, data=form_data)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    values = form.cleaned_data
    clone_of = run_clone_source(project=project, values=values)
    errors: dict[str, list] = {}
    resolved: dict[str, Any] = {}
    for key, resolve in (
        ("model", lambda: model_resolve(values.get("model") or "tiny")),
        ("reward", lambda: _reward(project, values)),
        ("data", lambda: _data(project, values)),
    ):
        try:
            resolved[key] = resolve()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    config = _build_config(values, clone_of)
    _set(config, "model.name_or_path", resolved["model"])
    config["reward"], reward_record = resolved["reward"]
    data, dataset, toolset = resolved["data"]
    config["data"] = {**(config.get("data") or {}), "train": None, "validation": None, **data}
    return Launch(
        config=run_config_check(config),
        name=config["name"],
        queue=values.get("queue") or "cpu",
        dataset=dataset,
        toolset=toolset,
        reward_configuration=reward_record,
        clone_of=clone_of,
    )


def _create(*, project, user, launch: Launch, sweep: str = "") -> Run:
    from toolrl_web.runs import services

    run = Run.objects.create(
        project=project,
        created_by=user,
        name=launch.name.strip()[:200] or "run",
        config=launch.config,
        versions=services._library_versions(),
        queue=launch.queue,
        status=RunStatus.QUEUED,
        queued_at=timezone.now(),
        max_steps=(launch.config.get("grpo") or {}).get("max_steps"),
        dataset=launch.dataset,
        toolset=launch.toolset,
        reward_configuration=launch.reward_configuration,
        sweep=sweep,
    )
    transaction.on_commit(lambda: services.run_enqueue(run_id=run.pk))
    return run


@transaction.atomic
def run_launch(*, project, user, form_data: dict) -> Run:
    """Check the launch (`launch_resolve`), record the run as queued, enqueue it after the
    commit. Raises ValidationError keyed by launch field; nothing is written then."""
    return _create(
        project=project, user=user, launch=launch_resolve(project=project, form_data=form_data)
    )


def sweep_values_parse(field_name: str, text: str) -> list[str]:
    """The values of a sweep: 2 to 8 distinct, separated by commas or spaces."""
    if field_name not in SWEEP_FIELDS:
        raise _refuse("sweep_field", f"sweep_field: choose one of {', '.join(SWEEP_FIELDS)}.")
    values = list(dict.fromkeys(v for v in re.split(r"[,\s]+", text or "") if v))
    if not 2 <= len(values) <= 8:
        raise _refuse(
            "sweep_values", "sweep_values: give 2 to 8 different values, e.g. 1e-5, 3e-5."
        )
    return values


@transaction.atomic
def run_sweep(*, project, user, form_data: dict) -> list[Run]:
    """One run per value of `sweep_field` in `sweep_values`, all checked before any is queued,
    sharing one sweep label so they are compared together."""
    field_name = form_data.get("sweep_field") or ""
    values = sweep_values_parse(field_name, form_data.get("sweep_values") or "")
    launches = []
    for value in values:
        data = {**form_data, field_name: value, "sweep_values": ""}
        try:
            launch = launch_resolve(project=project, form_data=data)
        except ValidationError as exc:
            lines = [f"{field_name}={value}: {m}" for m in exc.messages]
            raise _refuse("sweep_values", " ".join(lines)) from None
        launch.name = f"{launch.name} · {field_name}={value}"
        launches.append(launch)
    label = f"{field_name}-{uuid.uuid4().hex[:8]}"
    return [_create(project=project, user=user, launch=ln, sweep=label) for ln in launches]
