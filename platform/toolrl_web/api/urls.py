from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, path

from toolrl_web.api import views
from toolrl_web.api.endpoints import api


def _no_login_redirect(patterns: list) -> list:
    """The API answers 401 JSON itself: the site's login redirect must not catch its views."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _no_login_redirect(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            login_not_required(pattern.callback)
    return patterns


api_patterns, app_name_, namespace = api.urls

urlpatterns = [
    path("api/", (_no_login_redirect(api_patterns), app_name_, namespace)),
    path("account/tokens/", views.token_create, name="token-create"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
