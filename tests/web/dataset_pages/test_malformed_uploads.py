"""More than a thousand malformed uploads through the real views and the real validation task:
no server error, every problem names the file and the line (or the tool) and the field, and
nothing is left half-stored."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from toolrl_web.datasets import storage
from toolrl_web.datasets.models import Dataset, DatasetProblem, Toolset

from .helpers import upload
from .malformed import dataset_cases, toolset_cases

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# A problem that concerns the whole file names what it concerns instead of a line.
WHOLE_FILE_FIELDS = {"<file>", "<gzip>", "<parquet>", "<record>", "format", "tools"}


def assert_nothing_half_stored() -> None:
    assert not any(storage.staging_dir().iterdir()), "a staged upload was left behind"
    prepared = storage.root() / "prepared"
    if prepared.exists():
        leftovers = [p for p in prepared.rglob(".v*") if p.is_dir()]
        assert not leftovers, leftovers


def check_dataset(dataset: Dataset, note: str) -> int:
    assert dataset.status == "invalid", (dataset.name, note, dataset.status)
    assert dataset.failure == "", (dataset.name, note, dataset.failure)  # no internal error
    assert dataset.error_count > 0
    stored = list(DatasetProblem.objects.filter(dataset=dataset, version=dataset.version))
    assert stored, (dataset.name, note)
    for p in stored:
        text = (
            f"{dataset.display_name}{':' + str(p.line) if p.line else ''}: {p.field}: {p.message}"
        )
        assert p.field and p.message.strip(), text
        assert p.line is None or p.line >= 1, text  # there is no line 0
        assert p.line is not None or p.field in WHOLE_FILE_FIELDS, text
        assert "Traceback" not in p.message, text
    assert storage.blob_path(dataset.sha256).is_file()  # the report's file is kept whole
    assert storage.prepared_dir(dataset.pk, dataset.version).is_dir()
    return len(stored)


def test_a_thousand_malformed_uploads(client_for, project, owner, post, sent_tasks):
    client_for(owner)
    datasets, toolsets = dataset_cases(seed=1), toolset_cases(seed=2)
    assert len(datasets) + len(toolsets) >= 1000
    problems = 0
    for i, (name, content, note) in enumerate(datasets):
        response = post(
            reverse("dataset-upload", args=[project.slug]),
            {"file": upload(name, content), "name": f"case {i}", "format": "auto",
             "validation_fraction": "0.1", "split_seed": "0"},
        )  # fmt: skip
        assert response.status_code == 302, (name, note, response.status_code)
        problems += check_dataset(Dataset.objects.get(name=f"case {i}"), note)
        if i % 100 == 0:
            assert_nothing_half_stored()
    assert len(sent_tasks) == len(datasets)

    for name, content, note in toolsets:
        response = post(
            reverse("toolset-upload", args=[project.slug]), {"file": upload(name, content)}
        )
        assert response.status_code == 400, (name, note, response.status_code)
        listed = re.findall(
            r"<li class=\"(?:error|warning)\"><code>(.*?)</code></li>",
            response.content.decode(),
            re.S,
        )
        assert listed, (name, note)
        for line in listed:
            # FILE:LINE: tool-or-index.field: message, or FILE: <file>: message
            assert re.match(rf"{re.escape(name)}(:[1-9]\d*)?: \S.*?: \S", line), (name, note, line)
        problems += len(listed)
    assert not Toolset.objects.exists()
    assert not (storage.root() / "files").exists() or all(
        any(d.sha256 == p.name for d in Dataset.objects.only("sha256"))
        for p in (storage.root() / "files").rglob("*")
        if p.is_file()
    )
    assert_nothing_half_stored()
    print(
        f"\n{len(datasets)} dataset and {len(toolsets)} tool set uploads, {problems} problems reported"
    )
