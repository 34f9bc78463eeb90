"""API tokens: a user's keys for the JSON API, created and revoked on the account page.

A token reads `trl_<prefix>_<secret>`. Only the SHA-256 of the secret is stored, so a leaked
database gives no usable token; the prefix finds the row and tells the user which key is which.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # A revoked token stays listed (when it was last used is worth knowing) but never works.
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (trl_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
