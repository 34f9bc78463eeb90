"""The layout guards: `platform/` must never hide Python's own `platform` module."""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_platform_folder_is_not_a_package():
    assert (ROOT / "platform").is_dir()
    assert not (ROOT / "platform" / "__init__.py").exists()
    packages = [p for p in (ROOT / "platform").iterdir() if (p / "__init__.py").exists()]
    assert [p.name for p in packages] == ["toolrl_web"]


@pytest.mark.slow  # starts a process
def test_manage_py_sees_the_stdlib_platform_module():
    # Run as a user would: through manage.py in a fresh interpreter, not in pytest's process.
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "import platform; print(platform.system()); print(platform.__file__)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    system, location = result.stdout.split()[-2:]
    assert system == "Linux"
    assert location.startswith(sysconfig.get_paths()["stdlib"])


@pytest.mark.slow  # starts a process
def test_celery_app_imports_with_stdlib_platform():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import workers.celery_app, platform, uuid; print(platform.system())",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("Linux")


def test_no_top_level_name_shadows_stdlib_or_a_dependency():
    stdlib = set(sys.stdlib_module_names)
    deps = {
        "django",
        "celery",
        "kombu",
        "trl",
        "transformers",
        "datasets",
        "torch",
        "peft",
        "accelerate",
        "redis",
        "pydantic",
        "yaml",
        "scipy",
        "numpy",
        "pytest",
        "tokenizers",
    }
    places = [ROOT, ROOT / "platform", ROOT / "tests"]
    for place in places:
        for entry in place.iterdir():
            name = entry.stem if entry.suffix == ".py" else entry.name
            if entry.name.startswith(".") or name in ("platform",) and place == ROOT:
                continue  # the plain `platform/` folder itself is allowed: it is not importable
            assert name not in stdlib | deps, f"{entry} shadows the module {name!r}"


@pytest.mark.slow  # starts a process
def test_toolrl_help_works():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("toolrl")), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "validate" in result.stdout and "train" in result.stdout


@pytest.mark.slow  # starts a process
def test_toolrl_light_modules_import_neither_django_celery_nor_torch():
    code = (
        "import sys, importlib\n"
        "for m in ['toolrl', 'toolrl.schema', 'toolrl.cli']:\n"
        "    importlib.import_module(m)\n"
        "for m in ['toolrl.rewards', 'toolrl.prompt', 'toolrl.parser', 'toolrl.formats',"
        " 'toolrl.training.config', 'toolrl.training.sinks']:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in"
        " ('django', 'celery', 'torch', 'transformers', 'trl', 'vllm'))\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_make_test_runs_every_test():
    """`slow` and `browser` mark tests; nothing deselects them from `make test`."""
    import tomllib

    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    recipe = (ROOT / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "-m" not in options["addopts"].split()
    assert recipe.rstrip().endswith("$(BIN)/python -m pytest")  # no marker expression after it


def test_tests_reach_the_shared_data_only_through_shared_path():
    """A clone has no `../shared`: a test that opens it by hand fails there instead of skipping."""
    allowed = {ROOT / "tests" / "shared_data.py", Path(__file__)}
    # a path built by hand: "../shared...", ... / "shared", "shared/data/..."
    pattern = re.compile(r"""["']\.\./shared|/\s*["']shared["']|["']shared/data""")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path not in allowed
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert not offenders, "use tests.shared_data.shared_path:\n" + "\n".join(offenders)
