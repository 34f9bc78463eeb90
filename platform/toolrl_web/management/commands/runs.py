"""List queued and running runs and the live workers (operations view for the shell)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from toolrl_web.runs.selectors import runs_active, runs_queued
from toolrl_web.runs.services import runs_reap_stale
from toolrl_web.status.selectors import worker_list


class Command(BaseCommand):
    help = "List queued and running runs and the workers with their queues."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reap", action="store_true", help="fail runs with a stale heartbeat first"
        )

    def handle(self, *args, reap: bool = False, **options):
        if reap:
            reaped = runs_reap_stale()
            self.stdout.write(f"reaped: {', '.join(map(str, reaped)) or 'none'}")
        now = timezone.now()
        self.stdout.write("RUNNING")
        for run in runs_active():
            beat = (
                f"{(now - run.heartbeat_at).total_seconds():.0f}s ago" if run.heartbeat_at else "-"
            )
            self.stdout.write(
                f"  #{run.pk:<5} {run.status:<9} step {run.last_step}/{run.max_steps or '?'}  "
                f"{run.worker_host or '-'} pid {run.pid or '-'}  heartbeat {beat}  {run.name}"
            )
        self.stdout.write("QUEUED")
        for run in runs_queued():
            waited = (now - run.queued_at).total_seconds() if run.queued_at else 0
            self.stdout.write(
                f"  #{run.pk:<5} queue {run.queue:<4} waiting {waited:.0f}s  {run.name}"
            )
        self.stdout.write("WORKERS")
        for w in worker_list(now=now):
            state = "live" if w["live"] else ("stopped" if w["beat"].stopped_at else "silent")
            self.stdout.write(
                f"  {w['beat'].hostname:<30} {state:<7} queues {w['beat'].queues:<8} "
                f"last heartbeat {w['age']:.0f}s ago"
            )
