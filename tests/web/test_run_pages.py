"""Run pages: launch form, access, live status partial, cancel/resume buttons, downloads."""

from __future__ import annotations

import io
import tarfile

import pytest
from django.urls import reverse

from tests.conftest import tiny_run_config
from toolrl_web.runs import services
from toolrl_web.runs.models import Run, RunStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_enqueue(monkeypatch):
    monkeypatch.setattr(services, "run_enqueue", lambda *, run_id: None)


@pytest.fixture
def run(project, owner):
    return services.run_create(project=project, user=owner, config=tiny_run_config())


def test_outsider_cannot_see_or_touch_a_run(client_for, run, outsider, project):
    client = client_for(outsider)
    assert client.get(reverse("run-detail", args=[run.pk])).status_code == 404
    # the status partial htmx polls is the same view: 404 too, not a fragment
    partial = client.get(reverse("run-detail", args=[run.pk]), headers={"HX-Request": "true"})
    assert partial.status_code == 404 and 'data-status="' not in partial.content.decode()
    assert client.post(reverse("run-cancel", args=[run.pk])).status_code == 404
    assert client.post(reverse("run-resume", args=[run.pk])).status_code == 404
    assert client.get(reverse("run-launch", args=[project.slug])).status_code == 404
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED


def test_detail_shows_status_and_polls_until_final(client_for, run, owner):
    client = client_for(owner)
    html = client.get(reverse("run-detail", args=[run.pk])).content.decode()
    assert 'data-status="queued"' in html and 'hx-trigger="every 3s"' in html
    partial = client.get(reverse("run-detail", args=[run.pk]), headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error="boom")
    final = client.get(reverse("run-detail", args=[run.pk]), headers={"HX-Request": "true"})
    assert final.status_code == 286  # htmx stops polling
    assert "boom" in final.content.decode()


def test_cancel_button_cancels_a_queued_run(client_for, run, member):
    response = client_for(member).post(reverse("run-cancel", args=[run.pk]), follow=True)
    assert "Canceled." in response.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED


def test_cancel_of_a_finished_run_says_why(client_for, run, owner):
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FINISHED)
    response = client_for(owner).post(reverse("run-cancel", args=[run.pk]), follow=True)
    assert "A finished run cannot be canceled." in response.content.decode()


def test_resume_without_checkpoint_says_why(client_for, run, owner):
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    response = client_for(owner).post(reverse("run-resume", args=[run.pk]), follow=True)
    assert "with a checkpoint" in response.content.decode()
    assert Run.objects.count() == 1


def test_checkpoint_is_listed_and_downloads_as_a_tarball(
    client_for, run, owner, settings, tmp_path
):
    settings.ARTIFACTS_DIR = tmp_path
    checkpoint = tmp_path / "runs" / str(run.pk) / "checkpoints" / "checkpoint-2"
    checkpoint.mkdir(parents=True)
    (checkpoint / "model.safetensors").write_bytes(b"w" * 1000)
    (checkpoint / "config.json").write_text("{}")
    services.run_record_checkpoint(run_id=run.pk, step=2, path=str(checkpoint))
    client = client_for(owner)
    html = client.get(reverse("run-detail", args=[run.pk])).content.decode()
    artifact = run.artifacts.get()
    assert artifact.size_bytes == 1002
    link = reverse("artifact-download", args=[run.pk, artifact.pk])
    assert link in html
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('checkpoint-2.tar.gz"')
    with tarfile.open(fileobj=io.BytesIO(b"".join(response.streaming_content)), mode="r:gz") as tar:
        names = sorted(tar.getnames())
    assert names == [
        f"run{run.pk}-checkpoint-2/config.json",
        f"run{run.pk}-checkpoint-2/model.safetensors",
    ]


def test_outsider_cannot_download_an_artifact(client_for, run, owner, outsider, settings, tmp_path):
    settings.ARTIFACTS_DIR = tmp_path
    weights = tmp_path / "runs" / str(run.pk) / "model.safetensors"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"secret weights")
    services.run_record_checkpoint(run_id=run.pk, step=1, path=str(weights))
    link = reverse("artifact-download", args=[run.pk, run.artifacts.get().pk])
    assert client_for(owner).get(link).status_code == 200  # the link itself works
    response = client_for(outsider).get(link)
    assert response.status_code == 404
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"secret weights" not in body


def test_stop_reason_is_shown_in_words(client_for, run, owner):
    Run.objects.filter(pk=run.pk).update(status=RunStatus.STOPPING, stop_reason="user_cancel")
    html = client_for(owner).get(reverse("run-detail", args=[run.pk])).content.decode()
    assert "(canceled by the user)" in html


def test_download_outside_the_artifacts_folder_is_refused(
    client_for, run, owner, settings, tmp_path
):
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    services.run_record_checkpoint(run_id=run.pk, step=1, path="/etc")
    artifact = run.artifacts.get()
    response = client_for(owner).get(reverse("artifact-download", args=[run.pk, artifact.pk]))
    assert response.status_code == 404
