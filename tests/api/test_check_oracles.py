"""Nothing a CSM can observe tells a check item's copy from an ordinary item, before or after answering it;
only the person a copy was served to answers it; and many requests at once answer as one does.

With PULSE_CHECK_SHARE at 0.5 a copy is served after every ordinary decision, and every copy is a decoy.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.checks.models import CheckAnswer
from api.config import Settings
from api.decisions.models import Decision
from api.model_versions import service as model_versions
from tests.api.test_checks import decide, pending
from tests.conftest import UserFactory


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"check_share": 0.5, "check_decoy_share": 1.0})


def at_once(count: int, call: Callable[[int], Any]) -> list[Any]:
    """`call(n)` for n in range(count), all released together from one barrier."""
    barrier = threading.Barrier(count)

    def run(n: int) -> Any:
        barrier.wait()
        return call(n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def served_copy(client: TestClient, make_user: UserFactory, make_account: Callable[..., dict[str, Any]],
                post_message: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """A message decided by one CSM and marked by the lead; a second CSM is served its copy (a decoy) and has an
    ordinary pending item beside it. Returns the parts by name."""
    _, author = make_user(name="Author CSM")
    reader_user, reader = make_user(name="Reader CSM")
    _, lead = make_user(role="lead", name="Lead")
    account = make_account(headers=lead, segment="enterprise")
    original = post_message(account["id"], "The outage cost us a week. We are evaluating other vendors.",
                            headers=author)["suggestion"]
    decide(client, author, original, "Red")
    check = client.post("/v1/checks", headers=lead, json={"suggestion_id": original["id"], "label": "Red"})
    assert check.status_code == 201, check.text
    first = post_message(account["id"], "Please send the invoice to our new address.", headers=author)["suggestion"]
    # The reader's ordinary decision (its key used again by a probe below): a copy joins their queue.
    decide(client, reader | {"Idempotency-Key": "first-decision"}, first, first["label"])
    ordinary = post_message(account["id"], "Renewal looks fine, send the paperwork.", headers=author)["suggestion"]
    queue = pending(client, reader)
    [copy] = [item for item in queue if item["interaction_id"] == original["interaction_id"]]
    [plain] = [item for item in queue if item["id"] == ordinary["id"]]
    return {"reader": reader, "reader_user": reader_user, "author": author, "lead": lead, "account": account,
            "original": original, "copy": copy, "plain": plain, "first": first, "check": check.json()}


def masked(text: str, *numbers: int) -> str:
    """A message with the given ids replaced, to compare two answers' wording."""
    for number in numbers:
        text = re.sub(rf"\b{number}\b", "N", text)
    return text


def test_a_csm_cannot_tell_a_copy_from_an_ordinary_item_before_or_after_answering(
        client: TestClient, make_user: UserFactory, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]]) -> None:
    world = served_copy(client, make_user, make_account, post_message)
    reader, copy, plain, original = world["reader"], world["copy"], world["plain"], world["original"]

    # (a) Colleagues' decisions on messages are not the reader's to list: not in /v1/decisions, the decided
    # queue, the timeline, or the original suggestion itself, so no pending item's message is "known decided".
    listed = client.get("/v1/decisions", headers=reader).json()
    assert {d["user_id"] for d in listed["data"]} == {world["reader_user"].id} and listed["count"] == 1
    assert client.get("/v1/decisions", headers=reader,
                      params={"user_id": world["reader_user"].id + 100}).status_code == 403
    decided = client.get("/v1/suggestions", headers=reader, params={"status": "decided"}).json()["data"]
    assert [item["id"] for item in decided] == [world["first"]["id"]]
    assert client.get(f"/v1/suggestions/{original['id']}", headers=reader).status_code == 404
    # Deciding it, as when a colleague decided it while the reader had it open: told so, shown nothing of it.
    late = client.post(f"/v1/suggestions/{original['id']}/decisions", headers=reader, json={"label": "Red"})
    assert late.status_code == 409 and "left your queue" in late.json()["detail"] and "current" not in late.json()
    timeline = client.get(f"/v1/accounts/{world['account']['id']}/timeline", headers=reader).json()["data"]
    assert [e["id"] for e in timeline if e["type"] == "suggestion" and e["detail"]["scope"] == "interaction"] == [
        world["first"]["id"]]  # only what the reader decided
    assert {e["detail"]["user_id"] for e in timeline if e["type"] == "decision"} == {world["reader_user"].id}
    # (d) The model's own answer on the text is not the reader's to ask for.
    assert client.post("/v1/suggest", headers=reader, json={"texts": [copy["text"]]}).status_code == 403

    # (c) Made when it was served, as any new item: ids and creation times run in the same order.
    by_id = sorted(pending(client, reader), key=lambda item: item["id"])
    assert [i["id"] for i in by_id] == [i["id"] for i in sorted(by_id, key=lambda item: item["created_at"])]

    # (b) A probe that writes nothing answers alike: the same ETag, the same 412 with the same words.
    for item in (copy, plain):
        detail = client.get(f"/v1/suggestions/{item['id']}", headers=reader)
        assert detail.status_code == 200 and detail.headers["ETag"] == '"0"'
    probes = [client.post(f"/v1/suggestions/{item['id']}/decisions", headers=reader | {"If-Match": '"7"'},
                          json={"label": item["label"]}) for item in (copy, plain)]
    assert [p.status_code for p in probes] == [412, 412]
    assert masked(probes[0].json()["detail"], copy["id"]) == masked(probes[1].json()["detail"], plain["id"])
    assert set(probes[0].json()) == set(probes[1].json())
    # The checks run in one order for both: a stale If-Match is found before a bad reason, and a key already
    # used (here on another decision) before anything else.
    bogus = [client.post(f"/v1/suggestions/{item['id']}/decisions", headers=reader | {"If-Match": '"7"'},
                         json={"label": item["label"], "sentiment_reason": "bogus"}) for item in (copy, plain)]
    assert [b.status_code for b in bogus] == [412, 412]
    reused = [client.post(f"/v1/suggestions/{item['id']}/decisions",
                          headers=reader | {"If-Match": '"7"', "Idempotency-Key": "first-decision"},
                          json={"label": item["label"]}) for item in (copy, plain)]
    assert [r.status_code for r in reused] == [409, 409] and reused[0].json() == reused[1].json()

    # After answering: both are decisions of the reader's, field for field, id for id, revision for revision.
    answers = [decide(client, reader, copy, "Red"),  # both overrides, so every field is filled alike
               decide(client, reader, plain, "Red" if plain["label"] != "Red" else "Green")]
    assert set(answers[0]) == set(answers[1])
    assert {k: type(v) for k, v in answers[0].items()} == {k: type(v) for k, v in answers[1].items()}
    assert answers[0]["segment"] == answers[1]["segment"] == "enterprise"
    assert answers[0]["revision"] == answers[1]["revision"] == 1
    assert answers[0]["id"] + 1 == answers[1]["id"]  # one id space: the answer took the next decision id
    mine = client.get("/v1/decisions", headers=reader).json()
    assert [d["created_at"] for d in mine["data"]] == sorted(d["created_at"] for d in mine["data"])
    assert {answers[0]["id"], answers[1]["id"]} <= {d["id"] for d in mine["data"]} and mine["count"] == 3
    listed_answer = next(d for d in mine["data"] if d["id"] == answers[0]["id"])
    assert listed_answer == answers[0]
    decided = client.get("/v1/suggestions", headers=reader, params={"status": "decided"}).json()["data"]
    assert {copy["id"], plain["id"]} <= {item["id"] for item in decided}
    # The timeline shows both as the reader's: the item and the decision on it, alike.
    events = client.get(f"/v1/accounts/{world['account']['id']}/timeline", headers=reader).json()["data"]
    shown = {e["id"]: e for e in events if e["type"] == "decision"}
    assert {answers[0]["id"], answers[1]["id"]} <= set(shown)
    assert set(shown[answers[0]["id"]]["detail"]) == set(shown[answers[1]["id"]]["detail"])
    assert {copy["id"], plain["id"]} <= {e["id"] for e in events if e["type"] == "suggestion"}
    assert len({frozenset(item) for item in decided}) == 1

    # Changing one's mind: revision 2, superseding the first, each alike.
    again = []
    for item, first in zip((copy, plain), answers, strict=True):
        changed = client.post(f"/v1/suggestions/{item['id']}/decisions", headers=reader | {"If-Match": '"1"'},
                              json={"label": "Yellow"} | ({} if item["label"] == "Yellow" else
                                                          {"override_reason": "missed_context"}))
        assert changed.status_code == 201, changed.text
        again.append(changed.json())
        assert changed.json()["revision"] == 2 and changed.json()["supersedes_id"] == first["id"]
    current = client.get("/v1/decisions", headers=reader, params={"current": "false"}).json()["data"]
    assert {d["id"] for d in current} == {answers[0]["id"], answers[1]["id"]}
    # A key replayed with any other field changed is a 409 on both, as decisions compare the whole request.
    for item, label in ((copy, "Red"), (plain, "Yellow")):
        reason = {} if label == item["label"] else {"override_reason": "missed_context"}
        body = {"label": label, "viewed_ms": 1} | reason
        keyed = reader | {"Idempotency-Key": f"k{item['id']}"}
        made = client.post(f"/v1/suggestions/{item['id']}/decisions", headers=keyed, json=body)
        changed = client.post(f"/v1/suggestions/{item['id']}/decisions", headers=keyed, json=body | {"viewed_ms": 2})
        assert made.status_code == 201 and changed.status_code == 409, changed.text


def test_only_the_person_served_a_copy_answers_it(
        client: TestClient, make_user: UserFactory, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]], session: Session) -> None:
    world = served_copy(client, make_user, make_account, post_message)
    copy = world["copy"]
    _, admin = make_user(role="admin", team=None, name="Admin")
    for other in (world["lead"], admin):
        taken = client.post(f"/v1/suggestions/{copy['id']}/decisions", headers=other,
                            json={"label": "Red", "override_reason": "missed_context"})
        assert taken.status_code == 403 and "served to another person" in taken.json()["detail"]
    assert session.exec(select(CheckAnswer)).all() == []
    assert copy["id"] in {item["id"] for item in pending(client, world["reader"])}


def test_the_same_request_ten_times_at_once_answers_as_one_does(
        client: TestClient, make_user: UserFactory, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]], session: Session) -> None:
    world = served_copy(client, make_user, make_account, post_message)
    reader, copy, lead = world["reader"], world["copy"], world["lead"]

    # Six queue reads at once by one person: each records its servings, none collides.
    reads = at_once(6, lambda _: client.get("/v1/suggestions", headers=reader))
    assert [r.status_code for r in reads] == [200] * 6, [r.text for r in reads if r.status_code != 200]

    # One Idempotency-Key ten times at once on a copy: one answer, the same one replayed to the rest.
    keyed = at_once(10, lambda _: client.post(f"/v1/suggestions/{copy['id']}/decisions",
                                              headers=reader | {"Idempotency-Key": "same-key"},
                                              json={"label": "Red", "override_reason": "missed_context"}))
    assert sorted(r.status_code for r in keyed) == [200] * 9 + [201], [r.text for r in keyed]
    assert len({r.json()["id"] for r in keyed}) == 1
    assert len(session.exec(select(CheckAnswer)).all()) == 1

    # Ten answers at once without a key: each revision taken once; the losers get a decision's 409.
    many = at_once(10, lambda n: client.post(f"/v1/suggestions/{copy['id']}/decisions", headers=reader,
                                             json={"label": "Red", "override_reason": "missed_context",
                                                   "note": f"take {n}"}))
    assert {r.status_code for r in many} <= {201, 409}, [r.text for r in many]
    won = sorted(r.json()["revision"] for r in many if r.status_code == 201)
    assert won == list(range(2, 2 + len(won)))
    for lost in (r.json() for r in many if r.status_code == 409):
        assert "was recorded at the same moment" in lost["detail"] and lost["current"]["suggestion_id"] == copy["id"]
    session.expire_all()
    assert len(session.exec(select(CheckAnswer)).all()) == 1 + len(won)

    # Ten leads marking one decided message at once: one check item, nine told it is one already.
    first = world["first"]
    marks = at_once(10, lambda _: client.post("/v1/checks", headers=lead,
                                              json={"suggestion_id": first["id"], "label": "Yellow"}))
    assert sorted(r.status_code for r in marks) == [201] + [409] * 9, [r.text for r in marks]
    assert all("already check item" in r.json()["detail"] for r in marks if r.status_code == 409)
    assert session.exec(select(Decision).where(Decision.suggestion_id == copy["id"])).first() is None


def test_a_copy_names_the_model_version_new_items_name(
        client: TestClient, make_user: UserFactory, make_account: Callable[..., dict[str, Any]],
        post_message: Callable[..., dict[str, Any]], session: Session, second_model: Path) -> None:
    _, author = make_user(name="Author CSM")
    _, reader = make_user(name="Reader CSM")
    _, lead = make_user(role="lead", name="Lead")
    account = make_account(headers=lead)
    original = post_message(account["id"], "We are moving to a competitor next quarter.", headers=author)["suggestion"]
    decide(client, author, original, "Red")
    assert client.post("/v1/checks", headers=lead, json={"suggestion_id": original["id"], "label": "Red"}
                       ).status_code == 201
    newer = model_versions.register(session=session, directory=second_model).version
    model_versions.promote(session=session, version=newer)
    session.commit()  # records flush; whoever calls them commits
    client.post("/v1/models/reload", headers=lead)  # no-op where absent: the holder follows the database
    first = post_message(account["id"], "Please send the invoice again.", headers=author)["suggestion"]
    decide(client, reader, first, first["label"])
    [copy] = [item for item in pending(client, reader) if item["interaction_id"] == original["interaction_id"]]
    assert original["model_version"] != newer and copy["model_version"] == newer == first["model_version"]
