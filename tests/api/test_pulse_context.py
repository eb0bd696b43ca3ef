"""Context with a pulse update: tags, to-dos with an owner and a due date, and the lifecycle stage, in one step."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from api.users.models import Role, User
from tests.conftest import UserFactory


def roll_up(client: TestClient, headers: dict[str, str], account_id: int,
            post_message: Callable[..., Any]) -> dict[str, Any]:
    post_message(account_id, "They are evaluating a cheaper competitor before the budget review.")
    rolled = client.post(f"/v1/accounts/{account_id}/suggestions", headers=headers)
    assert rolled.status_code == 201, rolled.text
    return dict(rolled.json())


def test_a_pulse_update_carries_tags_todos_and_the_lifecycle_stage(
        client: TestClient, emea_csm: tuple[User, dict[str, str]], make_user: UserFactory,
        make_account: Callable[..., dict[str, Any]], post_message: Callable[..., Any]) -> None:
    csm, headers = emea_csm
    account = make_account(name="Harbor")
    suggestion = roll_up(client, headers, account["id"], post_message)
    body: dict[str, Any] = {
        "label": suggestion["label"], "note": "exec call next week", "tags": ["Exec_Sponsor", "pricing"],
        "lifecycle_stage": "renewal", "todos": [{"title": "Book the exec call", "owner_id": csm.id,
                                                 "due_on": "2026-12-05"}]}
    decided = client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers, json=body)
    assert decided.status_code == 201, decided.text
    assert decided.json()["tags"] == ["exec_sponsor", "pricing"] and decided.json()["lifecycle_stage"] == "renewal"
    assert client.get(f"/v1/accounts/{account['id']}", headers=headers).json()["lifecycle_stage"] == "renewal"
    todos = client.get(f"/v1/accounts/{account['id']}/todos?open=true", headers=headers).json()
    assert todos["count"] == 1 and todos["data"][0]["decision_id"] == decided.json()["id"]
    todo_id = todos["data"][0]["id"]
    done = client.post(f"/v1/todos/{todo_id}/complete", headers=headers)
    assert done.status_code == 200 and done.json()["done_by"] == csm.id
    assert client.post(f"/v1/todos/{todo_id}/complete", headers=headers).status_code == 409
    assert client.get(f"/v1/accounts/{account['id']}/todos?open=true", headers=headers).json()["count"] == 0
    _, rival = make_user(Role.CSM, "americas")
    assert client.post(f"/v1/todos/{todo_id}/complete", headers=rival).status_code == 404


def test_bad_context_is_refused_naming_the_field(
        client: TestClient, emea_csm: tuple[User, dict[str, str]], make_user: UserFactory,
        make_account: Callable[..., dict[str, Any]], post_message: Callable[..., Any]) -> None:
    csm, headers = emea_csm
    account = make_account()
    suggestion = roll_up(client, headers, account["id"], post_message)
    rival, _ = make_user(Role.CSM, "americas")
    admin, _ = make_user(Role.ADMIN, None)  # sees every team, belongs to none: not a to-do owner
    scientist, _ = make_user(Role.DATA_SCIENTIST, "emea")
    url = f"/v1/suggestions/{suggestion['id']}/decisions"
    base = {"label": suggestion["label"]}
    cases: list[tuple[dict[str, Any], str]] = [
                         ({"todos": [{"title": "Call", "due_on": "2026-12-05"}]}, "todos.0.owner_id"),
                         ({"todos": [{"title": "Call", "owner_id": rival.id, "due_on": "2026-12-05"}]},
                          "todos.0.owner_id"),
                         ({"todos": [{"title": "Call", "owner_id": admin.id, "due_on": "2026-12-05"}]},
                          "todos.0.owner_id"),
                         ({"todos": [{"title": "Call", "owner_id": scientist.id, "due_on": "2026-12-05"}]},
                          "todos.0.owner_id"),
                         ({"todos": [{"title": "   ", "owner_id": csm.id, "due_on": "2026-12-05"}]},
                          "todos.0.title"),
                         ({"todos": [{"title": "\u00a0\u200b\t\u2028", "owner_id": csm.id, "due_on": "2026-12-05"}]},
                          "todos.0.title"),
                         ({"todos": [{"title": "Call", "owner_id": csm.id, "due_on": "soon"}]}, "todos.0.due_on"),
                         ({"tags": ["has space"]}, "tags")]
    for extra, field in cases:
        refused = client.post(url, headers=headers, json={**base, **extra})
        assert refused.status_code == 422 and field in refused.text, (extra, refused.text)
    assert client.get(f"/v1/accounts/{account['id']}/todos", headers=headers).json()["count"] == 0
    message = post_message(account["id"], "Thanks for the quick fix.")["suggestion"]
    on_message = client.post(f"/v1/suggestions/{message['id']}/decisions", headers=headers,
                             json={"label": message["label"], "tags": ["x"]})
    assert on_message.status_code == 422 and "go with a pulse update" in on_message.text


def test_ten_people_completing_one_todo_at_once_one_wins_and_the_others_are_told_who(
        client: TestClient, emea_csm: tuple[User, dict[str, str]], make_user: UserFactory,
        make_account: Callable[..., dict[str, Any]], post_message: Callable[..., Any]) -> None:
    csm, headers = emea_csm
    account = make_account()
    suggestion = roll_up(client, headers, account["id"], post_message)
    todos = [{"title": f"Follow-up {n}", "owner_id": csm.id, "due_on": "2026-12-05"} for n in range(3)]
    decided = client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers,
                          json={"label": suggestion["label"], "todos": todos})
    assert decided.status_code == 201, decided.text
    people = [make_user(Role.CSM, "emea", f"CSM {n}") for n in range(10)]
    names = {user.id: user.name for user, _ in people}
    for todo in client.get(f"/v1/accounts/{account['id']}/todos", headers=headers).json()["data"]:
        barrier = threading.Barrier(len(people))

        def complete(person: tuple[User, dict[str, str]], todo_id: int = todo["id"],
                     barrier: threading.Barrier = barrier) -> Any:
            barrier.wait()
            return client.post(f"/v1/todos/{todo_id}/complete", headers=person[1])

        with ThreadPoolExecutor(max_workers=len(people)) as pool:
            answers = list(pool.map(complete, people))
        codes = sorted(a.status_code for a in answers)
        assert codes == [200] + [409] * 9, codes
        [won] = [a.json() for a in answers if a.status_code == 200]
        stored = client.get(f"/v1/accounts/{account['id']}/todos", headers=headers).json()["data"]
        assert next(t for t in stored if t["id"] == todo["id"])["done_by"] == won["done_by"]
        for lost in (a.json() for a in answers if a.status_code == 409):
            assert f"completed already, by {names[won['done_by']]} (user {won['done_by']}) at " in lost["detail"]
            assert lost["current"] == won
