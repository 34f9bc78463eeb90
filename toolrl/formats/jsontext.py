"""JSON text decoded one value at a time from a bounded buffer: a JSON array of records, or
JSON values one after the other (JSON Lines, or pretty-printed objects in a row).

Bytes arrive in chunks from any binary stream (a file, a gzip stream); the buffer is trimmed as
records are consumed, so memory stays flat with the file size, and line numbers are counted as
the buffer moves. A UTF-8 byte-order mark is skipped, CRLF and blank lines are whitespace, and a
byte that is not UTF-8 is reported at its line (that record is dropped, the others are read).
After a line that is not JSON, JSON Lines go on at the next line that starts a record; inside a
JSON array there is no safe place to resume, so the first syntax error ends the read.

Example::

    >>> import io
    >>> text = JsonText(io.BytesIO(b'\\xef\\xbb\\xbf{"a": 1}\\r\\n\\r\\n{"a": 2}\\r\\n'), "x.jsonl")
    >>> list(text.records(lambda: None))
    [(1, {'a': 1}), (3, {'a': 2})]
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any

from toolrl.formats.problems import Problem

CHUNK = 1 << 20
# A record is one prompt and its answer; anything this big is a broken file, not a row.
MAX_RECORD_BYTES = 64 << 20

_WS_CHARS = " \t\n\r"
_WS = re.compile(f"[{_WS_CHARS}]*")
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_DECODER = json.JSONDecoder()


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


def lone_surrogate_at(value: Any, path: str = "") -> str | None:
    """The path of the first string (key or value) in `value` holding a lone surrogate, or None.

    >>> lone_surrogate_at({"a": [1, "ok", "x\\ud800"]})
    'a.2'
    >>> lone_surrogate_at({"a": "fine"}) is None
    True
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if lone_surrogate_at(key, inner) is not None:
                return inner
            found = lone_surrogate_at(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = lone_surrogate_at(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


class LineParser:
    """An optional faster reading of a JSON Lines record, set once the format is known (the
    rows format: pydantic's own JSON parser builds the `Row` without a Python dict between).

    `parse(line)` gets one whole line (without its newline) that starts a record; whatever it
    returns is yielded as the record. Any exception sends that line down the precise path
    (`json` decoding, exact problem messages and line numbers), so `parse` must fail wherever
    the precise path would report something, and succeed only with the value the precise path
    would lead to. Lines in JSON arrays, records over several lines and text with bytes that
    are not UTF-8 always take the precise path.
    """

    def __init__(self) -> None:
        self.parse: Callable[[str], Any] | None = None


class _Stop(Exception):
    """The text cannot be read any further; the problem was already reported."""


class JsonText:
    """JSON values decoded one at a time from a bounded, refilled text buffer.

    Bytes that are not UTF-8 are decoded with `surrogateescape`, remembered by line, and the
    record covering them is replaced by a problem naming the line and the byte.
    """

    def __init__(self, raw: IO[bytes], shown: str, lines: LineParser | None = None) -> None:
        self.raw, self.shown = raw, shown
        self.lines = lines
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
        if self.pos < len(self.buf) and self.buf[self.pos] not in _WS_CHARS:
            return True  # the common case, a record right after the last one's newline
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

    def records(self, tick: Callable[[], None]) -> Iterator[tuple[int, Any] | Problem]:
        """Every record as `(line, value)` and every problem, in file order; `tick` is called
        once per record."""
        try:
            if not self.skip_ws():
                yield from self.problems
                yield Problem(self.shown, None, "<file>", "empty file")
                return
            parse = self._array if self.buf[self.pos] == "[" else self._sequence
            for item in parse():
                if not isinstance(item, Problem):
                    tick()
                yield item
        except _Stop:
            pass
        yield from self.problems
        yield from self.encoding_problems(0, self.end_line + 1)

    def _emit(self, start: int, end: int, value: Any) -> Iterator[tuple[int, Any] | Problem]:
        line = self.line_at(start)
        # `\ud800` is valid JSON but no character: such text can be neither stored nor
        # tokenised, so the record is refused here, at its line (only `\u` escapes make one).
        if self.buf.find("\\u", start, end) >= 0:
            where = lone_surrogate_at(value)
            if where is not None:
                message = (
                    "text holds a lone UTF-16 surrogate escape (such as \\ud800), not a character"
                )
                yield Problem(self.shown, line, where or "<record>", message)
                return
        if not self.not_utf8:  # the common case: nothing to check
            yield line, value
            return
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
            fast = self._fast_line()
            if fast is not None:
                yield fast
                continue
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

    def _fast_line(self) -> tuple[int, Any] | None:
        """The record at `pos` through `self.lines`, when it is a whole line in the buffer and
        parses; None leaves `pos` where it was for the precise path."""
        parse = self.lines.parse if self.lines is not None else None
        if parse is None or self.not_utf8:
            return None
        newline = self.buf.find("\n", self.pos)
        if newline < 0:
            return None
        try:
            value = parse(self.buf[self.pos : newline])
        except Exception:  # noqa: BLE001 - any failure: the precise path says what is wrong
            return None
        line = self.line_at(self.pos)
        self.pos = newline + 1
        self.cursor = (self.pos, line + 1)  # one newline passed: no need to count it again
        return line, value

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
