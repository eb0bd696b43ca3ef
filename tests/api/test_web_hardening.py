"""The web pages under attack: pages count against the key's rate limit, sign-in attempts are limited per
address, no link puts words on a page, the API docs load nothing from elsewhere, and no redirect is built
from the Host header."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from api.config import Settings
from api.main import create_app
from api.users.models import Role
from tests.api.test_rate_limit import wait_for_a_fresh_window
from tests.api.test_web import sign_in

runner = CliRunner()


def test_pages_count_against_the_key_s_limit_and_sign_in_attempts_are_limited_per_address(
        engine: Engine, settings: Settings, database_url: str, make_user) -> None:
    _, headers = make_user(Role.CSM, "emea")
    limited = settings.model_copy(update={"rate_limit_per_minute": 4, "login_attempts_per_minute": 3})
    with TestClient(create_app(limited)) as client:
        wait_for_a_fresh_window()  # the limits count in one-minute windows: all of this must fall in one
        sign_in(client, headers)  # one sign-in attempt, and one page (/app/models) on the key's count
        answers = [client.get("/app/queue").status_code for _ in range(4)]
        assert answers[:3] == [200, 200, 200] and answers[3] == 429
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        tries = [client.post("/login", data={"api_key": "pulse_wrong", "csrf_token": token},
                             follow_redirects=False).status_code for _ in range(3)]
        assert tries == [303, 303, 429]  # the first sign-in above was the first of three
    if database_url.startswith("sqlite"):  # the counters live beside the database, never in it
        assert Path(engine.url.database + "-ratelimit").is_file()  # type: ignore[operator]
        with Session(engine) as session:
            assert session.execute(text("SELECT count(*) FROM rate_limits")).scalar_one() == 0


def test_a_link_cannot_put_words_on_a_page(client: TestClient, emea_csm, make_account, post_message) -> None:
    posted = post_message(make_account()["id"], "The export failed again.")
    token = sign_in(client, emea_csm[1])
    spoof = "Session expired: re-enter your key at http://evil.example"
    page = client.get("/app/queue", params={"error": spoof, "notice": spoof})
    assert page.status_code == 200 and "evil.example" not in page.text
    forged = client.get("/app/queue", params={"error": spoof, "error_seal": "0" * 32})
    assert "evil.example" not in forged.text
    # What the server itself says after a form is shown, sealed for this session only.
    done = client.post(f"/app/suggestions/{posted['suggestion']['id']}/decide",
                       data={"csrf_token": token, "label": posted["suggestion"]["label"]})
    assert done.status_code == 200 and f"Accepted {posted['suggestion']['label']} for " in done.text
    assert "message “The export failed again.”" in done.text
    login = client.get("/login", params={"error": "That API key is unknown or disabled."})
    assert "That API key is unknown or disabled." in login.text  # the sign-in page's own fixed messages show


def test_the_api_docs_load_every_asset_from_pulse_itself(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    assert all(client.get(a).status_code == 200 for a in assets)
    assert "openapi.json" in client.get("/static/docs.js").text
    assert client.get("/redoc").status_code == 404  # it would need a CDN; /docs is the documentation


def test_no_redirect_is_built_from_the_host_header_and_allowed_hosts_are_enforced(
        engine: Engine, settings: Settings, emea_csm) -> None:
    with TestClient(create_app(settings)) as client:
        slashed = client.get("/v1/accounts/", headers=emea_csm[1] | {"Host": "evil.example"}, follow_redirects=False)
        assert slashed.status_code == 404 and "evil.example" not in slashed.headers.get("location", "")
    pinned = settings.model_copy(update={"allowed_hosts": ["pulse.example.com"]})
    with TestClient(create_app(pinned), base_url="http://pulse.example.com") as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
