"""A project's named reward configurations: each row holds one `toolrl` `RewardConfig`.

A run freezes the configuration into its own `config` at launch, so editing a row later never
changes what a finished run says it used; the link below is only for navigation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RewardConfiguration(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="reward_configurations"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # `toolrl.rewards.RewardConfig` as JSON (`model_dump(mode="json")`), the file `toolrl` reads.
    config = models.JSONField()
    # The preset it was created from ("" when built from scratch or imported).
    preset = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"], name="reward_configuration_name_per_project"
            )
        ]

    def __str__(self) -> str:
        return self.name
