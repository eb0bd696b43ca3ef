"""Adapting end to end: a CSM confirms messages in the team's own words through the API, `pulse models adapt`
builds and registers a version that learned them, and once promoted it gets them right."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli import app
from api.config import Settings
from api.jobs.models import Job, JobKind, JobStatus
from api.lab import challengers
from api.model_versions.holder import ModelHolder
from api.model_versions.models import ModelStatus, ModelVersion
from api.users.models import Role
from api.worker import Worker
from tests.api.test_web import sign_in
from tests.api.test_webhooks import drain, fast, subscribe
from tests.receiver import receiving
from tests.training.test_adapt import team_messages


def confirm(client: TestClient, headers: dict[str, str], posted: dict[str, Any], label: str) -> None:
    suggested = posted["suggestion"]["label"]
    body = {"label": label} | ({} if label == suggested else {"override_reason": "other"})
    response = client.post(f"/v1/suggestions/{posted['suggestion']['id']}/decisions", headers=headers, json=body)
    assert response.status_code == 201, response.text


def test_confirmed_labels_in_a_team_s_own_words_make_a_version_that_reads_them(
        client: TestClient, make_user, make_account, post_message, emea_csm, database_url: str,
        tmp_path: Path) -> None:
    _, headers = emea_csm
    _, scientist = make_user(Role.DATA_SCIENTIST, None, "Sam")
    account = make_account()
    for n, example in enumerate(team_messages(75, seed=11)):
        posted = post_message(account["id"], example.text, external_id=f"m-{n}",
                              occurred_at=f"2026-10-{1 + n // 3:02d}T{8 + n % 3:02d}:00:00Z")
        confirm(client, headers, posted, example.label)
    post_message(account["id"], "The rollout was glorpish, again.", external_id="pending")  # never decided

    result = CliRunner().invoke(app, ["models", "adapt", "--register", "--format", "json", "--db", database_url,
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{"):])
    data = report["data"]  # every confirmed label is learned from, measured on, or counted as left out
    assert report["n_train"] + report["n_eval"] + data["left_out"]["near_duplicates_collapsed"] + \
        data["split"]["dropped_near_duplicates_of_evaluation"] == 75
    assert data["split"]["evaluate_from"] >= "2026-10-20"  # the latest fifth by time is only measured on
    assert report["written"] and report["registered"] and report["adapted_macro_f1"] > report["base_macro_f1"]
    assert data["left_out"]["labels_of_flagged_people"] == 0
    assert sum(entry["n_eval"] for entry in report["languages"].values()) == report["n_eval"]
    assert report["languages"]["en"]["n_train"] > 30
    assert report["base_macro_f1_ci"][0] <= report["base_macro_f1"] <= report["base_macro_f1_ci"][1]
    models = {m["version"]: m for m in client.get("/v1/models", headers=scientist).json()["data"]}
    assert models[report["version"]]["kind"] == "adapted-head"
    assert models[report["version"]]["status"] != "active"  # a candidate: promotion stays a person's decision

    detail = client.get(f"/v1/models/{report['version']}", headers=scientist).json()
    curve = detail["learning_curve"]  # the base at 0 labels, then the head on more and more of the labels
    assert curve[0]["n"] == 0 and curve[0]["macro_f1"] == report["base_macro_f1"]
    assert [p["n"] for p in curve] == sorted(p["n"] for p in curve) and curve[-1]["n"] == report["n_train"]
    assert curve[-1]["macro_f1"] == report["adapted_macro_f1"] and "en" in curve[-1]["languages"]
    chart = client.get(f"/v1/models/{report['version']}/learning-curve.svg", headers=scientist)
    assert chart.headers["content-type"].startswith("image/svg+xml") and chart.text.startswith("<svg")
    assert chart.text.count("<circle") >= len(curve) and 'data-series="en"' in chart.text
    assert client.get(f"/v1/models/{report['base_version']}/learning-curve.svg", headers=scientist).status_code == 404
    assert client.get("/v1/models/no-such-version", headers=scientist).status_code == 404
    sign_in(client, scientist)
    page = client.get("/app/models").text
    assert f'<section class="learning-curve" data-version="{report["version"]}">' in page and "<svg" in page

    promoted = client.post(f"/v1/models/{report['version']}/promote", headers=scientist)
    assert promoted.status_code == 200, promoted.text
    after = post_message(account["id"], "Honestly the quarterly review was glorpish.", external_id="new")
    assert after["suggestion"]["model_version"] == report["version"]
    assert after["suggestion"]["label"] == "Red"


def test_adapting_without_enough_labels_says_what_is_missing(client: TestClient, make_account, post_message,
                                                            emea_csm, database_url: str, tmp_path: Path) -> None:
    _, headers = emea_csm
    account = make_account()
    for n, example in enumerate(team_messages(9, seed=3)):
        confirm(client, headers, post_message(account["id"], example.text, external_id=f"m-{n}"), example.label)
    result = CliRunner().invoke(app, ["models", "adapt", "--db", database_url, "--out", str(tmp_path)])
    assert result.exit_code == 2 and "at least 30 confirmed labels" in result.output and "there are 7 and 2" in \
        result.output.replace("\n", " ")
    assert not list(tmp_path.iterdir())


def test_the_worker_builds_a_challenger_puts_it_in_shadow_and_tells_the_webhooks(
        client: TestClient, make_user, make_account, post_message, emea_csm, engine: Engine, settings: Settings,
        tmp_path: Path) -> None:
    _, headers = emea_csm
    _, admin = make_user(Role.ADMIN, None, "Ada")
    account = make_account()
    loop = fast(settings).model_copy(update={"adapt_every": 60, "adapted_dir": tmp_path})
    worker = Worker(engine, loop)
    with receiving() as receiver:
        subscribe(client, admin, receiver)  # every event type, the new one included
        for n, example in enumerate(team_messages(75, seed=11)):
            if n == 40:
                assert not worker.queue_adapting()  # 40 confirmed labels: not yet
            posted = post_message(account["id"], example.text, external_id=f"m-{n}",
                                  occurred_at=f"2026-10-{1 + n // 3:02d}T{8 + n % 3:02d}:00:00Z")
            confirm(client, headers, posted, example.label)
        assert worker.queue_adapting() and not worker.queue_adapting()  # one build at a time
        drain(worker, engine, timeout_s=240)
    with Session(engine) as session:
        done = session.exec(select(Job).where(Job.kind == JobKind.ADAPT)).one()
        shadowed = session.exec(select(ModelVersion).where(ModelVersion.status == ModelStatus.SHADOW)).one()
    assert done.status == JobStatus.DONE and done.payload["labels"] == 75, done.last_error
    assert shadowed.kind == "adapted-head" and Path(shadowed.artifact_path).parent == tmp_path
    ready = [d for d in receiver.delivered if d["type"] == "model.challenger_ready"]
    assert len(ready) == 1 and receiver.bad_signatures == 0
    challenger = ready[0]["body"]["challenger"]
    assert challenger["version"] == shadowed.version and ready[0]["body"]["promoted"] is False
    assert challenger["adapted_macro_f1"] >= challenger["base_macro_f1"] and challenger["n_train"] > 30
    assert not worker.queue_adapting()  # nothing new confirmed since
    timeline = client.get(f"/v1/accounts/{account['id']}/timeline", headers=headers)
    assert timeline.status_code == 200  # an event about no account stays out of every account's timeline
    assert all(e.get("type") != "model.challenger_ready" for e in timeline.json().get("data", []))


def test_two_workers_that_queue_a_build_at_once_build_it_once(engine: Engine, settings: Settings) -> None:
    loop = settings.model_copy(update={"adapt_every": 200})
    with Session(engine, expire_on_commit=False) as session:
        first, twin, later = (Job(kind=JobKind.ADAPT, payload={"labels": n}, status=JobStatus.RUNNING)
                              for n in (400, 401, 601))
        session.add_all([first, twin, later])
        session.commit()
        note = challengers.run_job(session, loop, ModelHolder(loop.serving()), twin)
        assert note == f"skipped: job {first.id} adapts the same labels"
        assert challengers.earlier_twin(session, first, 200) is None  # the earlier one builds
        assert challengers.earlier_twin(session, later, 200) is None  # 200 more labels: a build of its own
        first.status = JobStatus.DEAD
        session.add(first)
        session.commit()
        assert challengers.earlier_twin(session, twin, 200) is None  # a dead build leaves the labels to the twin
