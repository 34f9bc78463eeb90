"""The rows format's fast path (a whole JSON line straight to `Row.model_validate_json`) reads
every file exactly as the precise path does: the same rows, problems, lines and messages."""

from __future__ import annotations

import gzip
import json

import pytest

import toolrl.formats
from toolrl.commands.validate import validate_file
from toolrl.formats import scan_rows
from toolrl.formats.jsontext import LineParser
from toolrl.formats.rowfile import RowWriter, read_rows, row_count
from toolrl.schema import Row, Target
from toolrl.synthetic import make_rows


class _Precise(LineParser):
    """A line parser that is never set: every record takes the precise path."""

    @property
    def parse(self):
        return None

    @parse.setter
    def parse(self, value):
        pass


def _line(row_id: str, meta: str = "{}", extra: str = "") -> str:
    return f'{{"id": "{row_id}", "target": {{"response": "ok"}}, "meta": {meta}{extra}}}'


# Our own lines first (the format is told from the first record), then every kind of line the
# two parsers might disagree on.
LINES = [
    *(r.model_dump_json() for r in make_rows(5, seed=3)),
    _line("dup-keys", '{"k": 1, "k": 2}'),
    _line("nan", '{"f": NaN, "g": Infinity, "h": -Infinity, "big": 1e400}'),
    _line("bigint", '{"i": 123456789012345678901234567890}'),
    _line("too-many-digits", '{"i": ' + "9" * 4301 + "}"),
    _line("escapes", '{"s": "\\u00e9\\ud83d\\ude00 \\" \\\\ \\/"}'),
    _line("lone-surrogate", '{"s": "\\ud800"}'),
    _line("deep", "[" * 300 + "]" * 300),
    _line("trailing-space") + "   \t",
    _line("crlf") + "\r",
    _line("two-on-a-line") + " " + _line("second"),
    _line("then-garbage") + " x",
    '{"id": "pretty",\n "target": {"response": "ok"}}',
    _line("bad-field", "{}", ', "oops": 1'),
    '{"id": 3, "target": {"response": "ok"}}',
    '{"id": "no-target"}',
    '{"id": "cut", "target": {"respo',
    "[1, 2, 3]",
    '"a string"',
    "",
    "not json at all",
    _line("after-garbage"),
    _line("form-feed") + "\x0c",
    "\u00a0" + _line("nbsp-before"),
    _line("dup-keys"),
    '{"id": "x", "id": "y", "target": {"calls": [{"name": "t", "parameters": {"a": [1, {"b": null}]}}]}}',
]


def _scan(path, monkeypatch, fast: bool, **kw) -> list[str]:
    monkeypatch.setattr(toolrl.formats, "LineParser", LineParser if fast else _Precise)
    out = []
    for item in scan_rows(path, **kw):
        if isinstance(item, tuple):
            line, row = item
            out.append(f"{line}: {row!r}")  # repr: a lone surrogate cannot be dumped as JSON
        else:
            out.append(f"{item} [{item.severity}]")
    return out


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("fmt", ["auto", "rows"])
def test_the_fast_path_reads_exactly_like_the_precise_path(tmp_path, monkeypatch, compress, fmt):
    text = "\n".join(LINES) + "\n"
    path = tmp_path / ("rows.jsonl.gz" if compress else "rows.jsonl")
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    precise = _scan(path, monkeypatch, fast=False, format=fmt)
    fast = _scan(path, monkeypatch, fast=True, format=fmt)
    assert fast == precise
    # The file does exercise both outcomes: rows and problems.
    assert sum(": Row(id=" in x for x in fast) >= 10 and sum("[error]" in x for x in fast) >= 8


def test_the_fast_path_is_taken_for_our_lines(tmp_path, monkeypatch):
    rows = make_rows(50, seed=1)
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(r.model_dump_json() + "\n" for r in rows))
    calls = []

    def counting(text):
        calls.append(text)
        return Row.model_validate_json(text)

    class Counting(LineParser):
        def __setattr__(self, name, value):
            super().__setattr__(name, counting if value is not None else None)

    monkeypatch.setattr(toolrl.formats, "LineParser", Counting)
    got = [item[1] for item in scan_rows(path)]
    assert got == rows
    assert len(calls) == 49  # every line but the first, which tells the format


def test_a_byte_that_is_not_utf8_is_reported_the_same_way(tmp_path, monkeypatch):
    good = [r.model_dump_json().encode() for r in make_rows(4, seed=2)]
    bad = _line("bad-byte", '{"s": "caf\\u00e9"}').encode().replace(b"caf", b"caf\xe9")
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"\n".join([good[0], good[1], bad, good[2], good[3]]) + b"\n")
    precise = _scan(path, monkeypatch, fast=False)
    assert _scan(path, monkeypatch, fast=True) == precise
    assert any(":3: <encoding>: byte 0xe9" in x for x in precise)


def test_validation_figures_are_the_same_on_both_paths(tmp_path, monkeypatch):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(r.model_dump_json() + "\n" for r in make_rows(300, seed=4)))
    results = []
    for cls in (_Precise, LineParser):
        monkeypatch.setattr(toolrl.formats, "LineParser", cls)
        v = validate_file(path, sample_size=20)
        results.append((v.stats, v.errors, v.warnings, v.sample.indices()))
    assert results[0] == results[1]


def test_row_writer_index_is_one_offset_per_row_across_batches(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [Row(id=f"r{i}", target=Target(response="x" * (i % 7))) for i in range(9000)]
    with RowWriter(path) as out:
        sizes = [out.write(r) for r in rows]
    lines = path.read_bytes().splitlines(keepends=True)
    assert lines == [r.model_dump_json().encode() + b"\n" for r in rows]
    assert sizes == [len(x) for x in lines] and row_count(path) == 9000
    assert [r.id for _, r in read_rows(path, 4095, 3)] == ["r4095", "r4096", "r4097"]
    assert [r.id for _, r in read_rows(path, 8999, 5)] == ["r8999"]
    assert json.loads(lines[8192])["id"] == "r8192"


def test_repeated_ids_name_the_first_row_with_that_id():
    import random

    from toolrl.formats import _Duplicates

    rng = random.Random(5)
    ids = [f"id-{rng.randrange(300)}" for _ in range(2000)] + ["same"] * 5 + ["x", "same"]
    duplicates = _Duplicates()
    first: dict[str, int] = {}
    expected = []
    for i, row_id in enumerate(ids):
        line = 3 * i + 1
        duplicates.add(row_id, line)
        if row_id in first:
            expected.append((line, first[row_id]))
        else:
            first[row_id] = line
    assert duplicates.repeats() == sorted(expected)
    assert len(expected) > 1700
