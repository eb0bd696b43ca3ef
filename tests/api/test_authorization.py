"""The authorization matrix: every operation in the OpenAPI document, called as every role of two teams.

A csm or lead of `emea` calls each path with `americas`' ids (and an admin or data scientist with
them too). Only the roles the matrix allows get past 403; team-scoped roles get 404 for the other
team's objects, with the same body as for an id that does not exist; and no refused call changes a row.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.users.models import Role
from tests.conftest import TABLES

TEAM = {"csm", "lead", "admin"}
EVERYONE = {"csm", "lead", "data_scientist", "admin"}
# Which roles may call each operation at all; every other role gets 403.
ALLOWED: dict[tuple[str, str], set[str]] = {
    ("post", "/v1/accounts"): TEAM, ("get", "/v1/accounts"): TEAM,
    ("get", "/v1/accounts/{account_id}"): TEAM, ("get", "/v1/accounts/{account_id}/timeline"): TEAM,
    ("post", "/v1/accounts/{account_id}/suggestions"): TEAM,
    ("get", "/v1/accounts/{account_id}/outcomes"): TEAM, ("post", "/v1/accounts/{account_id}/outcomes"): TEAM,
    ("get", "/v1/accounts/{account_id}/signals"): TEAM, ("post", "/v1/accounts/{account_id}/signals"): TEAM,
    ("get", "/v1/accounts/{account_id}/todos"): TEAM, ("post", "/v1/todos/{todo_id}/complete"): TEAM,
    ("get", "/v1/scale"): EVERYONE,
    ("post", "/v1/interactions"): TEAM,
    ("get", "/v1/suggestions"): TEAM, ("get", "/v1/suggestions/{suggestion_id}"): TEAM,
    ("post", "/v1/suggestions/{suggestion_id}/decisions"): TEAM,
    ("post", "/v1/suggestions/{suggestion_id}/withdraw"): TEAM,
    ("post", "/v1/suggest"): {"lead", "data_scientist", "admin"},
    ("get", "/v1/reasons"): EVERYONE, ("get", "/v1/models"): EVERYONE,
    ("get", "/v1/decisions"): EVERYONE,
    ("get", "/v1/audit/summary"): {"lead", "admin"}, ("get", "/v1/audit/shadow"): {"lead", "data_scientist", "admin"},
    ("get", "/v1/export/labels"): {"lead", "data_scientist", "admin"},
    ("post", "/v1/models/{version}/promote"): {"data_scientist", "admin"},
    ("post", "/v1/models/{version}/shadow"): {"data_scientist", "admin"},
    ("post", "/v1/models/rollback"): {"data_scientist", "admin"},
    ("get", "/v1/models/compare"): {"data_scientist", "admin"},
    ("get", "/v1/models/{version}"): EVERYONE, ("get", "/v1/models/{version}/learning-curve.svg"): EVERYONE,
    ("get", "/v1/webhooks"): {"admin"}, ("post", "/v1/webhooks"): {"admin"},
    ("delete", "/v1/webhooks/{webhook_id}"): {"admin"},
    ("get", "/v1/sources"): {"admin"}, ("post", "/v1/sources"): {"admin"},
    ("delete", "/v1/sources/{source_id}"): {"admin"}, ("post", "/v1/sources/{source_id}/sync"): {"admin"},
    ("get", "/healthz"): EVERYONE,
    ("post", "/v1/checks"): {"lead", "admin"}, ("get", "/v1/checks"): {"lead", "admin"},
    ("post", "/v1/checks/{check_id}/retire"): {"lead", "admin"},
}
# Operations whose path or body names another team's object: team-scoped roles must get 404.
FOREIGN = {op for op in ALLOWED if "{account_id}" in op[1] or "{suggestion_id}" in op[1]} | {
    ("post", "/v1/interactions")}
MISSING = 987654


def snapshot(engine: Engine) -> dict[str, Any]:
    """Every table's rows, to prove a refused call changed nothing."""
    with engine.connect() as connection:
        return {t: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {t}")).all()), key=repr)
                for t in TABLES}


def test_every_operation_is_covered_by_the_matrix(client: TestClient) -> None:
    operations = {(method, path) for path, ops in client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
                  for method in ops}
    assert operations == set(ALLOWED), operations ^ set(ALLOWED)


@pytest.mark.parametrize("role", ["csm", "lead", "data_scientist", "admin"])
def test_each_role_gets_only_what_the_matrix_allows_and_never_another_teams_objects(
        client: TestClient, engine: Engine, make_user, make_account, post_message, role: str) -> None:
    _, rival = make_user(Role.CSM, "americas", "Rival")
    theirs = make_account(headers=rival, name="Their account")
    posted = post_message(theirs["id"], "The export failed again.", headers=rival)
    _, admin = make_user(Role.ADMIN, None, "Admin")
    webhook = client.post("/v1/webhooks", headers=admin, json={"url": "https://crm.example.com/hook"}).json()
    mailbox = {"url": "imaps://cs@imap.example.com/INBOX", "team": "americas", "password_env": "IMAP_PASSWORD"}
    source = client.post("/v1/sources", headers=admin, json=mailbox).json()
    version = client.get("/healthz").json()["model_version"]
    ids = {"account_id": theirs["id"], "suggestion_id": posted["suggestion"]["id"], "webhook_id": webhook["id"],
           "source_id": source["id"], "version": version, "todo_id": MISSING, "check_id": MISSING}
    _, headers = make_user(Role(role), None if role in ("data_scientist", "admin") else "emea", f"the {role}")
    scoped = role in ("csm", "lead")

    def call(method: str, path: str, values: dict[str, Any]) -> Any:
        url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
        body = {
            "/v1/accounts": {"name": "New", "team": "americas"} if role == "admin" else {"name": "New"},
            "/v1/interactions": {"account_id": values["account_id"], "kind": "email", "body": "Thanks!"},
            "/v1/suggest": {"texts": ["Thanks!"]},
            "/v1/webhooks": {"url": "https://crm.example.com/other"},
            "/v1/sources": mailbox,
            "/v1/checks": {"suggestion_id": values["suggestion_id"], "label": "Red"} if method == "post" else None,
        }.get(path)
        if path.endswith("/decisions"):
            body = {"label": "Red", "override_reason": "other", "blind": True}
        if path.endswith("/outcomes") and method == "post":
            body = {"kind": "renewed", "occurred_on": "2026-11-01"}
        if path.endswith("/signals") and method == "post":
            body = {"kind": "nps", "value": 10, "source": "survey", "observed_at": "2026-11-01T00:00:00Z"}
        params = {"a": version, "b": version} if path.endswith("/compare") else (
            {"version": version} if path.endswith("/shadow") and method == "get" else None)
        return client.request(method.upper(), url, headers=headers, json=body, params=params)

    for (method, path), allowed in sorted(ALLOWED.items()):
        if path == "/healthz":
            continue
        before = snapshot(engine)
        response = call(method, path, ids)
        where = f"{role} {method.upper()} {path}: {response.status_code} {response.text[:200]}"
        if role not in allowed:
            assert response.status_code == 403, where
            assert f"role {role} cannot" in response.json()["detail"], where
        elif scoped and (method, path) in FOREIGN:
            missing = call(method, path, {**ids, "account_id": MISSING, "suggestion_id": MISSING})
            assert response.status_code == 404, where
            assert response.json() == missing.json() | {"detail": response.json()["detail"]}, where
            assert str(MISSING) in missing.json()["detail"] and response.json()["detail"] == missing.json()[
                "detail"].replace(str(MISSING), str(ids["account_id" if "account" in response.json()["detail"]
                                                         else "suggestion_id"])), where
        else:
            assert response.status_code != 403 and response.status_code < 500, where
            if response.status_code < 300:
                continue  # an allowed call may change rows
        assert snapshot(engine) == before, f"a refused call changed rows: {where}"
