"""Files as people save them: byte-order mark, CRLF, blank lines, gzip, parquet, bad bytes at
their line, whole-file problems without a line 0, and a reader whose memory stays flat."""

from __future__ import annotations

import gzip
import json
import tracemalloc

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from toolrl.formats import inspect_rows, load_rows, scan_rows
from toolrl.formats.reading import iter_records

ROW = {"query": "Weather in Paris?", "tools": [], "answers": []}


def lines(*records, end: bytes = b"\n") -> bytes:
    return b"".join(json.dumps(r).encode() + end for r in records)


def records_of(path):
    return [x for x in iter_records(path) if isinstance(x, tuple)]


def problems_of(path):
    return [str(x) for x in iter_records(path) if not isinstance(x, tuple)]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bom.jsonl", b"\xef\xbb\xbf" + lines(ROW, ROW)),  # what Windows editors save
        ("crlf.jsonl", lines(ROW, ROW, end=b"\r\n")),
        ("blank.jsonl", b"\n\n" + lines(ROW) + b"\r\n   \n" + lines(ROW) + b"\n\n"),
        ("bom-crlf.json", b"\xef\xbb\xbf[\r\n" + json.dumps(ROW).encode() + b",\r\n" + json.dumps(ROW).encode() + b"\r\n]\r\n"),
        ("rows.jsonl.gz", gzip.compress(lines(ROW, ROW))),
        ("rows.json.gz", gzip.compress(json.dumps([ROW, ROW]).encode())),
        ("no-suffix", gzip.compress(b"\xef\xbb\xbf" + lines(ROW, ROW, end=b"\r\n"))),
    ],
)  # fmt: skip
def test_files_as_people_save_them_are_read(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    rows, problems = inspect_rows(path)
    assert problems == [] and len(rows) == 2


def test_lines_count_blank_lines_and_crlf(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\r\n" + lines(ROW, end=b"\r\n") + b"\r\n" + b"{oops\r\n" + lines(ROW))
    assert [line for line, _ in records_of(path)] == [2, 5]
    assert problems_of(path) == [
        f"{path}:4: <json>: not valid JSON: Expecting property name enclosed in double quotes (column 2)"
    ]


def test_parquet_and_gzipped_parquet(tmp_path):
    table = pa.Table.from_pylist([{**ROW, "tools": "[]", "answers": "[]"}] * 3)
    pq.write_table(table, tmp_path / "a.parquet")
    (tmp_path / "a.parquet.gz").write_bytes(gzip.compress((tmp_path / "a.parquet").read_bytes()))
    for name in ("a.parquet", "a.parquet.gz"):
        rows = load_rows(tmp_path / name)
        assert len(rows) == 3 and rows[0].source == "xlam"


def test_a_byte_that_is_not_utf8_is_reported_at_its_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    bad = (
        json.dumps({**ROW, "query": "café"}, ensure_ascii=False)
        .encode()
        .replace("é".encode(), b"\xe9")
    )
    path.write_bytes(lines(ROW) + b"\n" + bad + b"\n" + lines(ROW))
    rows, problems = inspect_rows(path)
    assert len(rows) == 2  # the other lines are still read
    assert [str(p) for p in problems] == [
        f"{path}:3: <encoding>: byte 0xe9 at column 15 is not UTF-8 (save the file as UTF-8)"
    ]


def test_whole_file_problems_have_no_line_zero(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "zip.json").write_bytes(b"PK\x03\x04rest")
    (tmp_path / "utf16.json").write_bytes(json.dumps([ROW]).encode("utf-16"))
    cases = {
        tmp_path / "missing.json": "missing.json: <file>: no such file",
        tmp_path / "empty.jsonl": "empty.jsonl: <file>: empty file",
        tmp_path / "zip.json": "zip.json: <file>: not a JSON, JSON Lines or parquet file: a ZIP",
        tmp_path / "utf16.json": "utf16.json: <file>: not a JSON, JSON Lines or parquet file: encoded as UTF-16",
    }  # fmt: skip
    for path, expected in cases.items():
        (problem,) = inspect_rows(path)[1]
        assert str(problem).startswith(str(tmp_path / expected)), problem
        assert ":0:" not in str(problem) and problem.line is None


def test_gzip_cut_short_and_damaged(tmp_path):
    data = gzip.compress(lines(*[ROW] * 2000))
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    rows, problems = inspect_rows(tmp_path / "cut.jsonl.gz")
    assert problems and "gzip data" in problems[-1].message
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    assert "gzip" in str(inspect_rows(tmp_path / "bad.gz")[1][0])


def test_after_a_broken_line_reading_goes_on_at_the_next_record(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"query": "a", "tools": [], "answers": []\n' + lines(ROW, ROW))
    rows, problems = inspect_rows(path, format="xlam")
    assert len(rows) == 2
    assert [(p.line, p.field) for p in problems] == [(1, "<json>")]
    assert "line 2, column 1" in problems[0].message


def test_a_huge_line_and_deep_nesting_are_problems_not_crashes(tmp_path):
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * 200_000)
    assert "nested too deeply" in inspect_rows(path)[1][0].message
    path = tmp_path / "big.jsonl"
    path.write_bytes(lines({**ROW, "query": "x" * 3_000_000}, ROW))
    rows, problems = inspect_rows(path)
    assert len(rows) == 2 and problems == []


def test_json_array_and_pretty_printed_object(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps([ROW, ROW, ROW], indent=2))
    assert [line for line, _ in records_of(path)] == [2, 7, 12]
    path.write_text(json.dumps(ROW, indent=2))
    assert len(load_rows(path)) == 1


def test_format_is_detected_from_content_and_exposed(tmp_path):
    path = tmp_path / "noext"
    path.write_bytes(gzip.compress(lines(ROW)))
    scan = scan_rows(path)
    assert [type(x).__name__ for x in scan] == ["tuple"] and scan.format == "xlam"


def test_questions_and_answers_without_tools_read_as_xlam(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_bytes(lines({"query": "q", "answers": [{"name": "f", "arguments": {}}]}))
    (row,) = load_rows(path)
    assert row.tools == [] and row.target.calls[0].name == "f"


def test_reading_memory_does_not_grow_with_the_file(tmp_path):
    def peak(n: int) -> int:
        path = tmp_path / f"{n}.jsonl"
        path.write_bytes(lines(*({**ROW, "query": f"q{i} " + "x" * 200} for i in range(n))))
        tracemalloc.start()
        count = sum(1 for _ in iter_records(path))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == n
        return top

    # Both files are larger than the read buffer; five times the rows, not five times the memory.
    small, large = peak(20_000), peak(100_000)
    assert large < small * 1.3, (small, large)


def test_progress_reports_rows_and_percent_of_bytes(tmp_path):
    path = tmp_path / "p.jsonl.gz"
    path.write_bytes(gzip.compress(lines(*({**ROW, "query": f"q{i}"} for i in range(5000)))))
    seen = []
    assert sum(1 for _ in iter_records(path, progress=seen.append)) == 5000
    assert [p.records for p in seen] == [1000, 2000, 3000, 4000, 5000, 5000]
    assert [round(p.percent) for p in seen][-1] == 100
    assert all(0 <= p.percent <= 100 for p in seen) and seen[0].bytes_total == path.stat().st_size


@pytest.mark.parametrize("fmt", ["auto", "rows"])
def test_a_lone_surrogate_escape_is_refused_at_its_line_and_field(tmp_path, fmt):
    # "\ud800" is valid JSON but no character: such a row could not be stored or tokenised
    # (it used to pass validation and then fail when the prepared file was written).
    from toolrl.formats import save_rows
    from toolrl.synthetic import make_rows

    save_rows(make_rows(3, seed=0), tmp_path / "ok.jsonl")
    good = (tmp_path / "ok.jsonl").read_text().splitlines()
    record = json.loads(good[1])
    record["id"] = "x\ud800y"
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join([good[0], json.dumps(record), good[2]]) + "\n")
    rows, problems = inspect_rows(path, fmt)
    assert [r.id for r in rows] == [json.loads(good[0])["id"], json.loads(good[2])["id"]]
    assert [(p.line, p.field) for p in problems] == [(2, "id")]
    assert "lone UTF-16 surrogate" in problems[0].message
    # What is kept can be written: the rows serialise.
    assert all(r.model_dump_json() for r in rows)
