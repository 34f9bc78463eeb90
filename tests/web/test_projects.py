"""Accounts and projects: every page needs a login, outsiders get 404, owners manage members."""

from __future__ import annotations

import pytest
from django.urls import reverse

from toolrl_web.projects.models import Membership, Project

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["project-list", "project-create", "status", "profile"])
def test_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_project_page_needs_a_login(client, project):
    response = client.get(reverse("project-detail", args=[project.slug]))
    assert response.status_code == 302 and "/login/" in response.url


def test_healthz_is_open(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"database": True}


def test_login_and_logout(client, owner):
    response = client.post(reverse("login"), {"username": "olivia", "password": "pw-olivia-123"})
    assert response.status_code == 302 and response.url == reverse("project-list")
    assert client.get(reverse("project-list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("project-list")).status_code == 302


def test_wrong_password_shows_the_form_again(client, owner):
    response = client.post(reverse("login"), {"username": "olivia", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_members_see_the_project(client_for, project, owner, member):
    for user in (owner, member):
        client = client_for(user)
        assert project.name in client.get(reverse("project-list")).content.decode()
        assert client.get(reverse("project-detail", args=[project.slug])).status_code == 200


def test_outsider_gets_404_and_no_listing(client_for, project, outsider):
    client = client_for(outsider)
    assert project.name not in client.get(reverse("project-list")).content.decode()
    assert client.get(reverse("project-detail", args=[project.slug])).status_code == 404
    response = client.post(
        reverse("project-member-add", args=[project.slug]), {"username": "oscar"}
    )
    assert response.status_code == 404
    assert not project.memberships.filter(user=outsider).exists()


def test_create_project_makes_the_creator_owner(client_for, outsider):
    client = client_for(outsider)
    response = client.post(reverse("project-create"), {"name": "Search bot", "description": ""})
    project = Project.objects.get(name="Search bot")
    assert response.status_code == 302 and response.url == reverse(
        "project-detail", args=[project.slug]
    )
    assert project.memberships.get(user=outsider).role == Membership.Role.OWNER


def test_create_project_without_name_shows_the_field_error(client_for, outsider):
    response = client_for(outsider).post(reverse("project-create"), {"name": "  "})
    assert response.status_code == 200
    assert b"This field is required" in response.content or b"needs a name" in response.content
    assert Project.objects.count() == 0


def test_same_name_gets_a_unique_slug(owner):
    from toolrl_web.projects.services import project_create

    a = project_create(owner=owner, name="Agent")
    b = project_create(owner=owner, name="Agent")
    assert a.slug == "agent" and b.slug == "agent-2"


def test_owner_adds_a_member(client_for, project, owner, outsider):
    client = client_for(owner)
    response = client.post(
        reverse("project-member-add", args=[project.slug]), {"username": "oscar"}, follow=True
    )
    assert "oscar is now a member" in response.content.decode()
    assert project.memberships.filter(user=outsider).exists()


def test_member_cannot_add_members(client_for, project, member, outsider):
    client = client_for(member)
    response = client.post(
        reverse("project-member-add", args=[project.slug]), {"username": "oscar"}, follow=True
    )
    assert "Only the project" in response.content.decode()
    assert not project.memberships.filter(user=outsider).exists()


def test_adding_an_unknown_user_names_the_problem(client_for, project, owner):
    response = client_for(owner).post(
        reverse("project-member-add", args=[project.slug]), {"username": "ghost"}, follow=True
    )
    assert "No user is called &#x27;ghost&#x27;" in response.content.decode()


def test_admin_is_available_to_staff(client_for, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="pw-root-123")
    assert client_for(admin).get("/admin/projects/project/").status_code == 200
