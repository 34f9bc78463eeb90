"""End to end with the fast tiny model: a 3-step run, resume, stop request, the entry point.

One module-scoped smoke run feeds most checks; resume and stop each add one short run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import free_port
from tests.toolrl.smoke import smoke_config
from toolrl.training.sinks import Sink

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# Format weight scheduled from 1 to 0 over the run: checks that weights follow the schedule.
SCHEDULED_REWARD = {
    "preset": "toolrl",
    "format": {"weight": {"kind": "linear", "by": "progress", "start": 1.0, "end": 0.0}},
}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _run_module(module: str, *args: str, timeout: int, **kwargs) -> subprocess.CompletedProcess:
    """`python -m MODULE ARGS...` in a child process, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


@pytest.fixture(scope="module")
def smoke(fast_model, tmp_path_factory):
    from toolrl.training.engine import train

    cfg = smoke_config(reward=SCHEDULED_REWARD)
    out = tmp_path_factory.mktemp("smoke")
    result = train(cfg, out)
    return cfg, out, result


def test_smoke_run_completes_with_a_checkpoint(smoke):
    cfg, out, result = smoke
    assert (result.status, result.step) == ("completed", 3)
    ckpt = out / "checkpoints" / "checkpoint-3"
    for name in ("model.safetensors", "optimizer.pt", "scheduler.pt", "rng_state.pth", "trainer_state.json",
                 "run_config.json", "toolrl_checkpoint.json", "tokenizer.json"):  # fmt: skip
        assert (ckpt / name).exists(), name
    assert json.loads((ckpt / "trainer_state.json").read_text())["global_step"] == 3
    assert json.loads((ckpt / "run_config.json").read_text()) == json.loads(cfg.to_json())
    assert json.loads((out / "config.json").read_text()) == json.loads(cfg.to_json())
    assert [r["step"] for r in _jsonl(out / "checkpoints.jsonl")] == [2, 3]
    assert json.loads((out / "status.json").read_text())["status"] == "completed"


def test_parameters_changed(smoke, fast_model):
    from safetensors.torch import load_file

    _, out, _ = smoke
    before = load_file(fast_model / "model.safetensors")
    after = load_file(out / "checkpoints" / "checkpoint-3" / "model.safetensors")
    changed = [k for k in before if k in after and not (before[k] == after[k]).all()]
    assert changed, "no parameter moved in 3 GRPO steps"


def test_metrics_use_trl_names_every_step(smoke):
    _, out, _ = smoke
    rows = [r for r in _jsonl(out / "metrics.jsonl") if "reward" in r]
    assert [r["step"] for r in rows] == [1, 2, 3]
    for key in ("loss", "reward", "reward_std", "rewards/format/mean", "rewards/format/std",
                "rewards/correctness/mean", "completions/mean_length", "weights/format",
                "weights/correctness", "rollouts/exact", "correctness/values"):  # fmt: skip
        assert key in rows[0], key
    # The schedule: format weight 1 -> 0 by progress, read at the step each batch was generated.
    assert [round(r["weights/format"], 4) for r in rows] == [1.0, round(2 / 3, 4), round(1 / 3, 4)]
    assert any("train_runtime" in r for r in _jsonl(out / "metrics.jsonl"))


def test_rollouts_hold_every_component(smoke):
    from toolrl.rewards import score
    from toolrl.taxonomy import classify

    cfg, out, _ = smoke
    reward_cfg = cfg.reward_config()
    metrics = {r["step"]: r for r in _jsonl(out / "metrics.jsonl") if "reward" in r}
    for step in (1, 2, 3):
        rollouts = _jsonl(out / "rollouts" / f"step_{step:06d}.jsonl")
        assert len(rollouts) == cfg.grpo.generation_batch_size
        for r in rollouts:
            assert set(r["rewards"]) == {"format", "correctness"}
            # The same function as `score` at the step the batch was scored (global step - 1).
            b = score(r["completion"], r["ground_truth"], reward_cfg, step - 1, cfg.grpo.max_steps)
            assert (r["rewards"], r["total"]) == (b.components, b.total)
            assert r["failure"] == classify(r["completion"], r["ground_truth"])
            for key in ("prompt_id", "group", "completion", "ground_truth", "advantage", "error",
                        "length", "truncated", "calls", "weights"):  # fmt: skip
                assert key in r, key
        # TRL's per-component means are the weighted values: they add up to TRL's reward.
        for name in ("format", "correctness"):
            mean = sum(r["rewards"][name] for r in rollouts) / len(rollouts)
            assert metrics[step][f"rewards/{name}/mean"] == pytest.approx(mean, abs=1e-5)
        groups = {}
        for r in rollouts:
            groups.setdefault(r["group"], set()).add(r["prompt_id"])
        assert len(groups) == cfg.grpo.prompts_per_generation
        assert all(len(ids) == 1 for ids in groups.values())  # one prompt per GRPO group
        # TRL's weighted `reward` is the mean of our totals.
        mean_total = sum(r["total"] for r in rollouts) / len(rollouts)
        assert metrics[step]["reward"] == pytest.approx(mean_total, abs=1e-4)


def test_eval_rows_written(smoke):
    _, out, result = smoke
    evals = _jsonl(out / "eval.jsonl")
    assert [e["step"] for e in evals] == [0, 2, 3]
    last = evals[-1]
    for key in ("eval/format_rate", "eval/exact_call_accuracy", "eval/decision_accuracy"):
        assert 0.0 <= last[key] <= 1.0, key
    # Correctness is a reward (the toolrl preset's [-3, 3]): the mean of the rows' values.
    samples = _jsonl(out / "eval_samples" / "step_000003.jsonl")
    mean = sum(s["rewards"]["correctness"] for s in samples) / len(samples)
    assert -3.0 <= last["eval/mean_correctness"] <= 3.0
    assert last["eval/mean_correctness"] == pytest.approx(mean)
    assert result.final_eval == {k: v for k, v in evals[-1].items() if k != "step"}


def test_eval_samples_explain_the_eval_metrics(smoke):
    _, out, _ = smoke
    evals = {e["step"]: e for e in _jsonl(out / "eval.jsonl")}
    for step, metrics in evals.items():
        samples = _jsonl(out / "eval_samples" / f"step_{step:06d}.jsonl")
        assert len(samples) == metrics["eval/rows"]
        assert {"prompt_id", "kind", "output", "calls", "ground_truth", "rewards", "exact"} <= set(
            samples[0]
        )
        tool = [s for s in samples if s["exact"] is not None]
        assert metrics["eval/exact_call_accuracy"] == pytest.approx(
            sum(s["exact"] for s in tool) / len(tool)
        )
        assert metrics["eval/mean_total"] == pytest.approx(
            sum(s["total"] for s in samples) / len(samples)
        )


def test_resume_continues_at_the_saved_step_with_the_same_data(smoke, tmp_path):
    from toolrl.training.engine import train

    cfg, out, _ = smoke
    result = train(cfg, tmp_path, resume_from=str(out / "checkpoints" / "checkpoint-2"))
    assert (result.status, result.step) == ("completed", 3)
    steps = [r["step"] for r in _jsonl(tmp_path / "metrics.jsonl") if "reward" in r]
    assert steps == [3]
    ids = lambda d: [r["prompt_id"] for r in _jsonl(d / "rollouts" / "step_000003.jsonl")]  # noqa: E731
    assert ids(tmp_path) == ids(out)
    # Weights schedule continues too (generated at global step 2 of 3).
    assert _jsonl(tmp_path / "metrics.jsonl")[0]["weights/format"] == pytest.approx(1 / 3)


def test_lora_run_trains_only_the_adapter_and_resumes(fast_model, tmp_path):
    """`model.lora`: checkpoints hold the adapter (not the base weights), the adapter moves, the
    base model on disk is untouched, evaluation runs on the adapted model, and a resume continues
    from the adapter checkpoint."""
    from safetensors.torch import load_file

    from toolrl.training.engine import train

    base_before = load_file(fast_model / "model.safetensors")
    cfg = smoke_config(model={"name_or_path": "tiny:fast", "lora": {"r": 4, "alpha": 8}})
    out = tmp_path / "lora"
    result = train(cfg, out)
    assert (result.status, result.step) == ("completed", 3)
    ckpt = out / "checkpoints" / "checkpoint-3"
    names = {p.name for p in ckpt.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", "optimizer.pt"} <= names
    assert "model.safetensors" not in names
    adapter = load_file(ckpt / "adapter_model.safetensors")
    assert adapter and all("lora_" in k for k in adapter)
    # peft starts lora_B at zero: a non-zero B means the adapter was trained.
    assert any(v.abs().sum() > 0 for k, v in adapter.items() if "lora_B" in k)
    base_after = load_file(fast_model / "model.safetensors")
    assert all((base_before[k] == base_after[k]).all() for k in base_before)
    assert [r["step"] for r in _jsonl(out / "eval.jsonl")] == [0, 2, 3]
    # What `toolrl evaluate CHECKPOINT` loads: the base named in adapter_config.json + the adapter.
    from toolrl.training.config import RunConfig
    from toolrl.training.engine import load_model

    _, model = load_model(RunConfig.model_validate({"model": {"name_or_path": str(ckpt)}}))
    # peft saves "base_model.model.X.lora_B.weight"; loaded it is "X.lora_B.default.weight".
    loaded = model.state_dict()
    saved_b = {
        k.removeprefix("base_model.model.").replace(".lora_B.", ".lora_B.default."): v
        for k, v in adapter.items()
        if "lora_B" in k
    }
    assert saved_b and all((loaded[k] == v).all() for k, v in saved_b.items())

    resumed = train(
        cfg, tmp_path / "resumed", resume_from=str(out / "checkpoints" / "checkpoint-2")
    )
    assert (resumed.status, resumed.step) == ("completed", 3)
    steps = [r["step"] for r in _jsonl(tmp_path / "resumed" / "metrics.jsonl") if "reward" in r]
    assert steps == [3]


class StopAtStep(Sink):
    """Requests a stop once `step` metrics were seen (plugged via --sink in the test below)."""

    def __init__(self, step: str = "2") -> None:
        self.step = int(step)
        self.seen = 0

    def write_metrics(self, step, metrics):
        self.seen = max(self.seen, step)

    def stop_requested(self):
        # Metrics of step N arrive after its stop check, so step N+1 is where we stop.
        return self.seen >= self.step - 1 and self.seen > 0


class Broken(Sink):
    def write_metrics(self, step, metrics):
        raise RuntimeError("database down")

    def write_rollouts(self, step, rollouts):
        raise RuntimeError("database down")


def test_stop_request_checkpoints_and_ends_cleanly_through_the_entry_point(fast_model, tmp_path):
    cfg = smoke_config(grpo={"max_steps": 6}, checkpoint_every=0, eval_every=0)
    config_file = tmp_path / "run.json"
    config_file.write_text(cfg.to_json())
    out = tmp_path / "run"
    out.mkdir()
    (out / "error.txt").write_text("an earlier attempt failed\n")
    proc = _run_module(
        "toolrl.training",
        str(config_file),
        *("--out", str(out)),
        *("--sink", "tests.toolrl.test_training:StopAtStep", "--sink-arg", "step=2"),
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (out / "error.txt").exists()  # a new attempt clears the old error
    assert json.loads((out / "status.json").read_text())["status"] == "stopped"
    assert [r["step"] for r in _jsonl(out / "checkpoints.jsonl")] == [2]
    ckpt = out / "checkpoints" / "checkpoint-2"
    assert json.loads((ckpt / "toolrl_checkpoint.json").read_text())["status"] == "stopped"
    assert (ckpt / "optimizer.pt").exists()


def test_two_processes_under_accelerate_launch_gather_stop_together_and_resume(
    fast_model,
    tmp_path,
):
    """The several-GPU command, run here as two CPU processes (DDP on gloo): the main rank
    writes every rank's completions, a stop request seen by the main rank stops both at the same
    step (a rank left behind would hang in the next collective), only the main rank reports, and
    both ranks resume from the checkpoint (each from its own RNG state)."""
    cfg = smoke_config(
        grpo={"max_steps": 4, "num_processes": 2, "per_device_train_batch_size": 4},
        checkpoint_every=0,
        eval_every=0,
    )
    config_file = tmp_path / "run.json"
    config_file.write_text(cfg.to_json())
    out = tmp_path / "run"

    def launch(*engine_args: str) -> subprocess.CompletedProcess:
        return _run_module(
            "accelerate.commands.launch",
            *("--multi_gpu", "--num_processes", "2", "--num_machines", "1"),
            *("--mixed_precision", "no", "--dynamo_backend", "no"),
            *("--main_process_port", str(free_port())),
            *("-m", "toolrl.training", str(config_file), "--out", str(out), *engine_args),
            timeout=300,
        )

    proc = launch("--sink", "tests.toolrl.test_training:StopAtStep", "--sink-arg", "step=2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("stopped at step 2") == 1, proc.stdout
    assert "find_unused_parameters=True" not in proc.stderr
    assert json.loads((out / "status.json").read_text())["status"] == "stopped"
    per_step = [r for r in _jsonl(out / "metrics.jsonl") if "loss" in r]  # not the final summary
    assert [r["step"] for r in per_step] == [1, 2]
    checkpoint = out / "checkpoints" / "checkpoint-2"
    assert {"optimizer.pt", "rng_state_0.pth", "rng_state_1.pth"} <= {
        p.name for p in checkpoint.iterdir()
    }

    proc = launch("--resume", str(checkpoint))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("completed at step 4") == 1, proc.stdout
    per_step = [r for r in _jsonl(out / "metrics.jsonl") if "loss" in r]
    assert [r["step"] for r in per_step] == [1, 2, 3, 4]  # continued, did not start over
    for step in (1, 2, 3, 4):
        rollouts = _jsonl(out / "rollouts" / f"step_{step:06d}.jsonl")
        assert len(rollouts) == 8  # 4 completions from each rank
        assert len({r["prompt_id"] for r in rollouts}) == 2  # one GRPO group per rank
        assert [r["group"] for r in rollouts] == [0] * 4 + [1] * 4


def test_a_launch_that_does_not_match_the_configuration_is_refused(monkeypatch):
    from toolrl.training.engine import RunConfigError, _check_process_count

    cfg = smoke_config(grpo={"num_processes": 2, "per_device_train_batch_size": 4})
    monkeypatch.setenv("WORLD_SIZE", "2")
    _check_process_count(cfg, 2)  # as configured
    with pytest.raises(RuntimeError, match="2 processes were launched but only 1 train together"):
        _check_process_count(cfg, 1)
    monkeypatch.setenv("WORLD_SIZE", "4")
    with pytest.raises(RunConfigError, match="grpo.num_processes is 2 but 4 processes"):
        _check_process_count(cfg, 4)
    monkeypatch.delenv("WORLD_SIZE")
    with pytest.raises(RunConfigError, match="launch `accelerate launch --multi_gpu --num_proc"):
        _check_process_count(cfg, 1)


def test_failing_sink_and_wall_time_limit(fast_model, tmp_path):
    from toolrl.training.engine import train

    cfg = smoke_config(grpo={"max_steps": 6}, checkpoint_every=0, eval_every=0, max_wall_time=0.001)
    result = train(cfg, tmp_path, sinks=[Broken()])
    assert (result.status, result.step) == ("time_limit", 1)
    assert result.extra["sink_failures"] >= 2
    assert (tmp_path / "checkpoints" / "checkpoint-1" / "optimizer.pt").exists()
    assert (tmp_path / "rollouts" / "step_000001.jsonl").exists()  # the file sink kept going


def test_demo_command_prints_before_and_after(tiny_cache, tmp_path):
    """`toolrl demo` end to end on the fast model: table, summary and per-row eval samples."""
    out = tmp_path / "demo"
    proc = _run_module(
        "toolrl.cli",
        *("demo", "--recipe", "fast", "--steps", "2", "--eval-rows", "8"),
        *("--out", str(out), "--no-progress"),
        env={**os.environ, "TOOLRL_CACHE": str(tiny_cache)},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "held-out (greedy)" in proc.stdout and "exact-call accuracy" in proc.stdout
    summary = json.loads((out / "demo_summary.json").read_text())
    assert summary["steps"] == 2 and summary["status"] == "completed"
    assert summary["before"]["step"] == 0 and summary["after"]["step"] == 2
    assert len(_jsonl(out / "eval_samples" / "step_000002.jsonl")) == 8


def test_evaluate_command_scores_a_checkpoint_row_by_row(smoke, tmp_path):
    """`toolrl evaluate CHECKPOINT --outputs F`: the summary on stdout and one scored line per row."""
    _, out, _ = smoke
    samples = tmp_path / "samples.jsonl"
    proc = _run_module(
        "toolrl.cli",
        *("evaluate", str(out / "checkpoints" / "checkpoint-3"), "--out", str(tmp_path / "eval")),
        *("--rows", "6", "--max-new-tokens", "24", "--outputs", str(samples), "--json"),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = _jsonl(samples)
    assert summary["suite"] == "held-out" and summary["count"] == len(rows) == 6
    assert {"id", "category", "passed", "reason"} <= set(rows[0])
    assert {"output", "rewards", "total", "format_ok", "exact"} <= set(rows[0]["details"])
    totals = [r["details"]["total"] for r in rows]
    assert summary["rewards"]["total"] == pytest.approx(sum(totals) / 6)
