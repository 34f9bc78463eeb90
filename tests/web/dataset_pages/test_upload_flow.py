"""Upload -> validation task -> report -> fix -> re-upload, tool sets, the synthetic task,
preview, splits and what a run is given; through the real views and the real task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from toolrl.formats.rowfile import row_count
from toolrl_web.datasets import selectors, services, storage
from toolrl_web.datasets.models import Dataset, DatasetProblem, Toolset
from toolrl_web.datasets.validation import dataset_validation_run

from .helpers import XLAM, jsonl, upload, xlam_rows

pytestmark = pytest.mark.django_db

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city"],
            },
        },
    }
]


def upload_dataset(post, project, name, content, **fields):
    data = {"file": upload(name, content), "format": "auto", "validation_fraction": "0.25",
            "split_seed": "0", **fields}  # fmt: skip
    return post(reverse("dataset-upload", args=[project.slug]), data)


def problems(dataset, severity="error"):
    return [
        f"{dataset.display_name}:{p.line}: {p.field}: {p.message}"
        for p in DatasetProblem.objects.filter(
            dataset=dataset, version=dataset.version, severity=severity
        ).order_by("line", "pk")
    ]


def test_upload_validates_splits_and_reports(client_for, project, member, post, sent_tasks):
    client = client_for(member)
    response = upload_dataset(post, project, "weather.jsonl", jsonl(xlam_rows(20)), split_seed="3")
    dataset = Dataset.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "dataset-detail", args=[dataset.pk]
    )
    assert sent_tasks == [("workers.tasks.dataset_validate", [dataset.pk, 1], "cpu")]
    dataset.refresh_from_db()
    assert (
        dataset.status == "valid"
        and dataset.name == "weather"
        and dataset.detected_format == "xlam"
    )
    assert (dataset.row_count, dataset.train_rows, dataset.validation_rows) == (20, 15, 5)
    assert dataset.statistics["calls_per_row"]["histogram"] == [[1, 20]]
    html = client.get(reverse("dataset-detail", args=[dataset.pk])).content.decode()
    assert "20 rows, ready to train on" in html and "15 for training, 5 held out" in html
    charts = client.get(reverse("dataset-statistics", args=[dataset.pk])).json()
    assert charts["calls_per_row"] == [[1, 20]] and charts["tools_per_row"] == [[1, 20]]


def test_report_fix_and_upload_again(client_for, project, owner, post):
    client = client_for(owner)
    rows = xlam_rows(6)
    rows[2]["answers"] = [{"arguments": {"city": "Paris"}}]  # no name
    rows[4]["query"] = 5
    content = jsonl(rows[:3]) + b"{not json\n" + jsonl(rows[3:])
    upload_dataset(post, project, "weather.jsonl", content)
    dataset = Dataset.objects.get()
    assert dataset.status == "invalid" and dataset.error_count == 3
    assert problems(dataset) == [
        "weather.jsonl:3: answers[0]: a call needs a string 'name'",
        "weather.jsonl:4: <json>: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        "weather.jsonl:6: query: missing or not a string",
    ]
    html = client.get(reverse("dataset-detail", args=[dataset.pk])).content.decode()
    assert "weather.jsonl:3: answers[0]: a call needs a string" in html and "3 errors" in html

    response = post(
        reverse("dataset-file", args=[dataset.pk]),
        {"file": upload("weather-fixed.jsonl", jsonl(xlam_rows(6)))},
    )
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert (dataset.status, dataset.version, dataset.row_count) == ("valid", 2, 6)
    assert dataset.original_name == "weather-fixed.jsonl" and dataset.error_count == 0
    assert not DatasetProblem.objects.filter(dataset=dataset).exists()
    # The broken file was nothing else's: it is gone from the store.
    assert [p.name for p in (storage.root() / "files").rglob("*") if p.is_file()] == [
        dataset.sha256
    ]


def test_the_same_file_is_stored_once(client_for, project, owner, post):
    client_for(owner)
    content = jsonl(xlam_rows(3))
    upload_dataset(post, project, "a.jsonl", content)
    upload_dataset(post, project, "b.jsonl", content)
    first, second = Dataset.objects.order_by("pk")
    assert first.sha256 == second.sha256
    assert len([p for p in (storage.root() / "files").rglob("*") if p.is_file()]) == 1
    post(reverse("dataset-delete", args=[first.pk]))
    assert storage.blob_path(second.sha256).is_file()
    post(reverse("dataset-delete", args=[second.pk]))
    assert not storage.blob_path(second.sha256).exists()
    assert not list((storage.root() / "prepared").iterdir())


def test_thousands_of_problems_page_by_keyset(client_for, project, owner, post):
    client = client_for(owner)
    rows = xlam_rows(130, query=7)  # every row: query is not a string
    upload_dataset(post, project, "bad.jsonl", b"{oops\n" + jsonl(rows))
    dataset = Dataset.objects.get()
    assert dataset.error_count == 131
    seen, after, pages = [], "", 0
    while True:
        url = reverse("dataset-problems", args=[dataset.pk]) + f"?severity=error&after={after}"
        html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        seen += [int(x) for x in __import__("re").findall(r'data-line="(\d+)"', html)]
        pages += 1
        assert pages <= 5, "the pages do not advance"
        found = __import__("re").search(r"after=([0-9%A-F:]+)\"", html)
        if not found:
            break
        after = found.group(1).replace("%3A", ":")
    assert pages == 3 and seen == list(range(1, 132))


def test_tool_set_attached_to_questions_and_answers(client_for, project, member, post):
    client = client_for(member)
    response = post(
        reverse("toolset-upload", args=[project.slug]),
        {"file": upload("weather-tools.json", json.dumps(TOOLS).encode()), "name": ""},
    )
    toolset = Toolset.objects.get()
    assert response.status_code == 302 and toolset.name == "weather-tools"
    assert [t["name"] for t in toolset.tools] == ["get_weather"]
    assert (
        "get_weather" in client.get(reverse("toolset-detail", args=[toolset.pk])).content.decode()
    )

    qa = [
        {"query": "Weather in Paris?", "answers": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"query": "For 2 days?", "answers": [{"name": "get_weather", "arguments": {"city": "Oslo", "days": "2"}}]},
        {"query": "Time?", "answers": [{"name": "get_time", "arguments": {}}]},
        {"query": "Weather?", "answers": [{"name": "get_weather", "arguments": {}}]},
    ]  # fmt: skip
    upload_dataset(post, project, "qa.jsonl", jsonl(qa), toolset=str(toolset.pk))
    dataset = Dataset.objects.get()
    assert problems(dataset) == [
        "qa.jsonl:2: target.calls[0].parameters.days: get_weather: '2' is not of type 'integer'",
        "qa.jsonl:3: target.calls[0].name: 'get_time' is not in the tool set (get_weather)",
        "qa.jsonl:4: target.calls[0].parameters: get_weather: missing required parameter 'city'",
    ]
    # Drop the tool set in the settings: the rows then list no tools and call nothing known.
    post(
        reverse("dataset-settings", args=[dataset.pk]),
        {
            "format": "xlam",
            "toolset": "",
            "validation_fraction": "0",
            "split_seed": "1",
            "tokenizer": "",
        },
    )
    dataset.refresh_from_db()
    assert dataset.version == 2 and dataset.toolset is None and dataset.status == "valid"
    assert dataset.warning_count == 4  # calls to tools the rows do not list: warnings
    # The tool set cannot go while a dataset uses it; once free, it can.
    post(reverse("dataset-settings", args=[dataset.pk]),
         {"format": "auto", "toolset": str(toolset.pk), "validation_fraction": "0.1", "split_seed": "0"})  # fmt: skip
    response = post(reverse("toolset-delete", args=[toolset.pk]))
    assert Toolset.objects.filter(pk=toolset.pk).exists()
    assert "used by dataset “qa”" in client.get(response.url).content.decode()


def test_a_broken_tool_set_is_reported_and_nothing_is_kept(client_for, project, owner, post):
    client = client_for(owner)
    broken = [
        TOOLS[0],
        TOOLS[0],
        {"name": "x", "parameters": {"type": "object", "properties": {"a": {"type": "text"}}}},
    ]
    response = post(
        reverse("toolset-upload", args=[project.slug]),
        {"file": upload("tools.json", json.dumps(broken, indent=1).encode())},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "tools.json:23: get_weather.name: a second tool named &#x27;get_weather&#x27;" in html
    assert (
        "tools.json:44: x.parameters.properties.a.type: &#x27;text&#x27; is not a JSON Schema type"
        in html
    )
    assert not Toolset.objects.exists()
    assert not (storage.root() / "files").exists() or not any((storage.root() / "files").rglob("*"))
    assert not any(storage.staging_dir().iterdir())
    assert client.get(reverse("dataset-list", args=[project.slug])).status_code == 200


def test_the_synthetic_task_is_a_dataset_with_its_tool_set(client_for, project, owner, post):
    client = client_for(owner)
    response = post(
        reverse("dataset-synthetic", args=[project.slug]),
        {"size": "40", "seed": "5", "validation_fraction": "0.25", "name": ""},
    )
    dataset = Dataset.objects.get()
    assert response.status_code == 302 and dataset.kind == "synthetic"
    assert (dataset.status, dataset.row_count, dataset.train_rows, dataset.validation_rows) == (
        "valid",
        40,
        30,
        10,
    )
    toolset = Toolset.objects.get()
    assert toolset.source == "synthetic" and toolset.tool_count == 14
    html = client.get(reverse("dataset-preview", args=[dataset.pk])).content.decode()
    assert "syn-5-0" in html and "**Available Tools**" in html and "&lt;think&gt;" in html
    download = client.get(reverse("toolset-download", args=[toolset.pk]))
    assert json.loads(b"".join(download.streaming_content))[0]["type"] == "function"


def test_preview_pages_and_searches(client_for, project, owner, post):
    client = client_for(owner)
    rows = xlam_rows(25)
    rows[17]["query"] = "What is the weather in Reykjavík?"
    upload_dataset(post, project, "w.jsonl", jsonl(rows))
    dataset = Dataset.objects.get()
    url = reverse("dataset-preview", args=[dataset.pk])
    first = client.get(url).content.decode()
    assert first.count('class="card preview-row"') == 10 and "after=9" in first
    # What the model reads: the system prompt with the tools, the dialogue, the target.
    assert (
        "1. Name: get_weather" in first and "&lt;user&gt; Weather in city 0? &lt;/user&gt;" in first
    )
    assert (
        "{&quot;name&quot;: &quot;get_weather&quot;, &quot;parameters&quot;: {&quot;city&quot;: &quot;Paris&quot;"
        in first
    )
    last = client.get(url + "?after=19", HTTP_HX_REQUEST="true").content.decode()
    assert last.count('class="card preview-row"') == 5 and "preview-next" not in last
    found = client.get(url + "?q=reykjav%C3%ADK").content.decode()
    assert 'data-row-id="w17"' in found and found.count('class="card preview-row"') == 1
    assert 'data-row-id="w3"' in client.get(url + "?q=w3").content.decode()
    assert "No row matches" in client.get(url + "?q=nothing-like-this").content.decode()


def test_what_a_run_is_given(project, owner, post, client_for, django_user_model):
    client_for(owner)
    upload_dataset(post, project, "train.jsonl", jsonl(xlam_rows(12)), validation_fraction="0.25")
    upload_dataset(post, project, "held.jsonl", jsonl(xlam_rows(4)))
    train, held = Dataset.objects.order_by("pk")
    data = services.dataset_run_data(dataset=train)
    assert data["format"] == "rows" and data["validation_fraction"] == 0.0
    for key, rows in (("train", 9), ("validation", 3)):
        path = Path(data[key])
        assert path.is_relative_to(storage.root()) and sum(1 for _ in path.open()) == rows
    # What training reads from them: the rows and ids of the upload, split as the page says.
    from toolrl.training.config import DataSettings
    from toolrl.training.data import load_splits

    rows, held_out = load_splits(DataSettings(**data), seed=123)
    assert len(rows) == 9 and len(held_out) == 3
    assert {r.id for r in rows + held_out} == {f"w{i}" for i in range(12)}
    # A separate validation upload instead of a fraction.
    services.dataset_update_settings(
        dataset=train, format="auto", toolset=None, validation_fraction=0.5, split_seed=0,
        validation_dataset=held, tokenizer="",
    )  # fmt: skip
    dataset_validation_run(dataset_id=train.pk, version=train.version)
    train.refresh_from_db()
    data = services.dataset_run_data(dataset=train)
    assert Path(data["validation"]) == storage.prepared_dir(held.pk, held.version) / "rows.jsonl"
    assert row_count(data["train"]) == 12 and train.validation_fraction == 0
    # A run names the dataset's own tool set, or none.
    toolset = services.toolset_synthetic(project=project, user=owner)
    with pytest.raises(ValidationError, match="attach “Synthetic task tools”"):
        services.dataset_run_data(dataset=train, toolset=toolset)
    # The held-out dataset is in use: it cannot be deleted.
    with pytest.raises(ValidationError, match="used by dataset “train”"):
        services.dataset_delete(dataset=held)
    # Chosen by id, only in its own project and only when valid.
    assert (
        selectors.dataset_get_valid_for_project(project=project, dataset_id=str(train.pk)) == train
    )
    other = __import__("toolrl_web.projects.services", fromlist=["x"]).project_create(
        owner=django_user_model.objects.create_user("zed"), name="Other"
    )
    for project_, dataset_id in ((other, train.pk), (project, 10_000), (project, "../x")):
        with pytest.raises(ValidationError) as info:
            selectors.dataset_get_valid_for_project(
                project=project_, dataset_id=dataset_id, field="data"
            )
        assert "data" in info.value.message_dict


def test_a_message_for_an_older_version_does_nothing(project, owner, post, client_for):
    client_for(owner)
    upload_dataset(post, project, "w.jsonl", jsonl(xlam_rows(3)))
    dataset = Dataset.objects.get()
    assert dataset_validation_run(dataset_id=dataset.pk, version=1) == "skipped"  # done already
    services.dataset_revalidate(dataset=dataset)  # version 2, its message not sent here
    assert dataset_validation_run(dataset_id=dataset.pk, version=1) == "skipped"
    assert dataset_validation_run(dataset_id=dataset.pk, version=2) == "valid"
    assert dataset_validation_run(dataset_id=dataset.pk, version=2) == "skipped"  # a duplicate


def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(
    client_for, project, owner, settings
):
    settings.UPLOAD_MAX_BYTES = 1000
    client = client_for(owner)
    response = client.post(
        reverse("dataset-upload", args=[project.slug]),
        {"file": upload("big.jsonl", jsonl(xlam_rows(40))), "format": "auto",
         "validation_fraction": "0.1", "split_seed": "0"},
    )  # fmt: skip
    assert response.status_code == 413
    assert "larger than the upload limit of 1000" in response.content.decode()
    assert "TOOLRL_UPLOAD_MAX_BYTES" in response.content.decode()
    assert not Dataset.objects.exists() and not any(storage.staging_dir().iterdir())
    assert not (storage.root() / "files").exists()


def test_an_unknown_tokenizer_is_refused_on_the_field(client_for, project, owner, post):
    client_for(owner)
    for value in ("/etc/passwd", "../models/x", "tiny/../../x", "~/m"):
        response = upload_dataset(post, project, "w.jsonl", jsonl([XLAM]), tokenizer=value)
        assert (
            response.status_code == 200
            and "Give tiny, tiny:&lt;recipe&gt;" in response.content.decode()
        )
    assert not Dataset.objects.exists()


def test_the_report_polls_until_the_verdict(client_for, project, owner, post, settings):
    client = client_for(owner)
    dataset = services.dataset_create_synthetic(project=project, user=owner, size=10)
    # No worker yet: the page polls, and the poll answers 200 (go on).
    html = client.get(reverse("dataset-detail", args=[dataset.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'data-status="uploaded"' in html
    url = reverse("dataset-detail", args=[dataset.pk]) + "?part=report"
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    dataset_validation_run(dataset_id=dataset.pk, version=dataset.version)
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 286 and 'data-status="valid"' in response.content.decode()
    assert (
        'hx-trigger="every 1s"'
        not in client.get(reverse("dataset-detail", args=[dataset.pk])).content.decode()
    )


def test_a_validation_nobody_runs_can_be_sent_again(client_for, project, owner, post, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    client = client_for(owner)
    monkeypatch.setattr(
        "toolrl_web.datasets.services.send_task", lambda *a, **k: False
    )  # broker down
    dataset = services.dataset_create_synthetic(project=project, user=owner, size=5)
    services.dataset_enqueue(dataset_id=dataset.pk, version=dataset.version)
    html = client.get(reverse("dataset-detail", args=[dataset.pk])).content.decode()
    assert "could not be sent to the workers" in html
    # Sent, but no worker took it for minutes: the page says so, and "Check again" is allowed.
    Dataset.objects.filter(pk=dataset.pk).update(
        message_sent_at=timezone.now() - timedelta(minutes=5)
    )
    assert (
        "No worker has reported"
        in client.get(reverse("dataset-detail", args=[dataset.pk])).content.decode()
    )
    dataset.refresh_from_db()
    assert services.dataset_revalidate(dataset=dataset).version == 2
    # A validation under way and recent is not interrupted.
    Dataset.objects.filter(pk=dataset.pk).update(status="validating", heartbeat_at=timezone.now())
    dataset.refresh_from_db()
    with pytest.raises(ValidationError, match="being validated"):
        services.dataset_revalidate(dataset=dataset)
