"""The pages a CSM writes from: a call note or pasted e-mail, changing a decision, and what cards show."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.interactions.models import Interaction
from api.suggestions.models import Suggestion
from api.users.models import Role, User
from tests.api.test_web import sign_in
from tests.conftest import UserFactory


def test_a_call_note_or_pasted_email_is_stored_and_scored_from_the_account_page(
        client: TestClient, session: Session, emea_csm: tuple[User, dict[str, str]],
        make_account: Callable[..., dict[str, Any]]) -> None:
    account = make_account()
    token = sign_in(client, emea_csm[1])
    page = client.get(f"/app/accounts/{account['id']}")
    assert 'id="log-body"' in page.text and '<option value="call_note" selected>call note</option>' in page.text
    email = ("Thanks for the quick fix yesterday, the team is happy again.\n\n"
             "On Tue, 3 Mar 2026, Maya wrote:\n> We have deployed the fix.")
    saved = client.post(f"/app/accounts/{account['id']}/interactions", follow_redirects=False, data={
        "csrf_token": token, "kind": "email", "author": "ana@northwind.example", "occurred_on": "2026-11-20",
        "body": email})
    assert saved.status_code == 303 and "notice=The%20email%20is%20stored%20and%20scored" in saved.headers["location"]
    stored = session.exec(select(Interaction).where(Interaction.account_id == account["id"])).one()
    assert stored.body == "Thanks for the quick fix yesterday, the team is happy again."  # the quote is gone
    assert (stored.kind, stored.author, stored.occurred_at.date().isoformat()) == (
        "email", "ana@northwind.example", "2026-11-20")
    assert session.exec(select(Suggestion).where(Suggestion.interaction_id == stored.id)).one()

    for bad, message in [({"occurred_on": "2026-13-01"}, "The%20date%20must%20be%20a%20date"),
                         ({"kind": "fax"}, "The%20kind%20must%20be%20one%20of"),
                         ({"body": " "}, "The%20text%20is%20empty")]:
        refused = client.post(f"/app/accounts/{account['id']}/interactions", follow_redirects=False,
                              data={"csrf_token": token, "kind": "call_note", "body": "Call went well.", **bad})
        assert refused.status_code == 303 and message in refused.headers["location"], refused.headers["location"]
    forged = client.post(f"/app/accounts/{account['id']}/interactions", data={"csrf_token": "x", "body": "Hi"})
    assert forged.status_code == 403


def test_a_decision_is_changed_from_the_queue_and_cards_say_who_wrote_when(
        client: TestClient, emea_csm: tuple[User, dict[str, str]], make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]]) -> None:
    account = make_account()
    posted = post_message(account["id"], "The export failed again and we are furious.")["suggestion"]
    token = sign_in(client, emea_csm[1])
    queue = client.get("/app/queue").text
    assert "email from" in queue and "· written" in queue
    client.post(f"/app/suggestions/{posted['id']}/decide", data={"csrf_token": token, "label": posted["label"]})
    assert f'id="change-{posted["id"]}"' in client.get("/app/queue").text
    other = "Green" if posted["label"] != "Green" else "Red"
    changed = client.post(f"/app/suggestions/{posted['id']}/decide", follow_redirects=False, data={
        "csrf_token": token, "label": other, "override_reason": "missed_context", "note": "called them",
        "next": "/app/queue"})
    assert changed.status_code == 303 and f"notice=Chose%20{other}%20for" in changed.headers["location"]
    current = client.get(f"/v1/suggestions/{posted['id']}", headers=emea_csm[1]).json()["decision"]
    assert (current["label"], current["note"]) == (other, "called them")


def test_long_texts_collapse_and_the_audit_takes_one_date(
        client: TestClient, make_user: UserFactory, emea_csm: tuple[User, dict[str, str]],
        make_account: Callable[..., dict[str, Any]], post_message: Callable[..., dict[str, Any]]) -> None:
    account = make_account()
    post_message(account["id"], "The export failed again. " * 2400)  # 60 KB
    sign_in(client, emea_csm[1])
    page = client.get(f"/app/accounts/{account['id']}").text
    assert '<details class="long">' in page and re.search(r"show all 5\d,\d{3} characters", page)
    _, lead = make_user(Role.LEAD, "emea")
    sign_in(client, lead)
    assert client.get("/app/audit?since=2026-01-01&until=").status_code == 200
    bad = client.get("/app/audit?since=2026-13-01&until=")
    assert bad.status_code == 422 and "since must be a date like 2026-11-28, got &#39;2026-13-01&#39;" in bad.text


def test_a_blind_roll_up_card_shows_the_messages_behind_it_but_not_the_answer(
        client: TestClient, session: Session, emea_csm: tuple[User, dict[str, str]],
        make_account: Callable[..., dict[str, Any]], post_message: Callable[..., dict[str, Any]]) -> None:
    account = make_account()
    post_message(account["id"], "Our renewal is at risk: the reporting module still does not work.")
    rolled = client.post(f"/v1/accounts/{account['id']}/suggestions", headers=emea_csm[1]).json()
    row = session.get(Suggestion, rolled["id"])
    assert row is not None
    row.blind = True
    session.add(row)
    session.commit()
    sign_in(client, emea_csm[1])
    page = client.get("/app/queue?scope=account").text
    card = page[page.index(f'id="s{rolled["id"]}"'):]
    card = card[: card.index("</article>")]
    assert "Our renewal is at risk" in card and "account roll-up" in card
    assert 'data-suggested=""' in card and "% confident" not in card


def test_the_timeline_names_people_and_the_decisions_page_shows_text_and_note(
        client: TestClient, make_user: UserFactory, emea_csm: tuple[User, dict[str, str]],
        make_account: Callable[..., dict[str, Any]], post_message: Callable[..., dict[str, Any]]) -> None:
    account = make_account()
    posted = post_message(account["id"], "Billing error again, payments on hold.")["suggestion"]
    decided = client.post(f"/v1/suggestions/{posted['id']}/decisions", headers=emea_csm[1],
                          json={"label": posted["label"], "note": "spoke to their CFO"})
    assert decided.status_code == 201, decided.text
    timeline = client.get(f"/v1/accounts/{account['id']}/timeline", headers=emea_csm[1]).json()
    entry = next(e for e in timeline["data"] if e["type"] == "decision")
    assert entry["summary"].startswith(f"{emea_csm[0].name} accepted")
    assert "note: spoke to their CFO" in entry["summary"]
    _, lead = make_user(Role.LEAD, "emea")
    sign_in(client, lead)
    page = client.get("/app/decisions?current=true").text
    assert "Billing error again, payments on hold." in page and "spoke to their CFO" in page
    audit = client.get("/app/audit").text  # the weekly trend is drawn: one point for this week's decision
    assert "<title>Override rate by week and model version</title>" in audit and "% overridden</title>" in audit


def test_a_data_scientist_compares_and_shadows_a_version_from_the_models_page(
        client: TestClient, session: Session, make_user: UserFactory, second_model: Any,
        emea_csm: tuple[User, dict[str, str]]) -> None:
    from api.model_versions import service as model_versions

    version = model_versions.register(session=session, directory=second_model).version
    session.commit()  # records flush; whoever calls them commits
    _, scientist = make_user(Role.DATA_SCIENTIST, None)
    token = sign_in(client, scientist)
    page = client.get("/app/models").text
    assert f'href="/app/models/compare?version={version}"' in page and 'class="shadow"' in page
    compared = client.get(f"/app/models/compare?version={version}")
    assert compared.status_code == 200 and "against the active" in compared.text and "not compared" in compared.text
    shadowed = client.post(f"/app/models/{version}/shadow", data={"csrf_token": token}, follow_redirects=False)
    assert shadowed.status_code == 303 and "is%20in%20shadow" in shadowed.headers["location"]
    statuses = {v["version"]: v["status"] for v in client.get("/v1/models", headers=scientist).json()["data"]}
    assert statuses[version] == "shadow"
    assert client.get("/app/models/compare?version=nope").status_code == 404
    sign_in(client, emea_csm[1])
    assert client.get(f"/app/models/compare?version={version}").status_code == 403
