from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from toolrl_web.api.selectors import token_list_for_user
from toolrl_web.projects.selectors import project_list_for_user


def profile_render(request, *, status: int = 200, **extra):
    """The account page; the token actions render it with the new token or an error."""
    context = {
        "projects": project_list_for_user(user=request.user),
        "tokens": token_list_for_user(user=request.user),
        **extra,
    }
    return render(request, "accounts/profile.html", context, status=status)


@require_GET
def profile(request):
    return profile_render(request)
