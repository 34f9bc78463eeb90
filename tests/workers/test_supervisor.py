"""The supervisor's command line: the engine's entry point, `accelerate launch` for several GPUs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import tiny_run_config
from toolrl_web.runs.models import Run
from workers.supervisor import training_command


def _run(**config_overrides) -> Run:
    return Run(pk=7, config=tiny_run_config(**config_overrides))


def test_single_process_runs_the_engine_module_with_the_database_sink():
    argv = training_command(_run(), Path("/a/run_config.json"), Path("/a"))
    assert argv[:3] == [sys.executable, "-m", "toolrl.training"]
    assert argv[3:] == [
        "/a/run_config.json",
        "--out",
        "/a",
        "--sink",
        "workers.sink:DatabaseSink",
        "--sink-arg",
        "run_id=7",
    ]


def test_several_gpus_go_through_accelerate_launch():
    argv = training_command(
        _run(grpo={"num_processes": 4}), Path("/c.json"), Path("/o"), port=29611
    )
    assert argv[1:11] == [
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        *("--num_processes", "4", "--num_machines", "1", "--main_process_port", "29611"),
        "-m",
    ]
    assert argv[11] == "toolrl.training"


def test_each_multi_process_run_gets_its_own_rendezvous_port():
    ports = {
        training_command(_run(grpo={"num_processes": 2}), Path("/c.json"), Path("/o"))[9]
        for _ in range(3)
    }
    assert all(p.isdigit() and int(p) > 0 for p in ports) and "29500" not in ports


def test_a_continuation_resumes_from_its_checkpoint():
    run = _run()
    run.resume_checkpoint = "/ckpt/checkpoint-4"
    argv = training_command(run, Path("/c.json"), Path("/o"))
    assert argv[-2:] == ["--resume", "/ckpt/checkpoint-4"]


@pytest.mark.django_db
def test_the_final_checkpoint_becomes_the_final_model(project, owner):
    from toolrl_web.runs import services
    from toolrl_web.runs.models import Artifact, RunStatus

    run = Run.objects.create(project=project, name="r", config={}, status=RunStatus.RUNNING)
    services.run_record_checkpoint(run_id=run.pk, step=2, path="/x/checkpoint-2")
    services.run_record_checkpoint(run_id=run.pk, step=4, path="/x/checkpoint-4")
    assert services.run_finish(run_id=run.pk, exit_code=0) == RunStatus.FINISHED
    kinds = dict(Artifact.objects.filter(run=run).values_list("step", "kind"))
    assert kinds == {2: "checkpoint", 4: "final"}
