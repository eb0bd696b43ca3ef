"""The queue does not bury confident mistakes: what a miss would cost ranks an item up, and says why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.suggestions.models import Suggestion
from models.cues import RISK


def set_suggestion(session: Session, suggestion_id: int, label: str, p: tuple[float, float, float],
                   cues: list[dict[str, Any]]) -> None:
    """Give a stored suggestion the model's answer under test (the tiny test model has no cue head)."""
    row = session.get(Suggestion, suggestion_id)
    assert row is not None
    ordered = sorted(p, reverse=True)
    row.label, (row.p_red, row.p_yellow, row.p_green) = label, p  # type: ignore[assignment]
    row.confidence, row.margin = ordered[0], ordered[0] - ordered[1]
    row.cues = cues
    row.risk = max((c["score"] for c in cues if c["kind"] in RISK), default=0.0)  # as from_prediction stores it
    session.add(row)
    session.commit()


def test_a_confident_green_naming_a_competitor_ranks_above_a_routine_uncertain_yellow(
        client: TestClient, session: Session, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]], emea_csm: Any) -> None:
    account = make_account(renewal_date=None, arr=None)
    green = post_message(account["id"], "Love the new reports. We are also trialling Zentrix for the EMEA team.")
    yellow = post_message(account["id"], "Could you resend the invoice for March?")
    plain_green = post_message(account["id"], "The new reports are great, thanks!")
    sentence = "We are also trialling Zentrix for the EMEA team."
    set_suggestion(session, green["suggestion"]["id"], "Green", (0.04, 0.06, 0.90),
                   [{"kind": "competitor", "score": 0.81, "sentence": sentence, "start": 26, "end": 74}])
    set_suggestion(session, yellow["suggestion"]["id"], "Yellow", (0.15, 0.45, 0.40), [])
    set_suggestion(session, plain_green["suggestion"]["id"], "Green", (0.02, 0.08, 0.90), [])

    queue = client.get("/v1/suggestions", headers=emea_csm[1]).json()["data"]
    order = [item["id"] for item in queue]
    assert order == [green["suggestion"]["id"], yellow["suggestion"]["id"], plain_green["suggestion"]["id"]]
    first = queue[0]
    assert "risk cue: competitor (suggested Green)" in first["why"], first["why"]
    assert first["cues"] == [{"kind": "competitor", "score": 0.81, "sentence": sentence, "start": 26, "end": 74,
                              "interaction_id": green["suggestion"]["interaction_id"]}]
    assert "risk cue" not in queue[1]["why"] and "chance of Red" not in queue[2]["why"]


def test_a_confident_red_is_not_buried_under_uncertain_routine_questions(
        client: TestClient, session: Session, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]], emea_csm: Any) -> None:
    account = make_account(renewal_date=None, arr=None)
    notice = post_message(account["id"], "Please take this as our notice: we will not renew in June.")
    questions = [post_message(account["id"], text) for text in ("Could you resend the invoice for March?",
                                                                "Where do I change the notification settings?")]
    set_suggestion(session, notice["suggestion"]["id"], "Red", (0.90, 0.07, 0.03),
                   [{"kind": "non_renewal", "score": 0.93, "sentence": "we will not renew in June.", "start": 32,
                     "end": 58}])
    for question in questions:
        set_suggestion(session, question["suggestion"]["id"], "Yellow", (0.2, 0.42, 0.38), [])

    queue = client.get("/v1/suggestions", headers=emea_csm[1]).json()["data"]
    assert queue[0]["id"] == notice["suggestion"]["id"]
    assert "risk cue: non renewal (suggested Red)" in queue[0]["why"], queue[0]["why"]
    assert queue[0]["priority"] > queue[1]["priority"] > 0


def test_the_roll_up_weighs_a_risk_cue_above_routine_messages_and_names_it(
        client: TestClient, session: Session, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]], emea_csm: Any) -> None:
    account = make_account()
    routine = [post_message(account["id"], text) for text in (
        "Could you resend the March invoice?", "Where do I change my notification settings?",
        "Please add Ines to the admin group.", "Is the API rate limit per user or per workspace?")]
    notice = post_message(account["id"], "Thanks for everything. We will not renew when the term ends in June.")
    for message in routine:
        set_suggestion(session, message["suggestion"]["id"], "Yellow", (0.2, 0.6, 0.2), [])
    sentence = "We will not renew when the term ends in June."
    set_suggestion(session, notice["suggestion"]["id"], "Red", (0.8, 0.15, 0.05),
                   [{"kind": "non_renewal", "score": 0.9, "sentence": sentence, "start": 23, "end": 68}])
    # Weighed alike, the four routine messages would make it Yellow (Red 0.32, Yellow 0.51).
    rolled = client.post(f"/v1/accounts/{account['id']}/suggestions", headers=emea_csm[1])
    assert rolled.status_code == 201, rolled.text
    assert rolled.json()["label"] == "Red"
    # It names no message's cues or colour (a blind item's, or a check copy's original), only the risk the
    # queue weighs.
    assert rolled.json()["cues"] == [] and all("label" not in e for e in rolled.json()["explanation"])
    with Session(client.app.state.engine) as fresh:  # type: ignore[attr-defined]
        stored = fresh.get(Suggestion, rolled.json()["id"])
        assert stored is not None and stored.risk == 0.9
