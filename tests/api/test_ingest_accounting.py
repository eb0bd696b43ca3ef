"""`pulse ingest` accounts for everything it is given, on SQLite and PostgreSQL: the messages it read plus the
files it names as not read are the files of the folder, and Zendesk audits given alone are read (issue 29)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlmodel import Session, select
from typer.testing import CliRunner

from api.accounts.models import Account
from api.cli import app
from api.db import make_engine
from api.interactions.models import Interaction
from tests.pipelines.test_ingest_folders import mixed_tree

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
runner = CliRunner()


def ingest(url: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["ingest", *args, "--db", url, "--report", str(tmp_path / "unmatched.jsonl")])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def stored_by_account(url: str) -> dict[str, set[str]]:
    engine = make_engine(url)
    with Session(engine) as session:
        accounts = {a.id: a.external_id or a.name for a in session.exec(select(Account))}
        found: dict[str, set[str]] = {}
        for interaction in session.exec(select(Interaction)):
            found.setdefault(accounts[interaction.account_id], set()).add(interaction.external_id or "")
    engine.dispose()
    return found


def test_the_counts_and_the_files_named_add_up_to_the_files_of_a_mixed_tree(database: str, tmp_path: Path) -> None:
    root = tmp_path / "mail"
    messages, not_read = mixed_tree(root)
    given = sum(1 for _, _, names in os.walk(root) for _ in names)
    summary = ingest(database, tmp_path, str(root))
    assert summary["read"] + summary["files_not_read"] == given
    assert (summary["read"], summary["files_not_read"]) == (len(messages), len(not_read))
    outcomes = {k: summary.get(k, 0) for k in ("created", "unmatched", "ours_skipped", "errors")}
    assert outcomes == {"created": 9, "unmatched": 1, "ours_skipped": 1, "errors": 1}
    assert summary["matched_by"] == {"domain": 9}
    # The report shows the first 20 warnings; every one is listed beside it.
    assert len(summary["warnings"]) == 20 and summary["warnings_total"] == len(not_read)
    listed = [json.loads(line) for line in (tmp_path / "ingest-warnings.jsonl").read_text().splitlines()]
    assert {row["source"]: row["warning"] for row in listed} == not_read

    again = ingest(database, tmp_path, str(root))
    assert again.get("already_present") == 9 and "created" not in again
    assert again["read"] + again["files_not_read"] == given


def test_zendesk_audits_alone_store_the_customer_comments_of_a_mapped_organisation(database: str,
                                                                                     tmp_path: Path) -> None:
    mapping = tmp_path / "accounts.csv"
    mapping.write_text("key,account\nzendesk:organization:501,crm-1\n")
    audits = FIXTURES / "helpdesk" / "zendesk-audits-alone.json"
    summary = ingest(database, tmp_path, str(audits), "--format", "zendesk", "--account-map", str(mapping))
    assert {k: summary.get(k, 0) for k in ("read", "created", "ours_skipped", "unmatched", "errors")} == {
        "read": 10, "created": 5, "ours_skipped": 3, "unmatched": 2, "errors": 0}
    assert summary["matched_by"] == {"external_id": 4, "domain": 1} and summary["files_not_read"] == 0
    assert stored_by_account(database) == {
        "crm-1": {"zendesk:11:110101", "zendesk:11:110401", "zendesk:12:120201", "zendesk:15:150101"},
        "crm-2": {"zendesk:16:160101"}}  # no organisation, but mailed in from bluefin.example
    unmatched = {row["source_id"]: row["reason"]
                 for row in map(json.loads, (tmp_path / "unmatched.jsonl").read_text().splitlines())}
    assert unmatched == {
        "zendesk:13:130101": "account 'zendesk:organization:502' matches no account; no sender address",
        "zendesk:14:140101": "no account id in the message; no sender address"}


def test_a_report_that_cannot_be_written_is_said_before_the_run_or_after_it(database: str, tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "notes.txt").write_text("Not mail.\n")
    (folder / bytes([0x6a, 0xe9]).decode("utf-8", "surrogateescape")).write_bytes(b"\x00\x01")  # a name not UTF-8
    nowhere = str(tmp_path / "no" / "u.jsonl")
    missing = runner.invoke(app, ["ingest", str(folder), "--db", database, "--report", nowhere])
    assert missing.exit_code == 2 and "no such folder" in missing.output
    (tmp_path / "taken").mkdir()
    blocked = runner.invoke(app, ["ingest", str(folder), "--db", database, "--report", str(tmp_path / "u.jsonl"),
                                  "--warnings", str(tmp_path / "taken")])
    assert blocked.exit_code == 1 and "could not be listed" in blocked.output
    summary = json.loads(blocked.stdout.strip().splitlines()[-1])  # the report is printed all the same
    assert (summary["read"], summary["files_not_read"], summary["warnings_total"]) == (0, 2, 3)
