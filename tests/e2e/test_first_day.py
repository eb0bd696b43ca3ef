"""A CSM's and a lead's first day (issue 30, items 1-8) in Chromium against a live `pulse serve`: each test shows
one fixed behaviour and saves full-page screenshots under its pytest tmp dir, printing their paths (run with -rP
to see them)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.browsing import sign_in
from tests.e2e.conftest import Live, cli

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)]


def shoot(page: Any, tmp_path: Path, name: str) -> Path:
    """A full-page screenshot in this test's tmp dir, its path printed into the test's output."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def auth(live: Live, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {live.keys[who]}"}


def message(http: httpx.Client, live: Live, account_id: int, body: str) -> dict[str, Any]:
    posted = http.post("/v1/interactions", headers=auth(live, "csm"), json={
        "account_id": account_id, "kind": "email", "body": body, "author": "li.wei@bluefin.example"})
    assert posted.status_code == 201, posted.text
    return dict(posted.json()["suggestion"])


def one_message(http: httpx.Client, live: Live) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new account with one customer e-mail: (account, its suggestion)."""
    account = http.post("/v1/accounts", headers=auth(live, "csm"), json={"name": "Bluefin Analytics"}).json()
    return account, message(http, live, account["id"], "Our invoices are wrong for the third month in a row.")


def accept_with_a(page: Any, suggestion_id: int) -> None:
    """Focus a card and accept it with the `a` key."""
    page.locator(f"#s{suggestion_id}").focus()
    with page.expect_navigation():
        page.keyboard.press("a")


def test_1_recently_decided_shows_ones_own_newest_decisions_first(live: Live, browser: Any, tmp_path: Path) -> None:
    with httpx.Client(base_url=live.base, timeout=30) as http:
        account = http.post("/v1/accounts", headers=auth(live, "csm"), json={"name": "Bluefin Analytics"}).json()
        first, second, third = (message(http, live, account["id"], text) for text in (
            "Our invoices are wrong for the third month in a row.", "The new dashboards are excellent.",
            "Can you send the renewal quote by Friday?"))
        rolled = http.post(f"/v1/accounts/{account['id']}/suggestions", headers=auth(live, "csm")).json()
        assert http.post(f"/v1/suggestions/{rolled['id']}/decisions", headers=auth(live, "lead"),
                         json={"label": rolled["label"]}).status_code == 201  # a colleague's roll-up, earlier
        csm = sign_in(browser, live.base, live.keys["csm"])
        for suggestion in (third, first, second):  # the oldest message decided second, the newest first
            accept_with_a(csm, suggestion["id"])
        rows = csm.locator("table.decided tbody tr")
        ids = [rows.nth(i).get_attribute("id") for i in range(rows.count())]
        assert ids == [f"decided-{second['id']}", f"decided-{first['id']}", f"decided-{third['id']}",
                       f"decided-{rolled['id']}"]
        assert "Account roll-up: the pulse of Bluefin Analytics" in rows.nth(3).inner_text()
        assert "by lead" in rows.nth(3).inner_text()
        shoot(csm, tmp_path, "1-recently-decided")


def test_2_a_is_undone_and_the_decision_kept_as_a_withdrawal(live: Live, browser: Any, tmp_path: Path) -> None:
    with httpx.Client(base_url=live.base, timeout=30) as http:
        account, posted = one_message(http, live)
        csm = sign_in(browser, live.base, live.keys["csm"])
        accept_with_a(csm, posted["id"])
        notice = csm.locator(".flash.notice")
        said = notice.inner_text()
        assert f"Accepted {posted['label']} for Bluefin Analytics's message “Our invoices are wrong" in said
        assert csm.locator(f"#s{posted['id']}").count() == 0
        shoot(csm, tmp_path, "2-accepted-with-undo")
        with csm.expect_navigation():
            csm.keyboard.press("u")
        assert "Withdrawn: the item is back in the queue." in csm.inner_text(".flash.notice")
        assert csm.locator(f"#s{posted['id']}").count() == 1
        shoot(csm, tmp_path, "2-withdrawn-item-back")
        again = http.get(f"/v1/suggestions/{posted['id']}", headers=auth(live, "csm")).json()
        assert again["status"] == "pending"
        [kept] = http.get("/v1/decisions", headers=auth(live, "lead")).json()["data"]
        assert kept["superseded"] and kept["withdrawn_at"] is not None
        lead = sign_in(browser, live.base, live.keys["lead"])
        lead.goto(f"{live.base}/app/decisions")
        assert "(withdrawn" in lead.inner_text("table.decisions")
        shoot(lead, tmp_path, "2-history-shows-the-withdrawal")


@pytest.mark.parametrize("live", [{"PULSE_SCALE": "six"}], indirect=True)
def test_2_a_on_the_six_point_scale_asks_for_the_point(live: Live, browser: Any, tmp_path: Path) -> None:
    with httpx.Client(base_url=live.base, timeout=30) as http:
        account = http.post("/v1/accounts", headers=auth(live, "csm"), json={"name": "Harbor Health"}).json()
        posted = message(http, live, account["id"], "Thanks, the rollout went well and the team likes it.")
        csm = sign_in(browser, live.base, live.keys["csm"])
        card = csm.locator(f"#s{posted['id']}")
        card.focus()
        csm.keyboard.press("a")  # nothing is saved yet: the colour alone is not a point
        assert card.locator(".point-hint").is_visible()
        assert http.get(f"/v1/suggestions/{posted['id']}", headers=auth(live, "csm")).json()["status"] == "pending"
        shoot(csm, tmp_path, "2-six-point-asks-for-the-point")
        points = [p.get_attribute("data-colour") for p in card.locator("input[name=point]").all()]
        key = str(points.index(posted["label"]) + 1)  # the first point of the suggested colour
        csm.keyboard.press(key)
        with csm.expect_navigation():
            csm.keyboard.press("Enter")
        decision = http.get(f"/v1/suggestions/{posted['id']}", headers=auth(live, "csm")).json()["decision"]
        assert decision["label"] == posted["label"] and decision["point"] is not None


def test_3_stage_and_tags_are_shown_and_the_stage_is_filled_in(live: Live, browser: Any, tmp_path: Path) -> None:
    with httpx.Client(base_url=live.base, timeout=30) as http:
        account = http.post("/v1/accounts", headers=auth(live, "csm"), json={
            "name": "Meridian", "lifecycle_stage": "adoption"}).json()
        message(http, live, account["id"], "They are evaluating a cheaper competitor before the budget review.")
        rolled = http.post(f"/v1/accounts/{account['id']}/suggestions", headers=auth(live, "csm")).json()
        csm = sign_in(browser, live.base, live.keys["csm"])
        csm.goto(f"{live.base}/app/accounts/{account['id']}")
        card = csm.locator(f"#s{rolled['id']}")
        card.locator("details.context summary").click()
        stage = card.locator("select[name=lifecycle_stage]")
        assert stage.input_value() == "adoption"  # the account's stage, filled in
        assert [o.get_attribute("value") for o in stage.locator("option").all()] == [
            "onboarding", "adoption", "expansion", "renewal"]
        stage.select_option("renewal")
        card.locator("input[name=tags]").fill("exec_sponsor, pricing")
        shoot(csm, tmp_path, "3-stage-chosen-from-the-list")
        with csm.expect_navigation():
            card.locator("button.accept").click()
        assert "Stage: renewal" in csm.inner_text("#stage") and "exec_sponsor" in csm.inner_text("#stage")
        shoot(csm, tmp_path, "3-account-shows-stage-and-tags")
        csm.goto(f"{live.base}/app/accounts")
        row = csm.locator(f"#account-{account['id']}")
        assert "renewal" in row.inner_text() and "pricing" in row.inner_text()
        shoot(csm, tmp_path, "3-accounts-list-stage-and-tags")


def test_4_a_churned_account_leaves_the_queue_and_shows_its_outcome(live: Live, browser: Any,
                                                                    tmp_path: Path) -> None:
    with httpx.Client(base_url=live.base, timeout=30) as http:
        gone = http.post("/v1/accounts", headers=auth(live, "csm"), json={
            "name": "Keystone Retail", "renewal_date": (date.today() + timedelta(days=20)).isoformat(),
            "arr": 300000}).json()
        alive = http.post("/v1/accounts", headers=auth(live, "csm"), json={"name": "Bluefin Analytics"}).json()
        lost = message(http, live, gone["id"], "We are terminating the contract at the end of the month.")
        kept = message(http, live, alive["id"], "Can you send the renewal quote by Friday?")
        assert http.post(f"/v1/accounts/{gone['id']}/outcomes", headers=auth(live, "csm"), json={
            "kind": "churned", "occurred_on": (date.today() - timedelta(days=2)).isoformat(),
            "note": "terminated early after the billing dispute"}).status_code == 201
        csm = sign_in(browser, live.base, live.keys["csm"])
        assert csm.locator(f"#s{lost['id']}").count() == 0 and csm.locator(f"#s{kept['id']}").count() == 1
        shoot(csm, tmp_path, "4-queue-without-the-churned-account")
        csm.goto(f"{live.base}/app/accounts?stale=true")
        assert "Keystone Retail" not in csm.inner_text("table.accounts")
        csm.goto(f"{live.base}/app/accounts")
        assert "churned" in csm.inner_text(f"#account-{gone['id']}")
        csm.goto(f"{live.base}/app/accounts/{gone['id']}")
        outcome = csm.inner_text("#outcome")
        assert "Churned on" in outcome and "terminated early after the billing dispute" in outcome
        assert "overdue" not in csm.inner_text("main > p.muted")
        shoot(csm, tmp_path, "4-account-shows-its-churn")
        queued = http.get("/v1/suggestions", headers=auth(live, "csm")).json()["data"]
        assert lost["id"] not in [s["id"] for s in queued]  # the API's queue agrees with the page


def test_5_until_today_includes_todays_decisions(live: Live, browser: Any, tmp_path: Path) -> None:
    with httpx.Client(base_url=live.base, timeout=30) as http:
        account, posted = one_message(http, live)
        assert http.post(f"/v1/suggestions/{posted['id']}/decisions", headers=auth(live, "csm"),
                         json={"label": posted["label"]}).status_code == 201
        lead = sign_in(browser, live.base, live.keys["lead"])
        today = date.today().isoformat()
        lead.fill("input[name=since]", today)
        lead.fill("input[name=until]", today)
        with lead.expect_navigation():
            lead.click("form.filters button")
        assert lead.inner_text("#audit-n") == "1"
        shoot(lead, tmp_path, "5-from-and-until-today")
        with lead.expect_navigation():
            lead.click("#audit-n")
        assert lead.inner_text("#decision-count") == "1" and f"until {date.today().day}" in lead.inner_text("#filters")
        shoot(lead, tmp_path, "5-the-rows-behind-it")


def test_6_the_audit_claims_nothing_below_its_minimum(live: Live, browser: Any, tmp_path: Path) -> None:
    with httpx.Client(base_url=live.base, timeout=30) as http:
        account = http.post("/v1/accounts", headers=auth(live, "csm"), json={"name": "Bluefin Analytics"}).json()
        posted = [message(http, live, account["id"], text) for text in (
            "Our invoices are wrong for the third month in a row.", "The export works again, thanks a lot.",
            "Can you send the renewal quote by Friday?")]
        for suggestion in posted:
            assert http.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=auth(live, "csm"),
                             json={"label": suggestion["label"]}).status_code == 201
        assert http.post("/v1/checks", headers=auth(live, "lead"), json={
            "suggestion_id": posted[1]["id"], "label": "Green"}).status_code == 201
        lead = sign_in(browser, live.base, live.keys["lead"])
        assert "not enough data yet (n=3)" in lead.inner_text("#audit-agreement")
        words = lead.locator("#anchoring-words")
        assert "not enough data yet" in words.inner_text() and words.locator("strong").count() == 0
        assert "not enough peers" in lead.inner_text("table.people")
        assert lead.eval_on_selector(".pct", "e => getComputedStyle(e).whiteSpace") == "nowrap"
        shoot(lead, tmp_path, "6-audit-with-three-decisions")
        item = lead.locator("a.check-item")
        assert item.inner_text() == "“The export works again, thanks a lot.”"
        with lead.expect_navigation():
            item.click()
        assert lead.inner_text("#decision-count") == "1"
        assert "The export works again" in lead.inner_text("table.decisions")
        shoot(lead, tmp_path, "6-a-check-item-opens-its-own-message")


def test_7_csm_pages_speak_plainly(live: Live, browser: Any, tmp_path: Path, tiny_model: Path) -> None:
    challenger = cli("models", "register", str(tiny_model), env=live.env)
    with httpx.Client(base_url=live.base, timeout=30) as http:
        assert http.post(f"/v1/models/{challenger}/shadow", headers=auth(live, "scientist")).status_code == 200
        account, posted = one_message(http, live)
        csm = sign_in(browser, live.base, live.keys["csm"])
        card = csm.locator(f"#s{posted['id']}")
        assert posted["model_version"] not in card.inner_text()  # kept behind "why here"
        card.locator("details.about summary").click()
        assert posted["model_version"] in card.inner_text()
        assert csm.locator("nav a[href='/app/decisions']").is_visible()
        shoot(csm, tmp_path, "7-card-without-the-model-version")
        accept_with_a(csm, posted["id"])
        notice = csm.inner_text(".flash.notice")
        assert "suggestion" not in notice.lower() and "Bluefin Analytics's message" in notice
        csm.goto(f"{live.base}/app/accounts/{account['id']}")
        assert "/v1/" not in csm.inner_text("#signals") and "No risk signals" in csm.inner_text("#signals")
        shoot(csm, tmp_path, "7-account-signals-in-words")
        csm.goto(f"{live.base}/app/decisions?current=true")
        filters = csm.inner_text("#filters")
        assert "current=True" not in filters and "only the decisions that stand" in filters
        assert re.fullmatch(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC", csm.inner_text("td.when"))
        shoot(csm, tmp_path, "7-decisions-in-words")
        scientist = sign_in(browser, live.base, live.keys["scientist"])
        caption = scientist.inner_text(f"table.shadow[data-version='{challenger}'] caption")
        assert "—" not in caption and "against" not in caption
        shoot(scientist, tmp_path, "7-shadow-caption-in-words")


def test_8_a_refused_override_keeps_the_reason_and_says_so_once(live: Live, browser: Any, tmp_path: Path) -> None:
    with httpx.Client(base_url=live.base, timeout=30) as http:
        account, posted = one_message(http, live)
        csm = sign_in(browser, live.base, live.keys["csm"])
        card = csm.locator(f"#s{posted['id']}")
        card.focus()
        chosen, key = ("Green", "g") if posted["label"] != "Green" else ("Red", "r")
        csm.keyboard.press(key)
        csm.keyboard.press("ArrowDown")  # a sentiment reason of the chosen colour
        reason = card.locator("select.sentiment-reason").input_value()
        assert reason
        card.locator("input[name=note]").fill("they told me on the call")
        with csm.expect_navigation():
            card.locator("button[type=submit]").click()
        retried = csm.locator(f"#s{posted['id']}")
        assert retried.locator(f"input[value={chosen}]").is_checked()
        assert retried.locator("select.sentiment-reason").input_value() == reason
        assert retried.locator("input[name=note]").input_value() == "they told me on the call"
        assert csm.locator(".flash.error").count() == 0
        assert csm.get_by_text("Override reason is required").count() == 1
        shoot(csm, tmp_path, "8-refused-override-keeps-the-reason")
