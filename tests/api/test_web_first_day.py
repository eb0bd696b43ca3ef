"""What a CSM and a lead met on their first day, in-process: the logic behind the pages (the browser test in
tests/e2e/test_first_day.py shows each in Chromium)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from api.db import utcnow
from api.users.models import Role
from tests.api.test_web import sign_in


def test_until_is_inclusive_in_the_api_and_on_the_audit_page(client: TestClient, make_user, make_account,
                                                             emea_csm, post_message) -> None:
    account = make_account()
    posted = post_message(account["id"], "The export failed again.")
    label = posted["suggestion"]["label"]
    assert client.post(f"/v1/suggestions/{posted['suggestion']['id']}/decisions", headers=emea_csm[1],
                       json={"label": label}).status_code == 201
    today = utcnow().date()
    yesterday = (today - timedelta(days=1)).isoformat()
    lead = make_user(Role.LEAD)[1]
    day = {"since": today.isoformat(), "until": today.isoformat()}
    assert client.get("/v1/audit/summary", headers=lead, params=day).json()["n"] == 1
    assert client.get("/v1/decisions", headers=lead, params=day).json()["count"] == 1
    assert client.get("/v1/decisions", headers=lead, params={"until": yesterday}).json()["count"] == 0
    # A time is inclusive too: the decision's own moment includes it.
    made = client.get("/v1/decisions", headers=lead).json()["data"][0]["created_at"]
    assert client.get("/v1/decisions", headers=lead, params={"until": made}).json()["count"] == 1
    exported = client.get("/v1/export/labels", headers=make_user(Role.DATA_SCIENTIST)[1], params=day)
    assert exported.status_code == 200 and exported.text.count("\n") == 1
    sign_in(client, lead)
    page = client.get("/app/audit", params=day)
    assert re.search(r'id="audit-n" href="[^"]*">1</a>', page.text), page.text
    earlier = client.get("/app/audit", params={"since": yesterday, "until": yesterday})
    assert re.search(r'id="audit-n" href="[^"]*">0</a>', earlier.text)


def _decide(client: TestClient, headers: dict[str, str], suggestion: dict[str, Any], **body: Any) -> dict[str, Any]:
    made = client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers,
                       json={"label": suggestion["label"], **body})
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_recently_decided_is_newest_decision_first_and_ones_own_first(client: TestClient, make_user, make_account,
                                                                      emea_csm, post_message) -> None:
    account = make_account(name="Bluefin")
    first, second, third = (post_message(account["id"], f"Message number {n} about the export.")["suggestion"]
                            for n in (1, 2, 3))
    _decide(client, emea_csm[1], second)
    _decide(client, emea_csm[1], first)  # made before the second, decided after it
    lead = make_user(Role.LEAD, name="Lena Lead")[1]
    _decide(client, lead, third)
    def rows(text: str) -> list[str]:
        return re.findall(r'<tr id="decided-(\d+)">', text)

    sign_in(client, emea_csm[1])
    assert rows(client.get("/app/queue").text) == [str(first["id"]), str(second["id"])]
    client.cookies.clear()
    sign_in(client, lead)
    page = client.get("/app/queue").text
    assert rows(page) == [str(third["id"]), str(first["id"]), str(second["id"])]
    assert page.count("by ") >= 2 and "Message number 1" in page  # colleagues' rows name who decided
    # The API's decided list is by decision time too (no one's own first there).
    decided = client.get("/v1/suggestions", headers=lead, params={"status": "decided"}).json()["data"]
    assert [s["id"] for s in decided] == [third["id"], first["id"], second["id"]]


def test_a_decision_is_withdrawn_by_its_maker_and_the_item_comes_back(client: TestClient, make_user, make_account,
                                                                      emea_csm, post_message) -> None:
    account = make_account(name="Bluefin")
    posted = post_message(account["id"], "Our invoices are wrong for the third month in a row.")["suggestion"]
    first = _decide(client, emea_csm[1], posted)
    other = make_user(Role.CSM)[1]
    assert client.post(f"/v1/suggestions/{posted['id']}/withdraw", headers=other).status_code in (404, 409)
    back = client.post(f"/v1/suggestions/{posted['id']}/withdraw", headers=emea_csm[1])
    assert back.status_code == 200 and back.json()["status"] == "pending" and back.json()["decision"] is None
    assert client.post(f"/v1/suggestions/{posted['id']}/withdraw", headers=emea_csm[1]).status_code == 409
    pending = client.get("/v1/suggestions", headers=emea_csm[1]).json()["data"]
    assert posted["id"] in [s["id"] for s in pending]
    lead = make_user(Role.LEAD)[1]
    assert client.get("/v1/audit/summary", headers=lead).json()["n"] == 0
    [kept] = client.get("/v1/decisions", headers=lead).json()["data"]
    assert kept["id"] == first["id"] and kept["superseded"] and kept["withdrawn_at"] is not None
    history = client.get(f"/v1/accounts/{account['id']}/timeline", headers=lead).json()["data"]
    assert [e["summary"] for e in history if e["type"] == "decision"][0].endswith("(withdrawn by its maker soon after)")
    # Deciding again follows the withdrawn decision: the next revision, superseding it.
    again = _decide(client, emea_csm[1], posted)
    assert (again["revision"], again["supersedes_id"]) == (2, first["id"])
    assert client.get("/v1/audit/summary", headers=lead).json()["n"] == 1
    # A roll-up's decision set the pulse: it is changed, not withdrawn.
    rolled = client.post(f"/v1/accounts/{account['id']}/suggestions", headers=emea_csm[1]).json()
    _decide(client, emea_csm[1], rolled)
    refused = client.post(f"/v1/suggestions/{rolled['id']}/withdraw", headers=emea_csm[1])
    assert refused.status_code == 422 and "change it with a new decision" in refused.json()["detail"]


def test_the_page_offers_undo_after_a_decision_in_plain_words(client: TestClient, make_account, emea_csm,
                                                              post_message) -> None:
    account = make_account(name="Bluefin")
    posted = post_message(account["id"], "Our invoices are wrong for the third month in a row.")["suggestion"]
    token = sign_in(client, emea_csm[1])
    done = client.post(f"/app/suggestions/{posted['id']}/decide", data={"csrf_token": token,
                                                                        "label": posted["label"]})
    text = done.text.replace("&#39;", "'")
    assert f"Accepted {posted['label']} for Bluefin's message “Our invoices are wrong for the third month…”" in text
    assert f'action="/app/suggestions/{posted["id"]}/withdraw"' in done.text and "suggestion 4" not in text
    undone = client.post(f"/app/suggestions/{posted['id']}/withdraw", data={"csrf_token": token})
    assert "Withdrawn: the item is back in the queue." in undone.text and f'id="s{posted["id"]}"' in undone.text
    forged = client.post(f"/app/suggestions/{posted['id']}/withdraw", data={"csrf_token": "x"})
    assert forged.status_code == 403


def test_a_refused_override_keeps_the_reason_and_says_so_once(client: TestClient, make_account, emea_csm,
                                                              post_message, settings) -> None:
    account = make_account(name="Bluefin")
    posted = post_message(account["id"], "Our invoices are wrong for the third month in a row.")["suggestion"]
    other = "Green" if posted["label"] != "Green" else "Red"
    reason = settings.sentiment_reasons[other][0]
    token = sign_in(client, emea_csm[1])
    refused = client.post(f"/app/suggestions/{posted['id']}/decide", data={
        "csrf_token": token, "label": other, "sentiment_reason": reason, "note": "they said so on the call"})
    page = refused.text
    assert page.count("Override reason is required") == 1 and 'class="flash error"' not in page
    assert f'data-kept="{reason}"' in page and 'value="they said so on the call"' in page
    assert f'value="{other}" required checked' in page


def test_a_churned_account_leaves_the_queue_and_the_stale_list_until_it_renews(
        client: TestClient, make_account, emea_csm, post_message) -> None:
    account = make_account(name="Keystone", renewal_date="2027-01-15")
    posted = post_message(account["id"], "We are terminating the contract at the end of the month.")["suggestion"]
    headers = emea_csm[1]

    def queued() -> list[int]:
        return [s["id"] for s in client.get("/v1/suggestions", headers=headers).json()["data"]]

    def stale() -> list[int]:
        return [a["id"] for a in client.get("/v1/accounts", headers=headers, params={"stale": "true"}).json()["data"]]

    assert posted["id"] in queued() and account["id"] in stale()
    today = utcnow().date()
    assert client.post(f"/v1/accounts/{account['id']}/outcomes", headers=headers, json={
        "kind": "churned", "occurred_on": (today - timedelta(days=2)).isoformat(),
        "note": "terminated early"}).status_code == 201
    assert posted["id"] not in queued() and account["id"] not in stale()
    shown = client.get(f"/v1/accounts/{account['id']}", headers=headers).json()
    assert shown["churned"] and shown["outcome"]["kind"] == "churned" and not shown["stale"]
    sign_in(client, headers)
    page = client.get(f"/app/accounts/{account['id']}").text
    assert 'id="outcome"' in page and "Churned on" in page and "terminated early" in page
    assert f'id="s{posted["id"]}"' not in client.get("/app/queue").text
    listing = client.get("/app/accounts").text
    assert re.search(rf'id="account-{account["id"]}" class=" churned"', listing) and "churned " in listing
    # A later outcome (they came back and renewed) reopens it.
    assert client.post(f"/v1/accounts/{account['id']}/outcomes", headers=headers, json={
        "kind": "renewed", "occurred_on": today.isoformat()}).status_code == 201
    assert posted["id"] in queued() and account["id"] in stale()
    assert not client.get(f"/v1/accounts/{account['id']}", headers=headers).json()["churned"]


def test_the_stage_and_tags_show_and_the_stage_is_chosen_from_the_configured_list(
        client: TestClient, make_account, emea_csm, post_message, settings) -> None:
    account = make_account(name="Meridian", lifecycle_stage="adoption")
    post_message(account["id"], "They are evaluating a cheaper competitor before the budget review.")
    rolled = client.post(f"/v1/accounts/{account['id']}/suggestions", headers=emea_csm[1]).json()
    sign_in(client, emea_csm[1])
    page = client.get(f"/app/accounts/{account['id']}").text
    options = re.findall(r'<option value="([^"]+)"( selected)?>', page.split('name="lifecycle_stage"')[1]
                         .split("</select>")[0])
    assert [o for o, _ in options] == settings.lifecycle_stages
    assert [o for o, chosen in options if chosen] == ["adoption"]  # the account's stage, filled in
    _decide(client, emea_csm[1], rolled, tags=["exec_sponsor", "pricing"], lifecycle_stage="renewal")
    page = client.get(f"/app/accounts/{account['id']}").text
    assert re.search(r'id="stage">Stage: <strong>renewal</strong>', page)
    assert '<span class="tag">exec_sponsor</span>' in page and '<span class="tag">pricing</span>' in page
    listing = client.get("/app/accounts").text
    assert "renewal" in listing and '<span class="tag">pricing</span>' in listing


def test_lifecycle_stages_are_configured_and_checked() -> None:
    import pytest
    from pydantic import ValidationError

    from api.config import Settings

    assert Settings(lifecycle_stages=[" trial ", "live"]).lifecycle_stages == ["trial", "live"]
    for bad in ([], ["a", "a"], [""], ["x" * 51]):
        with pytest.raises(ValidationError, match="lifecycle_stages"):
            Settings(lifecycle_stages=bad)


def test_the_audit_makes_no_claim_below_its_minimum_and_names_check_items(client: TestClient, make_user,
                                                                          make_account, emea_csm,
                                                                          post_message) -> None:
    account = make_account(name="Bluefin")
    posted = [post_message(account["id"], text)["suggestion"] for text in (
        "Our invoices are wrong for the third month in a row.", "The export works again, thanks a lot.",
        "Can you send the renewal quote by Friday?")]
    for suggestion in posted:
        _decide(client, emea_csm[1], suggestion)
    _, lead = make_user(Role.LEAD, name="Lena Lead")
    assert client.post("/v1/checks", headers=lead, json={"suggestion_id": posted[1]["id"], "label": "Green"}
                       ).status_code == 201
    sign_in(client, lead)
    page = client.get("/app/audit").text
    assert "agreement and κ: <span class=\"few\">not enough data yet (n=3)</span>" in page
    assert "agree with the model</div>" not in page
    assert "at least 10 decisions" in page
    words = page.split('id="anchoring-words"')[1].split("</p>")[0]
    assert "<strong>" not in words and "not enough data yet (n=0)" in words
    assert "not enough peers to compare with yet" in page  # the smallest lean it could see, in words
    check = re.search(r'<a href="([^"]+)" class="check-item">“([^”]+)”</a>', page)
    assert check and check.group(2) == "The export works again, thanks a lot."
    link = check.group(1).replace("&amp;", "&")
    assert f"suggestion_id={posted[1]['id']}" in link
    rows = client.get(link).text
    assert re.search(r'id="decision-count">1<', rows) and "one message and its changes of mind" in rows
    assert '<span class="pct">' in page and ".pct" in client.get("/static/pulse.css").text


def test_csm_pages_speak_plainly(client: TestClient, make_account, emea_csm, post_message) -> None:
    account = make_account(name="Bluefin")
    posted = post_message(account["id"], "Our invoices are wrong for the third month in a row.")["suggestion"]
    sign_in(client, emea_csm[1])
    queue = client.get("/app/queue").text
    assert '<a href="/app/decisions"' in queue  # the decisions page is in the navigation
    header = queue.split(f'id="s{posted["id"]}"')[1].split("</header>")[0]
    shown = re.sub(r"<details.*?</details>", "", header, flags=re.S)
    assert posted["model_version"] not in shown and posted["model_version"] in header  # reachable, not in the way
    page = client.get(f"/app/accounts/{account['id']}").text
    assert "POST /v1" not in page and "No risk signals for this account yet" in page
    _decide(client, emea_csm[1], posted)
    decisions = client.get("/app/decisions", params={"current": "true"}).text
    assert "current=True" not in decisions and "only the decisions that stand" in decisions
    for text in (queue, page, decisions, client.get("/app/queue").text):
        words = re.sub(r"<[^>]+>", " ", text.split("<main>")[1])  # what a person reads, not machine attributes
        assert not re.search(r"\d\d:\d\d:\d\d", words)  # minutes, never seconds or microseconds
    assert re.search(r'<td class="when">\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC</td>', decisions)
