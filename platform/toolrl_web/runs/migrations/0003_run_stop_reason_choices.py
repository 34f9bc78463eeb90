"""`Run.stop_reason` becomes a choice (what `run_finish` decides on), `lineage_root` goes (the
`resumed_from` chain is the lineage), and the never-written artifact kind "log" goes."""

from django.db import migrations, models

# The messages the earlier code stored, and the choice each one meant.
OLD_REASONS = {
    "canceled while queued": "user_cancel",
    "canceled by user": "user_cancel",
    "maximum wall time": "wall_time",
}


def reasons_to_choices(apps, schema_editor):
    Run = apps.get_model("runs", "Run")
    for old, new in OLD_REASONS.items():
        Run.objects.filter(stop_reason=old).update(stop_reason=new)
    Run.objects.exclude(stop_reason__in=["", *set(OLD_REASONS.values())]).update(stop_reason="")


def choices_to_reasons(apps, schema_editor):
    Run = apps.get_model("runs", "Run")
    Run.objects.filter(stop_reason="user_cancel").update(stop_reason="canceled by user")
    Run.objects.filter(stop_reason="wall_time").update(stop_reason="maximum wall time")


class Migration(migrations.Migration):
    dependencies = [("runs", "0002_run_message_sent_at")]

    operations = [
        migrations.RunPython(reasons_to_choices, choices_to_reasons),
        migrations.AlterField(
            model_name="run",
            name="stop_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("user_cancel", "canceled by the user"),
                    ("wall_time", "maximum wall time reached"),
                ],
                max_length=16,
            ),
        ),
        migrations.RemoveField(model_name="run", name="lineage_root"),
        migrations.AlterField(
            model_name="artifact",
            name="kind",
            field=models.CharField(
                choices=[("checkpoint", "Checkpoint"), ("final", "Final model")], max_length=16
            ),
        ),
    ]
