"""The suites on tiny folders the tests write: gold answers score 100 %, and each kind of mistake
loses exactly the item (and the share of each score) its checker says."""

from __future__ import annotations

import pytest

from toolrl.evaluation import EvalDataError, evaluate_suite, load_suite
from toolrl.formats import save_rows
from toolrl.schema import Row, Turn

from .eval_data import (
    APIBANK_GOLD,
    BFCL_GOLD,
    VALIDATION_ROWS,
    answer,
    completion,
    write_eval_data,
)


@pytest.fixture
def data(tmp_path):
    return write_eval_data(tmp_path / "data")


def _failures(result):
    return {r.id: r for r in result.items if not r.passed}


def test_gold_answers_score_100_on_every_suite(data, tmp_path):
    bfcl = evaluate_suite("bfcl", data_dir=data, predictions=BFCL_GOLD)
    assert bfcl.summary["accuracy"] == 1.0 and bfcl.summary["count"] == len(BFCL_GOLD)
    assert set(bfcl.summary["scores"]) == {
        "non_live_ast", "live_ast", "irrelevance", "relevance", "single_turn_mean"
    }  # fmt: skip
    assert set(bfcl.summary["scores"].values()) == {1.0}
    apibank = evaluate_suite("api-bank", data_dir=data, predictions=APIBANK_GOLD)
    assert apibank.summary["scores"] == {"overall": 1.0, "level-1": 1.0, "level-2": 1.0}
    for name in ("bfcl", "api-bank", "toolrl-validation"):
        suite = load_suite(name, data_dir=data)
        result = evaluate_suite(suite, predictions={i.id: suite.gold(i) for i in suite.items})
        assert result.summary["accuracy"] == 1.0, name
        assert all(c["accuracy"] == 1.0 for c in result.summary["categories"].values())
    validation = load_suite("toolrl-validation", data_dir=data)
    assert [i.category for i in validation.items] == ["single", "parallel", "answer"]
    assert set(result.summary["scores"].values()) == {1.0}


# (item, completion, mistake code, category accuracy after, {score: value after}, why)
BFCL_MISTAKES = [
    ("simple_python_1", completion(("get_weather", {"city": "Paris", "days": 3})),
     "wrong_func_name", 0.5, {"non_live_ast": 0.875}, "wrong name"),
    ("simple_python_0", completion(("geo.distance", {"city": "New York, NY"})),
     "missing_required", 0.5, {"non_live_ast": 0.875}, "missing required parameter"),
    ("simple_python_0", completion(("geo.distance", {"city": "New York, NY", "n": 5, "note": "x"})),
     "unexpected_param", 0.5, {"non_live_ast": 0.875}, "extra parameter"),
    ("simple_python_0", completion(("geo.distance", {"city": "New York, NY", "n": "5"})),
     "type_error", 0.5, {"non_live_ast": 0.875}, "wrong type"),
    ("simple_python_1", completion(("weather", {"city": "Lyon", "days": 3})),
     "value_error", 0.5, {"non_live_ast": 0.875}, "wrong value"),
    ("simple_python_0", completion(("geo.distance", {"city": "new york ny", "n": 5, "km": 2})),
     None, 1.0, {"non_live_ast": 1.0}, "normalised string, int for float: no loss"),
    ("parallel_0", completion(("weather", {"city": "Rome", "days": 2}), ("weather", {"city": "Paris", "days": 2})),
     None, 1.0, {"non_live_ast": 1.0}, "parallel calls in another order: no loss"),
    ("parallel_0", completion(("weather", {"city": "Rome", "days": 2})),
     "wrong_count", 0.0, {"non_live_ast": 0.75}, "a parallel call missing"),
    ("multiple_0", completion(("weather", {"city": "ACME"})),
     "wrong_func_name", 0.0, {"non_live_ast": 0.75}, "the other offered function"),
    ("irrelevance_0", completion(("stock_price", {"ticker": "ACME"})),
     "irrelevance_call", 0.5, {"irrelevance": 0.75}, "a call on an irrelevance item"),
    ("live_irrelevance_0-0-0", completion(("weather", {"city": "x"})),
     "irrelevance_call", 0.0, {"irrelevance": 0.5}, "a call on a live irrelevance item"),
    ("live_multiple_0-0-0", completion(("stock_price", {"ticker": "XYZ", "x": 1})),
     "unexpected_param", 0.0, {"live_ast": 0.5}, "live AST is weighted by entries"),
    ("live_relevance_0-0-0", answer(), "relevance_no_call", 0.0, {"relevance": 0.0},
     "no call on a relevance item"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("item", "text", "code", "category_after", "scores_after", "why"),
    BFCL_MISTAKES,
    ids=[m[-1] for m in BFCL_MISTAKES],
)
def test_bfcl_loses_exactly_what_its_checker_says(
    data, item, text, code, category_after, scores_after, why
):
    result = evaluate_suite("bfcl", data_dir=data, predictions={**BFCL_GOLD, item: text})
    failures = _failures(result)
    if code is None:
        assert failures == {}
    else:
        assert list(failures) == [item] and failures[item].details["error"] == code
        assert failures[item].reason
    category = next(r.category for r in result.items if r.id == item)
    assert result.summary["categories"][category]["accuracy"] == category_after
    for score, value in scores_after.items():
        assert result.summary["scores"][score] == pytest.approx(value)
    others = {k: v for k, v in result.summary["scores"].items() if k not in scores_after}
    assert all(v == 1.0 for k, v in others.items() if k != "single_turn_mean")


def test_bfcl_prompt_is_toolrls(data):
    suite = load_suite("bfcl", data_dir=data)
    system, user = suite.messages(suite.items[0])
    assert system["content"].startswith("You are a helpful multi-turn dialogue assistant")
    assert (
        '1. Name: geo.distance\nDescription: geo.distance tool\nParameters: {"city": '
        in (system["content"])
    )
    assert user["content"].startswith("**Dialogue Records History**\n<user> How far is New York")
    assert user["content"].endswith("complete the given task in this turn. </user>")


# (item, completion, passes, reason fragment, why)
APIBANK_MISTAKES = [
    ("level-1-1", completion(("SetAlarm", {"time": "07:00", "repeat": 1})), False,
     "called 'SetAlarm', expected 'AddAlarm'", "wrong name"),
    ("level-1-1", completion(("AddAlarm", {"time": "07:00"})), False, "missing 'repeat'",
     "missing parameter"),
    ("level-1-1", completion(("AddAlarm", {"time": "07:00", "repeat": 1, "x": 2})), False,
     "extra 'x'", "extra parameter"),
    ("level-1-1", completion(("AddAlarm", {"time": "07:00", "repeat": "1"})), False,
     "'repeat' is '1', expected 1", "wrong type"),
    ("level-1-1", completion(("AddAlarm", {"time": "08:00", "repeat": 1})), False,
     "'time' is '08:00'", "wrong value"),
    ("level-1-1", answer(), False, "no call", "no call at all"),
    ("level-1-1", completion(("ToolSearcher", {"keywords": "x"}), ("AddAlarm", {"time": "07:00", "repeat": 1})),
     True, None, "any call equal to the gold one passes"),
    ("level-1-1", '<think> t </think>\n<tool_call>\n{"time": "07:00", "repeat": 1.0}\n</tool_call>',
     True, None, "a bare object is the gold call's parameters; 1.0 == 1"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("item", "text", "passes", "reason", "why"),
    APIBANK_MISTAKES,
    ids=[m[-1] for m in APIBANK_MISTAKES],
)
def test_api_bank_loses_exactly_what_its_rule_says(data, item, text, passes, reason, why):
    result = evaluate_suite("api-bank", data_dir=data, predictions={**APIBANK_GOLD, item: text})
    failures = _failures(result)
    assert list(failures) == ([] if passes else [item])
    if not passes:
        assert reason in failures[item].reason
    level = 0.5 if not passes else 1.0
    assert result.summary["scores"]["level-1"] == level
    assert result.summary["scores"]["overall"] == pytest.approx(2 / 3 if not passes else 1.0)
    assert result.summary["scores"]["level-2"] == 1.0


def _rows_file(tmp_path):
    rows = [
        Row(id=f"r{i}", tools=tools, history=[Turn(role="user", content=text)], target=target)
        for i, (tools, text, target) in enumerate(VALIDATION_ROWS)
    ]
    path = tmp_path / "rows.jsonl"
    save_rows(rows, path)
    return path


PARALLEL = [("search", {"query": "dogs"}), ("convert", {"amount": 5.0, "to": "EUR"})]
# (item, completion, passes, reason fragment, exact-call accuracy, irrelevance accuracy, why)
HELDOUT_MISTAKES = [
    ("r0", completion(("find", {"query": "cats"})), False, "called 'find', expected 'search'",
     0.5, 1.0, "wrong name"),
    ("r0", completion(("search", {})), False, "missing 'query'", 0.5, 1.0, "missing parameter"),
    ("r0", completion(("search", {"query": "cats", "n": 2})), False, "extra 'n'", 0.5, 1.0,
     "extra parameter"),
    ("r1", completion(PARALLEL[0], ("convert", {"amount": "5", "to": "EUR"})), False,
     "'amount' is '5', expected 5.0", 0.5, 1.0, "wrong type"),
    ("r0", completion(("search", {"query": "dogs"})), False, "'query' is 'dogs'", 0.5, 1.0,
     "wrong value"),
    ("r1", completion(PARALLEL[1], PARALLEL[0]), True, None, 1.0, 1.0,
     "parallel calls in another order: no loss"),
    ("r2", completion(("convert", {"amount": 1.0, "to": "EUR"}), response="Done."), False,
     "called a tool where the answer is a response", 1.0, 0.0, "a call on an irrelevance row"),
    ("r2", "<think> t </think>\nI am fine.", False, "no <response> block", 1.0, 0.0,
     "an answer outside <response>"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("item", "text", "passes", "reason", "exact", "irrelevance", "why"),
    HELDOUT_MISTAKES,
    ids=[m[-1] for m in HELDOUT_MISTAKES],
)
def test_held_out_loses_exactly_what_the_reward_parser_says(
    tmp_path, item, text, passes, reason, exact, irrelevance, why
):
    suite = load_suite("held-out", data_dir=_rows_file(tmp_path))
    gold = {i.id: suite.gold(i) for i in suite.items}
    result = evaluate_suite(suite, predictions={**gold, item: text})
    failures = _failures(result)
    assert list(failures) == ([] if passes else [item])
    if not passes:
        assert reason in failures[item].reason
    assert result.summary["scores"]["exact_call_accuracy"] == exact
    assert result.summary["scores"]["irrelevance_accuracy"] == irrelevance
    assert result.summary["rewards"]["total"] < 4.0 or passes


def test_missing_predictions_are_failures_named_in_the_items(data):
    partial = {k: v for k, v in BFCL_GOLD.items() if not k.startswith("parallel_0")}
    result = evaluate_suite("bfcl", data_dir=data, predictions=partial)
    assert (
        result.summary["missing"] == 1 and _failures(result)["parallel_0"].reason == "no prediction"
    )
    assert result.summary["categories"]["parallel"]["accuracy"] == 0.0


def test_held_out_defaults_to_the_synthetic_rows_and_uses_the_reward():
    suite = load_suite("held-out", max_rows=12, seed=3)
    result = evaluate_suite(suite, predictions={i.id: suite.gold(i) for i in suite.items})
    assert result.summary["count"] == 12 and result.summary["accuracy"] == 1.0
    assert result.summary["rewards"]["format"] == 1.0 and result.summary["reward"] == "toolrl"


def test_missing_data_is_one_clear_message(tmp_path, monkeypatch):
    monkeypatch.delenv("TOOLRL_EVAL_DATA", raising=False)
    with pytest.raises(
        EvalDataError, match="no evaluation data folder: pass --data DIR or set TOOLRL_EVAL_DATA"
    ):
        load_suite("bfcl")
    with pytest.raises(EvalDataError, match=f"{tmp_path / 'nope'}: no such file or folder"):
        load_suite("api-bank", data_dir=tmp_path / "nope")
    with pytest.raises(EvalDataError, match=r"no BFCL files \(BFCL_v4_<category>.json"):
        load_suite("bfcl", data_dir=tmp_path)
    monkeypatch.setenv("TOOLRL_EVAL_DATA", str(tmp_path))
    with pytest.raises(EvalDataError, match="ToolRL validation split"):
        load_suite("toolrl-validation")


def test_a_suite_accepts_its_own_folder_and_names_bad_lines(data):
    assert len(load_suite("bfcl", data_dir=data / "bfcl").items) == len(BFCL_GOLD)
    path = data / "bfcl" / "BFCL_v4_parallel.json"
    path.write_text(path.read_text() + "{not json\n")
    with pytest.raises(EvalDataError, match=f"{path}:2: not JSON"):
        load_suite("bfcl", data_dir=data)
    (data / "bfcl" / "possible_answer" / "BFCL_v4_multiple.json").unlink()
    path.unlink()
    with pytest.raises(EvalDataError, match="possible_answer/BFCL_v4_multiple.json: no such file"):
        load_suite("bfcl", data_dir=data)


def test_limit_keeps_the_first_items_of_each_category(data):
    suite = load_suite("bfcl", data_dir=data, limit=1)
    assert [i.id for i in suite.items if i.category == "simple_python"] == ["simple_python_0"]
    assert len(suite.items) == len({i.category for i in suite.items}) == 9
