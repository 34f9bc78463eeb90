"""Parse what a model wrote into thought, tool calls and response; never raises.

Tool calls are read exactly as the released ToolRL scorer reads them (the reward depends on it):
the text between the first `<tool_call>` and the next `</tool_call>`, stripped, split on "\\n",
and `json.loads` on every line. Each line must be a JSON object with a string `name` and an
object `parameters` (other keys are kept: they make the call differ from the ground truth).

Error categories (`ParsedCompletion.error`, `None` when the completion is well formed, i.e. it
matches one of the three ToolRL output layouts with each used tag exactly once and its calls parse):

- `empty`: nothing but whitespace.
- `truncated`: a tag is opened more often than closed (generation cut off).
- `missing_think`: there is no `<think>` at all.
- `extra_text`: text outside the tagged blocks (before `<think>`, between or after blocks).
- `duplicate_tag`: `<tool_call>` or `<response>` (or their closing tags) appear more than once.
- `no_action`: neither a `<tool_call>` nor a `<response>` block.
- `wrong_order`: the response comes before the tool block.
- `bad_separator`: blocks not separated by exactly one newline, or tool-block tags not on their
  own lines.
- `empty_tool_block`: the tool block holds nothing.
- `blank_line`: a blank line inside the tool block.
- `invalid_json`: a line of the tool block is not JSON.
- `not_a_call`: a JSON line that is not `{"name": str, "parameters": {...}}`.
- `malformed`: none of the above, yet not one of the three layouts (rare; e.g. stray close tags).

`call_error` is the category that stopped the calls from parsing (`truncated`, `no_tool_block`,
`empty_tool_block`, `blank_line`, `invalid_json`, `not_a_call`), or `None` when they parsed.

Example::

    >>> p = parse_completion('<think> x </think>\\n<tool_call>\\n{"name": "A", "parameters": {}}\\n</tool_call>')
    >>> p.calls, p.error
    ([{'name': 'A', 'parameters': {}}], None)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# The three layouts of the released format reward (regex on the stripped text, DOTALL).
RESPONSE_ONLY = re.compile(r"^<think>.*?</think>\n<response>.*?</response>$", re.DOTALL)
TOOL_ONLY = re.compile(r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>$", re.DOTALL)
TOOL_AND_RESPONSE = re.compile(
    r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>\n<response>.*?</response>$", re.DOTALL
)
THINK_ONLY = re.compile(r"^<think>.*?</think>$", re.DOTALL)

TC_OPEN, TC_CLOSE = "<tool_call>", "</tool_call>"
RE_OPEN, RE_CLOSE = "<response>", "</response>"

# Every category `ParsedCompletion.error` can take (module docstring), in the order listed there.
ERRORS = (
    "empty",
    "truncated",
    "missing_think",
    "extra_text",
    "duplicate_tag",
    "no_action",
    "wrong_order",
    "bad_separator",
    "empty_tool_block",
    "blank_line",
    "invalid_json",
    "not_a_call",
    "malformed",
)

CALL_ERRORS = (
    "truncated",
    "no_tool_block",
    "empty_tool_block",
    "blank_line",
    "invalid_json",
    "not_a_call",
)

# The C scanner behind json.loads, called directly: this runs ~1e5 times a second.
_scan_once = json.JSONDecoder().scan_once
_ws = re.compile(r"[ \t\n\r]*").match


@dataclass(slots=True)
class ParsedCompletion:
    """The structured reading of one completion (see the module docstring for `error`)."""

    thought: str | None
    calls: list[dict[str, Any]] | None
    response: str | None
    error: str | None
    call_error: str | None


def tool_block(text: str) -> tuple[str | None, str | None]:
    """The stripped inside of the tool block, read the released scorer's way, or an error.

    >>> tool_block('<think> a </think>\\n<tool_call>\\n{"name": "A"}\\n</tool_call>')
    ('{"name": "A"}', None)
    """
    start = text.find(TC_OPEN)
    if start < 0:
        return None, "no_tool_block"
    if TC_CLOSE not in text:
        return None, "truncated"
    # Like the released scorer: from the first opening tag to the next closing tag (or the end).
    body = text[start + 11 :].split(TC_CLOSE, 1)[0].strip()
    if not body:
        return None, "empty_tool_block"
    return body, None


def _decode_line(line: str) -> Any:
    # json.loads without its Python-level wrappers; raises ValueError like it (hot path).
    end = _ws(line, 0).end()
    try:
        value, end = _scan_once(line, end)
    except StopIteration:
        raise ValueError("not JSON") from None
    if _ws(line, end).end() != len(line):
        raise ValueError("extra data")
    return value


def parse_block(body: str) -> tuple[list[dict[str, Any]] | None, str | None]:
    """Calls from the inside of a tool block: one JSON object per line.

    >>> parse_block('{"name": "A", "parameters": {}}\\n\\n{"name": "B", "parameters": {}}')
    (None, 'blank_line')
    """
    calls: list[dict[str, Any]] = []
    for line in body.split("\n"):
        try:
            call = _decode_line(line)
        except ValueError:
            return None, ("blank_line" if not line.strip() else "invalid_json")
        except RecursionError:  # absurdly nested JSON: still just a bad line
            return None, "invalid_json"
        if (
            type(call) is not dict
            or type(call.get("name")) is not str
            or type(call.get("parameters")) is not dict
        ):
            return None, "not_a_call"
        calls.append(call)
    return calls, None


def parse_calls(text: str) -> tuple[list[dict[str, Any]] | None, str | None]:
    """Read the tool block of `text` the released scorer's way: `(calls, None)` or `(None, error)`.

    >>> parse_calls('<tool_call>\\n{"name": "A", "parameters": {"x": 1}}\\n</tool_call>')
    ([{'name': 'A', 'parameters': {'x': 1}}], None)
    >>> parse_calls('<tool_call>\\n{"name": "A"}\\n</tool_call>')
    (None, 'not_a_call')
    """
    body, error = tool_block(text)
    if body is None:
        return None, error
    return parse_block(body)


def _block(text: str, open_tag: str, close_tag: str) -> str | None:
    start = text.find(open_tag)
    if start < 0:
        return None
    end = text.find(close_tag, start)
    if end < 0:
        return None
    return text[start + len(open_tag) : end].strip()


def well_formed(text: str) -> bool:
    """True when the stripped text is one of the ToolRL layouts with each used tag once.

    >>> well_formed("<think> a </think>\\n<response> b </response>")
    True
    """
    s = text.strip()
    n_tc = s.count(TC_OPEN)
    n_re = s.count(RE_OPEN)
    if n_tc != s.count(TC_CLOSE) or n_re != s.count(RE_CLOSE) or n_tc > 1 or n_re > 1:
        return False
    if n_tc and n_re:
        return TOOL_AND_RESPONSE.search(s) is not None
    if n_tc:
        return TOOL_ONLY.search(s) is not None
    if n_re:
        return RESPONSE_ONLY.search(s) is not None
    return False


def _gap_error(gap: str) -> str | None:
    if gap == "\n":
        return None
    return "bad_separator" if not gap.strip() else "extra_text"


def diagnose(text: str) -> str:
    """Name the first structural problem of a completion that is not well formed.

    >>> diagnose("<think> a </think><response> b </response>")
    'bad_separator'
    """
    s = text.strip()
    if not s:
        return "empty"
    for tag in ("think", "tool_call", "response"):
        if s.count(f"<{tag}>") > s.count(f"</{tag}>"):
            return "truncated"
    if "<think>" not in s:
        return "missing_think"
    if not s.startswith("<think>"):
        return "extra_text"
    if max(s.count(TC_OPEN), s.count(TC_CLOSE), s.count(RE_OPEN), s.count(RE_CLOSE)) > 1:
        return "duplicate_tag"
    tc, rs = s.find(TC_OPEN), s.find(RE_OPEN)
    if tc < 0 and rs < 0:
        return "no_action"
    if tc >= 0 and 0 <= rs < tc:
        return "wrong_order"
    pos = s.find("</think>") + len("</think>")
    if tc >= 0:
        err = _gap_error(s[pos:tc])
        if err:
            return err
        close = s.find(TC_CLOSE, tc)
        inner = s[tc + len(TC_OPEN) : close]
        if not (inner.startswith("\n") and inner.endswith("\n")) or len(inner) < 2:
            return "bad_separator"
        pos = close + len(TC_CLOSE)
    if rs >= 0:
        err = _gap_error(s[pos:rs])
        if err:
            return err
        pos = s.find(RE_CLOSE, rs) + len(RE_CLOSE)
    if s[pos:]:
        return "extra_text"
    return "malformed"


def parse_completion(text: str) -> ParsedCompletion:
    """Parse a completion into thought, calls and response, with an error category.

    >>> parse_completion("<think> hi </think>\\n<response> Hello </response>").response
    'Hello'
    >>> parse_completion("oops").error
    'missing_think'
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    calls, call_error = parse_calls(text)
    return ParsedCompletion(
        thought=_block(text, "<think>", "</think>"),
        calls=calls,
        response=_block(text, RE_OPEN, RE_CLOSE),
        error=completion_error(text, call_error),
        call_error=call_error,
    )


def completion_error(text: str, call_error: str | None) -> str | None:
    """`parse_completion(text).error` from the error `parse_calls(text)` already gave, without
    reading the calls again (for callers that parsed them).

    >>> completion_error("<think> a </think>\\n<response> b </response>", "no_tool_block") is None
    True
    """
    if call_error == "no_tool_block":
        call_error = None
    if well_formed(text):
        # A well-formed completion whose tool block does not parse reports the call error.
        return call_error
    error = diagnose(text)
    if error == "malformed" and call_error is not None:
        return call_error
    return error
