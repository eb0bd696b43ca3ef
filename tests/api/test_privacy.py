"""pulse erase removes an account's texts everywhere and keeps the decision counts; decisions are append-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from api.cli import app
from api.config import get_settings
from api.users.models import Role
from tests.conftest import TABLES

MARKER = "Zebracorn4471"


def dump(engine: Engine) -> str:
    with engine.connect() as connection:
        return "\n".join(repr(row) for table in TABLES for row in connection.execute(text(f"SELECT * FROM {table}")))


def test_erase_removes_an_accounts_texts_everywhere_and_keeps_the_counts(
        client: TestClient, engine: Engine, make_user, make_account, post_message, emea_csm, database_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    headers = emea_csm[1]
    _, lead = make_user(Role.LEAD, "emea", "Lee")
    _, scientist = make_user(Role.DATA_SCIENTIST, None, "Sam")
    account = make_account()
    kept = make_account(name="Other account")
    first = post_message(account["id"], f"{MARKER} here: the export failed again, call me on +44 20 7946 0018.",
                         author=f"ana@{MARKER.lower()}.example", subject=f"Re: {MARKER} export")
    post_message(account["id"], f"Thanks {MARKER}, the fix works.")
    other = post_message(kept["id"], "Our renewal is confirmed.")
    rolled = client.post(f"/v1/accounts/{account['id']}/suggestions", headers=headers).json()
    for suggestion, note in ((first["suggestion"], f"spoke with {MARKER} today"), (rolled, f"{MARKER} is happy"),
                             (other["suggestion"], "spoke with the buyer")):
        assert client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=headers, json={
            "label": suggestion["label"], "note": note}).status_code == 201
    before = client.get("/v1/audit/summary", headers=lead).json()
    assert MARKER in dump(engine)

    result = CliRunner().invoke(app, ["erase", "--account", str(account["id"]), "--yes", "--db", database_url])
    assert result.exit_code == 0, result.output
    assert '"interactions": 2' in result.stdout and '"decision_notes": 2' in result.stdout

    assert MARKER not in dump(engine) and MARKER.lower() not in dump(engine)
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                assert MARKER.encode() not in file.read_bytes(), f"{file} still holds the erased text"
    after = client.get("/v1/audit/summary", headers=lead).json()
    assert (after["n"], after["confusion"]) == (before["n"], before["confusion"])
    exported = client.get("/v1/export/labels", headers=scientist).text
    assert MARKER not in exported and "renewal is confirmed" in exported
    kept_timeline = client.get(f"/v1/accounts/{kept['id']}/timeline", headers=headers).json()
    assert kept_timeline["count"] >= 3  # the other account is untouched
    missing = CliRunner().invoke(app, ["erase", "--account", "999999", "--yes", "--db", database_url])
    assert missing.exit_code == 2 and "account 999999 not found" in missing.output
    get_settings.cache_clear()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_decisions_cannot_be_changed_or_deleted(client: TestClient, engine: Engine, make_account,
                                                              post_message, emea_csm) -> None:
    suggestion = post_message(make_account()["id"], "Thanks, all good.")["suggestion"]
    decided = client.post(f"/v1/suggestions/{suggestion['id']}/decisions", headers=emea_csm[1],
                          json={"label": suggestion["label"], "note": "a note"}).json()
    for statement in (f"UPDATE decisions SET label = 'Red', note = NULL WHERE id = {decided['id']}",
                      f"UPDATE decisions SET accepted = NOT accepted WHERE id = {decided['id']}",
                      f"DELETE FROM decisions WHERE id = {decided['id']}"):
        with pytest.raises(DBAPIError, match="decisions are append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.begin() as connection:  # erasing the free-text note is the one change allowed
        connection.execute(text(f"UPDATE decisions SET note = NULL WHERE id = {decided['id']}"))
    with engine.connect() as connection:
        row = connection.execute(text(f"SELECT label, note FROM decisions WHERE id = {decided['id']}")).one()
    assert row == (decided["label"], None)
