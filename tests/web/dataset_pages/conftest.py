"""Fixtures for the dataset tests: validation runs through the real Celery task, in this
process, when the web side sends its message (after the commit, as in production)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def uploads_dir(settings, tmp_path):
    """A fresh uploads folder per test, and no token counting unless a test asks for it."""
    settings.UPLOADS_DIR = tmp_path / "uploads"
    settings.DATASET_TOKENIZER = ""
    return settings.UPLOADS_DIR


@pytest.fixture
def sent_tasks(monkeypatch):
    """The task messages the web side sent (name, args, queue), validated in-process."""
    from workers.tasks import dataset_validate

    sent = []

    def send(name, *, args, queue):
        sent.append((name, list(args), queue))
        assert name == "workers.tasks.dataset_validate"
        dataset_validate.apply(args=args).get()  # re-raises anything the task raised
        return True

    monkeypatch.setattr("toolrl_web.datasets.services.send_task", send)
    return sent


@pytest.fixture
def post(client, django_capture_on_commit_callbacks, sent_tasks):
    """`post(url, data)`: a POST whose on-commit callbacks (the task message) run."""

    def do(url, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **extra)

    return do
