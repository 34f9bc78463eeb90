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

    def handle(self, *args, **options):
        User = get_user_model()  # noqa: N806
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
        if not Project.objects.filter(owner=user, name=DEMO_PROJECT).exists():
            project_create(
                owner=user,
                name=DEMO_PROJECT,
                description="The tiny local model learning the ToolRL format on the synthetic task.",
            )
        self.stdout.write(f"demo login: username {DEMO_USERNAME}  password {DEMO_PASSWORD}")
