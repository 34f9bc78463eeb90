"""Read a data file as a stream of `(line, record)` pairs: a JSON array, JSON Lines (or several
pretty-printed JSON values one after the other), or parquet; any of them gzip-compressed.

Files are read as people save them: a UTF-8 byte-order mark, CRLF line ends and blank lines are
accepted; the kind of file is told from its first bytes, not its name (an upload is stored under
its content hash). Memory stays flat with the file size: records are decoded one at a time from
a bounded buffer (`toolrl.formats.jsontext`). Problems come in the same stream, each naming the line it concerns: a line
that is not valid JSON (the next lines are still read), a byte that is not UTF-8, a gzip stream
cut short. Line numbers point at where each record starts; for parquet the "line" is the 1-based
row number.

Example::

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.json")
    >>> _ = open(p, "w").write('[\\n {"a": 1},\\n {"a": 2}\\n]')
    >>> read_records(p)
    ([(2, {'a': 1}), (3, {'a': 2})], [])
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from toolrl.formats.jsontext import CHUNK, JsonText, LineParser
from toolrl.formats.problems import Problem

Records = list[tuple[int, Any]]
Item = "tuple[int, Any] | Problem"

PROGRESS_EVERY = 1000

# First bytes of files people upload by mistake, and what to tell them.
_SIGNATURES = [
    (b"PK\x03\x04", "a ZIP archive; upload the JSON, JSON Lines or parquet file inside it"),
    (b"BZh", "bzip2-compressed; only gzip (.gz) is read"),
    (b"\xfd7zXZ\x00", "xz-compressed; only gzip (.gz) is read"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed; only gzip (.gz) is read"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive; upload the file inside it"),
    (b"%PDF", "a PDF document, not a dataset"),
    (b"\x89PNG", "a PNG image, not a dataset"),
    (b"\xff\xd8\xff", "a JPEG image, not a dataset"),
    (b"SQLite format 3\x00", "an SQLite database, not a dataset"),
    (b"\x00\x00\xfe\xff", "encoded as UTF-32; save it as UTF-8"),
    (b"\xff\xfe\x00\x00", "encoded as UTF-32; save it as UTF-8"),
    (b"\xff\xfe", "encoded as UTF-16; save it as UTF-8"),
    (b"\xfe\xff", "encoded as UTF-16; save it as UTF-8"),
]


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a read has come: records so far, bytes of the file consumed, the file's size."""

    records: int
    bytes_read: int
    bytes_total: int

    @property
    def percent(self) -> float:
        """0-100, by bytes of the file (compressed bytes for gzip).

        >>> Progress(10, 50, 200).percent
        25.0
        """
        if self.bytes_total <= 0:
            return 100.0
        return min(100.0, 100.0 * self.bytes_read / self.bytes_total)


ProgressFn = Callable[[Progress], None]


def _whole_file(path: str, message: str, field: str = "<file>") -> Problem:
    return Problem(path, None, field, message)


def iter_records(
    path: str | Path,
    *,
    name: str | None = None,
    progress: ProgressFn | None = None,
    lines: LineParser | None = None,
) -> Iterator[tuple[int, Any] | Problem]:
    """Every record of a file with its line (or row) number, and problems as they are found.

    `name` is how problems name the file (e.g. the name it was uploaded under); `progress` is
    called every few thousand records and once at the end; `lines` may read JSON Lines records
    faster once the format is known (see `toolrl.formats.jsontext.LineParser`).

    >>> [str(x) for x in iter_records("no/such/file.jsonl")]
    ['no/such/file.jsonl: <file>: no such file']
    """
    path = Path(path)
    shown = name or str(path)
    if not path.exists():
        yield _whole_file(shown, "no such file")
        return
    if path.is_dir():
        yield _whole_file(shown, "is a folder, not a file")
        return
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, the generator owns it
    except OSError as exc:
        yield _whole_file(shown, f"cannot open ({exc.strerror})")
        return
    with fh:
        total = path.stat().st_size
        head = fh.read(16)
        fh.seek(0)
        counter = _Counter(fh, total, progress)
        if head.startswith(b"\x1f\x8b"):
            yield from _gzip(fh, shown, counter, lines)
        elif head.startswith(b"PAR1"):
            yield from _parquet(fh, shown, counter)
        else:
            yield from _text(fh, shown, counter, lines)
        counter.done()


class _Counter:
    """Counts records and reports progress by bytes of the underlying file."""

    def __init__(self, raw: IO[bytes], total: int, callback: ProgressFn | None) -> None:
        self.raw, self.total, self.callback, self.records = raw, total, callback, 0
        self.fraction: Callable[[], float] | None = None  # parquet reports by rows

    def tick(self) -> None:
        self.records += 1
        if self.callback is not None and self.records % PROGRESS_EVERY == 0:
            self.callback(Progress(self.records, self._bytes(), self.total))

    def _bytes(self) -> int:
        if self.fraction is not None:
            return int(self.total * self.fraction())
        try:
            return min(self.total, self.raw.tell())
        except (OSError, ValueError):
            return 0

    def done(self) -> None:
        if self.callback is not None:
            self.callback(Progress(self.records, self.total, self.total))


def _gzip(
    fh: IO[bytes], shown: str, counter: _Counter, lines: LineParser | None
) -> Iterator[tuple[int, Any] | Problem]:
    stream = gzip.GzipFile(fileobj=fh, mode="rb")
    try:
        head = stream.peek(16)[:16]
    except (OSError, EOFError, zlib.error) as exc:
        yield _whole_file(shown, f"damaged gzip data ({exc})", "<gzip>")
        return
    if head.startswith(b"PAR1"):
        # Parquet needs random access: decompress to a temporary file first.
        with tempfile.TemporaryFile() as tmp:
            try:
                shutil.copyfileobj(stream, tmp, CHUNK)
            except (OSError, EOFError, zlib.error) as exc:
                yield _whole_file(shown, f"damaged gzip data ({exc})", "<gzip>")
                return
            tmp.seek(0)
            yield from _parquet(tmp, shown, counter)
        return
    if head.startswith(b"\x1f\x8b"):
        yield _whole_file(shown, "compressed twice with gzip; decompress it once", "<gzip>")
        return
    yield from _text(stream, shown, counter, lines)


def _parquet(fh: IO[bytes], shown: str, counter: _Counter) -> Iterator[tuple[int, Any] | Problem]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(fh)
        total_rows = max(1, parquet.metadata.num_rows)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        yield _whole_file(shown, f"cannot read parquet ({exc})", "<parquet>")
        return
    counter.fraction = lambda: counter.records / total_rows
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=512):
            for record in batch.to_pylist():
                row += 1
                counter.tick()
                yield row, record
    except Exception as exc:  # a damaged row group
        yield Problem(shown, row + 1, "<parquet>", f"cannot read parquet ({exc})")


def _text(
    raw: IO[bytes], shown: str, counter: _Counter, lines: LineParser | None
) -> Iterator[tuple[int, Any] | Problem]:
    head = raw.peek(16)[:16] if hasattr(raw, "peek") else raw.read(16)
    if not hasattr(raw, "peek"):
        raw.seek(0)
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            yield _whole_file(shown, f"not a JSON, JSON Lines or parquet file: {what}")
            return
    yield from JsonText(raw, shown, lines).records(counter.tick)


def read_records(path: str | Path, *, name: str | None = None) -> tuple[Records, list[Problem]]:
    """All records of a file with their line (or row) numbers, and any reading problems.

    Holds the whole file in memory; `iter_records` streams it.
    """
    records: Records = []
    problems: list[Problem] = []
    for item in iter_records(path, name=name):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            records.append(item)
    return records, problems
