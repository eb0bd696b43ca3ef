"""`pulse sources add zendesk`: a Zendesk account kept up with through its incremental export, read from a local
server that answers as Zendesk does, stored as `pulse ingest` stores the same export, its cursor the checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, create_engine, select
from typer.testing import CliRunner

from api.accounts import service as accounts
from api.accounts.models import AccountCreate
from api.cli import app
from api.config import get_settings
from api.interactions.models import Interaction
from api.sources.models import Source
from api.users import service as users
from api.users.models import Role
from tests.zendesk_api import (
    FIRST,
    SECOND,
    Zendesk,
    zendesk_fixture,  # noqa: F401 - the zendesk fixture
)

runner = CliRunner()
ADD = ["sources", "add", "zendesk", "--team", "emea"]


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch, tiny_model: Path) -> None:
    monkeypatch.delenv("PULSE_DATABASE_URL", raising=False)
    monkeypatch.delenv("ZD_TOKEN", raising=False)
    monkeypatch.setenv("PULSE_MODEL_DIR", str(tiny_model))
    get_settings.cache_clear()


def sync(db: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["sources", "sync", "1", "--db", db])
    return result.exit_code, json.loads(result.stdout.splitlines()[-1])


def test_a_zendesk_source_is_added_read_to_the_end_of_its_stream_and_kept_up_with(
        fresh_database_url: str, zendesk: Zendesk, monkeypatch: pytest.MonkeyPatch) -> None:
    db = fresh_database_url
    for wrong, said in ((["--subdomain", "acme.evil.example", "--token-env", "ZD_TOKEN"], "not a Zendesk subdomain"),
                        (["--subdomain", "acme", "--token-env", "ZD TOKEN"], "not an environment variable name"),
                        (["--subdomain", "acme", "--token-env", "ZD_TOKEN", "--email", "agent"],
                         "not an e-mail address"),
                        (["--subdomain", "acme", "--token-env", "ZD_TOKEN", "--url", "imaps://a@b/INBOX"],
                         "zendesk takes none of --url")):
        result = runner.invoke(app, [*ADD, *wrong, "--db", db])
        assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output
    added = runner.invoke(app, [*ADD, "--subdomain", "acme", "--token-env", "ZD_TOKEN", "--email",
                                "agent@acme.example", "--db", db])
    assert added.exit_code == 0 and added.stdout.strip() == "1", added.output
    assert "secret from $ZD_TOKEN; set ZD_TOKEN where `pulse worker`" in " ".join(added.output.split())
    engine = create_engine(db)
    with Session(engine) as session:
        source = session.exec(select(Source)).one()
        assert (source.kind, source.name, source.credential_env, source.config) == (
            "zendesk", "https://acme.zendesk.com", "ZD_TOKEN",
            {"subdomain": "acme", "email": "agent@acme.example", "start_time": 0})
        source.config = {**source.config, "base_url": zendesk.base}  # the test's server stands in for acme's
        admin, _ = users.create(session=session, name="Admin", role=Role.ADMIN, team=None)
        for name, external_id in (("Northwind Logistics", "crm-1"), ("Bluefin Analytics", None)):
            accounts.create(session=session, user=admin, data=AccountCreate(name=name, team="emea",
                                                                             external_id=external_id))
        session.commit()

    code, report = sync(db)  # ZD_TOKEN is not set yet
    assert code == 1 and report["ok"] is False and "ZD_TOKEN is not set" in str(report["error"])
    assert zendesk.log == []
    monkeypatch.setenv("ZD_TOKEN", "s3cret")
    code, report = sync(db)
    assert code == 0, report
    # page by page: the customers' four comments stored, the agent's reply and private note skipped as ours
    assert {k: report[k] for k in ("ok", "steps", "stored", "unmatched", "errors", "skipped")} == {
        "ok": True, "steps": 2, "stored": 4, "unmatched": 0, "errors": 0, "skipped": 2}
    with Session(engine) as session:
        stored = sorted(i.external_id or "" for i in session.exec(select(Interaction)))
    assert stored == ["zendesk:701:8101", "zendesk:701:8401", "zendesk:702:9101", "zendesk:703:9501"]
    listed = json.loads(runner.invoke(app, ["sources", "list", "--format", "json", "--db", db]).stdout)
    assert listed[0]["checkpoint"] == {"cursor": SECOND} and listed[0]["stored"] == 4
    assert zendesk.requests("tickets") == ["tickets:start", f"tickets:{FIRST}"]

    zendesk.log.clear()
    code, report = sync(db)  # nothing changed since: one request, nothing stored
    assert (code, report["steps"], report["stored"], report["already_present"]) == (0, 1, 0, 0)
    assert zendesk.requests("") == [f"tickets:{SECOND}"]

    zendesk.replaced = {f"tickets:{SECOND}": (401, {}, b'{"error": "Couldn\'t authenticate you"}')}
    code, report = sync(db)
    assert code == 1 and "the credential was refused (HTTP 401)" in str(report["error"])
    text = runner.invoke(app, ["sources", "list", "--db", db]).stdout
    assert "credential was refused" in text and "s3cret" not in text
    listed = json.loads(runner.invoke(app, ["sources", "list", "--format", "json", "--db", db]).stdout)
    assert listed[0]["checkpoint"] == {"cursor": SECOND}  # a failed read moves nothing
    engine.dispose()
