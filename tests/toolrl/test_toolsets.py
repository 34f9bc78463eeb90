"""Tool set files: both spec styles, JSON Schema checks naming the tool and the field, duplicate
names, and ground-truth calls checked against an attached tool set."""

from __future__ import annotations

import json

import pytest

from toolrl.formats import inspect_rows
from toolrl.formats.tools import CallChecker, read_tools
from toolrl.schema import ToolCall, ToolSpec

WEATHER = {
    "name": "get_weather",
    "description": "Current weather.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city"],
    },
}


def write(tmp_path, value, name="tools.json"):
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value, indent=1))
    return path


@pytest.mark.parametrize(
    "content",
    [
        [{"type": "function", "function": WEATHER}],  # OpenAI style
        [WEATHER],  # bare
        {"tools": [{"type": "function", "function": WEATHER}]},  # a request's "tools"
        WEATHER,  # one spec
        json.dumps(WEATHER) + "\n",  # JSON Lines
    ],
)
def test_both_spec_styles_and_wrappers(tmp_path, content):
    tools, problems = read_tools(write(tmp_path, content))
    assert problems == [] and [t.name for t in tools] == ["get_weather"]
    assert tools[0].parameters["required"] == ["city"]


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        # (spec, the problem's field and the start of its message)
        ({**WEATHER, "parameters": {"type": "object", "properties": {"city": {"type": "strin"}}}},
         ("get_weather.parameters.properties.city.type", "'strin' is not a JSON Schema type")),
        ({**WEATHER, "parameters": {"type": "dict", "properties": {}}},
         ("get_weather.parameters.type", "'dict' is not a JSON Schema type (use 'object')")),
        ({**WEATHER, "parameters": {"type": "array"}},
         ("get_weather.parameters.type", "a tool's parameters must be of type 'object'")),
        ({**WEATHER, "parameters": {"type": "object", "required": "city"}},
         ("get_weather.parameters.required", "'city' is not of type 'array'")),
        ({**WEATHER, "parameters": "city: str"},
         ("get_weather.parameters", "must be a JSON Schema object")),
        ({"description": "no name", "parameters": {}},
         ("tools[0]", 'expected {"type": "function"')),
        ({"type": "function", "function": "get_weather"},
         ("tools[0]", "'function' must be an object")),
        ({**WEATHER, "name": ""}, ("tools[0].name", "a tool needs a non-empty string 'name'")),
        ({**WEATHER, "name": "two\nlines"}, ("'two\\nlines'.name", "a tool's name cannot hold line breaks")),
        ({**WEATHER, "description": 3}, ("get_weather.description", "must be a string")),
        (42, ("tools[0]", "a tool must be a JSON object")),
    ],
)  # fmt: skip
def test_errors_name_the_tool_and_the_field(tmp_path, tool, expected):
    path = write(tmp_path, [tool])
    tools, problems = read_tools(path, name="tools.json")
    errors = [p for p in problems if p.severity == "error"]
    assert tools == [] and len(errors) == 1
    field, message = expected
    assert errors[0].field == field and errors[0].message.startswith(message), errors[0]
    assert str(errors[0]).startswith(f"tools.json:2: {field}: ")


def test_duplicate_names_and_empty_files(tmp_path):
    tools, problems = read_tools(write(tmp_path, [WEATHER, WEATHER]), name="t.json")
    assert [t.name for t in tools] == ["get_weather"]
    assert [str(p) for p in problems] == [
        "t.json:20: get_weather.name: a second tool named 'get_weather' (the first is tools[0], line 2)"
    ]
    assert (
        str(read_tools(write(tmp_path, []), name="t.json")[1][0])
        == "t.json: <file>: no tools in the file"
    )
    assert "empty file" in str(read_tools(write(tmp_path, ""), name="t.json")[1][0])


def test_required_parameter_missing_from_properties_is_a_warning(tmp_path):
    spec = {**WEATHER, "parameters": {**WEATHER["parameters"], "required": ["town"]}}
    tools, (problem,) = read_tools(write(tmp_path, [spec]), name="t.json")
    assert len(tools) == 1 and problem.severity == "warning"
    assert "required parameter 'town' is not among its properties" in problem.message


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        # (ground-truth call, (field, message)) against the weather tool
        (ToolCall(name="get_weather", parameters={"city": "Paris", "days": 2}), None),
        (ToolCall(name="get_wether", parameters={}),
         ("target.calls[0].name", "'get_wether' is not in the tool set (get_weather)")),
        (ToolCall(name="get_weather", parameters={"days": 2}),
         ("target.calls[0].parameters", "get_weather: missing required parameter 'city'")),
        (ToolCall(name="get_weather", parameters={"city": "Paris", "days": "2"}),
         ("target.calls[0].parameters.days", "get_weather: '2' is not of type 'integer'")),
    ],
)  # fmt: skip
def test_calls_are_checked_against_the_tool_set(call, expected):
    checker = CallChecker([ToolSpec.model_validate(WEATHER)])
    found = checker.problems([call])
    assert found == ([expected] if expected else [])


def test_a_dataset_without_tools_is_checked_against_an_attached_tool_set(tmp_path):
    rows = [
        {"query": "Weather in Paris?", "answers": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"query": "Weather?", "answers": [{"name": "get_weather", "arguments": {"days": 1}}]},
        {"query": "Own tools", "tools": [{"name": "x", "parameters": {}}], "answers": []},
    ]  # fmt: skip
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tools = [ToolSpec.model_validate(WEATHER)]
    found, problems = inspect_rows(path, tools=tools)
    assert found[0].tools == tools and found[2].tools[0].name == "x"
    assert [str(p) for p in problems] == [
        f"{path}: tools: warning: 1 row(s) list their own tools; the attached tool set is used only for rows without tools",
        f"{path}:2: target.calls[0].parameters: get_weather: missing required parameter 'city'",
    ]
