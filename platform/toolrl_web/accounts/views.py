from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from toolrl_web.projects.selectors import project_list_for_user


@require_GET
def profile(request):
    return render(
        request,
        "accounts/profile.html",
        {"projects": project_list_for_user(user=request.user)},
    )
