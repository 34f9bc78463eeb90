"""BFCL's AST checking rules for single-turn Python categories, written from
`docs/bfcl-notes.md` (the rules of BFCL v4's checker, described in our words).

A call is `(name, {param: value})`; an expected call is BFCL's `{name: {param: [allowed...]}}`;
`doc` is the BFCL function doc of the expected function. Every check returns `None` when the
call passes, else a `Fail`: `(code, message)`, the code being the kind of mistake (BFCL's own
error kinds: wrong_count, wrong_func_name, missing_required, unexpected_param, type_error,
value_error, missing_optional, cannot_find_match).

The quirks are kept on purpose, because published numbers depend on them: exact Python types
(an int is accepted for a float, never a float for an integer, a bool is not an int), no
int-to-float inside lists, lists compared in order, strings compared after deleting spaces and
`,./-_*^` and lowercasing, `""` among the allowed values meaning "may be left out", a value of
another type than the schema's accepted when the answer's first value has that type (BFCL's
"variable" escape), and greedy order-free matching of parallel calls.

Where BFCL's code would crash on data it never ships (a schema type it does not know, an array
without `items`, a non-list candidate), we skip that one check instead.

Example::

    >>> doc = {"name": "f", "parameters": {"type": "dict", "required": ["x"],
    ...        "properties": {"x": {"type": "float"}, "unit": {"type": "string"}}}}
    >>> expected = {"f": {"x": [2.0], "unit": ["km", ""]}}
    >>> check_call(("f", {"x": 2}), expected, doc) is None        # int for float: fine
    True
    >>> check_call(("f", {"x": 2.0, "unit": "K M"}), expected, doc) is None   # normalised
    True
    >>> check_call(("f", {"x": 2.0, "unit": "m"}), expected, doc)[0]
    'value_error'
"""

from __future__ import annotations

import re
from typing import Any

Fail = tuple[str, str]
Call = tuple[str, dict[str, Any]]

PY_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
# Values a model can pass for a parameter whose answer only allows "" (the "left out" marker).
EMPTY_VALUES: dict[str, Any] = {"string": "", "any": "", "array": [], "tuple": []}
_STRIP = re.compile(r"[ ,./\-_*^]")


def normalize(text: str) -> str:
    """BFCL's string normalisation.

    >>> normalize("New York, NY")
    'newyorkny'
    """
    return _STRIP.sub("", text).lower().replace("'", '"')


def _norm(value: Any) -> Any:
    return normalize(value) if type(value) is str else value


def _type_name(value: Any) -> str:
    return {str: "string", int: "integer", float: "float", bool: "boolean", list: "array"}.get(
        type(value), "dict" if isinstance(value, dict) else type(value).__name__
    )


def _first_type(options: list[Any]) -> type | None:
    """The type of the first allowed value that is not "" (None when all are "")."""
    for option in options:
        if option != "":
            return type(option)
    return None


def _type_ok(
    value: Any, options: list[Any], expected: type, nested: type | None
) -> tuple[bool, bool]:
    """(valid, is_variable): BFCL's exact-type check with its "variable" escape."""
    first = _first_type(options)
    is_variable = first is not None and first is not expected
    if type(value) is expected:
        if nested is None:
            return True, is_variable
        for candidate in options:
            if not isinstance(candidate, list):
                return True, is_variable  # BFCL only checks elements against list candidates
            elem_first = _first_type(candidate)
            if all(type(v) is nested or type(v) is elem_first for v in value):
                return True, is_variable
        return False, is_variable
    if first is not None and type(value) is first:
        return True, True
    return False, is_variable


def _dict_against(param: str, value: dict[str, Any], allowed: dict[str, Any]) -> Fail | None:
    for key, v in value.items():
        if key not in allowed:
            return "value_error", f"unexpected key {key!r} in {param!r}"
        options = allowed[key] if isinstance(allowed[key], list) else [allowed[key]]
        if _norm(v) not in [_norm(o) for o in options]:
            return "value_error", f"value {v!r} of key {key!r} in {param!r} is not allowed"
    for key, options in allowed.items():
        if key not in value and "" not in (options if isinstance(options, list) else [options]):
            return "value_error", f"missing key {key!r} in {param!r}"
    return None


def _dict_value(param: str, value: Any, options: list[Any]) -> Fail | None:
    fail: Fail = ("value_error", f"no allowed value for {param!r}")
    if not isinstance(value, dict):
        return "type_error", f"{param!r}: expected a dict, got {_type_name(value)}"
    for candidate in options:
        if candidate == "" or not isinstance(candidate, dict):
            continue
        reason = _dict_against(param, value, candidate)
        if reason is None:
            return None
        fail = reason
    return fail


def _list_of_dicts_value(param: str, value: list[Any], options: list[Any]) -> Fail | None:
    fail: Fail = ("value_error", f"no allowed value for {param!r}")
    for candidate in options:
        if not isinstance(candidate, list | str):
            continue
        if len(value) != len(candidate):
            fail = ("value_error", f"{param!r}: {len(value)} dicts for {len(candidate)} expected")
            continue
        reasons = (_dict_value(param, v, [c]) for v, c in zip(value, candidate, strict=True))
        reason = next((r for r in reasons if r is not None), None)
        if reason is None:
            return None
        fail = reason
    return fail


def _list_value(param: str, value: list[Any], options: list[Any]) -> Fail | None:
    got = [_norm(v) for v in value]
    for candidate in options:
        if isinstance(candidate, list | str) and got == [_norm(c) for c in candidate]:
            return None
    return "value_error", f"value {value!r} of {param!r} is not allowed (lists compare in order)"


def check_param(param: str, value: Any, options: list[Any], schema: Any) -> Fail | None:
    """Type, then value, of one parameter the model passed."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    expected = PY_TYPES.get(kind) if isinstance(kind, str) else None
    nested = None
    if kind in ("array", "tuple") and isinstance(schema.get("items"), dict):
        item_kind = schema["items"].get("type")
        nested = PY_TYPES.get(item_kind) if isinstance(item_kind, str) else None
    if kind == "float" and type(value) is int:
        value = float(value)
    is_variable = False
    if expected is not None:
        valid, is_variable = _type_ok(value, options, expected, nested)
        if not valid and type(value) is expected:
            return "type_error", f"{param!r}: element types of {value!r} do not match the answer's"
        if not valid:
            return "type_error", f"{param!r}: expected {kind}, got {_type_name(value)} {value!r}"
    if not is_variable:
        if expected is dict:
            return _dict_value(param, value, options)
        if expected is list and nested is dict:
            return _list_of_dicts_value(param, value, options)
        if expected is str or (expected is None and type(value) is str):
            if normalize(value) in [normalize(o) for o in options if type(o) is str]:
                return None
            return "value_error", f"value {value!r} of {param!r} is not allowed"
        if expected is list:
            return _list_value(param, value, options)
    if value not in options:
        return "value_error", f"value {value!r} of {param!r} is not allowed"
    return None


def check_call(call: Call, expected: dict[str, Any], doc: dict[str, Any] | None) -> Fail | None:
    """One model call against one expected call `{name: {param: [allowed...]}}`."""
    ((expected_name, allowed),) = expected.items()
    name, params = call
    if name != expected_name:
        return "wrong_func_name", f"called {name!r}, expected {expected_name!r}"
    props, required = schema_parts(doc)
    for param in required:
        if param not in params:
            return "missing_required", f"missing required parameter {param!r} of {name}"
    for param, value in params.items():
        if param not in props:
            return "unexpected_param", f"unexpected parameter {param!r}: not in {name}'s schema"
        if param not in allowed:
            return "unexpected_param", f"unexpected parameter {param!r}: the answer leaves it out"
        options = allowed[param] if isinstance(allowed[param], list) else [allowed[param]]
        fail = check_param(param, value, options, props[param])
        if fail:
            return fail
    for param, options in allowed.items():
        if param not in params and "" not in (options if isinstance(options, list) else [options]):
            return (
                "missing_optional",
                f"missing parameter {param!r} of {name} (the answer needs it)",
            )
    return None


def schema_parts(doc: Any) -> tuple[dict[str, Any], list[str]]:
    """(properties, required) of a function doc, tolerating docs that lack either."""
    schema = doc.get("parameters") if isinstance(doc, dict) else None
    schema = schema if isinstance(schema, dict) else {}
    props = schema.get("properties")
    required = schema.get("required")
    return (
        props if isinstance(props, dict) else {},
        [r for r in required if isinstance(r, str)] if isinstance(required, list) else [],
    )


def find_doc(docs: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((d for d in docs if isinstance(d, dict) and d.get("name") == name), None)


def _count_fail(calls: list[Call], expected: list[Any]) -> Fail:
    return "wrong_count", f"{len(calls)} call(s) for {len(expected)} expected"


def check_parallel(
    calls: list[Call], expected: list[dict[str, Any]], docs: list[Any]
) -> Fail | None:
    """Order-free, greedy: each expected call takes the first unused call that passes."""
    if len(calls) != len(expected):
        return _count_fail(calls, expected)
    used: set[int] = set()
    for i, exp in enumerate(expected):
        name = next(iter(exp))
        doc = find_doc(docs, name)
        same_name_fail = None
        for j, call in enumerate(calls):
            if j in used:
                continue
            fail = check_call(call, exp, doc)
            if fail is None:
                used.add(j)
                break
            if call[0] == name and same_name_fail is None:
                same_name_fail = fail
        else:
            why = same_name_fail[1] if same_name_fail else f"no call to {name!r}"
            return "cannot_find_match", f"expected call {i + 1} ({name}) unmatched: {why}"
    return None


def check_entry(
    category: str, calls: list[Call], expected: list[dict[str, Any]], docs: list[Any]
) -> Fail | None:
    """An AST category's entry: dispatch on the category name, as BFCL does."""
    if "parallel" in category:
        return check_parallel(calls, expected, docs)
    if "multiple" in category:
        if len(calls) != len(expected):
            return _count_fail(calls, expected)
        if not calls:
            return None  # an entry that expects no call (BFCL never ships one)
        return check_call(calls[0], expected[0], find_doc(docs, next(iter(expected[0]))))
    if len(calls) != 1:
        return _count_fail(calls, expected)
    doc = docs[0] if docs and isinstance(docs[0], dict) else None
    # BFCL's simple checker names the function from the doc, not from the answer.
    name = doc.get("name") if doc and isinstance(doc.get("name"), str) else next(iter(expected[0]))
    return check_call(calls[0], {name: next(iter(expected[0].values()))}, doc)


def answer_conflict(expected: list[dict[str, Any]], docs: list[Any]) -> str | None:
    """Why no output can pass this entry, when its answer contradicts the function's schema.

    A handful of BFCL entries have one (a required parameter the answer leaves out, an answer
    parameter the schema lacks, an empty list of allowed values); BFCL fails every model on
    them, and so do we, but the summary names them.

    >>> doc = {"name": "f", "parameters": {"required": ["x"], "properties": {"x": {"type": "integer"}}}}
    >>> answer_conflict([{"f": {}}], [doc])
    "f: required parameter 'x' is not in the answer"
    """
    for call in expected:
        ((name, allowed),) = call.items()
        props, required = schema_parts(find_doc(docs, name))
        for param, options in allowed.items():
            if isinstance(options, list) and not options:
                return f"{name}: the answer allows no value for {param!r}"
            if param not in props and "" not in (options if isinstance(options, list) else []):
                return f"{name}: the answer needs {param!r}, which the schema lacks"
        for param in required:
            options = allowed.get(param)
            if options is None:
                return f"{name}: required parameter {param!r} is not in the answer"
            kind = (props.get(param) or {}).get("type")
            # "" (a string) or [] (a list) stand for "left out"; other types have no such value.
            only_empty = isinstance(options, list) and all(o == "" for o in options)
            if only_empty and kind not in EMPTY_VALUES:
                return f"{name}: required parameter {param!r} may only be left out"
    return None
