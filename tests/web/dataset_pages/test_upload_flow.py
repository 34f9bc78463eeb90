"""Upload -> validation task -> report, through the real views and the real task."""

from __future__ import annotations

import pytest
from django.urls import reverse

from toolrl_web.datasets.models import Dataset

from .helpers import jsonl, upload, xlam_rows

pytestmark = pytest.mark.django_db


def test_upload_validates_and_reports(client_for, project, member, post, sent_tasks):
    client_for(member)
    response = post(
        reverse("dataset-upload", args=[project.slug]),
        {
            "file": upload("weather.jsonl", jsonl(xlam_rows(20))),
            "format": "auto",
            "validation_fraction": "0.2",
            "split_seed": "3",
        },
    )
    dataset = Dataset.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sent_tasks == [("workers.tasks.dataset_validate", [dataset.pk, 1], "cpu")]
    dataset.refresh_from_db()
    assert dataset.status == "valid", dataset.failure
    assert (dataset.row_count, dataset.train_rows, dataset.validation_rows) == (20, 16, 4)
    html = client_for(member).get(reverse("dataset-detail", args=[dataset.pk])).content.decode()
    assert "ready to train on" in html
