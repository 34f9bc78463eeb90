"""Tiny benchmark folders written by the tests, so judging is tested without the shared data.

`write_eval_data(root)` lays out the documented structure under `root`:

    root/bfcl/BFCL_v4_<category>.json + possible_answer/   (JSON Lines)
    root/toolrl/benchmarks/API-Bank/level-{1,2}-api_processed.json
    root/toolrl/dataset/rlla_4k/test.parquet
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolrl.prompt import render_assistant, render_system, render_target, render_user
from toolrl.schema import Target, ToolCall, ToolSpec, Turn


def completion(*calls: tuple[str, dict[str, Any]], response: str | None = None) -> str:
    """A ToolRL completion holding these calls (and/or a response)."""
    return render_assistant(
        "t", [ToolCall(name=n, parameters=p) for n, p in calls], response if response else None
    )


def answer(text: str = "I cannot do that with these tools.") -> str:
    return render_assistant("t", [], text)


def _doc(name: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "dict", "properties": props, "required": required}
    return {"name": name, "description": f"{name} tool", "parameters": schema}


DISTANCE = _doc(
    "geo.distance",
    {
        "city": {"type": "string"},
        "n": {"type": "integer"},
        "km": {"type": "float"},
        "note": {"type": "string"},
    },
    ["city", "n"],
)
WEATHER = _doc("weather", {"city": {"type": "string"}, "days": {"type": "integer"}}, ["city"])
STOCK = _doc("stock_price", {"ticker": {"type": "string"}}, ["ticker"])

# id -> (category, functions, question, ground truth or None)
BFCL_ENTRIES: dict[str, tuple[str, list[dict[str, Any]], str, Any]] = {
    "simple_python_0": (
        "simple_python",
        [DISTANCE],
        "How far is New York in 5 hops?",
        [{"geo.distance": {"city": ["New York, NY"], "n": [5], "km": [2.0, ""]}}],
    ),
    "simple_python_1": (
        "simple_python",
        [WEATHER],
        "Weather in Paris for 3 days?",
        [{"weather": {"city": ["Paris"], "days": [3]}}],
    ),
    "multiple_0": (
        "multiple",
        [WEATHER, STOCK],
        "Price of ACME?",
        [{"stock_price": {"ticker": ["ACME"]}}],
    ),
    "parallel_0": (
        "parallel",
        [WEATHER],
        "Weather in Paris and Rome for 2 days?",
        [
            {"weather": {"city": ["Paris"], "days": [2]}},
            {"weather": {"city": ["Rome"], "days": [2]}},
        ],
    ),
    "parallel_multiple_0": (
        "parallel_multiple",
        [WEATHER, STOCK],
        "Weather in Oslo and the price of ACME?",
        [{"weather": {"city": ["Oslo"], "days": ["", 1]}}, {"stock_price": {"ticker": ["ACME"]}}],
    ),
    "irrelevance_0": ("irrelevance", [STOCK], "Tell me a joke.", None),
    "irrelevance_1": ("irrelevance", [WEATHER], "What is 2 + 2?", None),
    "live_simple_0-0-0": (
        "live_simple",
        [WEATHER],
        "weather in Lima",
        [{"weather": {"city": ["Lima"], "days": ["", 1]}}],
    ),
    "live_multiple_0-0-0": (
        "live_multiple",
        [WEATHER, STOCK],
        "price of XYZ",
        [{"stock_price": {"ticker": ["XYZ"]}}],
    ),
    "live_irrelevance_0-0-0": ("live_irrelevance", [WEATHER], "hello there", None),
    "live_relevance_0-0-0": ("live_relevance", [STOCK], "how is ACME doing?", None),
}

# The gold completion of every BFCL entry (live_relevance: any call passes).
BFCL_GOLD = {
    "simple_python_0": completion(("geo.distance", {"city": "New York, NY", "n": 5})),
    "simple_python_1": completion(("weather", {"city": "Paris", "days": 3})),
    "multiple_0": completion(("stock_price", {"ticker": "ACME"})),
    "parallel_0": completion(
        ("weather", {"city": "Paris", "days": 2}), ("weather", {"city": "Rome", "days": 2})
    ),
    "parallel_multiple_0": completion(
        ("weather", {"city": "Oslo"}), ("stock_price", {"ticker": "ACME"})
    ),
    "irrelevance_0": answer(),
    "irrelevance_1": answer(),
    "live_simple_0-0-0": completion(("weather", {"city": "Lima"})),
    "live_multiple_0-0-0": completion(("stock_price", {"ticker": "XYZ"})),
    "live_irrelevance_0-0-0": answer("Hello!"),
    "live_relevance_0-0-0": completion(("stock_price", {"ticker": "ACME"})),
}

# API-Bank: (level, system tools, user text, gold call)
APIBANK_ITEMS = [
    (1, "ToolSearcher", "Find a tool for alarms.", {"name": "ToolSearcher", "parameters": {"keywords": "alarm"}}),
    (1, "AddAlarm", "Wake me at 7.", {"name": "AddAlarm", "parameters": {"time": "07:00", "repeat": 1}}),
    (2, "GetWeather", "Weather in Oslo?", {"name": "GetWeather", "parameters": {"city": "Oslo"}}),
]  # fmt: skip
APIBANK_GOLD = {
    "level-1-0": completion(("ToolSearcher", {"keywords": "alarm"})),
    "level-1-1": completion(("AddAlarm", {"time": "07:00", "repeat": 1})),
    "level-2-0": completion(("GetWeather", {"city": "Oslo"})),
}

# toolrl-validation rows: (tools, user text, target)
_SEARCH = ToolSpec(
    name="search",
    description="Web search",
    parameters={"query": {"type": "str", "description": "q"}},
    schema_style="toolrl",
)
_CONVERT = ToolSpec(
    name="convert",
    description="Currency",
    parameters={"amount": {"type": "float", "description": "a"}, "to": {"type": "str", "description": "t"}},
    schema_style="toolrl",
)  # fmt: skip
VALIDATION_ROWS = [
    ([_SEARCH], "Search for cats.", Target(calls=[ToolCall(name="search", parameters={"query": "cats"})])),
    ([_SEARCH, _CONVERT], "Search dogs and convert 5 to EUR.", Target(calls=[
        ToolCall(name="search", parameters={"query": "dogs"}),
        ToolCall(name="convert", parameters={"amount": 5.0, "to": "EUR"}),
    ])),
    ([_CONVERT], "Hi, how are you?", Target(response="I am fine.")),
]  # fmt: skip


def _jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def write_bfcl(folder: Path) -> Path:
    by_category: dict[str, list[tuple[str, Any, str, Any]]] = {}
    for item_id, (category, functions, text, gt) in BFCL_ENTRIES.items():
        by_category.setdefault(category, []).append((item_id, functions, text, gt))
    for category, entries in by_category.items():
        name = f"BFCL_v4_{category}.json"
        _jsonl(
            folder / name,
            [
                {"id": i, "question": [[{"role": "user", "content": t}]], "function": f}
                for i, f, t, _ in entries
            ],
        )
        if entries[0][3] is not None:
            _jsonl(
                folder / "possible_answer" / name,
                [{"id": i, "ground_truth": gt} for i, _, _, gt in entries],
            )
    return folder


def write_apibank(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for level in (1, 2):
        items = [
            {
                "system": render_system(
                    [ToolSpec(name=tool, description="d", schema_style="toolrl")]
                ),
                "user": render_user([Turn(role="user", content=text)]),
                # Level 2 stores a bare call, the others a list (as the released files do).
                "answer": gold if level == 2 else [gold],
                "other": {},
            }
            for lv, tool, text, gold in APIBANK_ITEMS
            if lv == level
        ]
        # A JSON array, pretty-printed like the released files.
        (folder / f"level-{level}-api_processed.json").write_text(json.dumps(items, indent=4))
    return folder


def write_validation(path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = []
    for index, (tools, text, target) in enumerate(VALIDATION_ROWS):
        records.append(
            {
                "data_source": "rlla",
                "prompt": [
                    {"role": "system", "content": render_system(tools)},
                    {"role": "user", "content": render_user([Turn(role="user", content=text)])},
                ],
                "ability": "math",
                "reward_model": {"style": "rule", "ground_truth": render_target(target)},
                "extra_info": {"split": "test", "index": index},
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(records), path)
    return path


def write_eval_data(root: Path) -> Path:
    """Every suite's files under `root`, in the documented layout."""
    write_bfcl(root / "bfcl")
    write_apibank(root / "toolrl" / "benchmarks" / "API-Bank")
    write_validation(root / "toolrl" / "dataset" / "rlla_4k" / "test.parquet")
    return root


def write_predictions(path: Path, predictions: dict[str, str]) -> Path:
    _jsonl(path, [{"id": i, "completion": c} for i, c in predictions.items()])
    return path
