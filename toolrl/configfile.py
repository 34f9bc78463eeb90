"""Configuration files (run and reward configurations): reading them and layering presets.

Both `RunConfig` and `RewardConfig` accept a mapping that starts from a named preset and
overrides some of it; `deep_merge` is the one rule for that, and `read_mapping` the one reader of
their YAML or JSON files, whose errors name the file (and the line when the parser knows it).

Example::

    >>> deep_merge({"grpo": {"lr": 1, "steps": 3}}, {"grpo": {"steps": 5}})
    {'grpo': {'lr': 1, 'steps': 5}}
    >>> deep_merge({"w": {"kind": "linear", "start": 1, "end": 0}}, {"w": {"kind": "constant", "value": 2}})
    {'w': {'kind': 'constant', 'value': 2}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolrl.errors import UserError


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, merging nested mappings key by key.

    A mapping with a `kind` key (a schedule) replaces the old value whole: mixing the fields of
    two kinds of schedule would make a value that neither side meant.
    """
    out = dict(base)
    for key, value in override.items():
        old = out.get(key)
        if isinstance(value, dict) and isinstance(old, dict) and "kind" not in value:
            out[key] = deep_merge(old, value)
        else:
            out[key] = value
    return out


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(
                f"{path}:{exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})"
            ) from None
    import yaml  # YAML also reads JSON, so any other extension is parsed as YAML

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{where}: not valid YAML ({problem})") from None


def read_mapping(path: str | Path, what: str = "configuration") -> dict[str, Any]:
    """The mapping in a YAML or JSON file (`.json` is read as JSON, anything else as YAML);
    an empty file is an empty mapping. Raises `UserError` naming the file otherwise.

    >>> read_mapping("/no/such/run.yaml", "run configuration")
    Traceback (most recent call last):
    ...
    toolrl.errors.UserError: /no/such/run.yaml: no such file
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a {what} file") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a text file (a {what} is YAML or JSON)") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    data = _parse(path, text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(
            f"{path}: a {what} must be a mapping of settings (`key: value` lines), "
            f"not {type(data).__name__}"
        )
    return data


def key_lines(text: str, limit: int = 10_000) -> dict[str, int]:
    """The line (from 1) of every key and list item in a YAML or JSON text, by dotted path, so
    a problem found after parsing can name its line. Empty when the text does not parse; at
    most `limit` nodes are read, each once (an alias repeats a node, maybe inside itself).

    >>> key_lines("format:\\n  weight: 2\\n  max: {kind: step}\\n")
    {'format': 1, 'format.weight': 2, 'format.max': 3, 'format.max.kind': 3}
    """
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    todo: list[tuple[str, Any]] = [("", root)]
    visited: set[int] = set()  # an alias is the same node: read each once (no cycles)
    while todo and len(visited) < limit:
        prefix, node = todo.pop(0)
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            children = [(str(k.value), k, v) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = [(str(i), v, v) for i, v in enumerate(node.value)]
        else:
            continue
        for name, where, child in children:
            path = f"{prefix}.{name}" if prefix else name
            lines.setdefault(path, where.start_mark.line + 1)
            todo.append((path, child))
    return lines


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of `path`, or of its nearest parent that has one (see `key_lines`).

    >>> line_of({"format": 1, "format.weight": 2}, "format.weight.kind")
    2
    """
    parts = path.split(".")
    while parts:
        line = lines.get(".".join(parts))
        if line is not None:
            return line
        parts.pop()
    return None
