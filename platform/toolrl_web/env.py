"""Typed helpers that read settings from the environment, and the parsers behind them.

Every setting has a default that runs on a laptop with nothing installed (SQLite, the kombu
SQLAlchemy broker on SQLite); production sets the environment (see README, "Settings").
A wrong value raises `SettingError` whose message is one line saying what is wrong and how to fix
it; the entry points print that line instead of a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class SettingError(Exception):
    """A setting from the environment is unusable; the message says which and how to fix it."""


def envstr(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingError(f"{name}={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingError(f"{name}={value!r} is not an integer") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def envpath(name: str, default: Path) -> Path:
    return Path(envstr(name, str(default))).expanduser().resolve()


_DB_EXAMPLES = "postgres://USER:PASSWORD@HOST:5432/NAME or sqlite:///path/to/db.sqlite3"


def parse_database_url(url: str, *, setting: str = "DATABASE_URL") -> dict:
    """Turn a database URL into a Django DATABASES entry.

    >>> parse_database_url("postgres://app:pw@db:5432/toolrl")["NAME"]
    'toolrl'
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy writes them.
        path = url.split("://", 1)[1]
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise SettingError(f"{setting}={url!r} names no file: use sqlite:///path/to/db.sqlite3")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "OPTIONS": {"timeout": 20}}
    if scheme in ("postgres", "postgresql", "pgsql", "psql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise SettingError(f"{setting}={url!r} names no database: use {_DB_EXAMPLES}")
        try:
            port = parts.port
        except ValueError:
            raise SettingError(f"{setting}={url!r} has a bad port: use {_DB_EXAMPLES}") from None
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        options.setdefault("connect_timeout", "5")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
            # Short-lived connections are safer for long-running workers that sit idle for hours.
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": True,
        }
    raise SettingError(
        f"{setting}={url!r} is not a supported database URL (scheme {scheme or 'missing'!r}): "
        f"use {_DB_EXAMPLES}"
    )


def check_broker_url(url: str, *, setting: str = "CELERY_BROKER_URL") -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("redis", "rediss", "sqla+sqlite", "sqla+postgresql", "amqp", "memory"):
        raise SettingError(
            f"{setting}={url!r} is not a supported broker URL: use redis://HOST:6379/0 "
            "or sqla+sqlite:///path/broker.sqlite"
        )
    return url
