"""Pulse-change events: the outbox, signed webhook deliveries with retries, and the timeline."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.config import Settings
from api.db import utcnow
from api.events.models import Event
from api.events.service import sign, verify_signature
from api.jobs import service as jobs
from api.jobs.models import Job, JobKind, JobStatus
from api.users.models import Role
from api.worker import Worker
from tests.receiver import Receiver, receiving


def fast(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_retry_base_s": 0.01, "webhook_retry_max_s": 0.05,
                                       "webhook_timeout_s": 5})


def drain(worker: Worker, engine: Engine, timeout_s: float = 20) -> None:
    """Run the worker until no job of its kinds is waiting or running."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        worker.run_once()
        with Session(engine) as session:
            open_jobs = session.exec(select(Job).where(col(Job.kind).in_(worker.kinds))
                                     .where(col(Job.status).in_([JobStatus.PENDING, JobStatus.RUNNING]))).all()
        if not open_jobs:
            return
        time.sleep(0.02)
    raise AssertionError(f"jobs still open after {timeout_s}s: {[(j.id, j.status, j.last_error) for j in open_jobs]}")


def subscribe(client: TestClient, admin: dict[str, str], receiver: Receiver, path: str = "/hooks/pulse",
              **body: Any) -> dict[str, Any]:
    response = client.post("/v1/webhooks", headers=admin, json={"url": receiver.url + path, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    receiver.secrets[path] = created["secret"]
    return created


def set_pulse(client: TestClient, headers: dict[str, str], suggestion: dict[str, Any], label: str) -> dict[str, Any]:
    body: dict[str, Any] = {"label": label}
    if label != suggestion["label"]:
        body["override_reason"] = "missed_context"
    response = client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def roll_up(client: TestClient, headers: dict[str, str], account_id: int) -> dict[str, Any]:
    response = client.post(f"/v1/accounts/{account_id}/suggestions", headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_only_an_admin_configures_webhooks(client: TestClient, make_user, emea_csm) -> None:
    _, admin = make_user(Role.ADMIN, None)
    refused = client.post("/v1/webhooks", headers=emea_csm[1], json={"url": "https://crm.example.com/hook"})
    assert refused.status_code == 403 and "cannot configure webhooks" in refused.json()["detail"]
    bad = client.post("/v1/webhooks", headers=admin, json={"url": "file:///etc/passwd"})
    assert bad.status_code == 422 and "http or https URL" in bad.text
    unknown = client.post("/v1/webhooks", headers=admin, json={"url": "https://x.example", "event_types": ["nope"]})
    assert unknown.status_code == 422
    created = client.post("/v1/webhooks", headers=admin, json={"url": "https://crm.example.com/hook"})
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    listed = client.get("/v1/webhooks", headers=admin).json()
    assert listed["count"] == 1 and listed["data"][0]["secret"] is None
    assert listed["data"][0]["event_types"] == ["pulse.changed", "pulse.red", "pulse.overdue",
                                                "model.challenger_ready", "source.failing"]
    gone = client.delete(f"/v1/webhooks/{created.json()['id']}", headers=admin)
    assert gone.status_code == 200 and gone.json()["active"] is False


def test_pulse_changes_are_delivered_signed_after_retries_and_shown_in_the_timeline(
        client: TestClient, engine: Engine, settings: Settings, make_user, make_account, post_message,
        emea_csm) -> None:
    _, admin = make_user(Role.ADMIN, None)
    headers = emea_csm[1]
    account = make_account(headers=make_user(Role.LEAD, "emea")[1], external_id="crm-42")
    post_message(account["id"], "Renewal is signed and the team loves the new dashboards.")
    with receiving(fail_first=2) as receiver:
        subscribe(client, admin, receiver)
        subscribe(client, admin, receiver, "/red-only", event_types=["pulse.red"])
        suggestion = roll_up(client, headers, account["id"])
        first = set_pulse(client, headers, suggestion, "Green")
        set_pulse(client, headers, suggestion, "Green")  # no change of pulse: no event
        flipped = set_pulse(client, headers, suggestion, "Red")
        with Session(engine) as session:
            kinds = [e.type for e in session.exec(select(Event).order_by(col(Event.id)))]
        assert kinds == ["pulse.changed", "pulse.red"]
        drain(Worker(engine, fast(settings)), engine)

    # Both endpoints got the Red flip, only the first the first pulse: each delivered once.
    assert receiver.bad_signatures == 0
    assert sorted((d["path"], d["type"]) for d in receiver.delivered) == [
        ("/hooks/pulse", "pulse.changed"), ("/hooks/pulse", "pulse.red"), ("/red-only", "pulse.red")]
    assert set(receiver.attempts.values()) == {3} and {d["attempt"] for d in receiver.delivered} == {3}
    red = next(d["body"] for d in receiver.delivered if d["type"] == "pulse.red")
    assert red["account"] == {"id": account["id"], "external_id": "crm-42", "name": account["name"], "team": "emea"}
    assert red["pulse"]["from"] == "Green" and red["pulse"]["to"] == "Red"
    assert red["pulse"]["decision_id"] == flipped["id"] and first["id"] != flipped["id"]

    timeline = client.get(f"/v1/accounts/{account['id']}/timeline", headers=headers).json()["data"]
    changes = [e for e in timeline if e["type"] == "pulse_change"]
    assert [c["detail"]["to"] for c in changes] == ["Green", "Red"]
    red_deliveries = changes[1]["detail"]["deliveries"]
    assert len(red_deliveries) == 2
    assert {d["status"] for d in red_deliveries} == {"done"} and {d["attempts"] for d in red_deliveries} == {3}


def test_a_delivery_gives_up_after_its_attempts_and_a_gone_endpoint_at_once(
        client: TestClient, engine: Engine, settings: Settings, make_user, make_account, post_message,
        emea_csm) -> None:
    _, admin = make_user(Role.ADMIN, None)
    account = make_account()
    post_message(account["id"], "Thanks, all good here.")
    client.app.state.settings = settings.model_copy(update={"webhook_max_attempts": 3})  # type: ignore[attr-defined]
    with receiving(fail_first=100) as receiver:
        subscribe(client, admin, receiver)
        set_pulse(client, emea_csm[1], roll_up(client, emea_csm[1], account["id"]), "Yellow")
        drain(Worker(engine, fast(settings)), engine)
    with Session(engine) as session:
        job = session.exec(select(Job).where(Job.kind == JobKind.WEBHOOK)).one()
    assert job.status == JobStatus.DEAD and job.attempts == 3 and "answered 500" in (job.last_error or "")
    assert receiver.delivered == [] and sum(receiver.attempts.values()) == 3

    # An endpoint that answers 410 Gone is not tried again.
    with receiving() as receiver:
        subscribe(client, admin, receiver, "/gone")
        set_pulse(client, emea_csm[1], roll_up(client, emea_csm[1], account["id"]), "Red")
        drain(Worker(engine, fast(settings)), engine)
    assert receiver.attempts == {("/gone", 2): 1}
    with Session(engine) as session:
        gone = session.exec(select(Job).where(Job.kind == JobKind.WEBHOOK).order_by(col(Job.id).desc())).first()
    assert gone is not None and gone.status == JobStatus.DEAD and "410 Gone" in (gone.last_error or "")


def test_a_job_whose_worker_died_is_taken_again_after_its_lease(
        client: TestClient, engine: Engine, settings: Settings, make_user, make_account, post_message,
        emea_csm) -> None:
    _, admin = make_user(Role.ADMIN, None)
    account = make_account()
    post_message(account["id"], "Adoption is slow but support has been helpful.")
    with receiving() as receiver:
        subscribe(client, admin, receiver)
        set_pulse(client, emea_csm[1], roll_up(client, emea_csm[1], account["id"]), "Yellow")
        with Session(engine) as session:
            claimed = jobs.claim(session, worker="crashed", kinds=[JobKind.WEBHOOK], limit=5, lease_s=60)
            assert len(claimed) == 1
            # A second worker finds nothing while the lease holds...
            assert jobs.claim(session, worker="other", kinds=[JobKind.WEBHOOK], limit=5, lease_s=60) == []
            # ...and takes the job once the crashed worker's lease has run out.
            session.execute(update(Job).values(locked_until=utcnow() - timedelta(seconds=1)))
            session.commit()
        drain(Worker(engine, fast(settings), kinds=[JobKind.WEBHOOK]), engine)
        # The crashed worker cannot record an outcome for a job it no longer holds.
        with Session(engine) as session:
            job = session.exec(select(Job).where(Job.kind == JobKind.WEBHOOK)).one()
            assert job.status == JobStatus.DONE and job.attempts == 2
            assert not jobs.complete(session, job, worker="crashed")
    assert list(receiver.delivered_ids().values()) == [1]


def test_slack_and_teams_endpoints_get_messages_in_their_own_formats(
        client: TestClient, engine: Engine, settings: Settings, make_user, make_account, post_message,
        emea_csm) -> None:
    _, admin = make_user(Role.ADMIN, None)
    headers = emea_csm[1]
    account = make_account(name="Harbor Health")
    post_message(account["id"], "They want to cancel after the outage.")
    with receiving() as receiver:
        subscribe(client, admin, receiver, "/slack", event_types=["pulse.red"], format="slack")
        subscribe(client, admin, receiver, "/teams", event_types=["pulse.red"], format="teams")
        set_pulse(client, headers, roll_up(client, headers, account["id"]), "Red")
        drain(Worker(engine, fast(settings)), engine)
    bodies = {d["path"]: d["body"] for d in receiver.delivered}
    assert bodies["/slack"] == {
        "text": ":red_circle: Pulse: *Harbor Health* is now *Red* (its first pulse), team emea."}
    teams = bodies["/teams"]
    assert teams["@type"] == "MessageCard" and teams["themeColor"] == "D64545" and "*Harbor Health*" in teams["text"]
    listed = client.get("/v1/webhooks", headers=admin).json()["data"]
    assert sorted(w["format"] for w in listed) == ["slack", "teams"]
    bad = client.post("/v1/webhooks", headers=admin, json={"url": receiver.url + "/x", "format": "discord"})
    assert bad.status_code == 422 and "format" in bad.text


def test_a_missed_cadence_is_an_event_once_per_due_date_and_reaches_slack(
        client: TestClient, engine: Engine, settings: Settings, make_user, make_account, post_message,
        emea_csm) -> None:
    _, admin = make_user(Role.ADMIN, None)
    headers = emea_csm[1]
    overdue = make_account(name="Quiet Corp")  # never had a pulse: overdue at once
    fresh = make_account(name="Fresh Corp")
    post_message(fresh["id"], "All good, thanks.")
    set_pulse(client, headers, roll_up(client, headers, fresh["id"]), "Green")
    worker = Worker(engine, fast(settings))
    with receiving() as receiver:
        subscribe(client, admin, receiver, "/slack", event_types=["pulse.overdue"], format="slack")
        assert worker.sweep_overdue() == 1
        assert worker.sweep_overdue() == 0  # the same due date is announced once
        drain(worker, engine)
    [delivered] = receiver.delivered
    assert delivered["type"] == "pulse.overdue"
    assert delivered["body"]["text"].startswith(":hourglass: Pulse: *Quiet Corp* is overdue for a pulse (due ")
    assert "no pulse yet" in delivered["body"]["text"]
    with Session(engine) as session:
        [event] = session.exec(select(Event).where(Event.type == "pulse.overdue")).all()
    assert event.account_id == overdue["id"] and event.payload["overdue"]["last_pulse"] is None


HOSTILE_NAME = ("Acme & Co\n<!channel> <https://evil.example/sso|Re-enter your SSO password> "
                "[Re-enter](https://evil.example/sso) *x* <@U024BE7LH>")
HOSTILE_TEAM = "emea <!here> [sso](https://evil.example)"


def test_slack_and_teams_messages_show_hostile_names_and_teams_as_text_in_every_alert(
        client: TestClient, engine: Engine, settings: Settings, make_user, make_account, post_message) -> None:
    # Slack's mrkdwn: & < > as entities, so no <!channel>, <@user> or <url|disguise> survives. Teams' Markdown:
    # the same entities and every Markdown character backslashed, so no [text](url) survives. A line break
    # in a name cannot start a second, made-up line.
    _, admin = make_user(Role.ADMIN, None)
    csm, headers = make_user(Role.CSM, HOSTILE_TEAM, "Eve <!channel> [x](https://evil.example)")
    account = make_account(headers=headers, name=HOSTILE_NAME)
    post_message(account["id"], "They want to cancel after the outage.", headers=headers)
    worker = Worker(engine, fast(settings))
    with receiving() as receiver:
        subscribe(client, admin, receiver, "/slack", format="slack")
        subscribe(client, admin, receiver, "/teams", format="teams")
        assert worker.sweep_overdue() == 1  # never had a pulse: overdue at once
        suggestion = roll_up(client, headers, account["id"])
        # Every other free text of the update (note, stage, to-do) stays out of the channel.
        decided = client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers, json={
            "label": "Green", "note": "<!channel> <https://evil.example|click> [x](https://evil.example)",
            "lifecycle_stage": "<!here>", "tags": ["sso"],
            "todos": [{"title": "<!channel> [x](https://evil.example)", "owner_id": csm.id, "due_on": "2027-01-01"}],
            **({} if suggestion["label"] == "Green" else {"override_reason": "other"})})
        assert decided.status_code == 201, decided.text
        set_pulse(client, headers, suggestion, "Red")
        drain(worker, engine)
    with Session(engine) as session:
        [overdue] = session.exec(select(Event).where(Event.type == "pulse.overdue")).all()
    due, cadence = overdue.payload["overdue"]["due"], overdue.payload["overdue"]["cadence"]
    bodies = {(d["path"], d["type"]): d["body"] for d in receiver.delivered}
    assert len(receiver.delivered) == 6 and receiver.bad_signatures == 0

    slack_name = ("Acme &amp; Co &lt;!channel&gt; &lt;https://evil.example/sso|Re-enter your SSO password&gt; "
                  "[Re-enter](https://evil.example/sso) *x* &lt;@U024BE7LH&gt;")
    slack_team = "emea &lt;!here&gt; [sso](https://evil.example)"
    assert bodies["/slack", "pulse.overdue"] == {"text": (
        f":hourglass: Pulse: *{slack_name}* is overdue for a pulse (due {due}, {cadence} cadence, no pulse yet), "
        f"team {slack_team}.")}
    assert bodies["/slack", "pulse.changed"] == {
        "text": f"Pulse: *{slack_name}* is now *Green* (its first pulse), team {slack_team}."}
    assert bodies["/slack", "pulse.red"] == {
        "text": f":red_circle: Pulse: *{slack_name}* is now *Red* (was Green), team {slack_team}."}

    teams_name = (r"Acme &amp; Co &lt;\!channel&gt; &lt;https://evil\.example/sso\|Re\-enter your SSO password&gt; "
                  r"\[Re\-enter\]\(https://evil\.example/sso\) \*x\* &lt;@U024BE7LH&gt;")
    teams_team = r"emea &lt;\!here&gt; \[sso\]\(https://evil\.example\)"
    teams_due = due.replace("-", "\\-")

    assert bodies["/teams", "pulse.overdue"] == {
        "@type": "MessageCard", "@context": "https://schema.org/extensions", "themeColor": "777777",
        "summary": f":hourglass: Pulse: {teams_name} is overdue for a pulse (due {teams_due}, {cadence} cadence, "
                   f"no pulse yet), team {teams_team}.",
        "text": f":hourglass: Pulse: *{teams_name}* is overdue for a pulse (due {teams_due}, {cadence} cadence, "
                f"no pulse yet), team {teams_team}."}
    assert bodies["/teams", "pulse.changed"] == {
        "@type": "MessageCard", "@context": "https://schema.org/extensions", "themeColor": "2F9E5B",
        "summary": f"Pulse: {teams_name} is now Green (its first pulse), team {teams_team}.",
        "text": f"Pulse: *{teams_name}* is now *Green* (its first pulse), team {teams_team}."}
    assert bodies["/teams", "pulse.red"] == {
        "@type": "MessageCard", "@context": "https://schema.org/extensions", "themeColor": "D64545",
        "summary": f":red_circle: Pulse: {teams_name} is now Red (was Green), team {teams_team}.",
        "text": f":red_circle: Pulse: *{teams_name}* is now *Red* (was Green), team {teams_team}."}
    for (path, _), sent in bodies.items():
        text = " ".join(v for k, v in sent.items() if k in ("text", "summary"))
        assert "<" not in text and ">" not in text and "\n" not in text
        assert path == "/slack" or "](" not in text  # Slack has no [text](url) links; Teams' Markdown does


def test_a_signature_header_with_non_ascii_text_is_refused_not_an_error() -> None:
    now = int(time.time())
    assert verify_signature("whsec_x", sign("whsec_x", b"{}", now), b"{}")
    assert not verify_signature("whsec_x", f"t={now},v1=é", b"{}")
    assert not verify_signature("whsec_x", f"t={now},v1=\ud800", b"{}")
