"""Writes for projects and their members."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from toolrl_web.projects.models import Membership, Project

User = get_user_model()


def _unique_slug(name: str) -> str:
    base = slugify(name)[:120] or "project"
    slug, n = base, 2
    while Project.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def project_create(*, owner: User, name: str, description: str = "") -> Project:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A project needs a name."})
    project = Project.objects.create(
        name=name, slug=_unique_slug(name), description=description.strip(), owner=owner
    )
    Membership.objects.create(project=project, user=owner, role=Membership.Role.OWNER)
    return project


def project_add_member(*, project: Project, username: str, added_by: User) -> Membership:
    if not project.memberships.filter(user=added_by, role=Membership.Role.OWNER).exists():
        raise ValidationError("Only the project's owners can add members.")
    user = User.objects.filter(username=username.strip()).first()
    if user is None:
        raise ValidationError({"username": f"No user is called {username.strip()!r}."})
    membership, _ = Membership.objects.get_or_create(project=project, user=user)
    return membership
