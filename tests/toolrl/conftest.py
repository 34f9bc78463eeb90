"""Fixtures for the method tests: the shared ToolRL data and small builders of completions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared"
DATA = SHARED / "data"
SFT_JSON = DATA / "toolrl" / "dataset" / "rlla_4k_raw" / "rlla_sft.json"
TEST_PARQUET = DATA / "toolrl" / "dataset" / "rlla_4k" / "test.parquet"
HAMMER_JSON = DATA / "formats" / "hammer-masked-sample.json"
BFCL = DATA / "bfcl"


def call(name: str, **params: object) -> str:
    """One tool-call line as the model writes it."""
    return json.dumps({"name": name, "parameters": params})


def tool_output(*lines: str, thought: str = "t") -> str:
    """A well-formed tool-call completion holding `lines`."""
    return f"<think> {thought} </think>\n<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"


def response_output(text: str = "hi", thought: str = "t") -> str:
    return f"<think> {thought} </think>\n<response> {text} </response>"


@pytest.fixture(scope="session")
def sft_records() -> list[dict]:
    return json.loads(SFT_JSON.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def parquet_records() -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(TEST_PARQUET).to_pylist()


# --- the fast tiny model, built once per session ---------------------------------------------


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
