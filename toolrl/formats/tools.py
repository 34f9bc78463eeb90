"""Tool set files (function specs) and checking ground-truth calls against them.

A tool set file is JSON: a list of specs, `{"tools": [...]}` (or `"functions"`), one spec, or
JSON Lines with one spec per line. A spec is OpenAI style, `{"type": "function", "function":
{"name", "description", "parameters"}}`, or bare `{"name", "description", "parameters"}`.
`parameters` must be a JSON Schema of type object (checked against the JSON Schema meta-schema
with jsonschema). Errors name the file, the line, the tool and the field.

A tool set can be attached to a dataset whose rows carry no tools of their own; every
ground-truth call is then checked against it (`CallChecker`): an unknown tool, a missing
required parameter, a value of the wrong type.

Example::

    >>> tools, problems = parse_tools([{"name": "t", "parameters": {"type": "objet"}}], "tools.json")
    >>> [str(p) for p in problems]
    ["tools.json: t.parameters.type: 'objet' is not a JSON Schema type (use one of array, boolean, integer, null, number, object, string)"]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

from toolrl.formats.problems import Problem
from toolrl.formats.reading import iter_records
from toolrl.schema import ToolCall, ToolSpec

JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
# Names that are JSON in other tools' dialects (BFCL, Python) and what JSON Schema calls them.
_TYPE_HINTS = {"dict": "object", "float": "number", "int": "integer", "str": "string",
               "list": "array", "tuple": "array", "bool": "boolean"}  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _name_label(name: Any, index: int) -> str:
    if isinstance(name, str) and name and re.fullmatch(r"[\w.-]+", name):
        return name
    if isinstance(name, str) and name:
        return repr(name)
    return f"tools[{index}]"


def _schema_message(error: Any) -> str:
    if error.validator in ("anyOf", "enum") and list(error.path)[-1:] == ["type"]:
        value = error.instance
        hint = _TYPE_HINTS.get(value) if isinstance(value, str) else None
        use = f"use '{hint}'" if hint else "use one of " + ", ".join(JSON_TYPES)
        return f"{value!r} is not a JSON Schema type ({use})"
    return error.message


def schema_problem(parameters: Any) -> tuple[str, str] | None:
    """(field, message) when `parameters` is not a JSON Schema of type object, else None.

    >>> schema_problem({"type": "object", "properties": {"x": {"type": "string"}}})
    >>> schema_problem({"type": "object", "required": "x"})
    ('parameters.required', "'x' is not of type 'array'")
    """
    if not isinstance(parameters, dict):
        return (
            "parameters",
            'must be a JSON Schema object, e.g. {"type": "object", "properties": {...}}',
        )
    meta = validator_for(parameters, default=Draft202012Validator)
    error = best_match(meta(meta.META_SCHEMA).iter_errors(parameters))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
        return f"parameters{where}", _schema_message(error)
    kind = parameters.get("type", "object")
    if kind != "object":
        return "parameters.type", f"a tool's parameters must be of type 'object', not {kind!r}"
    return None


def _spec_fields(raw: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The bare spec inside an OpenAI-style or bare spec, or why there is none."""
    if not isinstance(raw, dict):
        return None, "a tool must be a JSON object"
    if raw.get("type") == "function" or "function" in raw:
        inner = raw.get("function")
        if not isinstance(inner, dict):
            return None, "'function' must be an object with 'name' and 'parameters'"
        return inner, None
    if "name" in raw:
        return raw, None
    return None, (
        'expected {"type": "function", "function": {"name", ...}} '
        'or {"name", "description", "parameters"}'
    )


def parse_tool(raw: Any, index: int) -> tuple[ToolSpec | None, list[tuple[str, str, str]]]:
    """One spec as a ToolSpec, with (field, message, severity) for everything wrong with it."""
    spec, why = _spec_fields(raw)
    if spec is None:
        return None, [(f"tools[{index}]", why or "not a tool", "error")]
    name = spec.get("name")
    label = _name_label(name, index)
    out: list[tuple[str, str, str]] = []
    if not isinstance(name, str) or not name.strip():
        out.append((f"{label}.name", "a tool needs a non-empty string 'name'", "error"))
    elif _CONTROL.search(name):
        out.append((f"{label}.name", "a tool's name cannot hold line breaks or tabs", "error"))
    description = spec.get("description", "")
    if not isinstance(description, str):
        out.append((f"{label}.description", "must be a string", "error"))
    parameters = spec.get("parameters", {"type": "object", "properties": {}})
    problem = schema_problem(parameters)
    if problem is not None:
        out.append((f"{label}.{problem[0]}", problem[1], "error"))
    elif isinstance(parameters.get("properties"), dict):
        for key in parameters.get("required") or []:
            if key not in parameters["properties"]:
                message = f"required parameter {key!r} is not among its properties"
                out.append((f"{label}.parameters.required", message, "warning"))
    if any(sev == "error" for _, _, sev in out):
        return None, out
    tool = ToolSpec(name=name, description=description, parameters=parameters)
    return tool, out


def _tool_records(
    items: Iterable[tuple[int, Any] | Problem],
) -> Iterable[tuple[int, Any] | Problem]:
    """Specs with their lines, unwrapping `{"tools": [...]}` and `{"functions": [...]}`."""
    for item in items:
        if isinstance(item, Problem):
            yield item
            continue
        line, value = item
        wrapped = isinstance(value, dict) and "name" not in value and "function" not in value
        key = next((k for k in ("tools", "functions") if wrapped and k in value), None)
        if key is not None and isinstance(value[key], list):
            for spec in value[key]:
                yield line, spec
        else:
            yield line, value


def parse_tools(
    records: Iterable[tuple[int, Any] | Problem] | list[Any], name: str
) -> tuple[list[ToolSpec], list[Problem]]:
    """ToolSpecs from specs (or `(line, spec)` pairs), and every problem found.

    >>> tools, _ = parse_tools([{"type": "function", "function": {"name": "a"}}], "t.json")
    >>> tools[0].name, tools[0].parameters
    ('a', {'type': 'object', 'properties': {}})
    """
    items = [x if isinstance(x, Problem | tuple) else (None, x) for x in records]
    tools: list[ToolSpec] = []
    problems: list[Problem] = []
    first: dict[str, tuple[int, int | None]] = {}
    index = 0
    for item in _tool_records(items):
        if isinstance(item, Problem):
            problems.append(item)
            continue
        line, raw = item
        tool, found = parse_tool(raw, index)
        for field, message, severity in found:
            problems.append(Problem(name, line, field, message, severity))
        if tool is not None:
            if tool.name in first:
                at, at_line = first[tool.name]
                where = f"tools[{at}]" + (f", line {at_line}" if at_line else "")
                message = f"a second tool named {tool.name!r} (the first is {where})"
                problems.append(
                    Problem(name, line, f"{_name_label(tool.name, index)}.name", message)
                )
            else:
                first[tool.name] = (index, line)
                tools.append(tool)
        index += 1
    if index == 0 and not any(p.severity == "error" for p in problems):
        problems.append(Problem(name, None, "<file>", "no tools in the file"))
    return tools, problems


def read_tools(
    path: str | Path, *, name: str | None = None
) -> tuple[list[ToolSpec], list[Problem]]:
    """The tools of a tool set file, and every problem found (errors and warnings).

    >>> read_tools("no/such/tools.json")[1][0].message
    'no such file'
    """
    shown = name or str(path)
    tools, problems = parse_tools(iter_records(path, name=shown), shown)
    return tools, problems


class CallChecker:
    """Checks ground-truth calls against a tool set: unknown tool, missing required parameter,
    wrong type (anything the tool's JSON Schema rejects).

    >>> checker = CallChecker([ToolSpec(name="t", parameters={"type": "object",
    ...     "properties": {"n": {"type": "integer"}}, "required": ["n"]})])
    >>> checker.problems([ToolCall(name="t", parameters={"n": "3"})])
    [('target.calls[0].parameters.n', "t: '3' is not of type 'integer'")]
    """

    def __init__(self, tools: list[ToolSpec]) -> None:
        self.tools = tools
        self.validators = {
            t.name: validator_for(t.parameters, default=Draft202012Validator)(t.parameters)
            for t in tools
        }
        names = sorted(self.validators)
        self.known = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")

    def problems(self, calls: list[ToolCall]) -> list[tuple[str, str]]:
        out = []
        for j, call in enumerate(calls):
            validator = self.validators.get(call.name)
            if validator is None:
                message = f"{call.name!r} is not in the tool set ({self.known})"
                out.append((f"target.calls[{j}].name", message))
                continue
            for error in validator.iter_errors(call.parameters):
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
                message = error.message
                if error.validator == "required":
                    missing = message.removesuffix(" is a required property")
                    message = f"missing required parameter {missing}"
                out.append((f"target.calls[{j}].parameters{where}", f"{call.name}: {message}"))
        return out
