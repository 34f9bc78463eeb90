"""The reward configuration: every ToolRL variant is a preset of one pydantic model.

`RewardConfig.preset(name)` gives each variant the paper studies (names in `PRESETS`);
users write their own in YAML or JSON (`RewardConfig.from_file`). Each component has a
`weight` and a `[min, max]` range, and any of these may be a `Schedule` over training.

Where the released code and the paper differ, the presets choose as follows:

- `toolrl` is the released scorer (greedy matching); `toolrl-optimal` is the paper's optimal
  matching.
- `dynamic` follows the paper's formula with `p = step / max_steps`: format `[-2+p, 2-p]`,
  correctness `[-2-p, 2+p]`. The released code (`SCHEDULEREWARD`) uses `p' = step / 150`
  whatever the run length, moves the format minimum twice as fast (`-2 + step/75`) and clamps
  (format max >= 1, min <= -1; correctness within [-3, 3]); a 105-step run therefore ends at
  format [-1, 1.3], correctness [-2.7, 2.7] in the code but [-1, 1], [-3, 3] here.
- `dynamic-length` uses the paper's target `512 * (1 + p)` words, not the code's 384 -> 640.
- `two-stage` is the code's `MAX1STEP30MAX3`: correctness [-1, 1] before step 30; from step
  30 format [0, 0.5] and correctness [-3, 3].
- `coarse` and `finegrained` compare ordered lists, as the code does.

Example::

    >>> cfg = RewardConfig.preset("equal-max")
    >>> (cfg.correctness.min, cfg.correctness.max)
    (-1.0, 1.0)
    >>> RewardConfig.model_validate(cfg.model_dump()) == cfg
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from toolrl.configfile import deep_merge, read_mapping
from toolrl.errors import UserError
from toolrl.rewards.schedule import Schedule, Value, value_at


class _Component(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    enabled: bool = True
    weight: Value = 1.0
    min: Value = 0.0
    max: Value = 1.0

    @model_validator(mode="after")
    def _check_range(self) -> _Component:
        if isinstance(self.min, float | int) and isinstance(self.max, float | int):
            if self.min > self.max:
                raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class FormatConfig(_Component):
    """Format reward: `max` when the output has the layout the ground truth calls for, else `min`."""


class Normalization(BaseModel):
    """Value normalisations applied before comparing parameter values (all off in the paper)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    case: bool = False
    """Compare strings case-insensitively."""
    whitespace: bool = False
    """Strip strings and collapse runs of whitespace to one space."""
    numeric_strings: bool = False
    """Treat numeric strings as numbers ("1" == 1 == 1.0)."""

    def any(self) -> bool:
        return self.case or self.whitespace or self.numeric_strings


class CorrectnessConfig(_Component):
    """Correctness reward: tool names, parameter names and values against the ground truth."""

    min: Value = -3.0
    max: Value = 3.0
    granularity: Literal["original", "finegrained", "intermediate", "coarse"] = "original"
    """original: Jaccards + exact values; finegrained: all-or-nothing Jaccards (paper §5.3);
    intermediate: whole calls; coarse: the whole list."""
    matching: Literal["greedy", "optimal"] = "greedy"
    """greedy: the released scorer; optimal: maximum-weight assignment (the paper's text)."""
    normalize: Normalization = Field(default_factory=Normalization)


class LengthConfig(_Component):
    """Length reward: `min(round(words / target_words, 2), 1)` of the last thought, scaled to [min, max]."""

    enabled: bool = False
    target_words: Value = 512.0


COMPONENTS = ("format", "correctness", "length")


class RewardConfig(BaseModel):
    """A complete reward: components, ranges, weights and schedules (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = "custom"
    format: FormatConfig = Field(default_factory=FormatConfig)
    correctness: CorrectnessConfig = Field(default_factory=CorrectnessConfig)
    length: LengthConfig = Field(default_factory=LengthConfig)

    @classmethod
    def preset(cls, name: str) -> RewardConfig:
        """The configuration of a named variant (`PRESETS` lists them).

        >>> RewardConfig.preset("toolrl-optimal").correctness.matching
        'optimal'
        """
        try:
            data = PRESETS[name]
        except KeyError:
            known = ", ".join(PRESETS)
            raise UserError(f"unknown reward preset {name!r}; known: {known}") from None
        return cls.model_validate({"name": name, **data})

    @classmethod
    def from_file(cls, path: str | Path) -> RewardConfig:
        """Load a configuration from YAML or JSON (`.json`); `preset: NAME` starts from a preset.

        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "r.json")
        >>> _ = open(p, "w").write('{"correctness": {"max": 1, "min": -1}}')
        >>> RewardConfig.from_file(p).correctness.max
        1.0
        """
        return cls.from_dict(read_mapping(path, "reward configuration"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RewardConfig:
        """Validate a mapping; an optional `preset` key gives the starting values to override.

        >>> RewardConfig.from_dict({"preset": "length", "length": {"weight": 0.5}}).length.enabled
        True
        """
        data = dict(data)
        base_name = data.pop("preset", None)
        if base_name is not None:
            base = cls.preset(base_name).model_dump()
            data = deep_merge(base, data)
        return cls.model_validate(data)

    @classmethod
    def resolve(cls, spec: str | Path | RewardConfig | None) -> RewardConfig:
        """A config from a preset name, a file path, a config, or None (the `toolrl` preset).

        >>> RewardConfig.resolve("coarse").correctness.granularity
        'coarse'
        """
        if spec is None:
            return cls.preset("toolrl")
        if isinstance(spec, RewardConfig):
            return spec
        if str(spec) in PRESETS:
            return cls.preset(str(spec))
        if not Path(spec).exists():
            raise UserError(
                f"{str(spec)!r} is neither a reward preset ({', '.join(PRESETS)}) nor a file"
            )
        return cls.from_file(spec)

    def component_names(self) -> list[str]:
        """Enabled components in order.

        >>> RewardConfig.preset("length").component_names()
        ['format', 'correctness', 'length']
        """
        return [name for name in COMPONENTS if getattr(self, name).enabled]


def _linear(start: float, end: float) -> dict[str, Any]:
    return {"kind": "linear", "by": "progress", "start": start, "end": end}


def _at_step_30(before: float, after: float) -> dict[str, Any]:
    return {"kind": "step", "by": "step", "at": 30, "before": before, "after": after}


PRESETS: dict[str, dict[str, Any]] = {
    # The released scorer with all variant flags off: the paper's main results.
    "toolrl": {},
    # The paper's text: optimal (maximum-weight) matching instead of the code's greedy one.
    "toolrl-optimal": {"correctness": {"matching": "optimal"}},
    # §5.2 "Equal max": correctness in [-1, 1], the same scale as format.
    "equal-max": {"correctness": {"min": -1.0, "max": 1.0}},
    # §5.2 "Two stage": correctness [-1, 1] before step 30; from step 30 format [0, 0.5] and
    # correctness back to [-3, 3] (the code's MAX1STEP30MAX3).
    "two-stage": {
        "format": {"max": _at_step_30(1.0, 0.5)},
        "correctness": {"min": _at_step_30(-1.0, -3.0), "max": _at_step_30(1.0, 3.0)},
    },
    # §5.2 "Dynamic", the paper's formula with p = step / max_steps: format [-2+p, 2-p],
    # correctness [-2-p, 2+p]. The released code uses p' = step/150 with clamps instead (so a
    # 105-step run ends at p' = 0.7 and the format minimum moves twice as fast); we follow the
    # paper, and a user wanting the code's curve can write it as a schedule with `by: step`.
    "dynamic": {
        "format": {"min": _linear(-2.0, -1.0), "max": _linear(2.0, 1.0)},
        "correctness": {"min": _linear(-2.0, -3.0), "max": _linear(2.0, 3.0)},
    },
    # §5.3 granularity variants.
    "finegrained": {"correctness": {"granularity": "finegrained"}},
    "intermediate": {"correctness": {"granularity": "intermediate"}},
    "coarse": {"correctness": {"granularity": "coarse"}},
    # §5.1 length reward: min(round(words/512, 2), 1) of the last thought.
    "length": {"length": {"enabled": True}},
    # §5.1 dynamic length, the paper's target 512 * (1 + p) (the code ramps 384 -> 640 instead).
    "dynamic-length": {"length": {"enabled": True, "target_words": _linear(512.0, 1024.0)}},
}


def effective_ranges(
    cfg: RewardConfig, step: float = 0, max_steps: float | None = None
) -> dict[str, tuple[float, float]]:
    """Each enabled component's `(min, max)` at `step` of `max_steps`.

    >>> effective_ranges(RewardConfig.preset("dynamic"), step=50, max_steps=100)["format"]
    (-1.5, 1.5)
    """
    out = {}
    for name in cfg.component_names():
        comp = getattr(cfg, name)
        out[name] = (value_at(comp.min, step, max_steps), value_at(comp.max, step, max_steps))
    return out


def effective_weights(
    cfg: RewardConfig, step: float = 0, max_steps: float | None = None
) -> dict[str, float]:
    """Each enabled component's weight at `step` of `max_steps`.

    >>> effective_weights(RewardConfig.preset("toolrl"))
    {'format': 1.0, 'correctness': 1.0}
    """
    return {
        name: value_at(getattr(cfg, name).weight, step, max_steps) for name in cfg.component_names()
    }


def schedule_points(cfg: RewardConfig, max_steps: int, n: int = 11) -> list[dict[str, float]]:
    """The schedule sampled at `n` evenly spaced steps from 0 to `max_steps`, for plots and tables.

    Each point has `step`, `progress`, and `<component>.weight/.min/.max` (plus
    `length.target_words` when length is on). Steps where a schedule turns are added (a step
    schedule's switch, piecewise points, where a linear or cosine one starts or stops).

    >>> pts = schedule_points(RewardConfig.preset("two-stage"), max_steps=105, n=2)
    >>> [(p["step"], p["format.max"]) for p in pts]
    [(0, 1.0), (30, 0.5), (105, 0.5)]
    """
    n = max(int(n), 2)
    steps = {round(i * max_steps / (n - 1)) for i in range(n)}
    steps |= {int(s) for s in _switch_steps(cfg, max_steps) if 0 <= s <= max_steps}
    points = []
    for step in sorted(steps):
        point: dict[str, float] = {"step": step, "progress": step / max_steps if max_steps else 0.0}
        weights = effective_weights(cfg, step, max_steps)
        for name, (lo, hi) in effective_ranges(cfg, step, max_steps).items():
            point[f"{name}.weight"] = weights[name]
            point[f"{name}.min"] = lo
            point[f"{name}.max"] = hi
        if cfg.length.enabled:
            point["length.target_words"] = value_at(cfg.length.target_words, step, max_steps)
        points.append(point)
    return points


def _switch_steps(cfg: RewardConfig, max_steps: int) -> list[float]:
    """Steps where a schedule turns: a step schedule's switch, a piecewise schedule's points and
    where a linear or cosine one starts and stops moving. Sampling them keeps a plot's corners
    and extremes however coarse the even grid is."""
    out = []
    for name in COMPONENTS:
        comp = getattr(cfg, name)
        for value in (comp.weight, comp.min, comp.max, getattr(comp, "target_words", 0.0)):
            if not isinstance(value, Schedule):
                continue
            scale = 1.0 if value.by == "step" else float(max_steps)
            if value.kind == "step" and value.at is not None:
                xs = [value.at]
            elif value.kind == "piecewise":
                xs = [x for x, _ in value.points or []]
            elif value.kind in ("linear", "cosine"):
                xs = [value.begin] + ([value.finish] if value.finish is not None else [])
            else:
                xs = []
            out += [x * scale for x in xs]
    return out
