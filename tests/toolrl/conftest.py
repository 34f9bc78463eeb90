"""Fixtures for the method tests: the shared ToolRL data and small builders of completions.

The founders' files are fixtures that go through `tests.shared_data.shared_path`: a clone without
`../shared` skips the tests that read them, with the reason (CI fails instead).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.shared_data import shared_path

# The founders' files, as parts of a path under the shared `data/` folder.
SFT_JSON = ("toolrl", "dataset", "rlla_4k_raw", "rlla_sft.json")
TEST_PARQUET = ("toolrl", "dataset", "rlla_4k", "test.parquet")
HAMMER_JSON = ("formats", "hammer-masked-sample.json")
BFCL = ("bfcl",)


def call(name: str, **params: object) -> str:
    """One tool-call line as the model writes it."""
    return json.dumps({"name": name, "parameters": params})


def tool_output(*lines: str, thought: str = "t") -> str:
    """A well-formed tool-call completion holding `lines`."""
    return f"<think> {thought} </think>\n<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"


def response_output(text: str = "hi", thought: str = "t") -> str:
    return f"<think> {thought} </think>\n<response> {text} </response>"


@pytest.fixture
def sft_path() -> Path:
    """ToolRL's released SFT rows (raw JSON, 400 rows)."""
    return shared_path(*SFT_JSON)


@pytest.fixture
def parquet_path() -> Path:
    """ToolRL's released RL test split (veRL parquet, 80 rows)."""
    return shared_path(*TEST_PARQUET)


@pytest.fixture
def hammer_path() -> Path:
    return shared_path(*HAMMER_JSON)


@pytest.fixture
def bfcl_dir() -> Path:
    return shared_path(*BFCL)


@pytest.fixture(scope="session")
def sft_records() -> list[dict]:
    return json.loads(shared_path(*SFT_JSON).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def parquet_records() -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(shared_path(*TEST_PARQUET)).to_pylist()


# --- the tiny model -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_cache(tiny_model_cache: Path) -> Path:
    """The session's private `TOOLRL_CACHE` (never the user's cache), shared with the worker
    tests so the fast tiny model is built once per session (`tests/conftest.py`)."""
    return tiny_model_cache


@pytest.fixture(scope="session")
def fast_model(tiny_cache: Path) -> Path:
    """The `fast` tiny model (a few seconds to build), in the session cache."""
    from toolrl.tiny import build_tiny_model

    return build_tiny_model("fast")
