"""Project pages: list, create, detail with members."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from toolrl_web.projects import selectors, services
from toolrl_web.projects.forms import MemberForm, ProjectForm


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_http_methods(["GET"])
def project_list(request):
    projects = selectors.project_list_for_user(user=request.user)
    return render(request, "projects/project_list.html", {"projects": projects})


@require_http_methods(["GET", "POST"])
def project_create(request):
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(owner=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Project “{project.name}” created.")
            return redirect("project-detail", slug=project.slug)
    return render(request, "projects/project_create.html", {"form": form})


@require_http_methods(["GET"])
def project_detail(request, slug: str):
    project = selectors.project_get_for_user(user=request.user, slug=slug)
    context = {
        "project": project,
        "memberships": project.memberships.select_related("user").order_by("user__username"),
        "is_owner": selectors.project_is_owner(project=project, user=request.user),
        "member_form": MemberForm(),
        "runs": project.runs.select_related("created_by").order_by("-created_at")[:50],
    }
    return render(request, "projects/project_detail.html", context)


@require_POST
def project_member_add(request, slug: str):
    project = selectors.project_get_for_user(user=request.user, slug=slug)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            membership = services.project_add_member(
                project=project, username=form.cleaned_data["username"], added_by=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{membership.user.username} is now a member.")
    else:
        messages.error(request, "Give the username of the person to add.")
    return redirect("project-detail", slug=project.slug)
