"""Skips for missing data or programs: counted at the end of a run, failures under CI.

Each case runs a small pytest session of its own, with our hooks and helpers, in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # starts processes

CONFTEST = "from tests.conftest import pytest_terminal_summary  # noqa: F401\n"
TESTS = """
from tests.programs import program_path
from tests.shared_data import shared_path


def test_needs_the_released_rows():
    shared_path("toolrl", "dataset", "rlla_4k", "test.parquet")


def test_needs_a_program():
    program_path("no-such-program-here", package="no-such-package")


def test_needs_nothing():
    pass
"""


def session(tmp_path, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_inner.py").write_text(TESTS)
    environ = {k: v for k, v in os.environ.items() if k != "TOOLRL_TESTS_REQUIRE_ALL"}
    environ.update(PYTHONPATH=str(ROOT), TOOLRL_SHARED_DIR=str(tmp_path / "no-shared"), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:cacheprovider", "-rs", "."],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_run_without_the_data_skips_with_the_reason_and_counts_the_skips(tmp_path):
    done = session(tmp_path)
    assert done.returncode == 0, done.stdout
    assert "1 skipped: shared data absent" in done.stdout
    assert "1 skipped: program missing" in done.stdout
    assert "test.parquet not found (set TOOLRL_SHARED_DIR" in done.stdout  # the reason
    assert "apt-get install no-such-package" in done.stdout
    assert "1 passed, 2 skipped" in done.stdout


def test_under_ci_a_missing_dependency_is_a_failure(tmp_path):
    done = session(tmp_path, TOOLRL_TESTS_REQUIRE_ALL="1")
    assert done.returncode == 1
    assert done.stdout.count("TOOLRL_TESTS_REQUIRE_ALL forbids this skip") >= 2
    assert "2 failed, 1 passed" in done.stdout
