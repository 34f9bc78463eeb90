"""Every use of TRL beyond its documented API, in one place, checked against the pinned version.

The engine relies on these behaviours of TRL 1.16.0 (the names are what a failing check or test
prints; `tests/toolrl/test_trl_adapter.py` runs a real GRPO step and asserts each one):

- `SHARED_COMPLETIONS`: within one generation batch TRL calls every reward function with the
  *same* `completions` list object, so the component functions share one scoring pass
  (`shared_scoring`).
- `REWARD_KWARGS`: reward functions receive `trainer_state` (its `global_step` is the step the
  batch trains), `completion_ids`, `log_metric`, `log_extra` and the dataset's columns.
- `SUM_OF_REWARDS`: TRL's reward is the plain sum of the reward functions' values (its
  `reward_weights` are all ones and `multi_objective_aggregation` is `sum_then_normalize`), so
  returning each component's *weighted* value makes TRL's `reward` and advantages ToolRL's.
- `GENERATION_LOGS`: after a generation round, the private `trainer._logs` holds its completions
  (gathered from every process), their advantages and the `log_extra` columns, in one order
  (`generation_logs`).
- `CALLBACK_TRAINER`: transformers gives a callback no trainer; `build_trainer` sets
  `callback.trainer` right after construction.

TRL's own printing of completions (`print_prompt_completions_sample`) stays off through the
public `log_completions=False` (`toolrl.training.trl_args`). On another TRL version the engine
warns (`check_trl_version`); `build_trainer` refuses to train when `SUM_OF_REWARDS` or
`GENERATION_LOGS` visibly do not hold, rather than record wrong numbers.

Example::

    >>> funcs = shared_scoring(["format", "correctness"], lambda c, kw: {"format": [1.0], "correctness": [2.0]})
    >>> completions = ["x"]
    >>> [f.__name__ for f in funcs], [f(completions=completions) for f in funcs]
    (['format', 'correctness'], [[1.0], [2.0]])
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

log = logging.getLogger(__name__)

TRL_VERSION = "1.16.0"
"""The TRL version these assumptions were checked against (pinned in pyproject.toml)."""

SHARED_COMPLETIONS = "SHARED_COMPLETIONS"
REWARD_KWARGS = "REWARD_KWARGS"
SUM_OF_REWARDS = "SUM_OF_REWARDS"
GENERATION_LOGS = "GENERATION_LOGS"
CALLBACK_TRAINER = "CALLBACK_TRAINER"
ASSUMPTIONS = (SHARED_COMPLETIONS, REWARD_KWARGS, SUM_OF_REWARDS, GENERATION_LOGS, CALLBACK_TRAINER)

# The parts of `trainer._logs` the engine reads.
_LOG_KEYS = ("completion", "advantages", "extra")


class TRLAssumptionError(RuntimeError):
    """An assumption about TRL's internals does not hold on the installed version."""

    def __init__(self, assumption: str, detail: str) -> None:
        self.assumption = assumption
        super().__init__(
            f"TRL {installed_trl_version()} breaks {assumption}: {detail} "
            f"(toolrl is tested with trl=={TRL_VERSION}; see toolrl/training/trl_adapter.py)"
        )


def installed_trl_version() -> str | None:
    """The installed TRL version, read without importing TRL."""
    try:
        return metadata.version("trl")
    except metadata.PackageNotFoundError:
        return None


def check_trl_version(installed: str | None = None) -> str | None:
    """A warning naming the assumptions at risk when TRL is not the tested version, else None.

    >>> check_trl_version("1.16.0") is None
    True
    >>> print(check_trl_version("1.17.0"))  # doctest: +ELLIPSIS
    TRL 1.17.0 is installed but toolrl was tested with 1.16.0; ...
    """
    installed = installed if installed is not None else installed_trl_version()
    if installed == TRL_VERSION:
        return None
    return (
        f"TRL {installed} is installed but toolrl was tested with {TRL_VERSION}; it relies on "
        f"{', '.join(ASSUMPTIONS)} (toolrl/training/trl_adapter.py): run "
        "`pytest tests/toolrl/test_trl_adapter.py` to check them, or install "
        f"trl=={TRL_VERSION}"
    )


def shared_scoring(
    names: list[str], score: Callable[[list[Any], dict[str, Any]], dict[str, list[float]]]
) -> list[Callable[..., list[float]]]:
    """One TRL reward function per component (named after it, so TRL logs
    `rewards/<name>/mean`), all served by one call of `score(completions, kwargs)` per batch.

    The first function TRL calls for a batch scores it; the others find the same `completions`
    object and reuse the result (SHARED_COMPLETIONS). The batch is kept referenced until the
    next one, so its identity cannot be reused by another list.
    """
    last: dict[str, Any] = {"batch": None, "values": {}}

    def values_of(completions: list[Any], kwargs: dict[str, Any]) -> dict[str, list[float]]:
        if last["batch"] is not completions:
            last["values"] = score(completions, kwargs)
            last["batch"] = completions
        return last["values"]

    def component(name: str) -> Callable[..., list[float]]:
        def reward(completions: list[Any], **kwargs: Any) -> list[float]:
            return values_of(completions, kwargs)[name]

        reward.__name__ = reward.__qualname__ = name
        return reward

    return [component(name) for name in names]


def build_trainer(*, callback: Any, **kwargs: Any) -> Any:
    """TRL's `GRPOTrainer(**kwargs, callbacks=[callback])`, with transformers' printing
    callbacks removed and `callback.trainer` set (CALLBACK_TRAINER); refuses a trainer whose
    reward is not the plain sum of the reward functions (SUM_OF_REWARDS) or that keeps no
    generation logs (GENERATION_LOGS)."""
    from transformers import PrinterCallback, ProgressCallback
    from trl import GRPOTrainer

    warning = check_trl_version()
    if warning:
        log.warning(warning)
    trainer = GRPOTrainer(callbacks=[callback], **kwargs)
    for printer in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(printer)
    callback.trainer = trainer
    check_trainer(trainer)
    return trainer


def check_trainer(trainer: Any) -> None:
    """Raise `TRLAssumptionError` when what can be seen before training contradicts an assumption."""
    weights = getattr(trainer, "reward_weights", None)
    if weights is None or [float(w) for w in weights] != [1.0] * len(trainer.reward_funcs):
        raise TRLAssumptionError(SUM_OF_REWARDS, f"reward_weights are {weights}, not all 1")
    aggregation = getattr(trainer, "multi_objective_aggregation", "sum_then_normalize")
    if aggregation != "sum_then_normalize":
        raise TRLAssumptionError(SUM_OF_REWARDS, f"multi_objective_aggregation is {aggregation}")
    logs = getattr(trainer, "_logs", None)
    if not isinstance(logs, dict) or not all(k in logs for k in _LOG_KEYS):
        raise TRLAssumptionError(
            GENERATION_LOGS, f"trainer._logs lacks {_LOG_KEYS} (it has {type(logs).__name__})"
        )


@dataclass
class GenerationLogs:
    """The last generation round as TRL logged it, gathered from every process."""

    completions: list[Any]
    advantages: list[float]
    extra: dict[str, list[Any]]
    """The columns reward functions passed to `log_extra`."""
    prompts: list[Any] = field(default_factory=list)
    """Each completion's prompt as the model saw it (TRL's conversational messages)."""


def generation_logs(trainer: Any) -> GenerationLogs:
    """A copy of `trainer._logs` for the last generation round (GENERATION_LOGS)."""
    logs = trainer._logs
    return GenerationLogs(
        completions=list(logs["completion"]),
        advantages=list(logs["advantages"]),
        extra={k: list(v) for k, v in logs["extra"].items()},
        prompts=list(logs.get("prompt") or []),
    )
