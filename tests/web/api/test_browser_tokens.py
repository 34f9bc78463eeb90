"""The account page's tokens in a real browser: create (shown once), use it from a program,
revoke; the API docs page renders from the installed package (no CDN). Screenshots of each."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, browser_login

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ROOT / "var" / "screenshots" / "api"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_create_use_and_revoke_a_token(live_server, owner, project, browser_page):
    import requests

    page = browser_page
    script_errors: list[str] = []
    page.on("pageerror", lambda e: script_errors.append(str(e)))
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.goto(f"{live_server.url}/account/")
    assert "No tokens yet." in page.locator("#api-tokens").inner_text()
    shot(page, "account-no-tokens")

    page.fill("#id_token_name", "laptop <notebook>")
    page.click("text=Create token")
    token = page.locator("#new-token code").inner_text().strip()
    assert token.startswith("trl_")
    assert "laptop <notebook>" in page.locator("#api-tokens").inner_text()  # escaped, shown
    shot(page, "account-token-created")

    api = f"{live_server.url}/api"
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{api}/projects", headers=auth, timeout=30).json()[0]["slug"] == (
        project.slug
    )

    page.goto(f"{live_server.url}/account/")
    assert token not in page.content()  # shown once only
    assert "never" not in page.locator("[data-token]").inner_text()  # last use recorded
    page.click("text=Revoke")
    assert "Token revoked" in page.locator(".messages").inner_text()
    assert "revoked" in page.locator("[data-token]").inner_text()
    shot(page, "account-token-revoked")
    assert requests.get(f"{api}/projects", headers=auth, timeout=30).status_code == 401

    page.goto(f"{api}/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui").inner_text().count("/api/runs/") >= 5
    shot(page, "api-docs")
    assert not script_errors, script_errors
