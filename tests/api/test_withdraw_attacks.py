"""Withdrawing a decision, tried as an attacker and as a tired user: at once, racing a new decision, on a check
item's copy (which must answer exactly as an ordinary item does afterwards), late, and by the wrong person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.checks.models import CheckAnswer
from api.config import Settings
from api.db import utcnow
from api.decisions.models import DecisionCreate, DecisionHead, Withdrawal
from api.errors import ConflictError
from api.review import decide as deciding
from api.review import undo
from api.users.models import Role, User
from models.labels import Label
from tests.api.test_check_oracles import at_once, served_copy
from tests.api.test_checks import decide, pending
from tests.conftest import UserFactory


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"check_share": 0.5, "check_decoy_share": 1.0})


def withdraw(client: TestClient, headers: dict[str, str], item: dict[str, Any]) -> Any:
    return client.post(f"/v1/suggestions/{item['id']}/withdraw", headers=headers)


def test_ten_identical_withdrawals_at_once_take_it_back_once(
        client: TestClient, session: Session, make_user: UserFactory, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]]) -> None:
    _, csm = make_user(name="Tired CSM")
    account = make_account(headers=csm)
    item = post_message(account["id"], "The export failed again this morning.", headers=csm)["suggestion"]
    made = decide(client, csm, item, item["label"])
    answers = at_once(10, lambda _: withdraw(client, csm, item))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 9, [a.text for a in answers]
    assert session.exec(select(func.count()).select_from(Withdrawal)).one() == 1
    assert session.exec(select(Withdrawal.withdrawn_id)).one() == made["id"]
    assert item["id"] in [i["id"] for i in pending(client, csm)]


def test_a_withdrawal_racing_a_new_decision_never_unseats_it(
        engine: Engine, settings: Settings, make_user: UserFactory, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]]) -> None:
    """The CSM presses u while their lead overrides the same message: the lead's decision, recorded between the
    withdrawal's read and its write, must stand (before, the withdrawal deleted the head, by then the lead's)."""
    csm, csm_headers = make_user(name="Tired CSM")
    lead, _ = make_user(Role.LEAD, name="Lead")
    account = make_account(headers=csm_headers)
    item = post_message(account["id"], "We are evaluating other vendors.", headers=csm_headers)["suggestion"]
    other = Label.RED if item["label"] != "Red" else Label.GREEN
    quiet = settings.model_copy(update={"check_share": 0.0})
    mine = _decide(engine, csm, item["id"], DecisionCreate(label=item["label"]), quiet)
    overridden: list[int] = []

    def lead_overrides(*_: Any) -> None:
        if not overridden:  # once, after the withdrawal read what stands and before it writes anything
            overridden.append(_decide(engine, lead, item["id"], DecisionCreate(
                label=other, override_reason=settings.override_reasons[0]), quiet))

    with Session(engine) as withdrawing:
        event.listen(withdrawing, "do_orm_execute", lambda state: lead_overrides() if state.is_delete else None)
        event.listen(withdrawing, "before_commit", lead_overrides)
        with pytest.raises(ConflictError, match="no decision of yours standing"):
            undo.withdraw(session=withdrawing, user=_user(withdrawing, csm), suggestion_id=item["id"])
    with Session(engine) as check:
        head = check.get(DecisionHead, item["id"])
        assert head is not None and head.decision_id == overridden[0] != mine
        assert check.exec(select(func.count()).select_from(Withdrawal)).one() == 0


def test_a_decision_racing_a_withdrawal_is_a_conflict_not_a_500(
        engine: Engine, settings: Settings, make_user: UserFactory, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]]) -> None:
    """The lead overrides while the CSM's u lands first: the head the lead's decision moves is gone, which is the
    409 of two decisions at once (it was a StaleDataError, a 500)."""
    csm, _ = make_user(name="Tired CSM")
    lead, _ = make_user(Role.LEAD, name="Lead")
    account = make_account()
    item = post_message(account["id"], "We are evaluating other vendors.")["suggestion"]
    other = Label.RED if item["label"] != "Red" else Label.GREEN
    quiet = settings.model_copy(update={"check_share": 0.0})
    mine = _decide(engine, csm, item["id"], DecisionCreate(label=item["label"]), quiet)
    withdrawn: list[bool] = []

    def csm_withdraws(*_: Any) -> None:
        if not withdrawn:  # once, after the decision read the head and before it writes
            with Session(engine) as other_session:
                undo.withdraw(session=other_session, user=_user(other_session, csm), suggestion_id=item["id"])
            withdrawn.append(True)

    with Session(engine) as deciding_session:
        event.listen(deciding_session, "before_flush", csm_withdraws)
        with pytest.raises(ConflictError, match="at the same moment"):
            deciding.decide(session=deciding_session, user=_user(deciding_session, lead), suggestion_id=item["id"],
                            data=DecisionCreate(label=other, override_reason=settings.override_reasons[0]),
                            idempotency_key=None, settings=quiet)
    with Session(engine) as check:
        assert check.get(DecisionHead, item["id"]) is None
        assert check.exec(select(Withdrawal.withdrawn_id)).all() == [mine]


def _user(session: Session, user: User) -> User:
    found = session.get(User, user.id)
    assert found is not None
    return found


def _decide(engine: Engine, user: User, suggestion_id: int, data: DecisionCreate, settings: Settings) -> int:
    with Session(engine) as session:
        made, _ = deciding.decide(session=session, user=_user(session, user), suggestion_id=suggestion_id,
                                  data=data, idempotency_key=None, settings=settings)
        return made.id


def test_withdraw_twice_decide_and_withdraw_again_late_and_by_others(
        client: TestClient, engine: Engine, make_user: UserFactory, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]]) -> None:
    csm_user, csm = make_user(name="Tired CSM")
    _, colleague = make_user(name="Colleague")
    _, other_team = make_user(Role.CSM, "apac", name="Other team")
    _, lead = make_user(Role.LEAD, name="Lead")
    _, scientist = make_user(Role.DATA_SCIENTIST, None, name="Scientist")
    account = make_account(headers=csm)
    item = post_message(account["id"], "Please send the invoice again.", headers=csm)["suggestion"]
    first = decide(client, csm, item, item["label"])
    assert withdraw(client, colleague, item).status_code == 409  # as deciding it: "decided by a colleague"
    assert withdraw(client, other_team, item).status_code == 404
    assert withdraw(client, lead, item).status_code == 409
    assert withdraw(client, scientist, item).status_code == 403
    assert withdraw(client, csm, item).status_code == 200
    assert withdraw(client, csm, item).status_code == 409
    second = decide(client, csm, item, item["label"])
    assert (second["revision"], second["supersedes_id"]) == (2, first["id"])
    assert withdraw(client, csm, item).status_code == 200
    with Session(engine) as session:  # made eleven minutes ago (decisions are append-only: made so, not moved)
        third, _ = deciding.decide(session=session, user=_user(session, csm_user), suggestion_id=item["id"],
                                   data=DecisionCreate(label=item["label"]), idempotency_key=None,
                                   settings=Settings(), at=utcnow() - timedelta(minutes=11))
    late = withdraw(client, csm, item)
    assert late.status_code == 409 and "more than 10 minutes ago" in late.json()["detail"]
    listed = client.get("/v1/decisions", headers=csm, params={"current": "true"}).json()
    assert [d["id"] for d in listed["data"]] == [third.id]


def test_a_withdrawn_answer_on_a_copy_reads_as_a_withdrawn_decision(
        client: TestClient, make_user: UserFactory, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]]) -> None:
    world = served_copy(client, make_user, make_account, post_message)
    reader, copy, plain = world["reader"], world["copy"], world["plain"]
    other = {"Red": "Yellow", "Yellow": "Green", "Green": "Red"}
    # Answered and withdrawn, answered again (a second revision) and withdrawn, on the copy and on an ordinary
    # item alike; a change of mind over an answer that stood cannot be undone, on either.
    made = {}
    for item in (copy, plain):
        decide(client, reader, item, other[item["label"]])
        assert withdraw(client, reader, item).status_code == 200
        made[item["id"]] = decide(client, reader | {"If-Match": '"0"'}, item, item["label"])
        assert withdraw(client, reader, item).status_code == 200
    queue = [i["id"] for i in pending(client, reader)]
    assert copy["id"] in queue and plain["id"] in queue  # both pending again
    listed = {d["id"]: d for d in client.get("/v1/decisions", headers=reader).json()["data"]}
    shown = [listed[made[i["id"]]["id"]] for i in (copy, plain)]
    assert [(s["superseded"], s["withdrawn_at"] is not None) for s in shown] == [(True, True), (True, True)]
    standing = client.get("/v1/decisions", headers=reader, params={"current": "true"}).json()["data"]
    assert not {copy["id"], plain["id"]} & {d["suggestion_id"] for d in standing}
    for item in (copy, plain):
        assert client.get(f"/v1/suggestions/{item['id']}", headers=reader).headers["ETag"] == '"0"'
    again = [client.post(f"/v1/suggestions/{item['id']}/decisions", headers=reader | {"If-Match": '"0"'},
                         json={"label": item["label"]}) for item in (copy, plain)]
    assert [a.status_code for a in again] == [201, 201], [a.text for a in again]
    assert [a.json()["revision"] for a in again] == [3, 3]
    for item in (copy, plain):  # a change of mind over an answer that stands: no undo, on either
        decide(client, reader | {"If-Match": '"3"'}, item, other[item["label"]])
        refused = withdraw(client, reader, item)
        assert refused.status_code == 409 and "replaced an earlier one" in refused.json()["detail"]


def test_ten_withdrawals_of_one_answer_at_once(client: TestClient, session: Session, make_user: UserFactory,
                                               make_account: Callable[..., dict[str, Any]],
                                               post_message: Callable[..., dict[str, Any]]) -> None:
    world = served_copy(client, make_user, make_account, post_message)
    reader, copy = world["reader"], world["copy"]
    decide(client, reader, copy, copy["label"])
    answers = at_once(10, lambda _: withdraw(client, reader, copy))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 9, [a.text for a in answers]
    answer_ids = session.exec(select(CheckAnswer.id)).all()
    assert session.exec(select(Withdrawal.withdrawn_id)).all() == answer_ids


def test_deciding_again_and_undoing_never_makes_an_earlier_decision_stop_counting(
        client: TestClient, make_user: UserFactory, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]]) -> None:
    _, csm = make_user(name="Tired CSM")
    _, lead = make_user(Role.LEAD, name="Lead")
    account = make_account(headers=csm)
    item = post_message(account["id"], "Please send the invoice again.", headers=csm)["suggestion"]
    other = next(label for label in ("Red", "Yellow", "Green") if label != item["label"])
    first = decide(client, csm, item, item["label"])
    decide(client, csm, item, other)  # a change of mind: the first decision no longer stands
    refused = withdraw(client, csm, item)  # an undo now would leave nothing standing
    assert refused.status_code == 409 and "replaced an earlier one" in refused.json()["detail"]
    overridden = decide(client, lead, item, item["label"])  # the lead overrides the CSM, then tries to undo
    assert withdraw(client, lead, item).status_code == 409
    standing = client.get("/v1/decisions", headers=lead, params={"current": "true"}).json()["data"]
    assert [d["id"] for d in standing] == [overridden["id"]] and overridden["supersedes_id"] != first["id"]
