"""The ToolRL reward and all its variants.

Example::

    >>> from toolrl.rewards import RewardConfig, score
    >>> cfg = RewardConfig.preset("toolrl")
    >>> gt = '<think> t </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": "1"}}\\n</tool_call>'
    >>> score('<think> a </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": "1"}}\\n</tool_call>', gt, cfg).total
    4.0

Import cost: pydantic and the standard library only (scipy loads on the first optimal
matching that needs it); no torch, transformers or trl.
"""

from __future__ import annotations

from toolrl.rewards.check import check_config
from toolrl.rewards.components import GroundTruth, parse_ground_truth
from toolrl.rewards.config import (
    PRESETS,
    CorrectnessConfig,
    FormatConfig,
    LengthConfig,
    Normalization,
    RewardConfig,
    effective_ranges,
    effective_weights,
    schedule_points,
)
from toolrl.rewards.explain import explain
from toolrl.rewards.schedule import Schedule
from toolrl.rewards.scoring import (
    Breakdown,
    correctness_reward,
    format_reward,
    length_reward,
    score,
    score_batch,
    score_columns,
)

__all__ = [
    "PRESETS",
    "Breakdown",
    "CorrectnessConfig",
    "FormatConfig",
    "GroundTruth",
    "LengthConfig",
    "Normalization",
    "RewardConfig",
    "Schedule",
    "check_config",
    "correctness_reward",
    "effective_ranges",
    "effective_weights",
    "explain",
    "format_reward",
    "length_reward",
    "parse_ground_truth",
    "schedule_points",
    "score",
    "score_batch",
    "score_columns",
]
