"""The structured editor: a `RewardConfig` mapping as form fields, and posted fields back.

Every value that may change over training (weights, ranges, the length target) is one group of
inputs named after its path: `format.weight.kind` is "number" or a schedule kind, then
`format.weight.value`, `.by`, `.start`, `.end`, `.begin`, `.finish`, `.at`, `.before`,
`.after`, `.points` (one `x, value` pair per line). Only the parameters of the chosen kind are
read, so switching kinds never mixes fields of two schedules. Checking is `toolrl`'s
(`check_config`); this module only reads numbers and reports the ones that are not.
"""

from __future__ import annotations

from typing import Any

from toolrl.rewards.config import COMPONENTS

VALUES = {
    "format": ("weight", "min", "max"),
    "correctness": ("weight", "min", "max"),
    "length": ("weight", "min", "max", "target_words"),
}
VALUE_LABELS = {"weight": "Weight", "min": "Min", "max": "Max", "target_words": "Target words"}
COMPONENT_LABELS = {"format": "Format", "correctness": "Correctness", "length": "Length"}
KINDS = ("number", "constant", "linear", "cosine", "step", "piecewise")
PARAMS = {
    "number": ("value",),
    "constant": ("value",),
    "linear": ("start", "end", "begin", "finish"),
    "cosine": ("start", "end", "begin", "finish"),
    "step": ("at", "before", "after"),
    "piecewise": ("points",),
}
ALL_PARAMS = ("value", "start", "end", "begin", "finish", "at", "before", "after", "points")
GRANULARITIES = ("original", "finegrained", "intermediate", "coarse")
MATCHINGS = ("greedy", "optimal")
NORMALIZATIONS = (
    ("case", "Ignore case"),
    ("whitespace", "Collapse whitespace"),
    ("numeric_strings", "Numbers as strings match numbers"),
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _points_text(points: Any) -> str:
    if isinstance(points, str):
        return points
    if not isinstance(points, list):
        return ""
    return "\n".join(", ".join(_text(v) for v in p) for p in points if isinstance(p, list | tuple))


def _value_group(path: str, label: str, value: Any, errors: dict[str, list[str]]) -> dict:
    if isinstance(value, dict):
        kind, by = value.get("kind") or "constant", value.get("by") or "progress"
        params = {p: _text(value.get(p)) for p in ALL_PARAMS if p != "points"}
        params["points"] = _points_text(value.get("points"))
    else:
        kind, by = "number", "progress"
        params = dict.fromkeys(ALL_PARAMS, "")
        params["value"] = _text(value)
    return {
        "path": path,
        "label": label,
        "kind": kind,
        "by": by,
        "params": [
            {"name": p, "value": params[p], "errors": errors.get(f"{path}.{p}", [])}
            for p in ALL_PARAMS
        ],
        "errors": errors.get(path, [])
        + errors.get(f"{path}.kind", [])
        + errors.get(f"{path}.by", []),
    }


def _as_typed(post, path: str) -> Any:
    """One value group exactly as the user typed it (for re-showing a refused form)."""
    kind = post.get(f"{path}.kind") or "number"
    if kind == "number":
        return post.get(f"{path}.value", "")
    typed = {p: post.get(f"{path}.{p}", "") for p in ALL_PARAMS if p != "points"}
    typed["points"] = post.get(f"{path}.points", "")
    return {**typed, "kind": kind, "by": post.get(f"{path}.by") or "progress"}


def editor_components_as_typed(post, errors: dict[str, list[str]]) -> list:
    """The editor's groups holding the posted text, so a refused form keeps what was typed."""
    data, _ = config_from_post(post)
    for name in COMPONENTS:
        for v in VALUES[name]:
            data[name][v] = _as_typed(post, f"{name}.{v}")
    return editor_components(data, errors)


def editor_components(config: dict[str, Any], errors: dict[str, list[str]] | None = None) -> list:
    """The components of a config mapping as the template's groups of inputs."""
    errors = errors or {}
    out = []
    for name in COMPONENTS:
        comp = config.get(name) or {}
        if not isinstance(comp, dict):
            comp = {}
        out.append(
            {
                "name": name,
                "label": COMPONENT_LABELS[name],
                "enabled": bool(comp.get("enabled", name != "length")),
                "values": [
                    _value_group(f"{name}.{v}", VALUE_LABELS[v], comp.get(v, 0.0), errors)
                    for v in VALUES[name]
                ],
                "errors": errors.get(name, []) + errors.get(f"{name}.enabled", []),
                "granularity": comp.get("granularity", "original"),
                "matching": comp.get("matching", "greedy"),
                "normalize": _normalize_items(comp.get("normalize"), errors),
                "choice_errors": {
                    key: errors.get(f"{name}.{key}", []) for key in ("granularity", "matching")
                },
            }
        )
    return out


def _normalize_items(normalize: Any, errors: dict[str, list[str]]) -> list[dict]:
    normalize = normalize if isinstance(normalize, dict) else {}
    return [
        {
            "key": key,
            "label": label,
            "checked": bool(normalize.get(key)),
            "errors": errors.get(f"correctness.normalize.{key}", []),
        }
        for key, label in NORMALIZATIONS
    ]


class _Reader:
    """Reads numbers from the posted fields, keeping a message per field that is not one."""

    def __init__(self, post) -> None:
        self.post = post
        self.errors: dict[str, list[str]] = {}

    def number(self, field: str) -> float | None:
        raw = (self.post.get(field) or "").strip()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.errors[field] = ["enter a number"]
            return None
        if value != value or value in (float("inf"), float("-inf")):
            self.errors[field] = ["enter a finite number"]
            return None
        return value

    def points(self, field: str) -> list[list[float]] | None:
        lines = [ln for ln in (self.post.get(field) or "").splitlines() if ln.strip()]
        out = []
        for number, line in enumerate(lines, start=1):
            parts = line.replace(";", ",").split(",")
            try:
                x, y = (float(p) for p in parts)
            except ValueError:
                self.errors[field] = [f"line {number}: write `x, value` (two numbers)"]
                return None
            out.append([x, y])
        return out or None

    def value(self, path: str) -> Any:
        kind = self.post.get(f"{path}.kind") or "number"
        if kind == "number":
            number = self.number(f"{path}.value")
            if number is None and f"{path}.value" not in self.errors:
                self.errors[f"{path}.value"] = ["enter a number"]
            return number
        schedule: dict[str, Any] = {"kind": kind, "by": self.post.get(f"{path}.by") or "progress"}
        for param in PARAMS.get(kind, ()):
            read = self.points if param == "points" else self.number
            got = read(f"{path}.{param}")
            if got is not None:
                schedule[param] = got
        return schedule


def config_from_post(post) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The `RewardConfig` mapping the posted editor describes, and the fields that are not
    numbers (by field name). The mapping still needs `toolrl.rewards.check_config`."""
    reader = _Reader(post)
    data: dict[str, Any] = {}
    for name in COMPONENTS:
        comp: dict[str, Any] = {"enabled": post.get(f"{name}.enabled") in ("on", "true", "1")}
        for v in VALUES[name]:
            comp[v] = reader.value(f"{name}.{v}")
        data[name] = comp
    data["correctness"]["granularity"] = post.get("correctness.granularity") or "original"
    data["correctness"]["matching"] = post.get("correctness.matching") or "greedy"
    data["correctness"]["normalize"] = {
        key: post.get(f"correctness.normalize.{key}") in ("on", "true", "1")
        for key, _ in NORMALIZATIONS
    }
    return data, reader.errors
