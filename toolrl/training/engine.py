"""The training loop: a `RunConfig` in, a run directory out. Reads top to bottom.

1. rows (file or synthetic) → TRL records with the ToolRL prompt rendered per row; the rows and
   the model path are checked before anything heavy is imported, so a user's mistake is one
   line (`toolrl.errors`) within a second, not a traceback after the model loaded;
2. model and tokenizer (the tiny model is built or reused from the cache);
3. one reward function per component, sharing one scoring pass per batch;
4. TRL's `GRPOTrainer` (through `toolrl.training.trl_adapter`) with our callback (rollouts,
   evaluation, stop/limit, checkpoints) and the sink;
5. `trainer.train(resume_from_checkpoint=...)`: transformers restores weights, optimizer,
   scheduler, RNG state and the step, and skips the batches already seen, so the data order
   continues as if the run had not stopped.

Example::

    result = train(RunConfig.from_preset("cpu-tiny"), "runs/demo")
    print(result.status, result.step, result.final_eval)
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolrl.errors import UserError
from toolrl.training.config import RunConfig
from toolrl.training.data import load_splits, prompt_lengths, to_records
from toolrl.training.model_source import ModelSourceError, check_model_source
from toolrl.training.rundir import latest_checkpoint, make_run_dir
from toolrl.training.sinks import FileSink, SafeSinks, Sink

__all__ = ["RunConfigError", "RunResult", "latest_checkpoint", "load_model", "train"]

log = logging.getLogger(__name__)


class RunConfigError(UserError):
    """The configuration cannot run as launched (found once the model or the launcher is known);
    the message names the field."""


@dataclass
class RunResult:
    """How a run ended."""

    status: str
    """completed, stopped, time_limit or failed."""
    step: int
    """Optimizer steps done (global step)."""
    out_dir: str
    last_checkpoint: str | None = None
    final_eval: dict[str, float] | None = None
    seconds: float = 0.0
    train_rows: int = 0
    skipped_rows: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    main_process: bool = True
    """False in the other ranks of an `accelerate launch` run (they write nothing)."""


def _resume_checkpoint(out: Path, resume_from: str | None) -> str | None:
    """The checkpoint to resume: `latest` is the newest in `out`; a path must exist."""
    if resume_from is None:
        return None
    if resume_from == "latest":
        found = latest_checkpoint(out)
        if found is None:
            raise UserError(f"--resume latest: no checkpoint in {out / 'checkpoints'}")
        return found
    if not Path(resume_from).is_dir():
        raise UserError(f"--resume {resume_from}: no such checkpoint folder")
    return resume_from


def _checkpoint_step(path: str | None) -> int:
    if not path:
        return 0
    state = Path(path) / "trainer_state.json"
    try:
        return int(json.loads(state.read_text())["global_step"])
    except (OSError, ValueError, KeyError):
        return 0


def _silence_libraries() -> None:
    # Tokenizer fork warnings and per-step deprecation chatter would bury our progress output.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    for name in ("transformers", "trl", "accelerate", "datasets"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(transformers|trl|torch)\..*")


def _is_main_process() -> bool:
    """Rank 0 (or a plain single process), read from the launcher's environment.

    The trainer's accelerator is built later; torchrun sets RANK for every rank, MPI launchers
    (accelerate's multi-CPU path) their own variables.
    """
    for name in ("RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK"):
        if os.environ.get(name, "").strip():
            return int(os.environ[name]) == 0
    return True


def _check_process_count(cfg: RunConfig, world_size: int) -> None:
    """The launch must match `grpo.num_processes`: batch sizes are derived from it, and a
    mismatch would train with another global batch than the configuration says."""
    launched = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if launched != world_size:
        raise RuntimeError(
            f"{launched} processes were launched but only {world_size} train together "
            "(the distributed backend did not start); see docs/training.md, several processes"
        )
    if world_size != cfg.grpo.num_processes:
        raise RunConfigError(
            f"grpo.num_processes is {cfg.grpo.num_processes} but {world_size} processes were "
            f"launched; set grpo.num_processes: {world_size} or launch "
            f"`accelerate launch --multi_gpu --num_processes {cfg.grpo.num_processes}`"
        )


def _filter_long(
    tokenizer: Any, records: list[dict[str, Any]], limit: int
) -> tuple[list[dict[str, Any]], int]:
    lengths = prompt_lengths(tokenizer, records)
    kept = [r for r, n in zip(records, lengths, strict=True) if n <= limit]
    return kept, len(records) - len(kept)


def load_model(cfg: RunConfig, setting: str = "model.name_or_path") -> tuple[Any, Any]:
    """Tokenizer and model for the run (tiny names resolve to the cached tiny model).

    A path that is not a model raises `ModelSourceError` (a `UserError`) naming the path and
    what is missing; `setting` is how the message names it.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from toolrl.tiny import resolve_model_path

    name = cfg.model.name_or_path
    check_model_source(name, setting)
    path = resolve_model_path(name)
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[
        cfg.model.dtype
    ]
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    except OSError as exc:
        # A Hub id the Hub cannot serve (offline, private, misspelt): transformers says why.
        reason = next((line for line in str(exc).splitlines() if line.strip()), "")
        where = f"{setting}: {name}" if setting else name
        raise ModelSourceError(f"{where}: cannot be loaded ({reason})") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model


def train(
    cfg: RunConfig,
    out_dir: str | Path,
    *,
    sinks: list[Sink] | None = None,
    resume_from: str | None = None,
    progress: bool = False,
) -> RunResult:
    """Run GRPO per `cfg`, writing the run directory `out_dir` (and to any extra `sinks`).

    `resume_from` is a checkpoint directory (or "latest" for the newest in `out_dir`).
    """
    t_start = time.monotonic()
    out = Path(out_dir)
    resume_from = _resume_checkpoint(out, resume_from)
    # 1. rows, and the model path: a user's mistake shows before anything heavy loads
    train_rows, val_rows = load_splits(cfg.data, cfg.seed)
    if cfg.eval_rows is not None:
        val_rows = val_rows[: cfg.eval_rows]
    check_model_source(cfg.model.name_or_path)
    make_run_dir(out)

    _silence_libraries()
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import set_seed

    from toolrl.training.callbacks import ProgressBar, RunCallback
    from toolrl.training.rollouts import RewardState
    from toolrl.training.trl_adapter import build_trainer

    # Under `accelerate launch` every rank runs this function; only the main one writes the run
    # directory and talks to the sinks (the trainer gathers rollouts and metrics onto it).
    main = _is_main_process()
    sink = SafeSinks([FileSink(out), *(sinks or [])] if main else [])
    set_seed(cfg.seed)

    # 2. model
    tokenizer, model = load_model(cfg)
    records, skipped = _filter_long(tokenizer, to_records(train_rows), cfg.grpo.max_prompt_length)
    if skipped:
        log.warning("left out %d training rows longer than grpo.max_prompt_length", skipped)
    if not records:
        raise RunConfigError("grpo.max_prompt_length: every training prompt is longer than this")
    val_ids = {
        r["prompt_id"]
        for r in _filter_long(tokenizer, to_records(val_rows), cfg.grpo.max_prompt_length)[0]
    }
    val_rows = [r for r in val_rows if r.id in val_ids]

    # 3. rewards
    reward_cfg = cfg.reward_config()
    reward_state = RewardState(reward_cfg, tokenizer.eos_token_id, capture=cfg.log_rollouts)

    # 4. trainer
    trl_kwargs = cfg.trl_kwargs(str(out / "checkpoints"))
    if cfg.device == "auto" and not torch.cuda.is_available():
        # Say so: under torchrun, "not CPU" with no GPU leaves every rank training on its own.
        trl_kwargs["use_cpu"] = True
    if trl_kwargs["use_cpu"]:
        # Several CPU ranks get the device "cpu:0" from accelerate, and transformers resumes the
        # optimizer with map_location=args.device, which torch.load cannot map ("cpu:0").
        os.environ.setdefault("ACCELERATE_TORCH_DEVICE", "cpu")
    from trl import GRPOConfig

    args = GRPOConfig(**trl_kwargs)
    _check_process_count(cfg, args.world_size)
    if main:
        # Only now: a configuration refused above leaves no run directory content behind.
        (out / "config.json").write_text(cfg.to_json())
    callback = RunCallback(cfg, sink, reward_state, val_rows, start_time=t_start)
    lora = cfg.lora_kwargs()
    trainer = build_trainer(
        model=model,
        reward_funcs=reward_state.reward_funcs(),
        args=args,
        train_dataset=Dataset.from_list(records),
        processing_class=tokenizer,
        peft_config=LoraConfig(**lora) if lora else None,
        callback=callback,
    )
    if progress:
        trainer.add_callback(ProgressBar())

    sink.start(
        {
            "config": cfg.model_dump(mode="json"),
            "out_dir": str(out),
            "resume_from": resume_from,
            "start_step": _checkpoint_step(resume_from),
            "max_steps": cfg.grpo.max_steps,
            "components": reward_state.names,
            "train_rows": len(records),
            "validation_rows": len(val_rows),
        }
    )
    # 5. train
    try:
        trainer.train(resume_from_checkpoint=resume_from)
    except BaseException:
        sink.close("failed")
        raise
    sink.close(callback.status)
    return RunResult(
        status=callback.status,
        step=trainer.state.global_step,
        out_dir=str(out),
        last_checkpoint=callback.last_checkpoint,
        final_eval=callback.last_eval,
        seconds=time.monotonic() - t_start,
        train_rows=len(records),
        skipped_rows=skipped,
        extra={"sink_failures": sink.failures},
        main_process=main,
    )
