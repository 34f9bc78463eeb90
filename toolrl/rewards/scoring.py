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

from collections.abc import Callable, Sequence
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
from toolrl.schema import Target

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
    """A configuration resolved at one step: ranges and weights read once per batch.

    The weighted value of each component is computed by exactly one method, `format`,
    `correctness` or `length` (each takes the *stripped* completion text and its parsed ground
    truth); `scorers` lists the enabled ones in order, and every path (`score`, `score_batch`,
    `score_columns`, the per-component `*_reward` functions, training) goes through them.
    """

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
        f, c = cfg.format, cfg.correctness
        f_w = value_at(f.weight, step, max_steps)
        self.f_good = f_w * value_at(f.max, step, max_steps)
        self.f_bad = f_w * value_at(f.min, step, max_steps)
        self.c_w = value_at(c.weight, step, max_steps)
        self.c_lo = value_at(c.min, step, max_steps)
        self.c_hi = value_at(c.max, step, max_steps)
        self.ccfg = c
        self.norm = c.normalize if c.normalize.any() else None
        if "length" in self.names:  # off in most presets: not resolving it saves a third
            n = cfg.length
            self.l_w = value_at(n.weight, step, max_steps)
            self.l_lo = value_at(n.min, step, max_steps)
            self.l_hi = value_at(n.max, step, max_steps)
            self.l_target = value_at(n.target_words, step, max_steps)
        self.scorers: list[tuple[str, Callable[[str, GroundTruth], float]]] = [
            (name, getattr(self, name)) for name in self.names
        ]

    # --- one function per component: its weighted value -------------------------------------

    def format(self, s: str, gt: GroundTruth) -> float:
        """Weighted format value: `weight * max` if the layout fits the ground truth, else `weight * min`."""
        return self.f_good if format_ok(s, gt.kind) else self.f_bad

    def correctness(self, s: str, gt: GroundTruth) -> float:
        """Weighted correctness value: `weight * (min + (max - min) * fraction)` (see `_correctness`)."""
        return self.c_w * self._correctness(s, gt)[0]

    def length(self, s: str, gt: GroundTruth | None = None) -> float:
        """Weighted length value: `weight * (min + (max - min) * length_fraction)`."""
        frac = length_fraction(s, self.l_target)
        return self.l_w * (self.l_lo + (self.l_hi - self.l_lo) * frac)

    # ------------------------------------------------------------------------------------------

    def _correctness(
        self, s: str, gt: GroundTruth
    ) -> tuple[float, dict[str, Any] | None, str | None]:
        """(unweighted value in [min, max], sub-scores or None, error or None)."""
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
        for name, value_of in self.scorers:
            v = components[name] = value_of(s, gt)
            total += v
        return Breakdown(total, components, None, (self, s, gt))  # positional: hot path

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
    texts = [c.strip() if type(c) is str else as_text(c) for c in completions]
    # Column by column: `map` runs each component's function at C speed, and the total adds the
    # components in the same order as `breakdown`, so both give the same bits.
    total = [0.0] * len(texts)
    cols: dict[str, list[float]] = {}
    for name, value_of in r.scorers:
        col = cols[name] = list(map(value_of, texts, gts))
        total = [t + v for t, v in zip(total, col, strict=True)]
    return {"total": total, **cols}


# ---- per-component public functions --------------------------------------------------------


def format_reward(
    completion: Any,
    ground_truth: str | Target | GroundTruth,
    cfg: RewardConfig | None = None,
    step: float = 0,
    max_steps: float | None = None,
) -> float:
    """The weighted format component: `max` if the layout fits the ground truth, else `min`.

    >>> format_reward("<think> a </think>\\n<response> b </response>", "<response> x </response>")
    1.0
    """
    gt = parse_ground_truth(ground_truth)
    return Resolved(cfg, step, max_steps).format(as_text(completion), gt)


def correctness_reward(
    completion: Any,
    ground_truth: str | Target | GroundTruth,
    cfg: RewardConfig | None = None,
    step: float = 0,
    max_steps: float | None = None,
) -> float:
    """The weighted correctness component (0 for a response-only ground truth).

    >>> gt = '<think> t </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": "1"}}\\n</tool_call>'
    >>> correctness_reward('<think> a </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": "1"}}\\n</tool_call>', gt)
    3.0
    """
    gt = parse_ground_truth(ground_truth)
    return Resolved(cfg, step, max_steps).correctness(as_text(completion), gt)


def length_reward(
    completion: Any,
    ground_truth: str | Target | GroundTruth | None = None,
    cfg: RewardConfig | None = None,
    step: float = 0,
    max_steps: float | None = None,
) -> float:
    """The weighted length component; with no config, the `length` preset's (target 512 words).

    >>> length_reward("<think> " + "w " * 512 + "</think>")
    1.0
    """
    cfg = RewardConfig.preset("length") if cfg is None else cfg
    return Resolved(cfg, step, max_steps, force_length=True).length(as_text(completion))
