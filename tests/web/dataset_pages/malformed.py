"""Malformed files of every kind people upload: truncated JSON, wrong encodings, binary files,
huge lines, wrong types, schemas that are not JSON Schema, duplicate names, empty files.

Each generator yields (name, content, note) with distinct content; every file is broken (none
is accidentally valid), so its upload must end with a report, never a server error.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
from collections.abc import Iterator

from .helpers import XLAM, jsonl

Case = tuple[str, bytes, str]

RAW = {
    "instruction": "You are a helpful assistant.",
    "input": "**Dialogue Records History**\n<user> Hi </user>",
    "output": "<think> t </think>\n<response> hi </response>",
}


def _rows(n: int) -> list[dict]:
    return [
        {**copy.deepcopy(XLAM), "id": f"r{i}", "query": f"Weather in city {i}?"} for i in range(n)
    ]


def truncated(rng: random.Random) -> Iterator[Case]:
    """JSON Lines and JSON arrays cut in the middle of a record."""
    for i in range(150):
        rows = _rows(rng.randint(2, 6))
        for kind, text in (
            ("jsonl", jsonl(rows)),
            ("json", json.dumps(rows, indent=rng.choice([None, 1])).encode()),
        ):
            cut = rng.randint(2, len(text) - 3)
            while text[cut - 1 : cut] in (b"\n", b"]", b"}", b" ") or text[:cut].rstrip().endswith(
                (b"}", b"]")
            ):
                cut -= 1  # end inside a record, never at a record boundary
            yield f"cut-{i}.{kind}", text[:cut], f"{kind} cut at byte {cut}"


def encodings(rng: random.Random) -> Iterator[Case]:
    rows = _rows(3)
    text = "".join(
        json.dumps({**r, "query": f"Café à {r['id']} “quoted”"}, ensure_ascii=False) + "\n"
        for r in rows
    )
    for codec in (
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "utf-32",
        "cp1252",
        "latin-1",
        "mac-roman",
        "cp437",
    ):
        for i in range(4):
            shifted = text.replace("r0", f"r0-{i}")
            yield f"enc-{codec}-{i}.jsonl", shifted.encode(codec, errors="replace"), codec
    for i in range(60):  # one stray byte somewhere in an otherwise UTF-8 file
        body = bytearray(jsonl(_rows(4)))
        at = rng.randrange(5, len(body) - 5)
        body[at] = rng.choice([0xE9, 0xFF, 0xC3, 0x80, 0xA0])
        yield f"stray-{i}.jsonl", bytes(body), f"byte at {at}"


def binary(rng: random.Random) -> Iterator[Case]:
    heads = [b"PK\x03\x04", b"\x89PNG\r\n\x1a\n", b"%PDF-1.7", b"\xff\xd8\xff\xe0", b"BZh91AY", b"\xfd7zXZ\x00",
             b"SQLite format 3\x00", b"\x7fELF", b"\x00\x00\x00\x18ftyp", b"PAR1"]  # fmt: skip
    for i in range(100):
        noise = rng.randbytes(rng.randint(20, 4000))
        head = heads[i % len(heads)] if i < 40 else b""
        yield f"bin-{i}.jsonl", head + noise.replace(b"\n", b"\x00") + b"\x00", "binary"
    for i in range(15):
        data = gzip.compress(jsonl(_rows(30)))
        yield f"gz-cut-{i}.jsonl.gz", data[: rng.randint(12, len(data) - 12)], "gzip cut short"
    for i in range(10):
        yield f"gz-noise-{i}.gz", b"\x1f\x8b\x08\x00" + rng.randbytes(200), "gzip of noise"
    for i in range(5):
        yield f"nul-{i}.jsonl", jsonl(_rows(3)) + b"\x00" * (i + 1) + jsonl(_rows(1)), "NUL bytes"


def huge(rng: random.Random) -> Iterator[Case]:
    for i in range(3):
        big = {**_rows(1)[0], "query": None, "notes": "x" * (1_000_000 * (i + 1))}
        yield f"huge-{i}.jsonl", jsonl([big]), "a megabytes-long line with a wrong type"
    yield "huge-garbage.jsonl", b"{" + b"z" * 2_000_000 + b"\n", "a 2 MB line of garbage"
    yield "deep.json", b"[" * 100_000, "nesting too deep"
    yield "bignum.jsonl", b'{"query": ' + b"9" * 5000 + b"}\n", "a 5000-digit number"


_WRONG = {
    "query": [7, None, ["a"], {"q": 1}, True],
    "tools": ["[{", 7, {"name": "x"}, "not json", [7], [{"description": "no name"}], [{"name": 3}],
              [{"name": "t", "parameters": "city"}]],
    "answers": ["[{", {"name": "x"}, 7, [7], [{"arguments": {}}], [{"name": ["x"]}],
                [{"name": "x", "arguments": [1]}], [{"name": "x", "arguments": "city=1"}]],
}  # fmt: skip


def wrong_types(rng: random.Random) -> Iterator[Case]:
    n = 0
    for field, values in _WRONG.items():
        for value in values:
            for position in range(8):
                rows = _rows(8)
                rows[position][field] = value
                n += 1
                yield f"type-{n}.jsonl", jsonl(rows), f"{field}={value!r} on row {position + 1}"
    for i in range(10):  # a record of another kind, or not an object, among good ones
        rows: list = _rows(4)
        rows[rng.randrange(1, 4)] = rng.choice([[1, 2], "text", 3.5, None, {"hello": i}])
        yield f"mixed-{i}.jsonl", jsonl(rows), "not a row"
    for i in range(10):  # ToolRL raw records that do not follow the format
        bad = dict(RAW)
        bad[rng.choice(["instruction", "input", "output"])] = rng.choice([f"free text {i}", 5])
        yield f"raw-{i}.json", json.dumps([RAW | {"x": i}, bad]).encode(), "toolrl-raw"


_NOT_SCHEMA = [
    {"type": "object", "properties": {"city": {"type": "strin"}}},
    {"type": "object", "properties": {"city": {"type": "str"}}},
    {"type": "object", "properties": {"city": {"type": 5}}},
    {"type": "object", "required": "city"},
    {"type": "object", "properties": ["city"]},
    {"type": "object", "properties": {"city": {"enum": "Paris"}}},
    {"type": "object", "properties": {"n": {"type": "integer", "minimum": "zero"}}},
    {"type": "array", "items": {"type": "string"}},
    {"type": "string"},
    {"type": "object", "additionalProperties": 3},
]


def not_json_schema(rng: random.Random) -> Iterator[Case]:
    for i, params in enumerate(_NOT_SCHEMA):
        for position in range(8):
            rows = _rows(8)
            rows[position]["tools"] = [{**rows[position]["tools"][0], "parameters": params}]
            yield f"schema-{i}-{position}.jsonl", jsonl(rows), json.dumps(params)


def duplicates(rng: random.Random) -> Iterator[Case]:
    for i in range(20):
        rows = _rows(5)
        rows[rng.randrange(1, 5)]["id"] = "r0"
        rows[0]["query"] = f"v{i}"
        yield f"dup-{i}.jsonl", jsonl(rows), "a repeated id"


def empty(rng: random.Random) -> Iterator[Case]:
    for i, content in enumerate([b"", b" ", b"\n\n\n", b"\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", b"[]", b"[ ]\n",
                                 b"{}", b"null", b"0", b'""', gzip.compress(b""), gzip.compress(b"\n"), b"\t"]):  # fmt: skip
        yield f"empty-{i}.jsonl", content, "empty"
    for i in range(10):
        yield f"unknown-{i}.jsonl", jsonl([{"hello": i, "world": [i]}]), "no known format"


def dataset_cases(seed: int = 0) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    for make in (
        truncated,
        encodings,
        binary,
        huge,
        wrong_types,
        not_json_schema,
        duplicates,
        empty,
    ):
        cases.extend(make(rng))
    return cases


# --- tool set files --------------------------------------------------------------------------

GOOD_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather.",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}  # fmt: skip


def toolset_cases(seed: int = 0) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    for i, params in enumerate(_NOT_SCHEMA):
        for n in range(6):
            tools = [copy.deepcopy(GOOD_TOOL) for _ in range(n + 1)]
            for j, tool in enumerate(tools):
                tool["function"]["name"] = f"tool_{j}"
            tools[rng.randrange(len(tools))]["function"]["parameters"] = params
            cases.append(
                (f"ts-schema-{i}-{n}.json", json.dumps(tools, indent=1).encode(), "not JSON Schema")
            )
    for n in range(25):
        tools = [copy.deepcopy(GOOD_TOOL) for _ in range(n + 2)]
        for j, tool in enumerate(tools):
            tool["function"]["name"] = f"tool_{j}"
        tools[-1]["function"]["name"] = "tool_0"
        cases.append(
            (
                f"ts-dup-{n}.json",
                json.dumps(tools, indent=rng.choice([None, 2])).encode(),
                "duplicate",
            )
        )
    bad_specs = [{"function": "x"}, {"type": "function"}, {"description": "d"}, {"name": ""}, {"name": 7},
                 {"name": "a\tb"}, {"name": "x", "description": 5}, {"name": "x", "parameters": []}, 5, "tool", None]  # fmt: skip
    for i, spec in enumerate(bad_specs):
        for n in range(3):
            tools: list = [copy.deepcopy(GOOD_TOOL) for _ in range(n)]
            for j, tool in enumerate(tools):
                tool["function"]["name"] = f"tool_{j}"
            tools.append(spec)
            cases.append(
                (f"ts-spec-{i}-{n}.json", json.dumps(tools).encode(), f"bad spec {spec!r}")
            )
    text = json.dumps([GOOD_TOOL] * 4, indent=1).encode()
    for i in range(30):
        cut = rng.randint(2, len(text) - 3)
        while text[:cut].rstrip().endswith((b"}", b"]")):
            cut -= 1
        cases.append((f"ts-cut-{i}.json", text[:cut], "truncated"))
    for i, content in enumerate([b"", b"[]", b"{}", b"\xef\xbb\xbf", b'{"tools": []}', b"\n"]):
        cases.append((f"ts-empty-{i}.json", content, "empty"))
    for i in range(30):
        cases.append(
            (
                f"ts-bin-{i}.json",
                rng.randbytes(rng.randint(10, 900)).replace(b"\n", b"\x00") + b"\x00",
                "binary",
            )
        )
    for codec in ("utf-16", "utf-32"):
        cases.append((f"ts-{codec}.json", json.dumps([GOOD_TOOL]).encode(codec), codec))
    return cases
