"""The production topology is valid compose (checked offline; there is no Docker engine here)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.programs import program_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # starts a process
def test_compose_file_validates():
    binary = program_path("docker-compose", package="docker-compose")
    result = subprocess.run(
        [binary, "-f", "docker-compose.yml", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 50},
    )
    assert result.returncode == 0, result.stderr


def test_compose_has_the_production_services():
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    assert {"postgres", "redis", "web", "worker-cpu", "worker-gpu"} <= set(services)
    gpu = services["worker-gpu"]
    assert "-Q" in gpu["command"] and "gpu" in gpu["command"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["capabilities"] == ["gpu"]
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert "uploads" in spec["volumes"] and "artifacts" in spec["volumes"]
