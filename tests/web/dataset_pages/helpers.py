"""Helpers for the dataset tests: files to upload, and running the validation task in-process."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

XLAM = {
    "query": "Weather in Paris in celsius?",
    "tools": [
        {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
                "required": ["city"],
            },
        }
    ],
    "answers": [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}],
}


def jsonl(records: list) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def xlam_rows(n: int, **changes) -> list[dict]:
    return [{**XLAM, "id": f"w{i}", "query": f"Weather in city {i}?", **changes} for i in range(n)]
