"""The method core stays light: no torch/transformers/trl, no Django/Celery; examples run."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

MODULES = [
    "toolrl.prompt",
    "toolrl.parser",
    "toolrl.taxonomy",
    "toolrl.errors",
    "toolrl.configfile",
    "toolrl.rewards",
    "toolrl.rewards.components",
    "toolrl.rewards.config",
    "toolrl.rewards.schedule",
    "toolrl.rewards.scoring",
    "toolrl.rewards.parallel",
    "toolrl.rewards.check",
    "toolrl.rewards.explain",
    "toolrl.formats",
    "toolrl.formats.rlla",
    "toolrl.formats.xlam",
    "toolrl.formats.bfcl",
    "toolrl.formats.toolace",
    "toolrl.formats.problems",
    "toolrl.formats.checks",
    "toolrl.formats.reading",
    "toolrl.formats.jsontext",
    "toolrl.formats.rowfile",
    "toolrl.formats.stats",
    "toolrl.formats.tools",
    "toolrl.commands.validate",
    "toolrl.calls",
    "toolrl.evaluation",
    "toolrl.evaluation.base",
    "toolrl.evaluation.data",
    "toolrl.evaluation.decoding",
    "toolrl.evaluation.predictions",
    "toolrl.evaluation.bfcl_checker",
    "toolrl.evaluation.heldout",
    "toolrl.evaluation.generation",
    "toolrl.evaluation.report",
]


@pytest.mark.slow
def test_importing_the_core_loads_no_heavy_or_web_package():
    code = (
        "import sys, toolrl.rewards, toolrl.prompt, toolrl.parser, toolrl.formats, toolrl.taxonomy\n"
        "import toolrl.commands.validate, toolrl.commands.score, toolrl.commands.reward_preview\n"
        "import toolrl.evaluation, toolrl.commands.evaluate, toolrl.training.evaluation\n"
        "heavy = {'torch', 'transformers', 'trl', 'vllm', 'django', 'celery', 'scipy'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
