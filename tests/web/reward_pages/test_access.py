"""Who sees what: owner and member use every reward page and endpoint, an outsider gets 404
for all of them (GET and POST), and every POST needs the CSRF token."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from toolrl_web.rewards.models import RewardConfiguration

from .conftest import GT, editor_post

pytestmark = pytest.mark.django_db


def get_urls(project, c):
    return [
        reverse("reward-list", args=[project.slug]),
        reverse("reward-edit", args=[c.pk]),
        reverse("reward-schedule", args=[c.pk]) + "?steps=50",
        reverse("reward-export", args=[c.pk]),
        reverse("reward-export", args=[c.pk]) + "?format=json",
        reverse("reward-playground", args=[c.pk]) + "?step=3",
    ]


def post_urls(project, c):
    score = {"completion": GT, "ground_truth": GT, "step": "0", "max_steps": "10"}
    return [
        (reverse("reward-create", args=[project.slug]), {"name": "n", "preset": "toolrl"}),
        (reverse("reward-import", args=[project.slug]), {}),
        (reverse("reward-edit", args=[c.pk]), editor_post(c.config, name="Changed")),
        (reverse("reward-schedule", args=[c.pk]), {**editor_post(c.config), "steps": "20"}),
        (reverse("reward-playground-score", args=[c.pk]), score),
        (reverse("reward-delete", args=[c.pk]), {}),
    ]


def test_owner_and_member_use_every_page(client_for, configuration, project, owner, member):
    for user in (owner, member):
        client = client_for(user)
        for url in get_urls(project, configuration):
            response = client.get(url)
            assert response.status_code == 200, (user, url, response.status_code)
        for url, data in post_urls(project, configuration)[3:5]:  # the read-only POSTs
            assert client.post(url, data).status_code == 200, (user, url)
    # A member may also create, edit and delete.
    client = client_for(member)
    urls = post_urls(project, configuration)
    assert client.post(*urls[0]).status_code == 302
    assert client.post(*urls[2]).status_code == 302
    configuration.refresh_from_db()
    assert configuration.name == "Changed"
    assert client.post(*urls[5]).status_code == 302
    assert not RewardConfiguration.objects.filter(pk=configuration.pk).exists()


def test_the_project_page_links_here(client_for, project, member):
    html = client_for(member).get(reverse("project-detail", args=[project.slug])).content.decode()
    assert f'href="{reverse("reward-list", args=[project.slug])}"' in html


def test_an_outsider_gets_404_everywhere(client_for, configuration, project, outsider):
    client = client_for(outsider)
    for url in get_urls(project, configuration):
        assert client.get(url).status_code == 404, url
    for url, data in post_urls(project, configuration):
        assert client.post(url, data).status_code == 404, url
    configuration.refresh_from_db()
    assert configuration.name == "Two stage"
    assert RewardConfiguration.objects.filter(project=project).count() == 1


def test_anonymous_visitors_are_sent_to_login(client, configuration, project):
    for url in get_urls(project, configuration):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_every_post_needs_the_csrf_token(configuration, project, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for url, data in post_urls(project, configuration):
        assert client.post(url, data).status_code == 403, url
    configuration.refresh_from_db()
    assert configuration.name == "Two stage"
    assert RewardConfiguration.objects.count() == 1
