"""System programs some tests need (a browser, docker-compose): found, or the test is skipped.

`make test` installs them first (scripts/setup-system.sh), so a skip here only happens when
pytest runs on its own; the reason holds the install command. Under TOOLRL_TESTS_REQUIRE_ALL (CI)
the skip is a failure instead.
"""

from __future__ import annotations

import shutil

from tests.shared_data import skip_or_fail

SKIP_REASON_PREFIX = "program missing"


def program_path(*names: str, package: str) -> str:
    """The first of `names` found on PATH; skips (fails in CI) naming the Debian package."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    skip_or_fail(
        f"{SKIP_REASON_PREFIX}: {names[0]} is not installed "
        f"(apt-get install {package}, or `make test`, which installs it)"
    )
