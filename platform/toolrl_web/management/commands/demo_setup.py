"""Create (or reuse) the demo user and the demo project, and print the login.

With `--launch-run` the project is seeded the way a user would set it up: the synthetic task as
a dataset with its tool set, the `toolrl` and `two-stage` reward configurations, and the demo
run launched from those records through the launch service (the same path as the form), so the
first pages a new user opens are populated and a run is training.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from toolrl_web.projects.models import Project
from toolrl_web.projects.services import project_create

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "toolrl-demo"
DEMO_PROJECT = "ToolRL demo"
DEMO_DATASET = "Synthetic task"
DEMO_REWARDS = ("toolrl", "two-stage")
DEMO_RUN = "demo: tiny model learns the format"


def _dataset(project, user):
    """The synthetic task as a valid dataset. It is validated here, in this process, so the run
    can be launched from it right away (the worker's copy of the message then finds nothing to
    do); without a tokenizer, so no model is built before the web server is up."""
    from toolrl_web.datasets.models import Dataset
    from toolrl_web.datasets.services import dataset_create_synthetic, toolset_synthetic
    from toolrl_web.datasets.validation import dataset_validation_run

    dataset = Dataset.objects.filter(project=project, name=DEMO_DATASET).first()
    if dataset is None:
        dataset = dataset_create_synthetic(
            project=project, user=user, size=1000, seed=0, name=DEMO_DATASET, tokenizer=""
        )
        # Checked against the task's tool set, so the dataset and its runs show which tools.
        toolset = toolset_synthetic(project=project, user=user)
        Dataset.objects.filter(pk=dataset.pk).update(toolset=toolset)
        dataset.refresh_from_db()
    if not dataset.is_final:
        dataset_validation_run(dataset_id=dataset.pk, version=dataset.version)
        dataset.refresh_from_db()
    return dataset


def _rewards(project, user) -> dict:
    from toolrl.rewards import RewardConfig
    from toolrl_web.rewards.models import RewardConfiguration

    found = {}
    for preset in DEMO_REWARDS:
        found[preset], _ = RewardConfiguration.objects.get_or_create(
            project=project,
            name=preset,
            defaults={
                "config": RewardConfig.preset(preset).model_dump(mode="json"),
                "preset": preset,
                "description": f"The `{preset}` reward preset of the paper.",
                "created_by": user,
            },
        )
    return found


def seed_demo_project(project, user):
    """Seed the project and launch the demo run; returns the run (None if one exists)."""
    from toolrl_web.runs.launch import run_launch

    dataset = _dataset(project, user)
    rewards = _rewards(project, user)
    if project.runs.exists():
        return None
    form = {
        "name": DEMO_RUN,
        "preset": "cpu-tiny",
        "model": "tiny",
        "dataset": str(dataset.pk),
        "reward_configuration": str(rewards["toolrl"].pk),
        "queue": "cpu",
    }
    with transaction.atomic():  # the message goes out when the run is committed
        return run_launch(project=project, user=user, form_data=form)


class Command(BaseCommand):
    help = "Create the demo user and project (idempotent) and print the login."

    def add_arguments(self, parser):
        parser.add_argument(
            "--launch-run",
            action="store_true",
            help="seed the synthetic dataset, its tool set and the toolrl/two-stage reward "
            "configurations, and queue the demo run from them if no run exists yet",
        )

    def handle(self, *args, launch_run: bool = False, **options):
        User = get_user_model()  # noqa: N806
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
        project = Project.objects.filter(owner=user, name=DEMO_PROJECT).first()
        if project is None:
            project = project_create(
                owner=user,
                name=DEMO_PROJECT,
                description="The tiny local model learning the ToolRL format on the synthetic task.",
            )
        if launch_run:
            run = seed_demo_project(project, user)
            if run is not None:
                self.stdout.write(
                    f"demo run #{run.pk} queued (tiny model, cpu-tiny preset, dataset "
                    f"“{run.dataset.name}”, reward configuration “{run.reward_configuration.name}”)"
                )
        self.stdout.write(f"demo login: username {DEMO_USERNAME}  password {DEMO_PASSWORD}")
