"""Which team's account ingested text lands in: a claimed domain decides the team, and nothing another team
sets (a name, an external id) can pull a message across or leave it unmatched."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli import app
from api.intake.ingest import AMBIGUOUS_TEAM, Matcher
from api.interactions.models import Interaction
from api.users.models import Role
from pipelines.ingest.records import RawMessage
from tests.conftest import UserFactory

ORDER = ["external_id", "name", "domain"]


def zendesk_export(path: Path, org_id: int, org_name: str, sender: str, body: str) -> Path:
    """A Zendesk incremental export (tickets, users, organizations) with one ticket of one comment."""
    path.write_text(json.dumps({
        "tickets": [{"id": 9001, "subject": "Renewal", "organization_id": org_id, "requester_id": 5,
                     "comments": [{"id": 1, "public": True, "created_at": "2026-11-10T08:00:00Z",
                                   "author": {"email": sender, "role": "end-user"}, "body": body}]}],
        "users": [{"id": 5, "email": sender, "role": "end-user", "organization_id": org_id}],
        "organizations": [{"id": org_id, "name": org_name}]}))
    return path


def test_another_teams_name_or_external_id_never_beats_a_domain_claim(
        client: TestClient, make_user: UserFactory, engine: Engine, database_url: str, tmp_path: Path) -> None:
    _, lead_a = make_user(Role.LEAD, "emea")
    _, csm_b = make_user(Role.CSM, "americas")
    initech = client.post("/v1/accounts", headers=lead_a, json={"name": "Initech",
                                                                 "email_domains": ["initech.example"]}).json()
    # Team B's CSM names an account after the organisation, and another after its Zendesk id.
    by_name = client.post("/v1/accounts", headers=csm_b, json={"name": "Initech Holdings"})
    by_id = client.post("/v1/accounts", headers=csm_b, json={"name": "Squatter",
                                                              "external_id": "zendesk:organization:77"})
    assert by_name.status_code == 201 and by_id.status_code == 201

    export = zendesk_export(tmp_path / "zendesk.json", 77, "Initech Holdings", "cfo@initech.example",
                            "We will not renew the contract next year.")
    result = CliRunner().invoke(app, ["ingest", str(export), "--format", "zendesk", "--db", database_url])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["created"] == 1 and summary["matched_by"] == {"domain": 1}
    with Session(engine) as session:
        stored = session.exec(select(Interaction)).all()
    assert [i.account_id for i in stored] == [initech["id"]]


def test_candidates_in_two_teams_without_a_domain_claim_are_ambiguous(
        client: TestClient, make_user: UserFactory, engine: Engine) -> None:
    _, csm_a = make_user(Role.CSM, "emea")
    _, csm_b = make_user(Role.CSM, "americas")
    a = client.post("/v1/accounts", headers=csm_a, json={"name": "Globex", "external_id": "crm-9"}).json()
    client.post("/v1/accounts", headers=csm_b, json={"name": "Globex Corp"})
    message = RawMessage(source="t.json:1", source_id="t-1", body="Hello", account="crm-9",
                         account_name="Globex Corp", sender="pat@globex.example")
    with Session(engine) as session:
        account_id, why = Matcher(session, ORDER, team=None).match(message)
        assert account_id is None and why.startswith(AMBIGUOUS_TEAM)
        # Given the team, the same message is plainly team A's.
        assert Matcher(session, ORDER, team="emea").match(message) == (a["id"], "external_id")
        # With no candidate elsewhere, team A's own id still routes it.
        alone = RawMessage(source="t.json:2", source_id="t-2", body="Hello", account="crm-9")
        assert Matcher(session, ORDER, team=None).match(alone) == (a["id"], "external_id")


def test_one_teams_external_id_cannot_make_another_teams_rows_unmatched(
        client: TestClient, make_user: UserFactory, engine: Engine) -> None:
    _, lead_a = make_user(Role.LEAD, "emea")
    _, csm_b = make_user(Role.CSM, "americas")
    a = client.post("/v1/accounts", headers=lead_a, json={"name": "Umbrella", "external_id": "crm-7"}).json()
    # An external id names one account across all teams, said alike whichever team holds it.
    copy = client.post("/v1/accounts", headers=csm_b, json={"name": "Umbrella B", "external_id": "crm-7"})
    same_team = client.post("/v1/accounts", headers=lead_a, json={"name": "Umbrella 2", "external_id": "crm-7"})
    assert copy.status_code == same_team.status_code == 409
    assert copy.json()["detail"] == same_team.json()["detail"]
    assert "americas" not in copy.json()["detail"] and "emea" not in copy.json()["detail"]
    with Session(engine) as session:
        message = RawMessage(source="x.csv:2", source_id="r-1", body="Hello", account="crm-7")
        assert Matcher(session, ORDER, team=None).match(message) == (a["id"], "external_id")


def test_a_domain_claim_routes_within_its_own_team_by_the_configured_order(
        client: TestClient, make_user: UserFactory, engine: Engine) -> None:
    _, lead_a = make_user(Role.LEAD, "emea")
    _, csm_b = make_user(Role.CSM, "americas")
    parent = client.post("/v1/accounts", headers=lead_a, json={"name": "Acme Group",
                                                                "email_domains": ["acme.example"]}).json()
    division = client.post("/v1/accounts", headers=lead_a, json={"name": "Acme Labs", "external_id": "crm-3"}).json()
    client.post("/v1/accounts", headers=csm_b, json={"name": "Acme Labs"})
    with Session(engine) as session:
        matcher = Matcher(session, ORDER, team=None)
        # Team A's own external id picks the division; team B's same-named account is not a candidate.
        assert matcher.match(RawMessage(source="s", source_id="1", body="x", account="crm-3",
                                        account_name="Acme Labs", sender="a@eu.acme.example")) == (
            division["id"], "external_id")
        assert matcher.match(RawMessage(source="s", source_id="2", body="x", account_name="Acme Labs",
                                        sender="a@acme.example")) == (division["id"], "name")
        assert matcher.match(RawMessage(source="s", source_id="3", body="x", sender="b@acme.example")) == (
            parent["id"], "domain")
