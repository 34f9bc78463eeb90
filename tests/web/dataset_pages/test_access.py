"""Who sees what: owner and member see every dataset page and download, an outsider gets 404
for all of them (GET and POST); every POST needs the CSRF token; a download never leaves the
uploads folder."""

from __future__ import annotations

import json
import os

import pytest
from django.test import Client
from django.urls import reverse

from toolrl_web.datasets import services, storage
from toolrl_web.datasets.models import Dataset, Toolset

from .helpers import jsonl, upload, xlam_rows

pytestmark = pytest.mark.django_db

TOOLS = [{"name": "get_weather", "parameters": {"type": "object", "properties": {}}}]


@pytest.fixture
def records(project, owner, post, client_for):
    client_for(owner)
    post(
        reverse("dataset-upload", args=[project.slug]),
        {"file": upload("w.jsonl", jsonl(xlam_rows(5))), "format": "auto",
         "validation_fraction": "0.2", "split_seed": "0"},
    )  # fmt: skip
    post(
        reverse("toolset-upload", args=[project.slug]),
        {"file": upload("t.json", json.dumps(TOOLS).encode())},
    )
    return Dataset.objects.get(), Toolset.objects.get()


def get_urls(project, dataset, toolset):
    return [
        reverse("dataset-list", args=[project.slug]),
        reverse("dataset-upload", args=[project.slug]),
        reverse("toolset-upload", args=[project.slug]),
        reverse("dataset-detail", args=[dataset.pk]),
        reverse("dataset-detail", args=[dataset.pk]) + "?part=report",
        reverse("dataset-problems", args=[dataset.pk]) + "?severity=warning",
        reverse("dataset-statistics", args=[dataset.pk]),
        reverse("dataset-preview", args=[dataset.pk]) + "?q=w1",
        reverse("dataset-download", args=[dataset.pk]),
        reverse("toolset-detail", args=[toolset.pk]),
        reverse("toolset-download", args=[toolset.pk]),
    ]


def post_urls(project, dataset, toolset):
    return [
        reverse("dataset-upload", args=[project.slug]),
        reverse("dataset-synthetic", args=[project.slug]),
        reverse("toolset-upload", args=[project.slug]),
        reverse("dataset-file", args=[dataset.pk]),
        reverse("dataset-settings", args=[dataset.pk]),
        reverse("dataset-revalidate", args=[dataset.pk]),
        reverse("dataset-delete", args=[dataset.pk]),
        reverse("toolset-delete", args=[toolset.pk]),
    ]


def test_owner_and_member_see_every_page_and_download(client_for, records, project, owner, member):
    dataset, toolset = records
    for user in (owner, member):
        client = client_for(user)
        for url in get_urls(project, dataset, toolset):
            response = client.get(url, HTTP_HX_REQUEST="true" if "part=" in url else None)
            assert response.status_code in (200, 286), (user, url, response.status_code)
    content = b"".join(client.get(reverse("dataset-download", args=[dataset.pk])).streaming_content)
    assert content == jsonl(xlam_rows(5))


def test_an_outsider_gets_404_everywhere(client_for, records, project, outsider):
    dataset, toolset = records
    client = client_for(outsider)
    for url in get_urls(project, dataset, toolset):
        assert client.get(url).status_code == 404, url
    for url in post_urls(project, dataset, toolset):
        assert client.post(url, {"file": upload("x.jsonl", b"{}")}).status_code == 404, url
    dataset.refresh_from_db()
    assert dataset.version == 1 and Toolset.objects.filter(pk=toolset.pk).exists()
    assert client.get(reverse("dataset-list", args=[project.slug]) + "?x").status_code == 404


def test_every_post_needs_the_csrf_token(records, project, owner):
    dataset, toolset = records
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for url in post_urls(project, dataset, toolset):
        assert client.post(url, {"file": upload("x.jsonl", b"{}")}).status_code == 403, url
    assert Dataset.objects.get().version == 1 and Toolset.objects.count() == 1


def test_a_download_cannot_leave_the_uploads_folder(client_for, records, owner, tmp_path):
    dataset, toolset = records
    client = client_for(owner)
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    for bad in ("../../../../etc/passwd", "/etc/passwd", "..", "", "a" * 64):
        Dataset.objects.filter(pk=dataset.pk).update(sha256=bad)
        Toolset.objects.filter(pk=toolset.pk).update(sha256=bad)
        assert client.get(reverse("dataset-download", args=[dataset.pk])).status_code == 404, bad
        if bad:
            assert client.get(reverse("toolset-download", args=[toolset.pk])).status_code == 404
    # A stored file swapped for a symlink to somewhere else is not followed out.
    sha = "b" * 64
    link = storage.root() / "files" / "bb" / sha
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(secret, link)
    Dataset.objects.filter(pk=dataset.pk).update(sha256=sha)
    assert client.get(reverse("dataset-download", args=[dataset.pk])).status_code == 404


def test_a_dataset_in_another_project_cannot_be_its_validation_split(
    client_for, records, project, owner, django_user_model, post
):
    dataset, toolset = records
    from toolrl_web.projects.services import project_create

    other = project_create(owner=owner, name="Other project")
    client_for(owner)
    post(
        reverse("dataset-upload", args=[other.slug]),
        {"file": upload("o.jsonl", jsonl(xlam_rows(3))), "format": "auto",
         "validation_fraction": "0", "split_seed": "0", "toolset": str(toolset.pk)},
    )  # fmt: skip
    assert not Dataset.objects.filter(project=other).exists()  # the tool set is not offered there
    with pytest.raises(Exception, match="project's datasets"):
        services.dataset_update_settings(
            dataset=dataset, format="auto", toolset=None, validation_fraction=0, split_seed=0,
            validation_dataset=Dataset(pk=10**6, project=other, name="x"), tokenizer="",
        )  # fmt: skip
