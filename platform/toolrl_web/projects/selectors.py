"""Reads for projects. Every lookup is scoped to the asking user: an outsider gets 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from toolrl_web.projects.models import Membership, Project


def project_list_for_user(*, user) -> QuerySet[Project]:
    return Project.objects.filter(memberships__user=user).select_related("owner").distinct()


def project_get_for_user(*, user, slug: str) -> Project:
    """The project if `user` belongs to it; 404 otherwise (never reveal that it exists)."""
    project = project_list_for_user(user=user).filter(slug=slug).first()
    if project is None:
        raise Http404("No such project.")
    return project


def project_is_owner(*, project: Project, user) -> bool:
    return project.memberships.filter(user=user, role=Membership.Role.OWNER).exists()
