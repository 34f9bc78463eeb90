"""Where tests find the founders' data: `../shared` beside the checkout, or TOOLRL_SHARED_DIR.

A user's clone has no `../shared`, so a test that needs it skips with one reason (and the
session summary counts those skips); CI sets TOOLRL_TESTS_REQUIRE_ALL=1, which turns every such
skip into a failure so nothing is silently left out there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TOOLRL_SHARED_DIR") or ROOT.parent / "shared")
DATA = SHARED / "data"
SKIP_REASON_PREFIX = "shared data absent"


def require_all() -> bool:
    return os.environ.get("TOOLRL_TESTS_REQUIRE_ALL", "") not in ("", "0")


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the calling test for something missing, or fail it under TOOLRL_TESTS_REQUIRE_ALL."""
    if require_all():
        pytest.fail(f"{reason}; TOOLRL_TESTS_REQUIRE_ALL forbids this skip", pytrace=False)
    pytest.skip(reason)


def shared_path(*parts: str) -> Path:
    """The path of a shared data file; skips the calling test (fails in CI) when absent."""
    path = DATA.joinpath(*parts)
    if path.exists():
        return path
    skip_or_fail(
        f"{SKIP_REASON_PREFIX}: {path} not found "
        "(set TOOLRL_SHARED_DIR to the folder that holds data/)"
    )
