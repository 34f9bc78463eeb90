"""Evaluation jobs: what may be evaluated, the claim, cancel, finish and the reaper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.web.evaluations.conftest import finished_evaluation
from toolrl_web.evaluations import services
from toolrl_web.evaluations.models import Evaluation, EvaluationResult, EvaluationStatus

pytestmark = pytest.mark.django_db


def create(run, owner, **kw):
    kw.setdefault("model", f"artifact:{run.artifacts.get(step=4).pk}")
    kw.setdefault("suites", ["held-out"])
    return services.evaluation_create(run=run, user=owner, **kw)


def test_a_checkpoint_is_chosen_by_record(run, owner):
    evaluation = create(run, owner, limit=3)
    artifact = run.artifacts.get(step=4)
    assert evaluation.status == EvaluationStatus.QUEUED
    assert evaluation.artifact == artifact and evaluation.checkpoint_step == 4
    assert evaluation.model == artifact.path and evaluation.suites == ["held-out"]
    assert evaluation.limit == 3 and evaluation.project == run.project


def test_base_models_are_the_runs_own_and_the_allow_list(run, owner, settings):
    settings.EVAL_BASE_MODELS = ["tiny:default"]
    values = [v for v, _ in services.model_choices(run=run)]
    assert values[-2:] == ["base:tiny:fast", "base:tiny:default"]
    evaluation = create(run, owner, model="base:tiny:default")
    assert evaluation.model == "tiny:default" and evaluation.checkpoint_step == 0


@pytest.mark.parametrize(
    "choice",
    [
        "base:/etc/passwd",  # a typed path is never a model
        "base:Qwen/Qwen2.5-7B-Instruct",  # not allow-listed
        "artifact:999999",  # another run's (or no) artifact
        "/nonexistent/checkpoint-4",  # a raw path
    ],
)
def test_a_model_outside_the_choices_is_refused(run, owner, choice):
    with pytest.raises(ValidationError) as exc:
        create(run, owner, model=choice)
    assert "is not one of this run's choices" in str(exc.value)
    assert not Evaluation.objects.exists()


def test_another_runs_checkpoint_is_refused(run, project, owner):
    from tests.web.evaluations.conftest import make_run

    other = make_run(project, owner, name="other")
    with pytest.raises(ValidationError):
        create(run, owner, model=f"artifact:{other.artifacts.first().pk}")


def test_a_continuation_offers_its_parents_checkpoints_up_to_where_it_resumed(
    run, project, owner, client_for
):
    from django.urls import reverse

    from tests.web.evaluations.conftest import make_run
    from toolrl_web.runs.models import Run

    # `run` has checkpoints at 2 and 4; the continuation resumed it from 2 and saved 6.
    continuation = make_run(project, owner, name="continued", steps=(6,))
    Run.objects.filter(pk=continuation.pk).update(resumed_from=run, start_step=2)
    continuation.refresh_from_db()
    parent_2, parent_4 = run.artifacts.get(step=2), run.artifacts.get(step=4)
    choices = dict(services.model_choices(run=continuation))
    own = continuation.artifacts.get()
    assert list(choices)[:2] == [f"artifact:{own.pk}", f"artifact:{parent_2.pk}"]
    assert choices[f"artifact:{parent_2.pk}"] == (
        f"Checkpoint at step 2 (run #{run.pk} test run, resumed here)"
    )
    # The parent's step 4 was redone by the continuation: not its history.
    assert f"artifact:{parent_4.pk}" not in choices
    with pytest.raises(ValidationError):
        services.evaluation_create(
            run=continuation, user=owner, model=f"artifact:{parent_4.pk}", suites=["held-out"]
        )
    evaluation = services.evaluation_create(
        run=continuation, user=owner, model=f"artifact:{parent_2.pk}", suites=["held-out"]
    )
    assert evaluation.run == continuation and evaluation.artifact == parent_2
    assert evaluation.model == parent_2.path and evaluation.checkpoint_step == 2
    assert evaluation.model_label == f"run #{run.pk} step 2"
    # The page's form offers it too.
    html = client_for(owner).get(reverse("run-evaluations", args=[continuation.pk])).content
    assert f'value="artifact:{parent_2.pk}"' in html.decode()


def test_a_suite_without_data_is_refused_naming_it(run, owner, no_eval_data):
    with pytest.raises(ValidationError) as exc:
        create(run, owner, suites=["held-out", "api-bank"])
    message = " ".join(exc.value.message_dict["suites"])
    assert "API-Bank needs the benchmark data" in message
    assert not Evaluation.objects.exists()
    create(run, owner, suites=["held-out"])  # held-out needs no data folder


def test_a_data_folder_without_the_suite_says_where_it_looked(run, owner, settings, tmp_path):
    settings.EVAL_DATA_DIR = str(tmp_path)
    with pytest.raises(ValidationError) as exc:
        create(run, owner, suites=["bfcl"])
    message = " ".join(exc.value.message_dict["suites"])
    assert message.startswith("suites: BFCL single-turn: no BFCL files")
    assert f"in {tmp_path} (looked in {tmp_path}/bfcl" in message


def test_held_out_is_refused_for_a_run_that_trained_without_validation_rows(project, owner):
    from tests.conftest import tiny_run_config
    from toolrl_web.runs import services as run_services

    config = tiny_run_config(
        data={"train": "/srv/uploads/rows.jsonl", "validation": None, "validation_fraction": 0.0}
    )
    run = run_services.run_create(project=project, user=owner, config=config)
    with pytest.raises(ValidationError, match="trained without any"):
        services.evaluation_create(run=run, user=owner, model="base:tiny:fast", suites=["held-out"])
    assert not Evaluation.objects.exists()


def test_unknown_and_empty_suites_are_refused(run, owner):
    with pytest.raises(ValidationError, match="unknown suite 'mmlu'"):
        create(run, owner, suites=["mmlu"])
    with pytest.raises(ValidationError, match="choose at least one suite"):
        create(run, owner, suites=[])


def test_claim_happens_once(run, owner):
    evaluation = create(run, owner)
    assert services.evaluation_claim(evaluation_id=evaluation.pk, worker_host="a", output_dir="/x")
    # a duplicate or redelivered message finds nothing to claim
    assert not services.evaluation_claim(
        evaluation_id=evaluation.pk, worker_host="b", output_dir="/y"
    )
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.RUNNING and evaluation.worker_host == "a"


def test_a_canceled_evaluation_is_never_claimed(run, owner):
    evaluation = create(run, owner)
    assert services.evaluation_cancel(evaluation=evaluation) == "canceled"
    assert not services.evaluation_claim(
        evaluation_id=evaluation.pk, worker_host="a", output_dir=""
    )
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.CANCELED


def test_cancel_of_a_running_evaluation_asks_the_worker_and_ends_canceled(run, owner):
    evaluation = create(run, owner)
    services.evaluation_claim(evaluation_id=evaluation.pk, worker_host="a", output_dir="")
    evaluation.refresh_from_db()
    assert services.evaluation_cancel(evaluation=evaluation) == "stopping"
    # the worker's heartbeat still writes, and the worker reads the request
    assert services.evaluation_heartbeat(evaluation_id=evaluation.pk, progress={"done": 1})
    assert services.evaluation_finish(evaluation_id=evaluation.pk, exit_code=-15) == "canceled"
    evaluation.refresh_from_db()
    with pytest.raises(ValidationError, match="A canceled evaluation cannot be canceled"):
        services.evaluation_cancel(evaluation=evaluation)


def test_finish_by_exit_code_and_progress(run, owner):
    evaluation = create(run, owner)
    services.evaluation_claim(evaluation_id=evaluation.pk, worker_host="a", output_dir="")
    progress = {"done": 3, "total": 8, "suite": "held-out"}
    assert services.evaluation_heartbeat(evaluation_id=evaluation.pk, pid=42, progress=progress)
    evaluation.refresh_from_db()
    assert (evaluation.progress_percent, evaluation.pid, evaluation.current_suite) == (
        38,
        42,
        "held-out",
    )
    assert services.evaluation_finish(evaluation_id=evaluation.pk, exit_code=1, error="bad") == (
        "failed"
    )
    # a final evaluation takes no heartbeat and no second ending
    assert not services.evaluation_heartbeat(evaluation_id=evaluation.pk)
    assert services.evaluation_finish(evaluation_id=evaluation.pk, exit_code=0) == "failed"


def test_result_keeps_the_summary_and_its_headline(run, owner):
    evaluation = finished_evaluation(run, step=4, results={"bfcl": {"single_turn_mean": 0.25}})
    result = EvaluationResult.objects.get(evaluation=evaluation)
    assert result.score == 0.25 and result.item_count == 10
    assert result.metrics["headline"] == "single_turn_mean"


def test_stale_running_evaluations_are_reaped(run, owner):
    evaluation = create(run, owner)
    services.evaluation_claim(evaluation_id=evaluation.pk, worker_host="gone", output_dir="")
    assert services.evaluations_reap_stale(stale_seconds=60) == []
    Evaluation.objects.filter(pk=evaluation.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=120)
    )
    assert services.evaluations_reap_stale(stale_seconds=60) == [evaluation.pk]
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.FAILED and "gone" in evaluation.error


def test_a_message_the_broker_missed_is_sent_again(run, owner, monkeypatch):
    evaluation = create(run, owner)  # the folder's fixture kept its message from going out
    monkeypatch.undo()  # the real evaluation_enqueue, onto a recording send_task
    sent = []
    monkeypatch.setattr(
        services, "send_task", lambda name, *, args, queue: sent.append((name, args, queue))
    )
    assert services.evaluations_send_pending(older_than_seconds=60) == []  # too recent
    Evaluation.objects.filter(pk=evaluation.pk).update(
        created_at=timezone.now() - timedelta(seconds=120)
    )
    assert services.evaluations_send_pending(older_than_seconds=60) == [evaluation.pk]
    assert sent == [("workers.tasks.evaluation_run", [evaluation.pk], "gpu")]
    evaluation.refresh_from_db()
    assert evaluation.message_sent_at is not None
    assert services.evaluations_send_pending(older_than_seconds=60) == []  # once
