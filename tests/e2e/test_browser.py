"""The web pages in Debian's Chromium (headless, through Playwright) against a live `pulse serve`.

A CSM signs in, accepts one suggestion and overrides another with the keyboard alone, rolls the
account up and sets its pulse; the lead's audit counts move; a CSM of another team cannot open the
account; a script in a customer's message shows as text. Each page is saved at 1280×800 to
`screenshots/` (or PULSE_SCREENSHOTS).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Live, cli

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("PULSE_SCREENSHOTS", Path(__file__).resolve().parents[2] / "screenshots"))
XSS = "Our export shows <script>window.__xss = 1</script> and <img src=x onerror=\"window.__xss = 2\"> in it."

if not Path(CHROMIUM).exists():
    if os.environ.get("PULSE_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail("PULSE_TEST_REQUIRE_BROWSER=1 but Chromium is not installed (apt-get install -y chromium)",
                    pytrace=False)
    pytest.skip("Chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield launched
        finally:
            launched.close()


def sign_in(browser: Any, base: str, key: str) -> Any:
    """A fresh browser context signed in with a key through the sign-in form."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    offsite: list[str] = []
    page.on("request", lambda request: offsite.append(request.url) if not request.url.startswith(base) else None)
    page.offsite = offsite
    page.goto(f"{base}/login")
    page.fill("#api_key", key)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url, page.content()
    return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def decisions(http: httpx.Client, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = http.get("/v1/decisions", headers=headers, params={"current": "true", **params})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
def test_csm_lead_and_rival_in_the_browser(live: Live, browser: Any, tiny_model: Path) -> None:
    base, keys = live.base, live.keys
    auth = {name: {"Authorization": f"Bearer {key}"} for name, key in keys.items()}
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    challenger = cli("models", "register", str(tiny_model), env=live.env)
    with httpx.Client(base_url=base, timeout=30) as http:
        # A second version scores every new message in shadow, for the data scientist's comparison.
        assert http.post(f"/v1/models/{challenger}/shadow", headers=auth["scientist"]).status_code == 200
        account = http.post("/v1/accounts", headers=auth["csm"], json={
            "name": "Northwind Logistics", "renewal_date": "2027-01-10", "arr": 240000}).json()
        for n, body in enumerate([
                "The nightly export failed again and nobody answered our ticket. We are furious.",
                "Thanks, the new dashboards are excellent and the whole team uses them daily.",
                XSS]):
            posted = http.post("/v1/interactions", headers=auth["csm"], json={
                "account_id": account["id"], "kind": "email", "body": body, "external_id": f"m-{n}"})
            assert posted.status_code == 201, posted.text

        # The sign-in page, then the CSM's queue.
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(f"{base}/app/queue")
        assert "/login" in page.url  # not signed in: sent to sign in
        shot(page, "01-sign-in")
        page.context.close()
        csm = sign_in(browser, base, keys["csm"])
        assert csm.url.endswith("/app/queue")
        shot(csm, "02-queue")
        csm.goto(f"{base}/app/queue?scope=interaction")  # the messages (a worker may have rolled the account up)
        assert csm.locator(".card").count() == 3

        # Accept the first card with one key.
        first = csm.locator(".card").first
        first_id, first_label = first.get_attribute("data-suggestion"), first.get_attribute("data-suggested")
        with csm.expect_navigation():
            csm.keyboard.press("a")
        [accepted] = decisions(http, auth["csm"])
        assert accepted["suggestion_id"] == int(first_id) and accepted["accepted"] and accepted["label"] == first_label

        # Override the next one with the keyboard only: colour, reason, override reason, Enter.
        card = csm.locator(".card").first
        second_id, suggested = card.get_attribute("data-suggestion"), card.get_attribute("data-suggested")
        chosen, key = ("Green", "g") if suggested != "Green" else ("Red", "r")
        csm.keyboard.press(key)
        csm.keyboard.press("ArrowDown")  # the first sentiment reason of the chosen colour
        csm.keyboard.press("Tab")
        csm.keyboard.press("ArrowDown")  # the first override reason
        with csm.expect_navigation():
            csm.keyboard.press("Enter")
        assert csm.locator(".flash.notice").count() == 1
        overridden = next(d for d in decisions(http, auth["csm"]) if d["suggestion_id"] == int(second_id))
        reasons = http.get("/v1/reasons", headers=auth["csm"]).json()
        assert overridden["label"] == chosen and not overridden["accepted"]
        assert overridden["sentiment_reason"] == reasons["sentiment_reasons"][chosen][0]
        assert overridden["override_reason"] == reasons["override_reasons"][0]

        # The lead sees two decisions...
        lead = sign_in(browser, base, keys["lead"])
        assert lead.url.endswith("/app/audit")
        assert lead.inner_text("#audit-n") == "2"

        # ...the CSM rolls the account up and sets its pulse from the account page...
        csm.goto(f"{base}/app/accounts/{account['id']}")
        assert csm.inner_text("#pulse") == "no pulse"
        with csm.expect_navigation():
            csm.click("#roll-up")
        rollup = csm.locator(".card[data-suggestion]").filter(has_text="weight").first
        pulse_label = rollup.get_attribute("data-suggested")
        rollup.focus()
        with csm.expect_navigation():
            csm.keyboard.press("a")
        assert csm.inner_text("#pulse") == pulse_label
        assert csm.locator("svg.chart circle.pulse-point").count() == 1
        # The customer's script is shown as text and never runs.
        assert XSS in csm.inner_text("table.interactions")
        assert csm.evaluate("window.__xss") is None
        shot(csm, "03-account")

        # ...and the lead's counts move, each one linking to its rows.
        lead.reload()
        assert lead.inner_text("#audit-n") == "3"
        shot(lead, "04-audit")
        cell = lead.locator(f"#confusion a[data-cell='{suggested}-{chosen}']")
        assert cell.inner_text() == "1"
        with lead.expect_navigation():
            cell.click()
        assert lead.inner_text("#decision-count") == "1"
        shot(lead, "05-decisions")

        # A CSM of another team cannot open the account.
        rival = sign_in(browser, base, keys["rival"])
        response = rival.goto(f"{base}/app/accounts/{account['id']}")
        assert response is not None and response.status == 404
        assert f"account {account['id']} not found" in rival.inner_text("#error-message")

        # The stale list and the data scientist's model page.
        csm.goto(f"{base}/app/accounts?stale=true")
        shot(csm, "06-stale-accounts")
        scientist = sign_in(browser, base, keys["scientist"])
        assert scientist.url.endswith("/app/models")
        assert scientist.locator("table.models tbody tr").count() == 2
        comparison = scientist.locator(f"table.shadow[data-version='{challenger}']")
        assert comparison.count() == 1 and "all current" in comparison.inner_text()
        shot(scientist, "07-models")

        # Signing out ends the session; nothing was fetched from another host.
        csm.goto(f"{base}/app/queue")
        csm.click("button.link")
        csm.wait_for_url("**/login**")
        csm.goto(f"{base}/app/queue")
        assert "/login" in csm.url
        for page_ in (csm, lead, rival, scientist):
            assert page_.offsite == []


def test_the_demo_pages_for_each_role(live_demo: Live, browser: Any) -> None:
    """The demo's history (two teams, decisions over weeks) as each role sees it; screenshots of the full pages."""
    base, keys = live_demo.base, live_demo.keys
    lead = sign_in(browser, base, keys["lead"])
    people = lead.locator("table.people tbody tr")
    assert people.count() >= 2 and lead.locator("table.people svg.interval").count() >= 1
    assert lead.locator("table.trends tbody tr").count() >= 2
    # The demo's check items: listed with how often each was served and answered right, and per person.
    assert lead.locator("#checks tbody tr").count() == 3
    assert "right of" in lead.inner_text("table.people") and "decoys accepted" in lead.inner_text("table.people")
    assert "Smallest lean it could see" in lead.inner_text("table.people thead")
    assert "people agree with it" in lead.inner_text("#anchoring-words")
    shot(lead, "08-demo-audit")
    link = people.first.locator("td:nth-child(2) a")
    n = link.inner_text()
    with lead.expect_navigation():
        link.click()
    assert lead.inner_text("#decision-count") == n  # the number and the rows behind it agree
    # A lead marks a decided message as a check item from the decisions page.
    assert lead.locator("table.decisions td", has_text="check item").count() >= 1
    make = lead.locator("form.make-check").first
    make.locator("select").select_option("Yellow")
    with lead.expect_navigation():
        make.locator("button").click()
    assert "as the agreed colour" in lead.inner_text(".flash.notice")
    shot(lead, "30-check-item-made")

    csm = sign_in(browser, base, keys["csm"])
    assert csm.locator(".card").count() >= 5
    shot(csm, "09-demo-queue")
    csm.goto(f"{base}/app/accounts")
    with csm.expect_navigation():
        csm.locator("table.accounts a").first.click()
    assert csm.locator("svg.chart circle").count() >= 1
    shot(csm, "10-demo-account")
    for page in (lead, csm):
        assert page.offsite == []


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
        assert "email from li.wei@bluefin.example" in card.inner_text() and "written 2026-11-20" in card.inner_text()
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
        assert "recorded" in csm.inner_text(".flash.notice")

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
        shot(csm, "23-six-point-queue")
        # "5" is "At risk", which counts as Red: an override needs its reason unless the model said Red.
        csm.keyboard.press("5")
        if posted["label"] != "Red":
            csm.keyboard.press("Tab")
            csm.keyboard.press("ArrowDown")
        with csm.expect_navigation():
            csm.keyboard.press("Enter")
        assert "recorded: At risk" in csm.inner_text(".flash.notice")
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
        card.locator("input[name=lifecycle_stage]").fill("renewal")
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
