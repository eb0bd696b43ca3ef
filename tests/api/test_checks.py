"""Check items: marked by leads, re-served to CSMs as copies no answer can tell apart, answered apart.

With PULSE_CHECK_SHARE at 0.5 a copy is served after every ordinary decision (the draw's chance is
share / (1 - share)), so these tests need no luck.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from api.checks.models import CheckAnswer, CheckCopy
from api.config import Settings
from api.decisions.models import Decision
from api.events.models import Event
from tests.api.test_web import sign_in


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"check_share": 0.5, "check_decoy_share": 1.0})


def decide(client: TestClient, headers: dict[str, str], item: dict[str, Any], label: str) -> dict[str, Any]:
    shown = item.get("label")
    body: dict[str, Any] = {"label": label} | ({} if label == shown or shown is None
                                               else {"override_reason": "missed_context"})
    answer = client.post(f"/v1/suggestions/{item['id']}/decisions", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


CARD = re.compile(r'<article class="card[^"]*" id="s(\d+)".*?</article>', re.S)


def shape(card: str) -> set[tuple[str, str]]:
    """A card's markup without its words, numbers and ids: the tags and classes it has, leaving out what
    varies with the text itself (evidence marks, the language tag) and the first card's keyboard hints."""
    found = set(re.findall(r"<(\w+)(?:[^>]*?class=\"([^\"]*)\")?", card))
    return {(tag, cls) for tag, cls in found if tag not in ("mark", "kbd") and cls != "language"}


def rows(session: Session, model: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def pending(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get("/v1/suggestions", headers=headers, params={"limit": 100})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"])


def test_a_check_item_is_served_like_any_item_and_touches_nothing_but_its_answers(
        client: TestClient, session: Session, make_user, make_account, post_message, emea_csm) -> None:
    author, author_headers = emea_csm
    other, other_headers = make_user(name="Other CSM")
    third, third_headers = make_user(name="Third CSM")
    _, lead = make_user(role="lead", name="Lead")
    account = make_account()
    marked = post_message(account["id"], "The outage cost us a week. We are evaluating other vendors.")["suggestion"]
    decide(client, author_headers, marked, "Red")

    refused = client.post("/v1/checks", headers=author_headers, json={"suggestion_id": marked["id"], "label": "Red"})
    assert refused.status_code == 403
    check = client.post("/v1/checks", headers=lead, json={"suggestion_id": marked["id"], "label": "Red",
                                                          "note": "agreed in the calibration session"})
    assert check.status_code == 201, check.text
    again = client.post("/v1/checks", headers=lead, json={"suggestion_id": marked["id"], "label": "Red"})
    assert again.status_code == 409 and "already check item" in again.json()["detail"]
    undecided = post_message(account["id"], "Could you send the invoice again?")["suggestion"]
    early = client.post("/v1/checks", headers=lead, json={"suggestion_id": undecided["id"], "label": "Yellow"})
    assert early.status_code == 422 and "not been decided" in early.json()["detail"]

    # The author decides more and is never served the message they decided themselves.
    decide(client, author_headers, undecided, undecided["label"])
    assert not any(item["interaction_id"] == marked["interaction_id"] for item in pending(client, author_headers))

    # Another CSM decides an ordinary item: a copy joins their queue, and only theirs.
    ordinary = post_message(account["id"], "Thanks, the new dashboard is great.", headers=other_headers)["suggestion"]
    decide(client, other_headers, ordinary, ordinary["label"])
    queue = pending(client, other_headers)
    [copy] = [item for item in queue if item["interaction_id"] == marked["interaction_id"]]
    assert not any(item["id"] == copy["id"] for item in pending(client, third_headers))
    assert client.get(f"/v1/suggestions/{copy['id']}", headers=third_headers).status_code == 404

    # Same shape, same fields, same kinds of values as an ordinary pending item.
    plain = post_message(account["id"], "Renewal looks fine, send the paperwork.", headers=third_headers)
    [ordinary_item] = [item for item in pending(client, other_headers) if item["id"] == plain["suggestion"]["id"]]
    assert set(copy) == set(ordinary_item)
    assert {k: type(v) for k, v in copy.items()} == {k: type(v) for k, v in ordinary_item.items()}
    assert copy["status"] == "pending" and copy["text"].startswith("The outage cost us a week")
    assert copy["why"].startswith("uncertainty") and copy["priority"] is not None
    assert copy["label"] == "Yellow"  # a decoy: a neighbour of the agreed Red, with its probability on top
    assert copy["probabilities"]["Yellow"] == max(copy["probabilities"].values())
    detail = client.get(f"/v1/suggestions/{copy['id']}", headers=other_headers).json()
    assert set(detail) == set(ordinary_item) and detail["text"] == copy["text"]
    # On the queue page too: the same markup, tag for tag and class for class, as an ordinary card.
    sign_in(client, other_headers, "/app/queue")
    page = client.get("/app/queue").text
    cards = {int(m.group(1)): m.group(0) for m in CARD.finditer(page)}
    assert shape(cards[copy["id"]]) == shape(cards[ordinary_item["id"]]) and len(shape(cards[copy["id"]])) > 10
    assert "The outage cost us a week" in cards[copy["id"]]
    client.cookies.clear()

    # Answering it: the answer looks like a decision, needs an override reason like one, and writes nothing
    # but check_answers (no decision, event, pulse change, export row or training label).
    missing = client.post(f"/v1/suggestions/{copy['id']}/decisions", headers=other_headers, json={"label": "Red"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "override_reason"
    counted = (("decisions", Decision), ("events", Event), ("answers", CheckAnswer))
    before = {name: rows(session, model) for name, model in counted}
    answer = decide(client, other_headers, copy, "Red")
    assert {name: rows(session, model) for name, model in counted} == before | {"answers": before["answers"] + 1}
    assert answer["suggestion_id"] == copy["id"] and answer["accepted"] is False and answer["direction"] == "harsher"
    assert set(answer) == set(decide(client, third_headers, {"id": plain["suggestion"]["id"],
                                                             "label": plain["suggestion"]["label"]},
                                     plain["suggestion"]["label"]))
    assert session.exec(select(Decision).where(Decision.suggestion_id == copy["id"])).first() is None
    assert not any(item["id"] == copy["id"] for item in pending(client, other_headers))
    decided = client.get("/v1/suggestions", headers=other_headers, params={"status": "decided"}).json()["data"]
    assert [item["decision"]["label"] for item in decided if item["id"] == copy["id"]] == ["Red"]

    _, scientist = make_user(role="data_scientist", team=None, name="Scientist")
    exported = [json.loads(line) for line in client.get("/v1/export/labels", headers=scientist).text.splitlines()]
    assert copy["id"] not in {row["suggestion_id"] for row in exported}
    assert sorted(row["suggestion_id"] for row in exported) == sorted(
        d.suggestion_id for d in session.exec(select(Decision)))

    summary = client.get("/v1/audit/summary", headers=lead).json()
    assert summary["n"] == rows(session, Decision)  # the answer is not agreement with the model
    by_id = {person["user_id"]: person for person in summary["per_user"]}
    checked = {"check_n": 1, "check_accuracy": 1.0, "decoy_n": 1, "decoy_acceptance": 0.0}
    assert by_id[other.id] | checked == by_id[other.id]
    listed = client.get("/v1/checks", headers=lead).json()
    # Served to the other two CSMs (each after an ordinary decision), never to its author; answered once.
    assert listed["data"][0] | {"served": 2, "answered": 1, "correct": 1} == listed["data"][0]
    retired = client.post(f"/v1/checks/{check.json()['id']}/retire", headers=lead)
    assert retired.status_code == 200 and retired.json()["retired_at"] is not None
    assert author.id != other.id != third.id


def test_the_server_times_each_decision_from_when_the_item_reached_the_person(
        client: TestClient, session: Session, make_account, post_message, emea_csm) -> None:
    _, headers = emea_csm
    account = make_account()
    first = post_message(account["id"], "The export keeps failing.")["suggestion"]
    second = post_message(account["id"], "All good on our side, thanks.")["suggestion"]
    unserved = decide(client, headers, first, first["label"])
    assert unserved["server_ms"] is None  # never served to this person: no server time, none invented
    pending(client, headers)
    timed = decide(client, headers, second, second["label"])
    assert isinstance(timed["server_ms"], int) and timed["server_ms"] >= 0
    assert session.exec(select(CheckCopy)).all() == []  # no check items exist: nothing is served in their place
