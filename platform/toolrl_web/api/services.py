"""Writes for the API: tokens (create, revoke, authenticate) and the one launch entry point."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from toolrl_web.api.models import ApiToken

TOKEN_PREFIX = "trl"
# A token in use is touched at most this often: one write per request would be a write per read.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for `user` and its text, which is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the machine that uses it."})
    if len(name) > 100:
        raise ValidationError({"name": "At most 100 characters."})
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, secret_sha256=_sha256(secret)
    )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def token_revoke(*, user, token_id: int) -> bool:
    """Revoke one of `user`'s tokens; False when there is no such active token of theirs."""
    return (
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        == 1
    )


def token_authenticate(*, text: str):
    """The active user the token `text` belongs to, or None (unknown, malformed or revoked)."""
    parts = (text or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    _, prefix, secret = parts
    token = (
        ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    # Compare in constant time so response times do not leak how much of a hash matched.
    if token is None or not hmac.compare_digest(token.secret_sha256, _sha256(secret)):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    return token.user


# --- launching a run ------------------------------------------------------------------------

# The parts of a configuration that name files or models: a user may never point them at a path
# on the server (a dataset, tool set or reward configuration is chosen by record instead).
PATH_CHECKED_FIELDS = ("data", "model", "reward")


def _path_like(value: str) -> bool:
    text = value.strip()
    if text.startswith(("/", "~", "\\", "file:")) or (len(text) > 1 and text[1] == ":"):
        return True
    return ".." in text.replace("\\", "/").split("/")


def _path_fields(value, field: str):
    """The dotted names of every path-like string inside `value`."""
    if isinstance(value, str):
        if _path_like(value):
            yield field
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _path_fields(item, f"{field}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _path_fields(item, f"{field}[{i}]")


def launch_refuse_paths(*, overrides: dict) -> None:
    """Refuse absolute paths and `..` in the data, model and reward fields, naming each field."""
    errors = {
        field: "A path on the server is not allowed here; choose a dataset, tool set or reward "
        "configuration of the project instead."
        for key in PATH_CHECKED_FIELDS
        if key in overrides
        for field in _path_fields(overrides[key], key)
    }
    if errors:
        raise ValidationError(errors)


def _form_errors(form) -> ValidationError:
    return ValidationError({field: list(messages) for field, messages in form.errors.items()})


def _named(message: str) -> tuple[str, str]:
    """The configuration field a run_create message is about, and the message.

    Field checks read `grpo.learning_rate: ...`; checks across fields come as
    `config: Value error, grpo.generation_batch_size: ...` and name their field inside."""
    field, sep, rest = message.partition(": ")
    if not sep or " " in field:
        return "overrides", message
    if field != "config":
        return field, message
    rest = rest.removeprefix("Value error, ")
    inner, sep, _ = rest.partition(": ")
    return (inner if sep and " " not in inner else "overrides"), rest


def _config_errors(exc: ValidationError) -> ValidationError:
    errors: dict[str, list[str]] = {}
    for message in exc.message_dict.get("config", exc.messages):
        field, text = _named(message)
        errors.setdefault(field, []).append(text)
    return ValidationError(errors)


def api_run_launch(
    *,
    project,
    user,
    name: str,
    preset: str,
    reward: str,
    max_steps: int | None = None,
    overrides: dict | None = None,
):
    """Launch a run from the API with the launch form's checks and messages.

    The one place the API launches: when the launch service (runs chosen by dataset, tool set
    and reward configuration records) lands, it replaces the body of this function.
    """
    from toolrl_web.runs.forms import RunLaunchForm
    from toolrl_web.runs.services import run_create

    overrides = overrides or {}
    launch_refuse_paths(overrides=overrides)
    form = RunLaunchForm(
        {
            "name": name,
            "preset": preset,
            "reward": reward,
            "max_steps": "" if max_steps is None else str(max_steps),
            "overrides": json.dumps(overrides),
        }
    )
    if not form.is_valid():
        raise _form_errors(form)
    try:
        with transaction.atomic():
            return run_create(
                project=project, user=user, config=form.run_config(), name=form.cleaned_data["name"]
            )
    except ValidationError as exc:
        raise _config_errors(exc) from None
