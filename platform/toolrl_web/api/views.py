"""The account page's token actions: create (the token is shown once) and revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from toolrl_web.accounts.views import profile_render
from toolrl_web.api import services


@require_POST
def token_create(request):
    try:
        token, text = services.token_create(user=request.user, name=request.POST.get("name", ""))
    except ValidationError as exc:
        return profile_render(request, token_error=" ".join(exc.messages), status=422)
    # Rendered, not redirected: the secret must not travel through the session or a URL.
    return profile_render(request, new_token=text, new_token_name=token.name, status=201)


@require_POST
def token_revoke(request, token_id: int):
    if not services.token_revoke(user=request.user, token_id=token_id):
        raise Http404("No such token.")
    messages.success(request, "Token revoked: it no longer works.")
    return redirect("profile")
