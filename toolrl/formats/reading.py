"""Read a data file as a stream of `(line, record)` pairs: a JSON array, JSON Lines (or several
pretty-printed JSON values one after the other), or parquet; any of them gzip-compressed.

Files are read as people save them: a UTF-8 byte-order mark, CRLF line ends and blank lines are
accepted; the kind of file is told from its first bytes, not its name (an upload is stored under
its content hash). Memory stays flat with the file size: records are decoded one at a time from
a bounded buffer. Problems come in the same stream, each naming the line it concerns: a line
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
import json
import re
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from toolrl.formats.problems import Problem

Records = list[tuple[int, Any]]
Item = "tuple[int, Any] | Problem"

CHUNK = 1 << 20
# A record is one prompt and its answer; anything this big is a broken file, not a row.
MAX_RECORD_BYTES = 64 << 20
PROGRESS_EVERY = 1000

_WS = re.compile(r"[ \t\n\r]*")
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_DECODER = json.JSONDecoder()

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
    path: str | Path, *, name: str | None = None, progress: ProgressFn | None = None
) -> Iterator[tuple[int, Any] | Problem]:
    """Every record of a file with its line (or row) number, and problems as they are found.

    `name` is how problems name the file (e.g. the name it was uploaded under); `progress` is
    called every few thousand records and once at the end.

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
            yield from _gzip(fh, shown, counter)
        elif head.startswith(b"PAR1"):
            yield from _parquet(fh, shown, counter)
        else:
            yield from _text(fh, shown, counter)
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


def _gzip(fh: IO[bytes], shown: str, counter: _Counter) -> Iterator[tuple[int, Any] | Problem]:
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
    yield from _text(stream, shown, counter)


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


def _text(raw: IO[bytes], shown: str, counter: _Counter) -> Iterator[tuple[int, Any] | Problem]:
    head = raw.peek(16)[:16] if hasattr(raw, "peek") else raw.read(16)
    if not hasattr(raw, "peek"):
        raw.seek(0)
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            yield _whole_file(shown, f"not a JSON, JSON Lines or parquet file: {what}")
            return
    reader = _JsonText(raw, shown)
    yield from reader.records(counter)


def _complete_prefix(data: bytes) -> int:
    """Length of `data` without a multi-byte UTF-8 character cut at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data)
        if byte >= 0xC0:  # a lead byte: is its character complete?
            need = 4 if byte >= 0xF0 else 3 if byte >= 0xE0 else 2
            return len(data) if back >= need else len(data) - back
    return len(data)


class _Stop(Exception):
    """The text cannot be read any further; the problem was already reported."""


class _JsonText:
    """JSON values decoded one at a time from a bounded, refilled text buffer.

    Bytes that are not UTF-8 are decoded with `surrogateescape`, remembered by line, and the
    record covering them is replaced by a problem naming the line and the byte.
    """

    def __init__(self, raw: IO[bytes], shown: str) -> None:
        self.raw, self.shown = raw, shown
        self.pending = b""  # the start of a character cut by the chunk boundary
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.started = False
        self.end_line = 1  # line number at the end of buf
        self.cursor = (0, 1)  # (index in buf, its line): line numbers are counted once
        self.not_utf8: dict[int, str] = {}
        self.problems: list[Problem] = []

    # --- buffer -------------------------------------------------------------------------

    def fill(self, want: int = CHUNK) -> bool:
        """Read more text; False at the end of the file."""
        if self.eof:
            return False
        try:
            data = self.raw.read(want)
        except (OSError, EOFError, zlib.error) as exc:
            self.eof = True
            line = self.end_line
            self.problems.append(
                Problem(self.shown, line, "<gzip>", f"damaged or cut-short gzip data ({exc})")
            )
            raise _Stop from None
        if not data:
            self.eof = True
        text = self._decode(data)
        if not self.started:
            self.started = True
            text = text.removeprefix("\ufeff")  # the UTF-8 byte-order mark
        if "\x00" in text:
            line = self.end_line + text.count("\n", 0, text.index("\x00"))
            message = "binary data (a NUL byte): not a JSON, JSON Lines or parquet file"
            self.problems.append(Problem(self.shown, line, "<file>", message))
            raise _Stop
        # Drop what was consumed, keeping the buffer about one chunk long.
        if self.pos > CHUNK:
            self.line_at(self.pos)  # bring the line cursor up to what is dropped
            index, line = self.cursor
            self.cursor = (index - self.pos, line)
            self.buf = self.buf[self.pos :]
            self.pos = 0
        self.buf += text
        self.end_line += text.count("\n")
        return True

    def _decode(self, data: bytes) -> str:
        """UTF-8 text of the next bytes. Strict decoding is the fast path; bytes that are not
        UTF-8 become lone surrogates (`surrogateescape`) and are noted by line."""
        data = self.pending + data
        cut = len(data) if self.eof else _complete_prefix(data)
        data, self.pending = data[:cut], data[cut:]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", "surrogateescape")
            self._note_not_utf8(text)
            return text

    def _note_not_utf8(self, text: str) -> None:
        line = self.end_line
        last = 0
        for m in _NOT_UTF8.finditer(text):
            line += text.count("\n", last, m.start())
            last = m.start()
            if line not in self.not_utf8:
                column = m.start() - text.rfind("\n", 0, m.start())
                byte = ord(m.group()) - 0xDC00
                self.not_utf8[line] = (
                    f"byte 0x{byte:02x} at column {column} is not UTF-8 (save the file as UTF-8)"
                )

    def line_at(self, index: int) -> int:
        at, line = self.cursor
        if index < at:  # rare: an error position behind the cursor
            return line - self.buf.count("\n", index, at)
        line += self.buf.count("\n", at, index)
        self.cursor = (index, line)
        return line

    def skip_ws(self) -> bool:
        """Move to the next non-blank character; False at the end of the file."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return True
            if not self.fill():
                return False

    def encoding_problems(self, first: int, last: int) -> list[Problem]:
        """Problems for bytes that are not UTF-8 on lines up to `last`; those from `first` on
        concern the current record."""
        if not self.not_utf8:
            return []
        out = []
        for line in sorted(n for n in self.not_utf8 if n <= last):
            out.append(Problem(self.shown, line, "<encoding>", self.not_utf8.pop(line)))
        return out

    # --- values -------------------------------------------------------------------------

    def decode(self) -> tuple[Any, int]:
        """The JSON value at `pos` and where it ends; refills when the value runs past the
        buffer (which may move `pos`). Raises JSONDecodeError for text that is not JSON."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos >= len(self.buf) - 16 or exc.msg.startswith("Unterminated string")
                if cut and not self.eof:
                    self._grow()
                    continue
                raise
            except RecursionError:
                raise json.JSONDecodeError("nested too deeply", self.buf, self.pos) from None
            except ValueError as exc:  # e.g. an integer of more than 4300 digits
                raise json.JSONDecodeError(str(exc).split(";")[0], self.buf, self.pos) from None
            if end == len(self.buf) and not self.eof and not isinstance(value, dict | list):
                self._grow()  # a number or literal may go on in the next chunk
                continue
            return value, end

    def _grow(self) -> None:
        size = len(self.buf) - self.pos
        if size > MAX_RECORD_BYTES:
            line = self.line_at(self.pos)
            message = f"a record longer than {MAX_RECORD_BYTES >> 20} MiB; is this a dataset?"
            self.problems.append(Problem(self.shown, line, "<json>", message))
            raise _Stop
        # Grow geometrically, so a long record is re-parsed O(log n) times, not O(n).
        self.fill(max(CHUNK, size))

    def json_problem(self, start: int, exc: json.JSONDecodeError) -> Problem:
        line = self.line_at(start)
        cut = exc.pos >= len(self.buf.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        if self.eof and cut:
            message = "not valid JSON: the file ends inside this record (was it cut short?)"
            return Problem(self.shown, line, "<json>", message)
        at = self.line_at(exc.pos) if exc.pos >= start else line
        column = exc.pos - self.buf.rfind("\n", 0, exc.pos)
        where = f"column {column}" if at == line else f"line {at}, column {column}"
        msg = exc.msg.removesuffix(" at").removesuffix(" starting")
        return Problem(self.shown, line, "<json>", f"not valid JSON: {msg} ({where})")

    def records(self, counter: _Counter) -> Iterator[tuple[int, Any] | Problem]:
        try:
            if not self.skip_ws():
                yield from self.problems
                yield _whole_file(self.shown, "empty file")
                return
            parse = self._array if self.buf[self.pos] == "[" else self._sequence
            for item in parse():
                yield from self.problems
                self.problems.clear()
                if not isinstance(item, Problem):
                    counter.tick()
                yield item
        except _Stop:
            pass
        yield from self.problems
        yield from self.encoding_problems(0, self.end_line + 1)

    def _emit(self, start: int, end: int, value: Any) -> Iterator[tuple[int, Any] | Problem]:
        line = self.line_at(start)
        last = line + self.buf.count("\n", start, end)
        bad = self.encoding_problems(line, last)
        yield from bad
        if not any(p.line >= line for p in bad):
            yield line, value

    def _sequence(self) -> Iterator[tuple[int, Any] | Problem]:
        """JSON Lines, or JSON values one after the other. After a line that is not JSON, go
        on at the next line that starts a record ('{' or '[')."""
        resync = False
        while self.skip_ws():
            if resync and self.buf[self.pos] not in "{[":
                self._next_line()
                continue
            resync = False
            try:
                value, end = self.decode()
            except json.JSONDecodeError as exc:
                start = self.pos
                line = self.line_at(start)
                bad = self.encoding_problems(line, self.line_at(max(start, exc.pos)))
                yield from bad or [self.json_problem(start, exc)]
                self.pos = start
                self._next_line()
                resync = True
                continue
            yield from self._emit(self.pos, end, value)
            self.pos = end

    def _next_line(self) -> None:
        while True:
            newline = self.buf.find("\n", self.pos)
            if newline >= 0:
                self.pos = newline + 1
                return
            self.pos = len(self.buf)
            if not self.fill():
                return

    def _array(self) -> Iterator[tuple[int, Any] | Problem]:
        """A JSON array of records. A syntax error ends the read: there is no safe place to
        resume inside an array."""
        self.pos += 1
        first = True
        while True:
            if not self.skip_ws():
                yield Problem(self.shown, self.end_line, "<json>", "unterminated array")
                return
            ch = self.buf[self.pos]
            if ch == "]":
                break
            if not first:
                if ch != ",":
                    line = self.line_at(self.pos)
                    yield Problem(self.shown, line, "<json>", "expected ',' or ']'")
                    return
                self.pos += 1
                if not self.skip_ws():
                    yield Problem(self.shown, self.end_line, "<json>", "unterminated array")
                    return
            first = False
            try:
                value, end = self.decode()
            except json.JSONDecodeError as exc:
                start = self.pos
                line = self.line_at(start)
                bad = self.encoding_problems(line, self.line_at(max(start, exc.pos)))
                yield from bad or [self.json_problem(start, exc)]
                return
            yield from self._emit(self.pos, end, value)
            self.pos = end
        self.pos += 1
        if self.skip_ws():
            line = self.line_at(self.pos)
            yield Problem(self.shown, line, "<json>", "extra data after the array")


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
