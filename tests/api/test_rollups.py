"""Account roll-ups refreshed by workers when new text arrives, and backfill scoring with a new version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.config import Settings
from api.intake.backfill import enqueue_backfill
from api.jobs.models import Job, JobKind, JobStatus
from api.model_versions import service as model_versions
from api.suggestions.models import Scope, Suggestion
from api.worker import Worker
from tests.api.test_webhooks import drain


def account_queue(client: TestClient, headers: dict[str, str], account_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/v1/suggestions?scope=account&account_id={account_id}", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def test_new_text_refreshes_the_roll_up_and_replaces_the_pending_one(
        client: TestClient, engine: Engine, settings: Settings, make_account, post_message, emea_csm) -> None:
    headers = emea_csm[1]
    account = make_account()
    worker = Worker(engine, settings, kinds=[JobKind.ROLLUP])
    post_message(account["id"], "The rollout went smoothly and the team loves the product.")
    post_message(account["id"], "Quick note: we are very happy with support this month.")
    with Session(engine) as session:  # two messages, one waiting roll-up request
        waiting = session.exec(select(Job).where(Job.kind == JobKind.ROLLUP)).all()
    assert [(j.account_id, j.status) for j in waiting] == [(account["id"], JobStatus.PENDING)]
    drain(worker, engine)
    [first] = account_queue(client, headers, account["id"])
    assert {e["interaction_id"] for e in first["explanation"]} and first["status"] == "pending"

    post_message(account["id"], "We are furious: the export failed again and we are evaluating a competitor.")
    drain(worker, engine)
    [second] = account_queue(client, headers, account["id"])
    assert second["id"] != first["id"] and len(second["explanation"]) == 3
    replaced = client.get(f"/v1/suggestions/{first['id']}", headers=headers).json()
    assert replaced["superseded_by"] == second["id"]
    refused = client.post(f"/v1/suggestions/{first['id']}/decisions", headers=headers,
                          json={"label": first["label"]})
    assert refused.status_code == 409 and f"replaced by suggestion {second['id']}" in refused.json()["detail"]

    # A decided roll-up is the audit record: newer text never replaces it.
    decided = client.post(f"/v1/suggestions/{second['id']}/decisions", headers=headers,
                          json={"label": second["label"]})
    assert decided.status_code == 201
    post_message(account["id"], "Renewal confirmed for three more years.")
    drain(worker, engine)
    [third] = account_queue(client, headers, account["id"])
    assert client.get(f"/v1/suggestions/{second['id']}", headers=headers).json()["superseded_by"] is None
    assert third["id"] not in (first["id"], second["id"])

    # A request already covered by a newer roll-up is answered without rolling up again.
    post_message(account["id"], "Thanks for the quick fix.")
    client.post(f"/v1/accounts/{account['id']}/suggestions", headers=headers)
    drain(worker, engine)
    with Session(engine) as session:
        last = session.exec(select(Job).where(Job.kind == JobKind.ROLLUP).order_by(col(Job.id).desc())).first()
        rollups = session.exec(select(Suggestion).where(Suggestion.scope == Scope.ACCOUNT)).all()
    assert last is not None and last.status == JobStatus.DONE and len(rollups) == 4


def test_backfill_scores_with_the_new_version_and_replaces_pending_suggestions(
        client: TestClient, engine: Engine, settings: Settings, make_account, post_message, emea_csm,
        second_model: Path) -> None:
    headers = emea_csm[1]
    account = make_account()
    pending = post_message(account["id"], "Support has been slow and we are worried about the renewal.")
    decided = post_message(account["id"], "Great quarter, adoption is up across every team.")
    decision = client.post(f"/v1/suggestions/{decided['suggestion']['id']}/decisions", headers=headers,
                           json={"label": decided["suggestion"]["label"]})
    assert decision.status_code == 201
    with Session(engine) as session:
        version = model_versions.register(session=session, directory=second_model).version
        model_versions.promote(session=session, version=version)
        session.commit()  # records flush; whoever calls them commits
        # The decided interaction is settled: it is not put back in the queue.
        assert enqueue_backfill(session, version=version, chunk=1) == 1
    drain(Worker(engine, settings, kinds=[JobKind.SCORE]), engine)

    queue = client.get("/v1/suggestions?scope=interaction", headers=headers).json()["data"]
    assert [(s["interaction_id"], s["model_version"]) for s in queue] == [(pending["interaction"]["id"], version)]
    old = client.get(f"/v1/suggestions/{pending['suggestion']['id']}", headers=headers).json()
    assert old["superseded_by"] == queue[0]["id"] and old["model_version"] != version
    kept = client.get(f"/v1/suggestions/{decided['suggestion']['id']}", headers=headers).json()
    assert kept["status"] == "decided" and kept["superseded_by"] is None
    with Session(engine) as session:  # a second backfill finds nothing left to do
        assert enqueue_backfill(session, version=version) == 0
