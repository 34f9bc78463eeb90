"""Migrations that rewrite data: the stop reasons stored as messages become choices."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("runs", "0002_run_message_sent_at")]


def migrate(targets=None):
    """Migrate the test database to `targets` (default: the latest of every app)."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_stop_reason_messages_become_choices(owner):
    old = migrate(BEFORE)
    try:
        Project, Run = old.get_model("projects", "Project"), old.get_model("runs", "Run")
        project = Project.objects.create(name="p", slug="p", owner_id=owner.pk)
        reasons = {
            "canceled while queued": "user_cancel",
            "canceled by user": "user_cancel",
            "maximum wall time": "wall_time",
            "": "",
        }
        ids = {
            Run.objects.create(project=project, name="r", config={}, stop_reason=old_reason).pk: new
            for old_reason, new in reasons.items()
        }
    finally:
        new_apps = migrate()
    Run = new_apps.get_model("runs", "Run")
    assert dict(Run.objects.values_list("pk", "stop_reason")) == ids
