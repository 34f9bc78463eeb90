"""The charting library's JavaScript is served from its installed package, with no CDN."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.contrib.staticfiles import finders

from tests.conftest import ROOT


def test_plotly_is_found_in_its_package():
    path = finders.find("vendor/plotly.min.js")
    assert path and path.endswith("plotly/package_data/plotly.min.js")
    assert finders.find("vendor/not-there.js") in ([], None)


def test_plotly_is_served(client, owner):
    client.force_login(owner)
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"plotly" in body[:2000].lower() and len(body) > 1_000_000


@pytest.mark.slow  # starts a process
def test_collectstatic_copies_plotly(tmp_path):
    env = {"TOOLRL_VAR_DIR": str(tmp_path), "DEBUG": "1", "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    assert (tmp_path / "static" / "vendor" / "plotly.min.js").stat().st_size > 1_000_000
