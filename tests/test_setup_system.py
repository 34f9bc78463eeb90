"""`scripts/setup-system.sh`, which `make test` and `.ci/run` call before pytest.

Nothing can be uninstalled here, so each test runs the script with a PATH that holds only a
`bash` and, where the case needs them, stand-ins for the programs and for apt-get.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "setup-system.sh"

pytestmark = pytest.mark.slow  # starts processes

# The programs the suite needs, by the Debian package that provides them.
PROGRAMS = {
    "redis-server": ["redis-server"],
    "postgresql": ["initdb", "pg_ctl"],
    "postgresql-client": ["psql"],
    "chromium": ["chromium"],
    "docker-compose": ["docker-compose"],
}
# Debian keeps the server binaries outside PATH; the script looks there too.
POSTGRES_OUTSIDE_PATH = bool(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def bare_bin(tmp_path: Path, *programs: str) -> Path:
    """A folder for PATH with bash and do-nothing stand-ins for `programs`."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "bash").symlink_to(shutil.which("bash"))
    for name in programs:
        stand_in(folder / name, "exit 0")
    return folder


def stand_in(path: Path, body: str) -> None:
    path.write_text(f"#!{shutil.which('bash')}\n{body}\n")
    path.chmod(0o755)


def run(folder: Path, *argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(argv) or [str(folder / "bash"), str(SCRIPT)],
        cwd=cwd,
        env={"PATH": str(folder), "HOME": os.environ.get("HOME", "/root")},
        capture_output=True,
        text=True,
        timeout=60,
    )


def expected_missing(present: set[str]) -> list[str]:
    missing = [pkg for pkg, names in PROGRAMS.items() if not set(names) <= present]
    if POSTGRES_OUTSIDE_PATH and "postgresql" in missing:
        missing.remove("postgresql")
    return missing


def test_nothing_missing_says_nothing(tmp_path):
    folder = bare_bin(tmp_path, *(name for names in PROGRAMS.values() for name in names))
    done = run(folder)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="as a user without sudo, nothing is installed")
def test_as_root_the_missing_packages_are_installed_with_apt_get(tmp_path):
    folder = bare_bin(tmp_path, "redis-server", "psql")
    log = tmp_path / "apt-get.log"
    # apt-get's stand-in records its arguments and "installs" by creating the programs.
    programs = " ".join(f"[{pkg}]='{' '.join(names)}'" for pkg, names in PROGRAMS.items())
    stand_in(
        folder / "apt-get",
        f'echo "$*" >> {log}\n'
        f"declare -A provides=({programs})\n"
        '[ "$1" = install ] || exit 0\n'
        'for pkg in "$@"; do for p in ${provides[$pkg]:-}; do\n'
        f'  printf "#!%s\\nexit 0\\n" "$BASH" > {folder}/$p; /bin/chmod +x {folder}/$p\n'
        "done; done",
    )
    done = run(folder)
    assert done.returncode == 0, done.stderr
    missing = expected_missing({"redis-server", "psql"})
    assert done.stdout == f"installing system packages: {' '.join(missing)}\n"
    assert log.read_text().splitlines() == [
        "update -q",
        f"install -y -q --no-install-recommends {' '.join(missing)}",
    ]


def test_when_nothing_can_be_installed_one_line_says_what_and_how(tmp_path):
    folder = bare_bin(tmp_path, "psql")  # and no apt-get
    done = run(folder)
    missing = expected_missing({"psql"})
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    sudo = "" if os.geteuid() == 0 else "sudo "
    assert line == (
        f"missing system packages: {' '.join(missing)}; install them with: "
        f"{sudo}apt-get install -y --no-install-recommends {' '.join(missing)}"
    )


def test_make_test_stops_before_pytest(tmp_path):
    folder = bare_bin(tmp_path)
    (folder / "python3").symlink_to(shutil.which("python3"))
    done = run(folder, shutil.which("make"), "-C", str(ROOT), "test")
    assert done.returncode != 0
    assert "missing system packages: " in done.stderr
    assert "pytest" not in done.stdout + done.stderr and "pip" not in done.stdout
