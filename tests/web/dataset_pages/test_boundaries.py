"""The web side of datasets sends its task by name: importing its modules starts no Celery app
from `workers` and loads no training library (only the worker's token count does)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_dataset_web_modules_import_neither_workers_nor_heavy_libraries():
    code = (
        "import os, sys, django\n"
        "sys.path[:0] = ['platform', '.']\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'toolrl_web.settings')\n"
        "django.setup()\n"
        "import toolrl_web.urls\n"
        "import toolrl_web.datasets.views, toolrl_web.datasets.toolset_views\n"
        "import toolrl_web.datasets.services, toolrl_web.datasets.validation\n"
        "loaded = {'workers', 'torch', 'transformers', 'trl'} & {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(loaded))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
