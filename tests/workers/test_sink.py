"""The database sink records what the engine tells it through services, never by hand."""

from __future__ import annotations

import pytest

from toolrl_web.runs.models import Run, RunStatus, StopReason
from workers.sink import DatabaseSink

# transaction=True: the sink closes stale connections before each write, as in the training child
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run(project):
    return Run.objects.create(project=project, name="r", config={}, status=RunStatus.RUNNING)


def test_start_records_the_number_of_steps(run):
    DatabaseSink(run_id=str(run.pk)).start({"max_steps": 9})
    assert Run.objects.get(pk=run.pk).max_steps == 9


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("time_limit", StopReason.WALL_TIME),  # the engine stopped itself at the wall time
        ("completed", ""),
        ("stopped", ""),  # a stop request: its reason was recorded when it was asked for
    ],
)
def test_close_records_a_wall_time_stop(run, status, reason):
    DatabaseSink(run_id=str(run.pk)).close(status)
    assert Run.objects.get(pk=run.pk).stop_reason == reason


def test_stop_is_requested_once_the_run_is_stopping_or_over(run):
    sink = DatabaseSink(run_id=str(run.pk), stop_check_seconds="0")
    assert sink.stop_requested() is False
    Run.objects.filter(pk=run.pk).update(status=RunStatus.STOPPING)
    assert sink.stop_requested() is True
    assert DatabaseSink(run_id="999999", stop_check_seconds="0").stop_requested() is False
