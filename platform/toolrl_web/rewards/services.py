"""Writes for reward configurations: create (from a preset, from scratch or from a file),
update, delete. Every config goes through `toolrl.rewards.check_config`, so a saved row is
always a `RewardConfig` that `toolrl train` accepts; problems come back as a ValidationError
keyed by field path (`format.weight`, `correctness.max`, ...) or by form field (`name`, `file`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from toolrl.configfile import key_lines, line_of, read_mapping
from toolrl.errors import UserError
from toolrl.rewards import PRESETS, RewardConfig, check_config
from toolrl_web.rewards.models import RewardConfiguration

MAX_IMPORT_BYTES = 256 * 1024
NAME_MAX = RewardConfiguration._meta.get_field("name").max_length


def _checked(config) -> RewardConfig:
    cfg, problems = check_config(config)
    if cfg is None:
        raise ValidationError(problems)
    return cfg


def _clean_name(project, name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the configuration a name."})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"Keep the name under {NAME_MAX} characters."})
    taken = RewardConfiguration.objects.filter(project=project, name=name)
    if taken.exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": f"The project already has a configuration “{name}”."})
    return name


def _dump(cfg: RewardConfig, name: str) -> dict:
    return cfg.model_copy(update={"name": name}).model_dump(mode="json")


@transaction.atomic
def reward_configuration_create(
    *, project, user, name: str, config: dict, preset: str = "", description: str = ""
) -> RewardConfiguration:
    """A new configuration holding `config` (a `RewardConfig` mapping, `preset: NAME` allowed)."""
    name = _clean_name(project, name)
    cfg = _checked(config)
    if preset and preset not in PRESETS:
        raise ValidationError({"preset": f"Unknown preset “{preset}”."})
    try:
        with transaction.atomic():
            return RewardConfiguration.objects.create(
                project=project,
                name=name,
                description=description or "",
                config=_dump(cfg, name),
                preset=preset,
                created_by=user,
            )
    except IntegrityError:  # the same name saved meanwhile
        raise ValidationError(
            {"name": f"The project already has a configuration “{name}”."}
        ) from None


def reward_configuration_create_from_preset(
    *, project, user, name: str, preset: str
) -> RewardConfiguration:
    """From one of the paper's presets, or from scratch (`preset=""`: every default)."""
    if preset and preset not in PRESETS:
        raise ValidationError({"preset": "Choose one of the presets, or start from scratch."})
    config = {"preset": preset} if preset else {}
    return reward_configuration_create(
        project=project, user=user, name=name, config=config, preset=preset
    )


@transaction.atomic
def reward_configuration_update(
    *, configuration: RewardConfiguration, name: str, description: str, config: dict
) -> RewardConfiguration:
    """Replace name, description and config; nothing is written unless all are valid.
    Runs froze their own copy at launch, so they are unaffected."""
    errors: dict[str, list[str]] = {}
    try:
        name = _clean_name(configuration.project, name, exclude_pk=configuration.pk)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    cfg, problems = check_config(config)
    errors.update(problems)
    if errors:
        raise ValidationError(errors)
    configuration.name = name
    configuration.description = description or ""
    configuration.config = _dump(cfg, name)
    configuration.save(update_fields=["name", "description", "config", "updated_at"])
    return configuration


def reward_configuration_delete(*, configuration: RewardConfiguration) -> None:
    configuration.delete()  # a run keeps its frozen copy; its link is set to NULL


def _read_file(filename: str, content: bytes) -> dict:
    """The mapping in an uploaded YAML/JSON file, read by the same reader `toolrl` uses."""
    base = Path(filename or "reward.yaml").name
    suffix = ".json" if base.lower().endswith(".json") else ".yaml"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)
        try:
            return read_mapping(path, "reward configuration")
        except UserError as exc:
            raise ValidationError({"file": str(exc).replace(str(path), base)}) from None


def _free_name(project, wanted: str) -> str:
    wanted = wanted[: NAME_MAX - 4] or "Imported"
    taken = set(
        RewardConfiguration.objects.filter(project=project, name__startswith=wanted).values_list(
            "name", flat=True
        )
    )
    name, n = wanted, 2
    while name in taken:
        name, n = f"{wanted} {n}", n + 1
    return name


def _located(base: str, content: bytes, problems: dict[str, list[str]]) -> list[str]:
    """`FILE:LINE: field: message` for each problem (no line when the field is not in the file,
    e.g. a problem of the preset it starts from)."""
    lines = key_lines(content.decode("utf-8", errors="replace"))
    out = []
    for path, messages in problems.items():
        line = line_of(lines, path)
        where = f"{base}:{line}" if line is not None else base
        out += [f"{where}: {path}: {m}" for m in messages]
    return out


def reward_configuration_import(
    *, project, user, filename: str, content: bytes, name: str = ""
) -> RewardConfiguration:
    """A configuration from a YAML/JSON file (the one `toolrl train --reward FILE` reads).
    Problems name the file and the field: `file: format.weight: enter a number`."""
    base = Path(filename or "reward.yaml").name
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationError({"file": f"{base}: larger than {MAX_IMPORT_BYTES // 1024} KB."})
    data = _read_file(base, content)
    cfg, problems = check_config(data)
    if cfg is None:
        raise ValidationError({"file": _located(base, content, problems)})
    if not (name or "").strip():
        stem = data.get("name") if isinstance(data.get("name"), str) else Path(base).stem
        name = _free_name(project, stem.strip())
    preset = data.get("preset") if isinstance(data.get("preset"), str) else ""
    return reward_configuration_create(
        project=project, user=user, name=name, config=data, preset=preset
    )
