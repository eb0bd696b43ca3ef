"""pulse erase leaves nothing that names a person or carries free text in any row of any table, and a
re-ingest of the erased messages is recognised as already present without bringing their text back."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from typer.testing import CliRunner

from api.cli import app
from api.config import Settings, get_settings
from api.intake import ingest
from api.intake import service as intake
from api.interactions.models import InteractionCreate, InteractionKind
from api.model_versions.holder import ModelHolder
from api.users.models import Role
from tests.api.test_checks import decide, pending


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"check_share": 0.5})  # a check copy after every decision, to answer


PERSONAL = "ERASE-ME-alice@example.com"  # in every field an erasure must clear; tags are lower-cased


def every_row(engine: Engine) -> str:
    """Every row of every table in the database (not only the ones the tests know), lower-cased."""
    with engine.connect() as connection:
        return "\n".join(repr(row) for table in inspect(connection).get_table_names()
                         for row in connection.execute(text(f'SELECT * FROM "{table}"'))).lower()


def test_erase_leaves_no_personal_or_free_text_in_any_row_and_a_reingest_brings_none_back(
        client: TestClient, engine: Engine, session: Session, settings: Settings, make_user, make_account,
        post_message, emea_csm, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    csm, headers = emea_csm
    _, other_headers = make_user(name="Other CSM")
    _, lead = make_user(Role.LEAD, "emea", "Lee")
    account = make_account(name="Initech", lifecycle_stage=f"stage {PERSONAL}"[:50])
    message_id = f"<CAF1x9.{PERSONAL}>"
    message = post_message(account["id"], f"Call {PERSONAL} about the export.", external_id=message_id,
                           author=f"Alice <{PERSONAL}>", subject=f"Re: {PERSONAL}")
    decide(client, headers, message["suggestion"], "Red")
    rolled = client.post(f"/v1/accounts/{account['id']}/suggestions", headers=headers).json()
    pulse = client.post(f"/v1/suggestions/{rolled['id']}/decisions", headers=headers, json={
        "label": rolled["label"], "note": f"spoke with {PERSONAL}", "tags": ["erase-me-alice"],
        "lifecycle_stage": f"renewal {PERSONAL}"[:50],
        "todos": [{"title": f"Send {PERSONAL} the invoice", "owner_id": csm.id, "due_on": "2030-01-01"}]})
    assert pulse.status_code == 201, pulse.text
    for path, body in ((f"/v1/accounts/{account['id']}/outcomes",
                        {"kind": "renewed", "occurred_on": "2026-01-05", "note": f"{PERSONAL} signed"}),
                       (f"/v1/accounts/{account['id']}/signals", {"kind": "nps", "value": -20, "source": PERSONAL,
                                                                   "observed_at": "2026-01-05T10:00:00Z"})):
        assert client.post(path, headers=headers, json=body).status_code == 201, path
    check = client.post("/v1/checks", headers=lead, json={"suggestion_id": message["suggestion"]["id"],
                                                          "label": "Red", "note": f"agreed: {PERSONAL}"})
    assert check.status_code == 201, check.text
    ordinary = post_message(account["id"], "Thanks, the new dashboard is great.", headers=other_headers)
    decide(client, other_headers, ordinary["suggestion"], ordinary["suggestion"]["label"])
    [copy] = [i for i in pending(client, other_headers) if i["interaction_id"] == message["interaction"]["id"]]
    answered = client.post(f"/v1/suggestions/{copy['id']}/decisions", headers=other_headers, json={
        "label": copy["label"], "note": f"{PERSONAL} was upset"})
    assert answered.status_code == 201, answered.text
    assert every_row(engine).count(PERSONAL.lower()) >= 10

    result = CliRunner().invoke(app, ["erase", "--account", str(account["id"]), "--yes", "--db", database_url])
    assert result.exit_code == 0, result.output
    assert "erase-me" not in every_row(engine)
    if database_url.startswith("sqlite"):
        database = Path(database_url.removeprefix("sqlite:///"))
        for file in (database, database.with_name(database.name + "-wal")):
            if file.exists():
                assert b"erase-me" not in file.read_bytes().lower(), f"{file} still holds the erased text"
    timeline = client.get(f"/v1/accounts/{account['id']}/timeline", headers=headers)
    assert timeline.status_code == 200 and "erase-me" not in timeline.text.lower()

    # The same message again, by the API or by ingestion: recognised as present, and its text not restored.
    again = client.post("/v1/interactions", headers=headers, json={
        "account_id": account["id"], "kind": "email", "external_id": message_id, "body": f"Call {PERSONAL}."})
    assert again.status_code == 200 and again.json()["interaction"]["id"] == message["interaction"]["id"]
    assert again.json()["interaction"]["body"] == "[erased]"
    item = InteractionCreate(account_id=account["id"], kind=InteractionKind.EMAIL, external_id=message_id,
                             body=f"Call {PERSONAL} about the export.")
    assert ingest.would_happen(session, [item], settings) == ["already_present"]
    assert intake.create_many(session=session, user=csm, items=[item], settings=settings,
                              classifier=ModelHolder(settings.serving()).active(session)) == ["already_present"]
    assert "erase-me" not in every_row(engine)
    get_settings.cache_clear()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_decisions_tags_and_stage_may_only_be_emptied(client: TestClient, engine: Engine,
                                                                       make_account, post_message, emea_csm) -> None:
    account = make_account()
    post_message(account["id"], "The export failed again.")
    rolled = client.post(f"/v1/accounts/{account['id']}/suggestions", headers=emea_csm[1]).json()
    decided = client.post(f"/v1/suggestions/{rolled['id']}/decisions", headers=emea_csm[1], json={
        "label": rolled["label"], "tags": ["exec_sponsor"], "lifecycle_stage": "renewal"}).json()
    refused = ("tags = '[\"churn\"]'", "lifecycle_stage = 'onboarding'", "tags = '[]', accepted = NOT accepted")
    for change in refused:
        with pytest.raises(DBAPIError, match="decisions are append-only"), engine.begin() as connection:
            connection.execute(text(f"UPDATE decisions SET {change} WHERE id = {decided['id']}"))
    with engine.begin() as connection:  # what pulse erase does
        connection.execute(text(f"UPDATE decisions SET tags = '[]', lifecycle_stage = NULL WHERE id = {decided['id']}"))
    with engine.connect() as connection:
        row = connection.execute(text(f"SELECT label, tags::text, lifecycle_stage FROM decisions "
                                      f"WHERE id = {decided['id']}")).one()
    assert row == (decided["label"], "[]", None)
