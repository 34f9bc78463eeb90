"""Thin tasks: load an id, call a service. Task arguments are ids only."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import socket

from workers.celery_app import app


@app.task(name="workers.tasks.ping", queue="cpu")
def ping() -> dict:
    """Round-trip probe used by the status checks and the worker test."""
    return {"pong": True, "host": socket.gethostname(), "pid": os.getpid()}


@app.task(name="workers.tasks.run_train", queue="gpu", ignore_result=True, acks_late=False)
def run_train(run_id: int) -> str:
    """Supervise one training run (the message carries only the run's id)."""
    from workers.supervisor import supervise

    return supervise(int(run_id), worker_host=run_train.request.hostname or "")


@app.task(name="workers.tasks.dataset_validate", queue="cpu", ignore_result=True)
def dataset_validate(dataset_id: int, version: int) -> str:
    """Validate one version of an uploaded dataset (the message carries its id and version)."""
    from toolrl_web.datasets.validation import dataset_validation_run

    return dataset_validation_run(dataset_id=int(dataset_id), version=int(version))


@app.task(name="workers.tasks.evaluation_run", queue="gpu", ignore_result=True, acks_late=False)
def evaluation_run(evaluation_id: int) -> str:
    """Supervise one evaluation job (the message carries only its id)."""
    from workers.evaluation import supervise_evaluation

    return supervise_evaluation(
        int(evaluation_id), worker_host=evaluation_run.request.hostname or ""
    )


@app.task(name="workers.tasks.lab_rescore", queue="cpu", ignore_result=True)
def lab_rescore(job_id: int) -> str:
    """Re-score a run's stored rollouts under another reward (the message carries the job id)."""
    from toolrl_web.lab.services import rescore_job_run

    with _may_fork():
        return rescore_job_run(job_id=int(job_id))


@contextlib.contextmanager
def _may_fork():
    """Let this pool process start the reward scorer's worker processes.

    Celery's prefork children are daemonic, and `multiprocessing` refuses children to a daemon
    (so that none outlive it). `score_many` closes its pool before returning, so nothing does;
    the flag is restored afterwards.
    """
    config = multiprocessing.current_process()._config  # noqa: SLF001
    daemon = config.get("daemon")
    config["daemon"] = False
    try:
        yield
    finally:
        if daemon is not None:
            config["daemon"] = daemon
