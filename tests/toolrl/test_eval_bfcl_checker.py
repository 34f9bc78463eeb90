"""BFCL's AST rules, one case per rule (docs/bfcl-notes.md §3-4), on a call with every type."""

from __future__ import annotations

import pytest

from toolrl.evaluation.bfcl_checker import answer_conflict, check_call, check_entry, check_parallel

DOC = {
    "name": "trip.plan",
    "parameters": {
        "type": "dict",
        "required": ["city", "n"],
        "properties": {
            "city": {"type": "string"},
            "n": {"type": "integer"},
            "km": {"type": "float"},
            "stops": {"type": "array", "items": {"type": "string"}},
            "weights": {"type": "array", "items": {"type": "float"}},
            "opts": {"type": "dict", "properties": {"mode": {"type": "string"}}},
            "legs": {"type": "array", "items": {"type": "dict"}},
            "fast": {"type": "boolean"},
            "unit": {"type": "string"},
            "note": {"type": "string"},
            "ref": {"type": "string"},
        },
    },
}
EXPECTED = {
    "trip.plan": {
        "city": ["New York, NY", "NYC"],
        "n": [5],
        "km": [2.0, ""],
        "stops": [["Boston", "Albany"], ""],
        "weights": [[1.0, 2.5], ""],
        "opts": [{"mode": ["fast"], "depth": [1, ""]}, ""],
        "legs": [[{"to": ["Boston"]}, {"to": ["Albany"]}], ""],
        "fast": ["", False],
        "unit": ["km"],
        "ref": ["", None],
    }
}
BASE = {"city": "New York, NY", "n": 5, "unit": "km"}

CASES = [
    # (call parameters, expected mistake code or None, why)
    (BASE, None, "the answer's own values"),
    ({**BASE, "city": "new york ny"}, None, "strings compare after normalisation"),
    ({**BASE, "city": "NYC"}, None, "any allowed value passes"),
    ({**BASE, "city": "Boston"}, "value_error", "a value outside the allowed list"),
    ({"n": 5, "unit": "km"}, "missing_required", "a required parameter left out"),
    ({"city": "NYC", "n": 5}, "missing_optional", "an answer parameter without '' left out"),
    ({**BASE, "note": "x"}, "unexpected_param", "schema-valid but not in the answer"),
    ({**BASE, "zzz": 1}, "unexpected_param", "not in the schema"),
    ({**BASE, "n": 5.0}, "type_error", "a float for an integer"),
    ({**BASE, "n": True}, "type_error", "a bool is not an int"),
    ({**BASE, "n": "5"}, "type_error", "numeric strings are not coerced"),
    ({**BASE, "km": 2}, None, "an int for a float is promoted"),
    ({**BASE, "km": 2.5}, "value_error", "no numeric tolerance"),
    ({**BASE, "stops": ["boston", "ALBANY"]}, None, "list strings are normalised"),
    ({**BASE, "stops": ["Albany", "Boston"]}, "value_error", "lists compare in order"),
    ({**BASE, "stops": []}, None, "an empty list matches the '' marker"),
    ({**BASE, "weights": [1, 2.5]}, None, "a '' candidate skips the element types (BFCL quirk)"),
    ({**BASE, "opts": {"mode": "FAST"}}, None, "dict values are normalised"),
    ({**BASE, "opts": {"depth": 1}}, "value_error", "a dict key without '' left out"),
    ({**BASE, "opts": {"mode": "fast", "x": 1}}, "value_error", "an unexpected dict key"),
    ({**BASE, "legs": [{"to": "boston"}, {"to": "albany"}]}, None, "list of dicts, in order"),
    ({**BASE, "legs": [{"to": "Albany"}, {"to": "Boston"}]}, "value_error", "dicts out of order"),
    ({**BASE, "fast": False}, None, "the schema default given explicitly"),
    ({**BASE, "fast": 0}, "type_error", "an int is not a bool"),
    ({**BASE, "ref": None}, None, "null accepted as a 'variable' when the answer lists it"),
]


@pytest.mark.parametrize(("params", "code", "why"), CASES, ids=[c[2] for c in CASES])
def test_one_call(params, code, why):
    fail = check_call(("trip.plan", params), EXPECTED, DOC)
    assert (fail[0] if fail else None) == code, (why, fail)


def test_no_int_to_float_inside_lists():
    expected = {"trip.plan": {**EXPECTED["trip.plan"], "weights": [[1.0, 2.5]]}}
    call = ("trip.plan", {**BASE, "weights": [1, 2.5]})
    assert check_call(call, expected, DOC)[0] == "type_error"
    assert check_call(("trip.plan", {**BASE, "weights": [1.0, 2.5]}), expected, DOC) is None


def test_wrong_function_name_is_exact_and_case_sensitive():
    assert check_call(("trip_plan", BASE), EXPECTED, DOC)[0] == "wrong_func_name"
    assert check_call(("Trip.plan", BASE), EXPECTED, DOC)[0] == "wrong_func_name"


WEATHER = {"name": "w", "parameters": {"required": ["c"], "properties": {"c": {"type": "string"}}}}


def test_parallel_is_order_free_greedy_and_counts_calls():
    expected = [{"w": {"c": ["Paris"]}}, {"w": {"c": ["Rome"]}}]
    paris, rome = ("w", {"c": "Paris"}), ("w", {"c": "Rome"})
    assert check_parallel([rome, paris], expected, [WEATHER]) is None
    assert check_parallel([paris, paris], expected, [WEATHER])[0] == "cannot_find_match"
    assert check_parallel([paris], expected, [WEATHER])[0] == "wrong_count"
    assert check_parallel([paris, rome, rome], expected, [WEATHER])[0] == "wrong_count"
    # Greedy, no backtracking: call 1 accepts x or y, call 2 only x.
    greedy = [{"w": {"c": ["x", "y"]}}, {"w": {"c": ["x"]}}]
    x, y = ("w", {"c": "x"}), ("w", {"c": "y"})
    assert check_parallel([x, y], greedy, [WEATHER])[0] == "cannot_find_match"
    assert check_parallel([y, x], greedy, [WEATHER]) is None


def test_categories_dispatch_on_their_name():
    one = [{"w": {"c": ["Paris"]}}]
    call = ("w", {"c": "Paris"})
    assert check_entry("simple_python", [call], one, [WEATHER]) is None
    assert check_entry("simple_python", [call, call], one, [WEATHER])[0] == "wrong_count"
    assert check_entry("live_simple", [], one, [WEATHER])[0] == "wrong_count"
    other = {"name": "v", "parameters": {"properties": {}}}
    assert check_entry("multiple", [("v", {})], one, [other, WEATHER])[0] == "wrong_func_name"
    assert check_entry("live_multiple", [call], one, [other, WEATHER]) is None


def test_answers_that_contradict_their_schema_are_named():
    assert answer_conflict([EXPECTED], [DOC]) is None
    assert "schema lacks" in answer_conflict([{"w": {"c": ["x"], "zz": [1]}}], [WEATHER])
    assert "not in the answer" in answer_conflict([{"w": {}}], [WEATHER])
    assert "allows no value" in answer_conflict([{"w": {"c": []}}], [WEATHER])
