"""Canonical rows on disk with an offset index: written once, then paged and searched without
loading the file, and split into training and validation files.

`rows.jsonl` holds one `Row` per line (the `rows` format); `rows.jsonl.idx` holds the byte
offset of each line as a little-endian uint64, so row `i` is one seek away.

Example::

    >>> import os, tempfile
    >>> from toolrl.schema import Target
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.jsonl")
    >>> with RowWriter(path) as out:
    ...     for i in range(5):
    ...         _ = out.write(Row(id=f"r{i}", target=Target(response=f"answer {i}")))
    >>> row_count(path), [r.id for _, r in read_rows(path, 3, 10)]
    (5, ['r3', 'r4'])
    >>> [i for i, _ in search_rows(path, "ANSWER 2")]
    [2]
"""

from __future__ import annotations

import json
import random
import struct
import sys
from array import array
from collections.abc import Iterator
from pathlib import Path

from toolrl.schema import Row

_OFFSET = struct.Struct("<Q")
_INDEX_BATCH = 4096
_TO_JSON = Row.__pydantic_serializer__.to_json


def index_path(path: str | Path) -> Path:
    return Path(f"{path}.idx")


class RowWriter:
    """Writes rows and their offsets; `write` returns the size of the row's line in bytes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.rows = self.path.open("wb")
        self.index = index_path(self.path).open("wb")
        self.offsets = array("Q")  # written in batches: one write call per few thousand rows
        self.offset = 0
        self.count = 0

    def write(self, row: Row) -> int:
        # The bytes `row.model_dump_json().encode()` gives, without the str round trip.
        line = _TO_JSON(row) + b"\n"
        self.rows.write(line)
        self.offsets.append(self.offset)
        if len(self.offsets) >= _INDEX_BATCH:
            self._flush_index()
        self.offset += len(line)
        self.count += 1
        return len(line)

    def _flush_index(self) -> None:
        if sys.byteorder != "little":
            self.offsets.byteswap()
        self.index.write(self.offsets.tobytes())
        self.offsets = array("Q")

    def close(self) -> None:
        self._flush_index()
        self.rows.close()
        self.index.close()

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def row_count(path: str | Path) -> int:
    """How many rows the file holds (from the size of its index)."""
    return index_path(path).stat().st_size // _OFFSET.size


def read_rows(path: str | Path, start: int, count: int) -> list[tuple[int, Row]]:
    """Rows `start` .. `start + count - 1` (fewer at the end) with their indices."""
    if start < 0 or count <= 0:
        return []
    with index_path(path).open("rb") as idx:
        idx.seek(start * _OFFSET.size)
        raw = idx.read(_OFFSET.size)
    if len(raw) < _OFFSET.size:
        return []
    (offset,) = _OFFSET.unpack(raw)
    out = []
    with Path(path).open("rb") as fh:
        fh.seek(offset)
        for i in range(start, start + count):
            line = fh.readline()
            if not line:
                break
            out.append((i, Row.model_validate_json(line)))
    return out


def iter_lines(path: str | Path) -> Iterator[bytes]:
    with Path(path).open("rb") as fh:
        yield from fh


def search_rows(
    path: str | Path, query: str, *, after: int = -1, limit: int = 20
) -> list[tuple[int, Row]]:
    """Rows after index `after` whose id or text contains `query` (case-insensitive), at most
    `limit`. Scans the raw lines first (fast), then confirms on the decoded row."""
    needle = query.strip().casefold()
    if not needle:
        return read_rows(path, after + 1, limit)
    # How the query looks inside a JSON string, for a prefilter on the raw bytes (ASCII only:
    # bytes.lower() folds nothing else).
    escaped = json.dumps(needle)[1:-1].encode("ascii") if needle.isascii() else None
    out: list[tuple[int, Row]] = []
    for i, line in enumerate(iter_lines(path)):
        if i <= after:
            continue
        if escaped is not None and escaped not in line.lower():
            continue
        row = Row.model_validate_json(line)
        if needle in row.id.casefold() or needle in line.decode("utf-8").casefold():
            out.append((i, row))
            if len(out) >= limit:
                break
    return out


def row_index_of(path: str | Path, row_id: str) -> int | None:
    """The index of the row with this exact id, or None."""
    key = json.dumps(row_id, ensure_ascii=False).encode("utf-8")
    for i, line in enumerate(iter_lines(path)):
        if key in line and Row.model_validate_json(line).id == row_id:
            return i
    return None


def held_out(n: int, fraction: float, seed: int) -> set[int]:
    """Indices of the `round(n * fraction)` rows held out for validation, drawn with `seed`.

    >>> sorted(held_out(10, 0.2, seed=1)) == sorted(held_out(10, 0.2, seed=1))
    True
    >>> len(held_out(10, 0.25, seed=0))
    2
    """
    k = min(n, max(0, round(n * fraction)))
    return set(random.Random(seed).sample(range(n), k))


def write_split(
    path: str | Path, train: str | Path, validation: str | Path, held: set[int]
) -> tuple[int, int]:
    """Copy the rows of `path` into a training and a validation file; rows whose index is in
    `held` go to validation. Returns (training rows, validation rows)."""
    counts = [0, 0]
    with Path(train).open("wb") as out_train, Path(validation).open("wb") as out_val:
        for i, line in enumerate(iter_lines(path)):
            side = 1 if i in held else 0
            (out_val if side else out_train).write(line)
            counts[side] += 1
    return counts[0], counts[1]


def rows_at(path: str | Path, indices: list[int]) -> dict[int, Row]:
    """The rows at these indices (one seek each), by index."""
    out: dict[int, Row] = {}
    wanted = sorted(set(i for i in indices if i >= 0))
    if not wanted:
        return out
    with index_path(path).open("rb") as idx, Path(path).open("rb") as fh:
        for i in wanted:
            idx.seek(i * _OFFSET.size)
            raw = idx.read(_OFFSET.size)
            if len(raw) < _OFFSET.size:
                break
            fh.seek(_OFFSET.unpack(raw)[0])
            out[i] = Row.model_validate_json(fh.readline())
    return out
