"""Reads for the compare page: which runs, how each is named, their configuration diff.

The curves and the value-at-step table read metric rows in `toolrl_web.compare.series`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.http import Http404

from toolrl import comparison
from toolrl_web.projects.selectors import project_list_for_user
from toolrl_web.runs.models import Run
from toolrl_web.runs.selectors import run_lineage

MIN_RUNS, MAX_RUNS = 2, 10

# Plotly's default colour cycle: the same run has the same colour on every chart and in the table.
COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


class SelectionError(ValueError):
    """The `runs` parameter cannot be compared; the message says why, in the user's words."""


def parse_run_ids(raw: list[str]) -> list[int]:
    """Run ids from `?runs=1,2,3` (or repeated `runs=` from check boxes), in order, no repeats."""
    ids: list[int] = []
    for part in ",".join(raw).split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise SelectionError(
                f"runs: {part[:40]!r} is not a run number; give run numbers separated by "
                "commas, e.g. ?runs=3,5"
            )
        if int(part) not in ids:
            ids.append(int(part))
    if len(ids) < MIN_RUNS:
        raise SelectionError(
            f"runs: pick at least {MIN_RUNS} runs to compare (got {len(ids)})."
            if ids
            else "Pick 2 to 10 runs to compare."
        )
    if len(ids) > MAX_RUNS:
        raise SelectionError(f"runs: compare at most {MAX_RUNS} runs at once (got {len(ids)}).")
    return ids


def compare_runs_for_user(*, user, run_ids: list[int]) -> list[Run]:
    """The runs in the order asked; 404 when any is not the user's to see (as on every page).

    All runs must belong to one project: a comparison is shared inside a project.
    """
    found = {
        run.pk: run
        for run in Run.objects.filter(pk__in=run_ids, project__memberships__user=user)
        .select_related("project", "reward_configuration")
        .distinct()
    }
    missing = [pk for pk in run_ids if pk not in found]
    if missing:
        raise Http404(f"No such run: #{missing[0]}.")
    runs = [found[pk] for pk in run_ids]
    projects = Counter(run.project for run in runs)
    if len(projects) > 1:
        main = projects.most_common(1)[0][0]
        others = ", ".join(f"#{r.pk} ({r.project.name})" for r in runs if r.project != main)
        raise SelectionError(
            f"runs: compare runs of one project; {others} "
            f"{'is' if others.count('#') == 1 else 'are'} not in {main.name}."
        )
    return runs


@dataclass
class ComparedRun:
    """A run as the compare page shows it: its lineage, legend label, colour, flat config."""

    run: Run
    chain: list[Run]
    label: str
    color: str
    config: dict[str, str] = field(repr=False)

    @property
    def pk(self) -> int:
        return self.run.pk

    @property
    def reward_name(self) -> str:
        return self.config.get("reward.name", "")

    @property
    def lineage_text(self) -> str:
        return " → ".join(f"#{r.pk}" for r in self.chain)

    @property
    def legend(self) -> str:
        return f"#{self.run.pk} {self.label}" if self.label else f"#{self.run.pk} {self.run.name}"


def compared_runs(*, runs: list[Run]) -> list[ComparedRun]:
    configs = [comparison.flatten_config(run.config) for run in runs]
    labels = comparison.run_labels(configs)
    return [
        ComparedRun(
            run=run,
            chain=run_lineage(run=run),
            label=label,
            color=COLORS[i % len(COLORS)],
            config=config,
        )
        for i, (run, label, config) in enumerate(zip(runs, labels, configs, strict=True))
    ]


def config_diff(*, compared: list[ComparedRun]) -> list[dict]:
    """Rows of the configuration table: field, value per run, whether the values differ."""
    rows = comparison.config_rows([c.config for c in compared])
    return [{"field": key, "values": values, "differs": differs} for key, values, differs in rows]


def picker_runs(*, user, project_slug: str | None, chosen: list[int]):
    """(projects, project, runs, sweeps) for the run picker; runs of the chosen project."""
    projects = list(project_list_for_user(user=user).order_by("name"))
    project = next((p for p in projects if p.slug == project_slug), None)
    if project is None and chosen:
        run = Run.objects.filter(pk=chosen[0], project__in=projects).first()
        project = run.project if run else None
    if project is None and len(projects) == 1:
        project = projects[0]
    if project is None:
        return projects, None, [], []
    runs = list(
        Run.objects.filter(project=project).only(
            "pk", "name", "status", "sweep", "last_step", "created_at", "project_id"
        )[:200]
    )
    sweeps: dict[str, list[int]] = {}
    for run in runs:
        if run.sweep:
            sweeps.setdefault(run.sweep, []).append(run.pk)
    sweep_links = [
        {"label": label, "ids": ",".join(map(str, sorted(ids)[:MAX_RUNS])), "count": len(ids)}
        for label, ids in sweeps.items()
        if len(ids) >= MIN_RUNS
    ]
    return projects, project, runs, sweep_links
