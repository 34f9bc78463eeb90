"""Writes for the API: tokens (create, revoke, authenticate) and the one launch entry point."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
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

# Keys the launch form's page sends besides its settings, and the sweep's two fields: the
# launch service would ignore them, so a client could believe it launched a sweep.
_NOT_FOR_ONE_RUN = {
    "sweep_field": "sweep_field: launch a sweep with POST /api/projects/{slug}/sweeps.",
    "sweep_values": "sweep_values: launch a sweep with POST /api/projects/{slug}/sweeps.",
    "csrfmiddlewaretoken": "csrfmiddlewaretoken: not a launch setting.",
    "action": "action: not a launch setting.",
}


def _form_data(fields: dict, *, refuse: set[str]) -> dict:
    """The launch form's data from an API body, refusing the keys in `refuse` by name."""
    errors = {key: _NOT_FOR_ONE_RUN[key] for key in sorted(refuse & set(fields))}
    if errors:
        raise ValidationError(errors)
    return dict(fields)


def api_run_launch(*, project, user, fields: dict):
    """Launch one run from the API body `fields` (the launch form's field names).

    The launch service does every check the form's page gets, with the same messages keyed by
    the same field names; a key that is not a launch field (`data`, `reward`, `overrides`, ...)
    is refused by name there, so no path on the server reaches a configuration."""
    from toolrl_web.runs.launch import run_launch

    data = _form_data(fields, refuse=set(_NOT_FOR_ONE_RUN))
    return run_launch(project=project, user=user, form_data=data)


def api_run_sweep(*, project, user, fields: dict):
    """Launch a sweep: one run per value of `sweep_field` in `sweep_values` (a list or text),
    every one checked before any is queued."""
    from toolrl_web.runs.launch import run_sweep

    data = _form_data(fields, refuse=set(_NOT_FOR_ONE_RUN) - {"sweep_field", "sweep_values"})
    values = data.get("sweep_values")
    if isinstance(values, list):
        data["sweep_values"] = ", ".join(str(v) for v in values)
    return run_sweep(project=project, user=user, form_data=data)
