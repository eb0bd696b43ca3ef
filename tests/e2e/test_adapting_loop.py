"""The adapting loop end to end on a running server: a CSM confirms messages in the team's own words, a worker
builds a challenger and puts it in shadow, a data scientist promotes it on the models page, and the next
suggestion comes from it and reads those words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.browsing import shot, sign_in
from tests.e2e.conftest import Live, cli, drain_jobs
from tests.training.test_adapt import team_messages


@pytest.mark.parametrize("live", [{"PULSE_ADAPT_EVERY": "60"}], indirect=True)
def test_a_challenger_learned_from_confirmed_labels_is_promoted_on_the_models_page(
        live: Live, browser: Any, tmp_path: Path) -> None:
    env = live.env | {"PULSE_ADAPTED_DIR": str(tmp_path / "adapted")}
    csm = {"Authorization": f"Bearer {live.keys['csm']}"}
    scientist_key = live.keys["scientist"]
    with httpx.Client(base_url=live.base, timeout=60) as http:
        account = http.post("/v1/accounts", headers=csm, json={"name": "Orbit Freight"}).json()
        before = None
        for n, example in enumerate(team_messages(75, seed=11)):
            posted = http.post("/v1/interactions", headers=csm, json={
                "account_id": account["id"], "kind": "email", "body": example.text, "external_id": f"m-{n}",
                "occurred_at": f"2026-10-{1 + n // 3:02d}T{8 + n % 3:02d}:00:00Z"}).json()
            suggestion = posted["suggestion"]
            before = before or suggestion["model_version"]
            body = {"label": example.label} | ({} if example.label == suggestion["label"] else
                                               {"override_reason": "other"})
            assert http.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=csm,
                             json=body).status_code == 201
        drain_jobs(env)  # counts the confirmed labels, queues the adapt job and runs it
        models = http.get("/v1/models", headers=csm).json()["data"]
        challenger = next(m for m in models if m["kind"] == "adapted-head")
        assert challenger["status"] == "shadow"

        page = sign_in(browser, live.base, scientist_key)
        page.goto(f"{live.base}/app/models")
        assert page.locator(f'section.learning-curve[data-version="{challenger["version"]}"] svg').count() == 1
        shot(page, "30-models-learning-curve")
        form = page.locator(f'form[action="/app/models/{challenger["version"]}/promote"]')
        with page.expect_navigation():
            form.locator("button").click()
        assert http.get(f"/v1/models/{challenger['version']}", headers=csm).json()["status"] == "active"

        after = http.post("/v1/interactions", headers=csm, json={
            "account_id": account["id"], "kind": "email", "body": "Honestly the quarterly review was glorpish.",
            "external_id": "after"}).json()["suggestion"]
    assert before != challenger["version"] and after["model_version"] == challenger["version"]
    assert after["label"] == "Red"
    assert "adapt" in cli("jobs", env=env)
