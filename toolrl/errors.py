"""Errors a user sees: one line that says what is wrong, never a traceback.

A mistake in what the user gave (a configuration file, a setting, a dataset row, a model path, an
output folder) is a `UserError`, a pydantic `ValidationError` or a `toolrl.formats.DatasetError`;
`user_error_lines` turns any of them into the lines to print, and returns None for everything
else, which is a bug in the program (its traceback belongs in the log). The command line and
the training entry point (`python -m toolrl.training`) both go through it, so a run page and a
terminal say the same thing.

Example::

    >>> from toolrl.training.config import RunConfig
    >>> try:
    ...     RunConfig.from_dict({"grpo": {"learning_rate": -1, "lr": 1}})
    ... except ValueError as exc:
    ...     print("\\n".join(user_error_lines(exc)))
    grpo.learning_rate: Input should be greater than 0 (got -1)
    grpo.lr: not a known setting
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class UserError(ValueError):
    """A mistake in what the user gave; the message is the whole story (`FIELD: message` or
    `PATH: message`), shown as one line without a traceback."""


# Types of errors that only say "this branch of a union did not fit": dropped when another
# branch explains what is wrong with the value.
_TYPE_ERRORS = ("_type", "_parsing")
_PREFIXES = ("Value error, ", "Assertion failed, ")
_NO_INPUT = ("missing", "extra_forbidden", "value_error", "assertion_error")


def _is_union_tag(part: Any) -> bool:
    # pydantic names the branch of a union a value was tried against: `str`, `float`,
    # `dict[str,any]`, a model class name. Our field names are lower-case identifiers.
    if not isinstance(part, str):
        return False
    return "[" in part or part[:1].isupper() or part in ("str", "int", "float", "bool", "none")


def _where(loc: tuple[Any, ...], prefix: str) -> str:
    out = prefix
    for part in loc:
        if _is_union_tag(part):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: dict[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return "not a known setting"
    msg = str(err["msg"])
    for p in _PREFIXES:
        if msg.startswith(p):
            return msg[len(p) :]
    return msg


def _shown_input(errs: list[dict[str, Any]]) -> str:
    # The offending value, when it is short and plain enough to repeat.
    values = {repr(e.get("input")) for e in errs}
    if any(e["type"] in _NO_INPUT for e in errs) or len(values) != 1:
        return ""
    if not all(isinstance(e.get("input"), str | int | float) for e in errs):
        return ""
    value = values.pop()
    return f" (got {value})" if len(value) <= 60 else ""


def validation_messages(exc: ValidationError, prefix: str = "") -> list[str]:
    """`field: message` per problem of a pydantic validation (fields dotted from `prefix`).

    A model validator's message already names its field (`grpo.max_completion_length: ...`),
    so it is printed as it is.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for err in exc.errors(include_url=False):
        groups.setdefault(_where(tuple(err["loc"]), prefix), []).append(err)
    lines = []
    for where, errs in groups.items():
        errs = [e for e in errs if not e["type"].endswith(_TYPE_ERRORS)] or errs
        msgs = list(dict.fromkeys(_message(e) for e in errs))
        text = msgs[0] + "".join(" or " + m.removeprefix("Input should be ") for m in msgs[1:])
        text += _shown_input(errs)
        lines.append(f"{where}: {text}" if where else text)
    return lines


def dataset_line(exc: Exception) -> str:
    """A `DatasetError` as one line: its first problem, and how many more there are."""
    problems = getattr(exc, "problems", None) or []
    if not problems:
        return str(exc)
    first = str(problems[0])
    if len(problems) == 1:
        return first
    return (
        f"{first} (and {len(problems) - 1} more; `toolrl validate {problems[0].path}` lists them)"
    )


def user_error_lines(exc: BaseException) -> list[str] | None:
    """The lines to show for a user's mistake, or None when `exc` is not one (a bug).

    >>> user_error_lines(UserError("--out /proc/x: cannot create the folder"))
    ['--out /proc/x: cannot create the folder']
    >>> user_error_lines(KeyError("x")) is None
    True
    """
    from toolrl.formats.problems import DatasetError

    if isinstance(exc, ValidationError):
        return validation_messages(exc)
    if isinstance(exc, DatasetError):
        return [dataset_line(exc)]
    if isinstance(exc, UserError):
        return [" ".join(str(exc).split("\n"))]
    return None


def one_line(exc: BaseException) -> str:
    """An unexpected exception as one line: `ExceptionType: first line of its message`.

    >>> one_line(RuntimeError("CUDA out of memory.\\nTried to allocate 2 GiB"))
    'RuntimeError: CUDA out of memory.'
    """
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {first[:500]}" if first else type(exc).__name__
