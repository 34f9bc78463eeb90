"""Scoring: one completion (`score`) or many (`score_batch`, `score_columns`).

The total is the sum of the enabled components, each `weight * value` where the value lies in
the component's `[min, max]` at the given step (see `RewardConfig`). `Breakdown.components`
holds these weighted values, so `total == sum(components.values())`.

`Breakdown.details` keys (always present, None when not applicable):
`gt_kind` ("tool", "response", "both", "neither"), `format_ok`, `error` (why the completion lost
reward: a parser category such as "no_tool_block", "invalid_json", "blank_line", "not_a_call",
"truncated", "bad_separator", "extra_text", or "wrong_layout" for a well-formed output of the
wrong kind, e.g. a tool call where the ground truth answers directly; "ground_truth_*" when the
ground truth itself does not parse), `exact` (predicted list equals the ground truth),
`name`, `keys`, `values` (sub-scores), `score`, `s_max`, `matched` (pairs of
(ground-truth index, predicted index)), and `think_words` when length is enabled.

Example::

    >>> gt = '<think> t </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": "1", "y": 2}}\\n</tool_call>'
    >>> b = score('<think> a </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": "1", "y": 3}}\\n</tool_call>', gt)
    >>> b.total, b.components, b.details["values"]
    (2.5, {'format': 1.0, 'correctness': 1.5}, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from toolrl.parser import diagnose, parse_block, tool_block, well_formed
from toolrl.rewards.components import (
    GroundTruth,
    correctness_details,
    format_ok,
    length_fraction,
    normalize_calls,
    parse_ground_truth,
    think_words,
)
from toolrl.rewards.config import RewardConfig
from toolrl.rewards.schedule import value_at

_DEFAULT: RewardConfig | None = None
_EXACT: dict[str, Any] = {"exact": True, "fraction": 1.0}
_EMPTY_SUB: dict[str, Any] = dict.fromkeys(
    ("exact", "name", "keys", "values", "score", "s_max", "matched")
)


def _default_cfg() -> RewardConfig:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = RewardConfig.preset("toolrl")
    return _DEFAULT


class Breakdown:
    """One completion's reward: `total`, weighted `components`, and `details` (module docstring).

    `details` is computed on first access: batch scoring for training needs only the numbers.
    """

    __slots__ = ("total", "components", "_details", "_source")

    def __init__(
        self,
        total: float,
        components: dict[str, float],
        details: dict[str, Any] | None = None,
        source: tuple[Resolved, str, GroundTruth] | None = None,
    ) -> None:
        self.total = total
        self.components = components
        self._details = details
        self._source = source

    @property
    def details(self) -> dict[str, Any]:
        if self._details is None:
            if self._source is None:
                return {}
            resolved, text, gt = self._source
            self._details = resolved.details(text, gt)
            self._source = None
        return self._details

    def as_dict(self) -> dict[str, Any]:
        """Plain data, e.g. for `--json` output."""
        return {"total": self.total, "components": dict(self.components), "details": self.details}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Breakdown):
            return NotImplemented
        return (self.total, self.components, self.details) == (
            other.total,
            other.components,
            other.details,
        )

    def __repr__(self) -> str:
        return f"Breakdown(total={self.total!r}, components={self.components!r})"


def as_text(completion: Any) -> str:
    """A completion as stripped text; TRL conversational completions give their last message.

    >>> as_text([{"role": "assistant", "content": " hi "}])
    'hi'
    """
    if isinstance(completion, str):
        return completion.strip()
    if completion is None:
        return ""
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", "")).strip()
    return str(completion).strip()


class Resolved:
    """A configuration resolved at one step: ranges, weights and flags read once per batch."""

    def __init__(
        self,
        cfg: RewardConfig | None,
        step: float = 0,
        max_steps: float | None = None,
        force_length: bool = False,
    ) -> None:
        cfg = _default_cfg() if cfg is None else cfg
        self.cfg = cfg
        self.names = cfg.component_names()
        if force_length and "length" not in self.names:
            self.names.append("length")
        f, c, n = cfg.format, cfg.correctness, cfg.length

        def at(v: Any) -> float:
            return value_at(v, step, max_steps)

        self.f_w, self.f_lo, self.f_hi = at(f.weight), at(f.min), at(f.max)
        self.c_w, self.c_lo, self.c_hi = at(c.weight), at(c.min), at(c.max)
        self.l_w, self.l_lo, self.l_hi = at(n.weight), at(n.min), at(n.max)
        self.l_target = at(n.target_words)
        self.ccfg = c
        self.norm = c.normalize if c.normalize.any() else None

    def format(self, completion: Any, gt: GroundTruth) -> float:
        """Weighted format value."""
        ok = format_ok(as_text(completion), gt.kind)
        return self.f_w * (self.f_hi if ok else self.f_lo)

    def correctness(self, completion: Any, gt: GroundTruth) -> float:
        """Weighted correctness value."""
        return self.c_w * self._correctness(as_text(completion), gt)[0]

    def length(self, completion: Any) -> float:
        """Weighted length value."""
        frac = length_fraction(as_text(completion), self.l_target)
        return self.l_w * (self.l_lo + (self.l_hi - self.l_lo) * frac)

    def _correctness(
        self, s: str, gt: GroundTruth
    ) -> tuple[float, dict[str, Any] | None, str | None]:
        if not gt.has_calls:
            return 0.0, None, None  # response-only ground truth: neutral, as released
        lo, hi = self.c_lo, self.c_hi
        if gt.calls is None:
            return lo, None, gt.error
        block, err = tool_block(s)
        if block is None:
            return lo, None, err
        if block == gt.block:
            return hi, _EXACT, None  # same text, same calls: skip parsing (common late in training)
        calls, err = parse_block(block)
        if calls is None:
            return lo, None, err
        gt_calls = gt.calls
        if self.norm is not None:
            calls = normalize_calls(calls, self.norm)
            gt_calls = gt.calls_for(self.norm)
        det = correctness_details(calls, gt_calls, self.ccfg)  # type: ignore[arg-type]
        if "score" in det:
            # Same operation order as the released scorer, so values agree to the last bit.
            return (hi - lo) * det["score"] / det["s_max"] + lo, det, None
        return (hi if det["fraction"] == 1.0 else lo), det, None

    def breakdown(self, completion: Any, gt: GroundTruth) -> Breakdown:
        """The breakdown of one completion (details computed when first read)."""
        s = completion.strip() if type(completion) is str else as_text(completion)
        components: dict[str, float] = {}
        total = 0.0
        if "format" in self.names:
            v = self.f_w * (self.f_hi if format_ok(s, gt.kind) else self.f_lo)
            components["format"] = v
            total += v
        if "correctness" in self.names:
            v = self.c_w * self._correctness(s, gt)[0]
            components["correctness"] = v
            total += v
        if "length" in self.names:
            v = self.l_w * (self.l_lo + (self.l_hi - self.l_lo) * length_fraction(s, self.l_target))
            components["length"] = v
            total += v
        return Breakdown(total, components, source=(self, s, gt))

    def details(self, s: str, gt: GroundTruth) -> dict[str, Any]:
        """Sub-scores and the error category of one (stripped) completion."""
        ok = format_ok(s, gt.kind)
        _, det, error = self._correctness(s, gt)
        details: dict[str, Any] = {"gt_kind": gt.kind, "format_ok": ok, "error": error}
        details.update(_EMPTY_SUB)
        if det is not None:
            details.update(det)
            del details["fraction"]
        if error is None and not ok:
            details["error"] = "wrong_layout" if well_formed(s) else diagnose(s)
        if "length" in self.names:
            details["think_words"] = think_words(s)
        return details


def score(
    completion: str,
    ground_truth: Any,
    cfg: RewardConfig | None = None,
    step: float = 0,
    max_steps: float | None = None,
) -> Breakdown:
    """Score one completion against one ground truth (ToolRL text or a `Target`); never raises
    on the completion.

    >>> score("<think> a </think>\\n<response> b </response>", "<think> t </think>\\n<response> r </response>").total
    1.0
    """
    return Resolved(cfg, step, max_steps).breakdown(completion, parse_ground_truth(ground_truth))


def _parsed_gts(ground_truths: Sequence[Any], n: int) -> list[GroundTruth]:
    if isinstance(ground_truths, str | GroundTruth) or not isinstance(ground_truths, Sequence):
        ground_truths = [ground_truths] * n  # one ground truth for the whole batch
    if len(ground_truths) != n:
        raise ValueError(f"{n} completions but {len(ground_truths)} ground truths")
    # Parse each distinct ground truth once (a GRPO group repeats the same object).
    cache: dict[int, GroundTruth] = {}
    out = []
    for gt in ground_truths:
        parsed = cache.get(id(gt))
        if parsed is None:
            parsed = cache[id(gt)] = parse_ground_truth(gt)
        out.append(parsed)
    return out


def score_batch(
    completions: Sequence[Any],
    ground_truths: Sequence[Any] | Any,
    cfg: RewardConfig | None = None,
    step: float = 0,
    max_steps: float | None = None,
) -> list[Breakdown]:
    """Score many completions: ranges resolved once, each ground truth parsed once.

    `ground_truths` is one per completion, or a single ground truth for all.

    >>> [b.total for b in score_batch(["<think> a </think>\\n<response> b </response>", "x"], "<response> r </response>")]
    [1.0, 0.0]
    """
    resolved = Resolved(cfg, step, max_steps)
    gts = _parsed_gts(ground_truths, len(completions))
    breakdown = resolved.breakdown
    return [breakdown(c, g) for c, g in zip(completions, gts, strict=True)]


def score_columns(
    completions: Sequence[Any],
    ground_truths: Sequence[Any] | Any,
    cfg: RewardConfig | None = None,
    step: float = 0,
    max_steps: float | None = None,
) -> dict[str, list[float]]:
    """The fastest path: only numbers, as columns `total` and one per enabled component.

    >>> score_columns(["<think> a </think>\\n<response> b </response>"], "<response> r </response>")
    {'total': [1.0], 'format': [1.0], 'correctness': [0.0]}
    """
    r = Resolved(cfg, step, max_steps)
    gts = _parsed_gts(ground_truths, len(completions))
    use_f, use_c, use_l = (name in r.names for name in ("format", "correctness", "length"))
    f_good, f_bad = r.f_w * r.f_hi, r.f_w * r.f_lo
    cols: dict[str, list[float]] = {"total": []}
    for name in r.names:
        cols[name] = []
    total, fcol, ccol, lcol = (
        cols["total"],
        cols.get("format"),
        cols.get("correctness"),
        cols.get("length"),
    )
    correctness = r._correctness
    for c, g in zip(completions, gts, strict=True):
        s = c.strip() if type(c) is str else as_text(c)
        t = 0.0
        if use_f:
            v = f_good if format_ok(s, g.kind) else f_bad
            fcol.append(v)  # type: ignore[union-attr]
            t += v
        if use_c:
            v = r.c_w * correctness(s, g)[0]
            ccol.append(v)  # type: ignore[union-attr]
            t += v
        if use_l:
            v = r.l_w * (r.l_lo + (r.l_hi - r.l_lo) * length_fraction(s, r.l_target))
            lcol.append(v)  # type: ignore[union-attr]
            t += v
        total.append(t)
    return cols
