"""More of the web pages in Chromium against a live `pulse serve`: logging a call and changing a decision, the
six-point scale with the keyboard, a pulse update with its context, and the signals, honesty and models pages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.browsing import shot, sign_in
from tests.e2e.conftest import Live

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
def test_a_csm_logs_a_call_keeps_a_refused_choice_and_changes_a_decision(live: Live, browser: Any) -> None:
    base, keys = live.base, live.keys
    auth = {"Authorization": f"Bearer {keys['csm']}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        account = http.post("/v1/accounts", headers=auth, json={"name": "Bluefin Analytics"}).json()
        csm = sign_in(browser, base, keys["csm"])

        # Paste an e-mail on the account page: stored, cleaned, scored, and shown to decide.
        csm.goto(f"{base}/app/accounts/{account['id']}")
        csm.select_option("#log-kind", "email")
        csm.fill("#log-author", "li.wei@bluefin.example")
        csm.fill("#log-date", "2026-11-20")
        csm.fill("#log-body", "Our invoices are wrong for the third month in a row and nobody answers.\n\n"
                              "On Mon, Maya wrote:\n> We are looking into it.")
        with csm.expect_navigation():
            csm.click("#log-save")
        assert "is stored and scored" in csm.inner_text(".flash.notice")
        card = csm.locator(".card").first
        assert "email from li.wei@bluefin.example" in card.inner_text() and "written 20 Nov 2026" in card.inner_text()
        assert "Maya wrote" not in card.inner_text()
        shot(csm, "20-account-logged-email")

        # Choose another colour than the model's and save without an override reason: the page comes back
        # to this card with the colour still chosen and the message beside the field.
        suggestion_id, suggested = card.get_attribute("data-suggestion"), card.get_attribute("data-suggested")
        chosen, key = ("Green", "g") if suggested != "Green" else ("Red", "r")
        csm.keyboard.press(key)
        with csm.expect_navigation():
            csm.keyboard.press("Enter")
        retried = csm.locator(f"#s{suggestion_id}")
        assert retried.locator(f"input[value={chosen}]").is_checked()
        assert "Override reason is required" in retried.locator(".field-error").inner_text()
        csm.wait_for_function("document.activeElement.classList.contains('override-reason')")
        shot(csm, "21-refused-choice-kept")
        csm.keyboard.press("ArrowDown")
        with csm.expect_navigation():
            csm.keyboard.press("Enter")
        assert f"Chose {chosen} for Bluefin Analytics's message" in csm.inner_text(".flash.notice")

        # Change the decision from the queue's recent decisions.
        csm.goto(f"{base}/app/queue")
        change = csm.locator(f"#change-{suggestion_id}")
        change.locator("summary").click()
        change.locator("select[name=label]").select_option(suggested)
        change.locator("input[name=note]").fill("they called back, it is fixed")
        shot(csm, "22-change-decision")
        with csm.expect_navigation():
            change.locator("button").click()
        current = http.get(f"/v1/suggestions/{suggestion_id}", headers=auth).json()["decision"]
        assert (current["label"], current["note"]) == (suggested, "they called back, it is fixed")


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("live", [{"PULSE_SCALE": "six"}], indirect=True)
def test_a_six_point_deployment_decides_with_the_keyboard(live: Live, browser: Any) -> None:
    base, keys = live.base, live.keys
    auth = {"Authorization": f"Bearer {keys['csm']}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        scale = http.get("/v1/scale", headers=auth).json()
        assert scale["name"] == "six" and [p["colour"] for p in scale["points"]] == [
            "Green", "Green", "Yellow", "Yellow", "Red", "Red"]
        account = http.post("/v1/accounts", headers=auth, json={"name": "Harbor Health"}).json()
        posted = http.post("/v1/interactions", headers=auth, json={
            "account_id": account["id"], "kind": "email",
            "body": "The release broke our approval workflow and the team is furious."}).json()["suggestion"]
        csm = sign_in(browser, base, keys["csm"])
        card = csm.locator(".card").first
        assert "Severe risk" in card.inner_text() and "What each point means" in card.inner_text()
        # Each point's name stays on one line, on a narrow window too: the row of points wraps instead.
        csm.set_viewport_size({"width": 760, "height": 800})
        pills = card.locator("fieldset.colours label.pill")
        assert pills.count() == 6
        for index in range(6):
            lines = pills.nth(index).evaluate(  # the lines the point's name (the label's text node) takes
                "e => Math.max(...[...e.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => {"
                " const r = document.createRange(); r.selectNodeContents(n); return r.getClientRects().length; }))")
            assert lines == 1, f"{pills.nth(index).inner_text()!r} wraps over {lines} lines"
        shot(csm, "23-six-point-queue")
        csm.set_viewport_size({"width": 1280, "height": 800})
        # "5" is "At risk", which counts as Red: an override needs its reason unless the model said Red.
        csm.keyboard.press("5")
        if posted["label"] != "Red":
            csm.keyboard.press("Tab")
            csm.keyboard.press("ArrowDown")
        with csm.expect_navigation():
            csm.keyboard.press("Enter")
        assert "At risk for Harbor Health's message" in csm.inner_text(".flash.notice")
        decision = http.get(f"/v1/suggestions/{posted['id']}", headers=auth).json()["decision"]
        assert (decision["label"], decision["point"]) == ("Red", "At risk")


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
def test_a_pulse_update_with_tags_a_todo_and_a_stage_then_the_todo_done(live: Live, browser: Any) -> None:
    base, keys = live.base, live.keys
    auth = {"Authorization": f"Bearer {keys['csm']}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        account = http.post("/v1/accounts", headers=auth, json={"name": "Meridian"}).json()
        http.post("/v1/interactions", headers=auth, json={
            "account_id": account["id"], "kind": "call_note",
            "body": "They are evaluating a cheaper competitor before the budget review."})
        rolled = http.post(f"/v1/accounts/{account['id']}/suggestions", headers=auth).json()
        csm = sign_in(browser, base, keys["csm"])
        csm.goto(f"{base}/app/accounts/{account['id']}")
        card = csm.locator(f"#s{rolled['id']}")
        card.locator("details.context summary").click()
        card.locator("input[name=tags]").fill("exec_sponsor, pricing")
        card.locator("select[name=lifecycle_stage]").select_option("renewal")
        card.locator("input[name=todo_title]").fill("Book the exec call")
        card.locator("input[name=todo_due]").fill("2026-12-05")
        shot(csm, "24-pulse-update-context")
        with csm.expect_navigation():
            card.locator("button.accept").click()
        decision = http.get(f"/v1/suggestions/{rolled['id']}", headers=auth).json()["decision"]
        assert decision["tags"] == ["exec_sponsor", "pricing"] and decision["lifecycle_stage"] == "renewal"
        todo = csm.locator("#todos li.open")
        assert "Book the exec call" in todo.inner_text() and "due 2026-12-05" in todo.inner_text()
        with csm.expect_navigation():
            todo.locator("button.complete").click()
        assert "Done: Book the exec call" in csm.inner_text(".flash.notice")
        assert csm.locator("#todos li.done").count() == 1
        shot(csm, "25-todo-done")


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("live", [{"PULSE_BLIND_SHARE": "1"}], indirect=True)
def test_signals_honesty_a_blind_roll_up_and_the_models_page(live: Live, browser: Any) -> None:
    base, keys = live.base, live.keys
    csm_auth = {"Authorization": f"Bearer {keys['csm']}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        account = http.post("/v1/accounts", headers=csm_auth, json={"name": "Orbit Freight"}).json()
        http.post("/v1/interactions", headers=csm_auth, json={
            "account_id": account["id"], "kind": "email",
            "body": "Our renewal is at risk: the reporting module still does not work."})
        assert http.post(f"/v1/accounts/{account['id']}/signals", headers=csm_auth, json={
            "kind": "open_risk_tasks", "value": 2, "source": "salesforce",
            "observed_at": "2026-11-20T09:00:00Z"}).status_code == 201
        rolled = http.post(f"/v1/accounts/{account['id']}/suggestions", headers=csm_auth).json()

        # Every suggestion is blind here: the roll-up card shows the messages behind it, not the answer.
        csm = sign_in(browser, base, keys["csm"])
        csm.goto(f"{base}/app/queue?scope=account")
        card = csm.locator(f"#s{rolled['id']}")
        assert "Our renewal is at risk" in card.inner_text() and "% confident" not in card.inner_text()
        shot(csm, "26-blind-roll-up")
        csm.keyboard.press("g")
        with csm.expect_navigation():
            csm.keyboard.press("Enter")
        csm.goto(f"{base}/app/accounts/{account['id']}")
        assert "open risk tasks" in csm.inner_text("#signals")
        assert "The pulse is Green while 1 signal(s) read as risk" in csm.inner_text("#signals")
        shot(csm, "27-signals-beside-the-pulse")

        lead = sign_in(browser, base, keys["lead"])
        assert "open_risk_tasks=2 (salesforce)" in lead.inner_text("#signal-disagreements")
        assert "csm" in lead.inner_text("#honesty")
        shot(lead, "28-audit-honesty-and-signals")

        scientist = sign_in(browser, base, keys["scientist"])
        assert scientist.locator("a.compare").count() == 0  # only the active version: nothing to compare
        shot(scientist, "29-models")
