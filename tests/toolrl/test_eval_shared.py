"""The suites on the founders' copies of the benchmarks (skipped without ../shared, failed in CI)."""

from __future__ import annotations

import json

import pytest

from tests.shared_data import shared_path
from toolrl.evaluation import evaluate_suite, load_suite

BFCL_COUNTS = {
    "simple_python": 400, "multiple": 200, "parallel": 200, "parallel_multiple": 200,
    "irrelevance": 240, "live_simple": 258, "live_multiple": 1053, "live_parallel": 16,
    "live_parallel_multiple": 24, "live_irrelevance": 884, "live_relevance": 16,
}  # fmt: skip


@pytest.fixture(scope="module")
def data():
    shared_path("bfcl", "BFCL_v4_simple_python.json")
    shared_path("toolrl", "benchmarks", "API-Bank", "level-1-api_processed.json")
    return shared_path("toolrl", "dataset", "rlla_4k", "test.parquet").parents[3]


def _gold(suite):
    return {item.id: suite.gold(item) for item in suite.items}


def test_api_bank_gold_scores_100_per_level(data):
    suite = load_suite("api-bank", data_dir=data)
    result = evaluate_suite(suite, predictions=_gold(suite))
    counts = {c: v["count"] for c, v in result.summary["categories"].items()}
    assert counts == {"level-1": 399, "level-2": 67, "level-3": 131}
    assert result.summary["scores"] == {
        "overall": 1.0,
        "level-1": 1.0,
        "level-2": 1.0,
        "level-3": 1.0,
    }
    # The prompts are the released ones, verbatim.
    record = json.loads(
        shared_path("toolrl", "benchmarks", "API-Bank", "level-2-api_processed.json").read_text()
    )[5]
    item = next(i for i in suite.items if i.id == "level-2-5")
    assert [m["content"] for m in suite.messages(item)] == [record["system"], record["user"]]


def test_toolrl_validation_gold_scores_100_with_the_released_prompts(data):
    import pyarrow.parquet as pq

    suite = load_suite("toolrl-validation", data_dir=data)
    result = evaluate_suite(suite, predictions=_gold(suite))
    assert result.summary["count"] == 80 and result.summary["accuracy"] == 1.0
    assert result.summary["categories"]["answer"]["count"] == 9
    records = pq.read_table(data / "toolrl" / "dataset" / "rlla_4k" / "test.parquet").to_pylist()
    assert [suite.messages(i) for i in suite.items] == [list(r["prompt"]) for r in records]


def test_bfcl_gold_passes_every_entry_its_answer_allows(data):
    suite = load_suite("bfcl", data_dir=data)
    result = evaluate_suite(suite, predictions=_gold(suite))
    counts = {c: v["count"] for c, v in result.summary["categories"].items()}
    assert counts == BFCL_COUNTS
    # Four live entries contradict their own schema (BFCL's data): nothing can pass them.
    failed = {r.id for r in result.items if not r.passed}
    assert failed == set(result.summary["unpassable"]) and len(failed) == 4
    scores = result.summary["scores"]
    assert scores["non_live_ast"] == scores["irrelevance"] == scores["relevance"] == 1.0
    assert scores["live_ast"] == pytest.approx(1347 / 1351)


def test_bfcl_prompts_follow_toolrls_handler(data):
    suite = load_suite("bfcl", data_dir=data)
    item = next(
        i
        for i in suite.items
        if i.category == "live_simple" and i.source["question"][0][0]["role"] == "system"
    )
    system, user = suite.messages(item)
    functions = item.source["function"]
    assert f"1. Name: {functions[0]['name']}\nDescription: " in system["content"]
    assert (
        f"Parameters: {json.dumps(functions[0]['parameters']['properties'])}" in system["content"]
    )
    # Like ToolRL's handler, BFCL's own system message is left out of the prompt.
    assert item.source["question"][0][0]["content"].strip() not in user["content"]
    assert user["content"].startswith("**Dialogue Records History**\n<user> ")
