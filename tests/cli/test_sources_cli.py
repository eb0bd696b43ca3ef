"""`pulse sources`: adding a mailbox, listing it, reading it now and removing it, against a real Dovecot."""

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
from api.sources import service as sources
from api.sources.models import Source
from api.users import service as users
from api.users.models import Role
from tests import imap
from tests.api.sources_support import message
from tests.imap import dovecot_fixture  # noqa: F401 - the dovecot fixture

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch, tiny_model: Path) -> None:
    monkeypatch.delenv("PULSE_DATABASE_URL", raising=False)
    monkeypatch.setenv("PULSE_MODEL_DIR", str(tiny_model))
    get_settings.cache_clear()


def test_sources_add_list_sync_and_remove(fresh_database_url: str, dovecot: imap.Dovecot,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    db = fresh_database_url
    user, password = dovecot.add_user()
    dovecot.append(user, password, [message(1), message(2, sender="nobody@elsewhere.example")])
    url = f"imap://{user}@127.0.0.1:{dovecot.port}/INBOX"
    with_password = f"imap://{user}:{password}@127.0.0.1:{dovecot.port}/INBOX"
    refused = runner.invoke(app, ["sources", "add", "imap", "--url", with_password, "--team", "emea",
                                  "--password-env", "MAIL_PW", "--db", db])
    assert refused.exit_code == 2 and "the URL holds a password" in refused.output and password not in refused.output
    for wrong, said in ((["--password-env", "MAIL PW"], "take an environment variable's name"),
                        ([], "give exactly one of password_env and oauth2_token_env"),
                        (["--password-env", "A", "--tls", "none", "--url", f"imap://{user}@mail.example/INBOX"],
                         "plain-text IMAP (tls none) is only for a loopback address")):
        args = ["--url", url, "--tls", "none", *wrong] if "--url" not in wrong else wrong
        result = runner.invoke(app, ["sources", "add", "imap", "--team", "emea", *args, "--db", db])
        assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output
    added = runner.invoke(app, ["sources", "add", "imap", "--url", url, "--tls", "none", "--team", "emea",
                                "--password-env", "MAIL_PW", "--db", db])
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "1" and "set MAIL_PW where `pulse worker`" in " ".join(added.output.split())
    engine = create_engine(db)
    with Session(engine) as session:
        admin, _ = users.create(session=session, name="Admin", role=Role.ADMIN, team=None)
        accounts.create(session=session, user=admin, data=AccountCreate(name="Northwind", team="emea",
                                                                         email_domains=["northwind.example"]))
        session.commit()

    failed = runner.invoke(app, ["sources", "sync", "1", "--db", db])  # MAIL_PW is not set yet
    assert failed.exit_code == 1 and json.loads(failed.stdout.splitlines()[-1])["ok"] is False
    monkeypatch.setenv("MAIL_PW", password)
    synced = runner.invoke(app, ["sources", "sync", "1", "--db", db])
    assert synced.exit_code == 0, synced.output
    report = json.loads(synced.stdout.splitlines()[-1])
    assert (report["ok"], report["stored"], report["unmatched"], report["error"]) == (True, 1, 1, None)

    dovecot.append(user, password, [message(3)])  # new mail, read by `pulse worker` once the source is due
    with Session(engine) as session:
        sources.poll_now(session, 1)
        session.commit()
    worked = runner.invoke(app, ["worker", "--once", "--kinds", "sources", "--db", db])
    assert worked.exit_code == 0, worked.output

    listed = runner.invoke(app, ["sources", "list", "--format", "json", "--db", db])
    [row] = json.loads(listed.stdout)
    assert (row["name"], row["credential_env"], row["stored"], row["unmatched"], row["last_error"]) == (
        f"imap://{user}@127.0.0.1:{dovecot.port}/INBOX", "MAIL_PW", 2, 1, None)
    text = runner.invoke(app, ["sources", "list", "--db", db])
    assert text.exit_code == 0 and f"{user}@127.0.0.1" in text.stdout and password not in text.stdout
    assert runner.invoke(app, ["sources", "remove", "1", "--db", db]).exit_code == 0
    missing = runner.invoke(app, ["sources", "sync", "1", "--db", db])
    assert missing.exit_code == 2 and "source 1 not found" in missing.output
    with Session(engine) as session:
        assert session.exec(select(Source)).all() == [] and len(session.exec(select(Interaction)).all()) == 2
    engine.dispose()
