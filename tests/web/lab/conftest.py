"""A finished run with stored rollouts, and the lab's task run in-process when it is sent."""

from __future__ import annotations

import pytest

from toolrl.lab import group_codes, grpo_advantages
from toolrl.rewards import RewardConfig, score

GT = '<think> t </think>\n<tool_call>\n{"name": "A", "parameters": {"x": "1"}}\n</tool_call>'
GT2 = '<think> t </think>\n<tool_call>\n{"name": "B", "parameters": {"q": "x"}}\n</tool_call>'


def call(name: str, params: str) -> str:
    return f'<think> ok </think>\n<tool_call>\n{{"name": "{name}", "parameters": {params}}}\n</tool_call>'


NO_THINK = '<tool_call>\n{"name": "A", "parameters": {"x": "1"}}\n</tool_call>'

# Four completions per group. In the first, the right call without its thought (3 under
# `toolrl`) beats a wrong value (2) but loses to it under `equal-max` (1 against 1.33).
COMPLETIONS = {
    GT: [call("A", '{"x": "1"}'), call("A", '{"x": "2"}'), NO_THINK, "just text"],
    GT2: [call("B", '{"q": "x"}'), call("B", '{"q": "y", "r": 1}'), "nothing", call("A", "{}")],
}


def rollout_records(steps: int = 3) -> list[tuple[int, list[dict]]]:
    """(step, records) as the training sink writes them, scored by the `toolrl` preset."""
    cfg = RewardConfig.preset("toolrl")
    out = []
    for step in range(1, steps + 1):
        records = []
        for group, (gt, completions) in enumerate(COMPLETIONS.items()):
            for completion in completions[step % 2 :] + completions[: step % 2]:
                b = score(completion, gt, cfg, step, steps)
                records.append(
                    {
                        "step": step,
                        "prompt_id": f"p{group}",
                        "group": group,
                        "completion": completion,
                        "ground_truth": gt,
                        "rewards": dict(b.components),
                        "total": b.total,
                    }
                )
        codes, _ = group_codes([r["step"] for r in records], [r["group"] for r in records])
        adv = grpo_advantages([r["total"] for r in records], codes)
        for r, a in zip(records, adv, strict=True):
            r["advantage"] = float(a)
        out.append((step, records))
    return out


@pytest.fixture
def finished_run(project, owner):
    from toolrl_web.runs.ingest import rollouts_write
    from toolrl_web.runs.models import Run, RunStatus

    run = Run.objects.create(
        project=project,
        name="tiny finished",
        created_by=owner,
        status=RunStatus.FINISHED,
        config={"reward": "toolrl", "grpo": {"max_steps": 3}},
        max_steps=3,
        last_step=3,
    )
    for step, records in rollout_records():
        rollouts_write(run_id=run.pk, step=step, records=records)
    return run


@pytest.fixture
def sent_tasks(monkeypatch):
    """The lab's task messages, each run in-process through the real Celery task."""
    from workers.tasks import lab_rescore

    sent = []

    def send(name, *, args, queue):
        sent.append((name, list(args), queue))
        assert name == "workers.tasks.lab_rescore" and queue == "cpu"
        lab_rescore.apply(args=args).get()

    monkeypatch.setattr("toolrl_web.lab.services.send_task", send)
    return sent
