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
    # Team B's CSM names an account after the organisation; an external id is not theirs to set.
    by_name = client.post("/v1/accounts", headers=csm_b, json={"name": "Initech Holdings"})
    by_id = client.post("/v1/accounts", headers=csm_b, json={"name": "Squatter",
                                                              "external_id": "zendesk:organization:77"})
    assert by_name.status_code == 201 and by_id.status_code == 403

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
    _, lead_a = make_user(Role.LEAD, "emea")
    _, lead_b = make_user(Role.LEAD, "americas")
    _, csm_a = make_user(Role.CSM, "emea")
    _, csm_b = make_user(Role.CSM, "americas")
    a = client.post("/v1/accounts", headers=lead_a, json={"name": "Globex", "external_id": "crm-9"}).json()
    b = client.post("/v1/accounts", headers=lead_b, json={"name": "Globex Brasil",
                                                          "email_domains": ["globex.example"]}).json()
    client.post("/v1/accounts", headers=csm_a, json={"name": "Hooli"})
    client.post("/v1/accounts", headers=csm_b, json={"name": "Hooli"})
    with Session(engine) as session:
        matcher = Matcher(session, ORDER, team=None)
        # Team A's account id and team B's domain claim on one message: a person settles it.
        both = RawMessage(source="t.json:1", source_id="t-1", body="Hello", account="crm-9",
                          sender="pat@globex.example")
        account_id, why = matcher.match(both)
        assert account_id is None and why.startswith(AMBIGUOUS_TEAM)
        assert Matcher(session, ORDER, team="emea").match(both) == (a["id"], "external_id")
        # A name in two teams, and no claim: unmatched too.
        named = RawMessage(source="t.json:2", source_id="t-2", body="Hello", account_name="Hooli")
        assert matcher.match(named)[1].startswith(AMBIGUOUS_TEAM)
        # A claim beats a name in another team, each way.
        assert matcher.match(RawMessage(source="t.json:3", source_id="t-3", body="Hi", account="crm-9",
                                        account_name="Globex Brasil")) == (a["id"], "external_id")
        assert matcher.match(RawMessage(source="t.json:4", source_id="t-4", body="Hi", account_name="Globex",
                                        sender="ana@globex.example")) == (b["id"], "domain")


def test_one_teams_external_id_cannot_make_another_teams_rows_unmatched(
        client: TestClient, make_user: UserFactory, engine: Engine) -> None:
    _, lead_a = make_user(Role.LEAD, "emea")
    _, lead_b = make_user(Role.LEAD, "americas")
    a = client.post("/v1/accounts", headers=lead_a, json={"name": "Umbrella", "external_id": "crm-7"}).json()
    # An external id names one account across all teams, said alike whichever team holds it.
    copy = client.post("/v1/accounts", headers=lead_b, json={"name": "Umbrella B", "external_id": "crm-7"})
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


def test_no_team_claims_a_domain_inside_or_above_another_teams_a_public_suffix_or_free_mail(
        client: TestClient, make_user: UserFactory) -> None:
    _, lead_a = make_user(Role.LEAD, "emea")
    _, lead_b = make_user(Role.LEAD, "americas")
    assert client.post("/v1/accounts", headers=lead_a, json={"name": "Initech", "email_domains": [
        "initech.example"]}).status_code == 201
    # Inside or above another team's claim: it would take that team's mail.
    for domain in ("us.initech.example", "mail.us.initech.example"):
        taken = client.post("/v1/accounts", headers=lead_b, json={"name": "X", "email_domains": [domain]})
        assert taken.status_code == 409 and "lies inside or above" in taken.json()["detail"], taken.text
    # The same team may claim its own divisions' sub-domains.
    assert client.post("/v1/accounts", headers=lead_a, json={"name": "Initech US", "email_domains": [
        "us.initech.example"]}).status_code == 201
    for domain, why in (("co.uk", "public suffix"), ("com.br", "public suffix"), ("hotmail.it", "public mail"),
                        ("yahoo.com.br", "public mail"), ("outlook.de", "public mail"), ("gmail.com", "public mail")):
        refused = client.post("/v1/accounts", headers=lead_b, json={"name": "Y", "email_domains": [domain]})
        assert refused.status_code == 422 and why in refused.json()["detail"], (domain, refused.text)
    assert client.post("/v1/accounts", headers=lead_b, json={"name": "Acme UK", "email_domains": [
        "acme.co.uk"]}).status_code == 201
