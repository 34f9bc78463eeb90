"""Hundreds of malformed reward files through the import page: each gets a 400 whose message
names the file and the field (or line), never a 500, and nothing is saved."""

from __future__ import annotations

import json
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from toolrl_web.rewards.models import RewardConfiguration

pytestmark = pytest.mark.django_db

COMPONENTS = ("format", "correctness", "length")
VALUES = ("weight", "min", "max")
BAD_NUMBERS = ["heavy", "", None, [], {}, "1,5", "--1", [1, 2], "inf!"]
BAD_SCHEDULES = [
    ({"kind": "linear", "start": 1}, "needs end"),
    ({"kind": "cosine", "end": 1}, "needs start"),
    ({"kind": "step", "at": 30, "before": 1}, "needs after"),
    ({"kind": "constant"}, "needs value"),
    ({"kind": "piecewise"}, "needs points"),
    ({"kind": "piecewise", "points": [[1, 0], [0, 1]]}, "sorted"),
    ({"kind": "piecewise", "points": []}, "sorted"),
    ({"kind": "sawtooth", "value": 1}, "kind"),
    ({"kind": "linear", "start": 0, "end": 1, "begin": 0.5, "finish": 0.1}, "finish"),
    ({"kind": "linear", "start": 0, "end": 1, "speed": 3}, "unknown setting"),
    ({"kind": "step", "by": "epoch", "at": 1, "before": 0, "after": 1}, "by"),
    ({"kind": "step", "at": "soon", "before": 0, "after": 1}, "enter a number"),
]


def cases() -> list[tuple[str, bytes, str]]:
    """(file name, content, a fragment the message must contain)."""
    out: list[tuple[str, bytes, str]] = []

    def add(data, fragment, fmt=None):
        fmt = fmt or random.choice(["json", "yaml"])
        import yaml

        text = json.dumps(data) if fmt == "json" else yaml.safe_dump(data)
        out.append((f"case{len(out)}.{fmt}", text.encode(), fragment))

    random.seed(7)
    for comp in COMPONENTS:
        for value in VALUES:
            path = f"{comp}.{value}"
            for bad in BAD_NUMBERS:
                add({comp: {value: bad}}, path)
            for schedule, fragment in BAD_SCHEDULES:
                add({"preset": "toolrl", comp: {value: schedule}}, path)
                add({comp: {value: schedule}}, fragment)
    for comp in COMPONENTS:
        add({comp: {"min": 5, "max": 1}}, f"{comp}.max")
        add({comp: {"enabled": "sometimes"}}, f"{comp}.enabled")
        add({comp: {"colour": "red"}}, f"{comp}.colour: unknown setting")
        add({comp: 7}, comp)
    for key, bad in [("granularity", "medium"), ("matching", "best"), ("normalize", {"case": "x"}),
                     ("normalize", {"accents": True}), ("normalize", 3)]:  # fmt: skip
        add({"correctness": {key: bad}}, f"correctness.{key}")
    add({"length": {"target_words": "long"}}, "length.target_words")
    for top in ("reward", "weights", "grpo", "1"):
        add({top: 1}, f"{top}: unknown setting")
    for preset in ("nope", "TOOLRL", ""):
        add({"preset": preset}, "preset")
    add({"preset": 3}, "preset")
    add({"preset": ["toolrl"]}, "preset")
    add({"name": 5}, "name")
    # Not YAML/JSON at all, not a mapping, not text.
    raw = [
        ("bad.json", b'{"format": {"weight": 1,}}', "bad.json:1: not valid JSON"),
        ("bad.json", b'{"format": ', "not valid JSON"),
        ("bad.json", b"[1, 2]", "must be a mapping"),
        ("bad.json", b'"text"', "must be a mapping"),
        ("bad.yaml", b"format:\n  weight: [1,\n", "bad.yaml:"),
        ("bad.yaml", b"format: {weight: 1\n", "not valid YAML"),
        ("bad.yaml", b"- a\n- b\n", "must be a mapping"),
        ("bad.yaml", b"just words", "must be a mapping"),
        ("bad.yaml", b"\xff\xfe\x00binary", "not a text file"),
        ("bad.yml", b"format:\n\tweight: 1\n", "not valid YAML"),
        ("bad.yaml", b"a: &x [*x]\n", "bad.yaml"),
        ("bad.yaml", b"!!python/object:os.system {}\n", "not valid YAML"),
        ("noext", b"format: 3\n", "format"),
        # Numbers that are not finite: a reward of infinity would poison every mean.
        (
            "inf.yaml",
            b"format:\n  weight: .inf\n",
            "inf.yaml:2: format.weight: Input should be a finite",
        ),
        # The line of the field in a longer file, YAML and JSON.
        (
            "lines.yaml",
            b"# mine\npreset: dynamic\ncorrectness:\n  min: -1\n  granularity: medium\n",
            "lines.yaml:5: correctness.granularity",
        ),
        (
            "lines.json",
            b'{\n  "format": {\n    "weight": 1,\n    "max": "x"\n  }\n}\n',
            "lines.json:4: format.max",
        ),
        ("nan.yaml", b"correctness:\n  max: .nan\n", "correctness.max"),
        (
            "inf.yaml",
            b"length:\n  target_words: {kind: piecewise, points: [[0, -.inf]]}\n",
            "length.target_words.points",
        ),
        ("nan.json", b'{"format": {"min": NaN}}', "format.min"),
        ("big.yaml", b"#" * (300 * 1024), "larger than"),
    ]
    out += raw
    return out


CASES = cases()


def test_there_are_at_least_200_cases():
    assert len(CASES) >= 200


def test_every_malformed_import_names_the_field(client_for, project, owner):
    client = client_for(owner)
    url = reverse("reward-import", args=[project.slug])
    failures = []
    for filename, content, fragment in CASES:
        response = client.post(url, {"file": SimpleUploadedFile(filename, content)})
        html = response.content.decode()
        start = html.find('data-error-for="file"')
        message = html[start : start + 600] if start >= 0 else ""
        if response.status_code != 400 or fragment not in message:
            failures.append((filename, content[:80], response.status_code, fragment, message[:200]))
    assert failures == [], "\n".join(map(str, failures))
    assert RewardConfiguration.objects.count() == 0


def test_no_file_and_a_taken_name(client_for, project, owner, configuration):
    client = client_for(owner)
    url = reverse("reward-import", args=[project.slug])
    response = client.post(url, {})
    assert response.status_code == 400 and "Choose a YAML or JSON file" in response.content.decode()
    good = SimpleUploadedFile("ok.yaml", b"preset: dynamic\n")
    response = client.post(url, {"file": good, "import_name": "Two stage"})
    html = response.content.decode()
    assert response.status_code == 400 and 'data-error-for="import_name"' in html
    assert RewardConfiguration.objects.count() == 1
