"""The web pages in Debian's Chromium (headless, through Playwright) against a live `pulse serve`.

A CSM signs in, accepts one suggestion and overrides another with the keyboard alone, rolls the
account up and sets its pulse; the lead's audit counts move; a CSM of another team cannot open the
account; a script in a customer's message shows as text. Each page is saved at 1280×800 to
`screenshots/` (or PULSE_SCREENSHOTS).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.browsing import SHOTS, XSS, decisions, shot, sign_in
from tests.e2e.conftest import Live, cli

pytestmark = pytest.mark.e2e


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
    # Each figure is a share, or below the audit's minimum sample "not enough data yet" with its count.
    people_text = lead.inner_text("table.people")
    assert re.search(r"right of \d+|not enough data yet \(n=\d\)", people_text) and "decoys" in people_text
    assert "Smallest lean it could see" in lead.inner_text("table.people thead")
    assert re.search(r"people agree with it|not enough data yet \(n=\d\)", lead.inner_text("#anchoring-words"))
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
