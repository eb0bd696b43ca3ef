"""`pulse ingest` on mail and help-desk data in the shapes they really come in (fixtures written for Pulse
in the shapes of `../shared/reference/helpdesk/` and of real mail stores), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.accounts import service as accounts
from api.accounts.models import AccountCreate
from api.cli import app
from api.config import get_settings
from api.db import make_engine
from api.interactions.models import Interaction
from api.users.models import Role, User
from pipelines.ingest.addresses import ascii_domain, enclosing, sender_address

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
runner = CliRunner()


@pytest.fixture
def ingesting(database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """test_ingest's two accounts, a third with an internationalised domain, and a help desk's domain as ours."""
    monkeypatch.setenv("PULSE_AGENT_DOMAINS", '["helpdesk.example", "pulse-vendor.example"]')
    get_settings.cache_clear()
    engine = make_engine(database)
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.role == Role.ADMIN)).first()
        assert admin is not None
        accounts.create(session=session, user=admin, data=AccountCreate(
            name="Münchner Bank", team="emea", external_id="crm-3", email_domains=["München-Bank.example"]))
        session.commit()  # records flush; whoever calls them commits
    engine.dispose()
    return database


def ingest(url: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["ingest", *args, "--db", url, "--report", str(tmp_path / "unmatched.jsonl")])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def stored(url: str) -> dict[str, Interaction]:
    engine = make_engine(url)
    with Session(engine) as session:
        found = {i.external_id or "": i for i in session.exec(select(Interaction))}
    engine.dispose()
    return found


def test_addresses_of_list_archives_internationalised_and_sub_domains() -> None:
    assert sender_address("andy at example.com (Andy Smith)") == "andy@example.com"
    assert sender_address("Andy <andy@example.com>") == "andy@example.com"
    assert ascii_domain("München.DE") == ascii_domain("xn--mnchen-3ya.de") == "xn--mnchen-3ya.de"
    assert enclosing("a.us.ibm.com") == ["a.us.ibm.com", "us.ibm.com", "ibm.com"]


def test_real_mail_stores_every_readable_message_and_says_where_its_time_came_from(ingesting: str,
                                                                                     tmp_path: Path) -> None:
    summary = ingest(ingesting, tmp_path, str(FIXTURES / "real-mail"))
    assert summary["read"] == 10 and summary.get("created") == 10, summary
    assert summary["matched_by"] == {"domain": 10}
    mail = stored(ingesting)
    # Maildir (cur/ and new/) and an upper-case .EML are read.
    assert {"<maildir-1@northwind.example>", "<maildir-2@northwind.example>",
            "<upper-1@northwind.example>"} <= set(mail)
    undated = mail["<nodate-1@northwind.example>"]
    assert undated.occurred_at.year == 2009 and undated.occurred_at_source == "received"
    assert mail["<upper-1@northwind.example>"].occurred_at_source == "header"
    assert "déçue" in mail["<charset-1@northwind.example>"].body  # X-UNKNOWN charset decoded, not dropped
    assert mail["<mime-1@northwind.example>"].body == "The dashboard loads quickly now, good work."
    assert mail["<list-1@lists.example>"].author == "andy@northwind.example"  # Mailman "andy at ..."
    assert mail["<sub-1@us.northwind.example>"].account_id == mail["<upper-1@northwind.example>"].account_id
    assert mail["<idn-1@xn--mnchen-bank-thb.example>"].account_id not in (
        mail["<upper-1@northwind.example>"].account_id, None)
    assert "\x00" not in mail["<nul-1@northwind.example>"].body


def test_a_folder_without_mail_is_a_warning_and_a_dry_run_stores_nothing(ingesting: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not mail")
    summary = ingest(ingesting, tmp_path, str(empty))
    assert summary["read"] == 0 and summary["files_not_read"] == 1
    assert [w["warning"] for w in summary["warnings"]] == [
        "not mail: it does not start with e-mail headers",
        "the folder holds no e-mail (no file in it starts with e-mail headers)"]

    dry = ingest(ingesting, tmp_path, str(FIXTURES / "real-mail"), "--dry-run")
    assert dry["dry_run"] is True and dry["would_create"] == 10 and dry["matched_by"] == {"domain": 10}
    assert stored(ingesting) == {}
    ingest(ingesting, tmp_path, str(FIXTURES / "real-mail" / "UPPER-CASE.EML"))
    again = ingest(ingesting, tmp_path, str(FIXTURES / "real-mail"), "--dry-run")
    assert again["would_create"] == 9 and again["already_present"] == 1


def test_zendesk_export_with_audits_and_side_loads(ingesting: str, tmp_path: Path) -> None:
    summary = ingest(ingesting, tmp_path, str(FIXTURES / "helpdesk" / "zendesk-export"), "--format", "zendesk")
    assert summary["read"] == 5 and summary["ours_skipped"] == 2 and summary["created"] == 3, summary
    # The organisation's own external id, and (without one) its name, find the account.
    assert summary["matched_by"] == {"external_id": 2, "name": 1}
    tickets = stored(ingesting)
    assert set(tickets) == {"zendesk:701:8101", "zendesk:701:8401", "zendesk:702:description"}
    assert tickets["zendesk:701:8401"].body == "It ran on time today. Thanks for the quick fix."
    assert tickets["zendesk:701:8401"].author == "ana.souza@northwind.example"  # from the users side-load
    assert tickets["zendesk:701:8401"].occurred_at_source == "export"


def test_intercom_streams_join_parts_contacts_and_companies(ingesting: str, tmp_path: Path) -> None:
    summary = ingest(ingesting, tmp_path, str(FIXTURES / "helpdesk" / "intercom-streams"), "--format", "intercom")
    assert summary["read"] == 5 and summary["ours_skipped"] == 2 and summary["created"] == 3, summary
    chats = stored(ingesting)
    assert set(chats) == {"intercom:41:source", "intercom:41:p-3", "intercom:42:p-5"}
    # The lead's empty e-mail is the contact's; the account is the contact's company (company_id crm-1).
    assert chats["intercom:41:source"].author == "ana.souza@northwind.example"
    assert chats["intercom:42:p-5"].account_id != chats["intercom:41:p-3"].account_id  # eu.bluefin.example


def test_freshdesk_api_and_csv_export(ingesting: str, tmp_path: Path) -> None:
    mapping = tmp_path / "accounts.csv"
    mapping.write_text("key,account\nfreshdesk:company:77,crm-1\n")
    summary = ingest(ingesting, tmp_path, str(FIXTURES / "helpdesk" / "freshdesk-api"), "--format", "freshdesk",
                     "--account-map", str(mapping), "--match", "external_id")
    assert summary["read"] == 4 and summary["ours_skipped"] == 2 and summary["created"] == 2, summary
    assert summary["matched_by"] == {"external_id": 2}
    export = ingest(ingesting, tmp_path, str(FIXTURES / "helpdesk" / "freshdesk-export.csv"), "--format", "freshdesk")
    assert export["created"] == 1 and export["errors"] == 1 and export["matched_by"] == {"name": 1}
    tickets = stored(ingesting)
    assert tickets["freshdesk:120:13"].body == "Works again, thank you."
    assert tickets["freshdesk:120"].author == "ana.souza@northwind.example"
    assert {"freshdesk:120:11", "freshdesk:120:12"}.isdisjoint(tickets)  # the agent's reply and private note


def test_an_account_map_file_must_have_its_columns(ingesting: str, tmp_path: Path) -> None:
    bad = tmp_path / "map.csv"
    bad.write_text("org,crm\n1,2\n")
    result = runner.invoke(app, ["ingest", str(FIXTURES / "helpdesk" / "freshdesk-api"), "--format", "freshdesk",
                                 "--account-map", str(bad), "--db", ingesting])
    assert result.exit_code == 2 and "needs the columns key and account" in result.output
