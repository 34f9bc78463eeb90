"""Tokens: created on the account page and shown once, stored hashed, revoked, last use kept."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from toolrl_web.api import services
from toolrl_web.api.models import ApiToken

pytestmark = pytest.mark.django_db


def test_a_token_is_shown_once_and_stored_hashed(client_for, owner):
    client = client_for(owner)
    response = client.post(reverse("token-create"), {"name": "laptop"})
    assert response.status_code == 201
    page = response.content.decode()
    token = ApiToken.objects.get()
    start = page.index(f"trl_{token.prefix}_")
    text = page[start : page.index("<", start)]
    secret = text.split("_", 2)[2]
    assert len(secret) >= 40
    assert token.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get())
    # never again: the account page lists it by prefix only
    again = client.get(reverse("profile")).content.decode()
    assert f"trl_{token.prefix}_" in again and secret not in again
    assert services.token_authenticate(text=text) == owner


def test_a_token_needs_a_name(client_for, owner):
    response = client_for(owner).post(reverse("token-create"), {"name": "  "})
    assert response.status_code == 422
    assert "Give the token a name" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_from_the_account_page(client_for, owner, api_client, token_for):
    text = token_for(owner)
    token = ApiToken.objects.get()
    assert api_client(text).get("/api/projects").status_code == 200
    response = client_for(owner).post(reverse("token-revoke", args=[token.pk]))
    assert response.status_code == 302
    assert api_client(text).get("/api/projects").status_code == 401
    page = client_for(owner).get(reverse("profile")).content.decode()
    assert "revoked" in page


def test_nobody_else_can_revoke_a_token(client_for, owner, member, token_for):
    token_for(owner)
    token = ApiToken.objects.get()
    assert client_for(member).post(reverse("token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.is_active


def test_last_use_is_recorded(api_client, token_for, owner):
    text = token_for(owner)
    assert ApiToken.objects.get().last_used_at is None
    api_client(text).get("/api/projects")
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "trl_",
        "trl_abcd1234",
        "xyz_abcd1234_secret",
        # a real prefix with the wrong secret
        "REAL_PREFIX_wrong",
    ],
)
def test_malformed_or_wrong_tokens_are_refused(token_for, owner, text):
    real = token_for(owner)
    text = text.replace("REAL_PREFIX", "_".join(real.split("_")[:2]))
    assert services.token_authenticate(text=text) is None


def test_an_inactive_users_token_stops_working(token_for, owner):
    text = token_for(owner)
    owner.is_active = False
    owner.save()
    assert services.token_authenticate(text=text) is None


def test_the_token_actions_need_a_login_and_a_post(client):
    assert client.post(reverse("token-create"), {"name": "x"}).status_code == 302
    assert not ApiToken.objects.exists()
