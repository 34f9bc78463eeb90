"""Check that the database and the broker answer; print one line per problem and exit 1."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from toolrl_web.status.selectors import broker_check, database_check


class Command(BaseCommand):
    help = "Check the database and the Celery broker before starting the platform."

    def add_arguments(self, parser):
        parser.add_argument("--skip-broker", action="store_true")

    def handle(self, *args, skip_broker: bool = False, **options):
        checks = [database_check()] + ([] if skip_broker else [broker_check()])
        failed = [c for c in checks if not c.ok]
        for check in checks:
            state = "ok" if check.ok else "DOWN"
            self.stdout.write(f"{check.name}: {state} ({check.detail})")
        if failed:
            for check in failed:
                hint = (
                    "set DATABASE_URL to a reachable database"
                    if check.name == "Database"
                    else "start Redis or set CELERY_BROKER_URL to a reachable broker"
                )
                self.stderr.write(
                    f"error: {check.name.lower()} unreachable: {check.detail}; {hint}"
                )
            sys.exit(1)
