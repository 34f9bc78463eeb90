"""Turn configuration and connection mistakes into one line that says how to fix them.

A wrong DATABASE_URL, a database that is down or a broker that cannot be reached are user
mistakes, not bugs: the entry points (manage.py, the Celery worker, gunicorn) print one line and
exit with status 1 instead of a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from toolrl_web.env import SettingError


def redact(url: str) -> str:
    """Hide the password of a URL before printing it.

    >>> redact("postgres://app:secret@db/x")
    'postgres://app:***@db/x'
    """
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def explain(exc: BaseException) -> str | None:
    """One line for a known configuration or connection failure, or None for a real bug."""
    if isinstance(exc, SettingError):
        return f"error: {exc}"
    from django.core.exceptions import ImproperlyConfigured
    from django.db.utils import OperationalError as DbOperationalError

    if isinstance(exc, ImproperlyConfigured) and isinstance(exc.__cause__, SettingError):
        return f"error: {exc.__cause__}"
    if isinstance(exc, DbOperationalError):
        return database_unreachable_message(exc)
    from kombu.exceptions import OperationalError as BrokerOperationalError

    if isinstance(exc, BrokerOperationalError):
        return broker_unreachable_message(exc)
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def database_unreachable_message(exc: BaseException) -> str:
    from django.conf import settings

    return (
        f"error: cannot use the database at {redact(settings.DATABASE_URL)} ({_first_line(exc)}). "
        "Start the database server or set DATABASE_URL to a reachable one "
        "(postgres://USER:PASSWORD@HOST:5432/NAME, or unset it for the SQLite default)."
    )


def broker_unreachable_message(exc: BaseException) -> str:
    from django.conf import settings

    return (
        f"error: cannot reach the Celery broker at {redact(settings.CELERY_BROKER_URL)} "
        f"({_first_line(exc)}). Start Redis or set CELERY_BROKER_URL to a reachable broker "
        "(redis://HOST:6379/0, or unset it for the embedded SQLite broker)."
    )


def run_with_clear_errors(func: Callable[[], object]) -> None:
    try:
        func()
    except Exception as exc:  # noqa: BLE001 - anything unknown is re-raised below
        line = explain(exc)
        if line is None:
            raise
        print(line, file=sys.stderr)
        sys.exit(1)
