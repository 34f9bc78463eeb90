"""The supervisor's command line: the engine's entry point, `accelerate launch` for several GPUs."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from tests.conftest import current_database_url, tiny_run_config
from toolrl_web.runs import services
from toolrl_web.runs.models import Run, RunStatus
from workers import supervisor
from workers.supervisor import failure_message, training_command


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


def _rendezvous_port(argv: list[str]) -> int:
    return int(argv[argv.index("--main_process_port") + 1])


def test_each_multi_process_run_gets_its_own_rendezvous_port():
    first = _rendezvous_port(
        training_command(_run(grpo={"num_processes": 2}), Path("/c"), Path("/o"))
    )
    # While the first run's processes hold its port, a second run on the node gets another one.
    with socket.socket() as held:
        held.bind(("127.0.0.1", first))
        held.listen()
        second = _rendezvous_port(
            training_command(_run(grpo={"num_processes": 2}), Path("/c"), Path("/o"))
        )
    assert first != second and 29500 not in (first, second)


def test_a_continuation_resumes_from_its_checkpoint():
    run = _run()
    run.resume_checkpoint = "/ckpt/checkpoint-4"
    argv = training_command(run, Path("/c.json"), Path("/o"))
    assert argv[-2:] == ["--resume", "/ckpt/checkpoint-4"]


@pytest.mark.django_db
def test_the_final_checkpoint_becomes_the_final_model(project, owner):
    from toolrl_web.runs.models import Artifact

    run = Run.objects.create(project=project, name="r", config={}, status=RunStatus.RUNNING)
    services.run_record_checkpoint(run_id=run.pk, step=2, path="/x/checkpoint-2")
    services.run_record_checkpoint(run_id=run.pk, step=4, path="/x/checkpoint-4")
    assert services.run_finish(run_id=run.pk, exit_code=0) == RunStatus.FINISHED
    kinds = dict(Artifact.objects.filter(run=run).values_list("step", "kind"))
    assert kinds == {2: "checkpoint", 4: "final"}


# --- what a failed training shows: the engine's one line, or how the process ended -----------

ENGINE_MESSAGE = "data/train.jsonl:4: answers[0]: a call needs a string 'name'"


@pytest.mark.parametrize(
    ("error_txt", "log", "exit_code", "shown"),
    [
        # the engine wrote its message: that line, not the traceback in the log
        (f"{ENGINE_MESSAGE}\n", "Traceback (most recent call last):\n  ...\nDatasetError: x\n", 2,
         ENGINE_MESSAGE),
        # no message written (the process died before it could): status and last log line
        (None, "loading the model\nkilled by the OOM killer?\n\n", 1,
         "training exited with status 1; last log line: killed by the OOM killer?"),
        (None, None, -9, "training was killed by SIGKILL"),
        ("", "step 3\n", 3, "training exited with status 3; last log line: step 3"),  # empty file
    ],
)  # fmt: skip
def test_failure_message(tmp_path, error_txt, log, exit_code, shown):
    if error_txt is not None:
        (tmp_path / "error.txt").write_text(error_txt)
    if log is not None:
        (tmp_path / "train.log").write_text(log)
    assert failure_message(tmp_path, exit_code) == shown


FAKE_ENGINE = """
import os, sys
out = sys.argv[sys.argv.index("--out") + 1]
print("Traceback (most recent call last):", file=sys.stderr)
print("toolrl.formats.DatasetError: the long story", file=sys.stderr)
if os.environ.get("WRITE_ERROR_TXT"):
    with open(os.path.join(out, "error.txt"), "w") as fh:
        fh.write(sys.argv[-1] + "\\n")
sys.exit(2)
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the supervisor closes stale connections, as in a worker
@pytest.mark.parametrize("writes_error_txt", [True, False])
def test_a_failed_training_records_one_line_and_keeps_the_log(
    project, owner, settings, tmp_path, monkeypatch, writes_error_txt
):
    """The real supervisor around a fake engine that fails the way the contract says."""
    settings.ARTIFACTS_DIR = tmp_path
    settings.RUN_HEARTBEAT_SECONDS = 1
    if writes_error_txt:
        monkeypatch.setenv("WRITE_ERROR_TXT", "1")
    monkeypatch.setattr(
        supervisor,
        "training_command",
        lambda run, config, out: [
            sys.executable,
            "-c",
            FAKE_ENGINE,
            "--out",
            str(out),
            ENGINE_MESSAGE,
        ],
    )
    run = services.run_create(project=project, user=owner, config=tiny_run_config())
    stale = tmp_path / "runs" / str(run.pk) / "error.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("a message from an earlier launch\n")  # must not be shown
    assert supervisor.supervise(run.pk, worker_host="w") == RunStatus.FAILED
    run.refresh_from_db()
    assert run.exit_code == 2
    if writes_error_txt:
        assert run.error == ENGINE_MESSAGE
    else:
        assert run.error == (
            "training exited with status 2; last log line: "
            "toolrl.formats.DatasetError: the long story"
        )
    log = (Path(run.output_dir) / "train.log").read_text()
    assert log.startswith("Traceback (most recent call last):")  # the full story stays there


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_run_the_engine_refuses_fails_with_one_line(
    project, owner, settings, tmp_path, monkeypatch, tiny_model_cache
):
    """The real engine on a dataset that is not there: the page gets one line naming the file."""
    settings.ARTIFACTS_DIR = tmp_path
    monkeypatch.setenv("DATABASE_URL", current_database_url())  # the engine's database sink
    missing = tmp_path / "no-such-rows.jsonl"
    config = tiny_run_config(data={"train": str(missing)})
    run = services.run_create(project=project, user=owner, config=config)
    assert supervisor.supervise(run.pk, worker_host="w") == RunStatus.FAILED
    run.refresh_from_db()
    assert "no-such-rows.jsonl" in run.error and "\n" not in run.error, run.error
    assert "Traceback" not in run.error
