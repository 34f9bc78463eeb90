"""Create (or reuse) the demo user and the demo project, and print the login."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from toolrl_web.projects.models import Project
from toolrl_web.projects.services import project_create

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "toolrl-demo"
DEMO_PROJECT = "ToolRL demo"


class Command(BaseCommand):
    help = "Create the demo user and project (idempotent) and print the login."

    def add_arguments(self, parser):
        parser.add_argument(
            "--launch-run",
            action="store_true",
            help="queue the demo training run (tiny model, cpu-tiny preset) if none exists yet",
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
        if launch_run and not project.runs.exists():
            from django.db import transaction

            from toolrl_web.runs.services import run_create

            with transaction.atomic():
                run = run_create(
                    project=project,
                    user=user,
                    config={"preset": "cpu-tiny", "name": "demo: tiny model learns the format"},
                )
            self.stdout.write(f"demo run #{run.pk} queued (tiny model, cpu-tiny preset)")
        self.stdout.write(f"demo login: username {DEMO_USERNAME}  password {DEMO_PASSWORD}")
