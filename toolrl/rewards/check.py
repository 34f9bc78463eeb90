"""Check a reward configuration mapping and name every problem by its dotted field path.

`RewardConfig.from_dict` raises pydantic's error, whose locations carry union branches
(`float`, `function-after[...]`) and report a schedule mistake twice, once per branch. Forms
and the CLI want one message per field in the user's words; `check_config` gives that.

Paths: `format.weight`, `correctness.max`, `length.target_words.start`, `bogus` for an unknown
top-level key. A `min > max` error is reported on `<component>.max`.

Example::

    >>> cfg, problems = check_config({"format": {"weight": {"kind": "linear", "start": 1}}})
    >>> cfg is None, problems
    (True, {'format.weight': ["a 'linear' schedule needs end"]})
    >>> check_config({"preset": "dynamic"})[0].name
    'dynamic'
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from toolrl.errors import UserError
from toolrl.rewards.config import COMPONENTS, RewardConfig

_MESSAGES = {
    "extra_forbidden": "unknown setting",
    "float_parsing": "enter a number",
    "float_type": "enter a number",
    "bool_parsing": "enter true or false",
    "bool_type": "enter true or false",
}


def _is_branch(part: Any) -> bool:
    return part == "float" or (isinstance(part, str) and part.startswith("function-after["))


def _message(err: dict[str, Any]) -> str:
    msg = _MESSAGES.get(err["type"], err["msg"])
    return msg.removeprefix("Value error, ")


def _path(err: dict[str, Any]) -> str | None:
    """The dotted path of one pydantic error, or None when it is the wrong branch of a union."""
    loc = list(err["loc"])
    branch = next((p for p in loc if _is_branch(p)), None)
    if branch == "float" and isinstance(err.get("input"), dict):
        return None  # a schedule was given: the Schedule branch explains what is wrong
    if branch not in (None, "float") and err["type"] == "model_type":
        return None  # a plain value was given: the number branch explains it
    parts = [str(p) for p in loc if not _is_branch(p)]
    if len(parts) == 1 and parts[0] in COMPONENTS and err["type"] == "value_error":
        parts.append("max")  # the component's own check: min must not exceed max
    return ".".join(parts) or "configuration"


def problems_of(exc: ValidationError) -> dict[str, list[str]]:
    """One entry per field path, messages in the user's words (see the module docstring)."""
    out: dict[str, list[str]] = {}
    for err in exc.errors():
        path = _path(err)
        if path is not None:
            messages = out.setdefault(path, [])
            if _message(err) not in messages:
                messages.append(_message(err))
    return out


def check_config(data: Any) -> tuple[RewardConfig | None, dict[str, list[str]]]:
    """Validate a mapping (as `RewardConfig.from_dict` reads it): the config, or None and the
    problems by field path. Never raises on bad input."""
    if not isinstance(data, dict):
        kind = type(data).__name__
        return None, {"configuration": [f"must be a mapping of settings, not {kind}"]}
    if "preset" in data and not isinstance(data["preset"], str):
        return None, {"preset": ["must be the name of a preset"]}
    try:
        return RewardConfig.from_dict(data), {}
    except ValidationError as exc:
        return None, problems_of(exc)
    except UserError as exc:  # an unknown preset
        return None, {"preset": [str(exc)]}
