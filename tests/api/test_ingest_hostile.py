"""`pulse ingest` over folders holding one hostile file of each kind before a good one, on SQLite and PostgreSQL.

The good files' messages are stored, each hostile record is an error naming its file and row, a link out of
the folder is a warning, and the run ends with its report (issue 25, findings 4 and 13).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from api.cli import app
from pipelines.ingest.records import MAX_CELL
from tests.api.test_ingest_real_shapes import stored

runner = CliRunner()
MAIL = ("From: Ben Carter <ben@northwind.example>\nSubject: Training\nDate: Wed, 04 Nov 2026 16:02:11 +0000\n"
        "Message-ID: <{id}@northwind.example>\nContent-Type: text/plain; charset=utf-8\n\n"
        "Could we schedule a training session for the five new team members in May?\n")
DEEP = "[" * 5000 + "]" * 5000
SEPARATOR = "From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n"


def nested_multipart(depth: int) -> str:
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth))
    return "From: a@northwind.example\nMIME-Version: 1.0\n" + opening + "Content-Type: text/plain\n\nhello\n"


def line(id: str, text: Any = "The nightly export works again, thank you.", **more: Any) -> str:
    return json.dumps({"id": id, "account": "crm-1", "text": text, **more})


def ingest(url: str, tmp_path: Path, *args: str) -> tuple[dict[str, Any], str]:
    result = runner.invoke(app, ["ingest", *args, "--db", url, "--report", str(tmp_path / "unmatched.jsonl")])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary, result.output


def errors(summary: dict[str, Any]) -> dict[str, str]:
    return {e["source"]: e["error"] for e in summary["errors_shown"]}


def test_mail_jsonl_and_csv_with_hostile_records_store_the_good_ones_and_name_each_bad_one(
        database: str, tmp_path: Path) -> None:
    outside, folder = tmp_path / "elsewhere", tmp_path / "export"
    outside.mkdir()
    (outside / "secret.eml").write_text(MAIL.format(id="secret"))
    (folder / "mail").mkdir(parents=True)
    jsonl = folder / "hostile.jsonl"
    jsonl.write_bytes("\n".join([
        line("j1"), '{"id": "j2", "text": ' + DEEP + "}", line("j3", text=["a", "list"]),
        line("j4", occurred_at="[/] not a [bold]date"), line("j5", text="NUL \x00 and \ud800 lone surrogate")
    ]).encode("utf-8", "surrogatepass") + b'\n{"id": "j6", "text": "caf\xe9"}\n')
    (folder / "good.jsonl").write_text(line("j7") + "\n")
    csv = folder / "hostile.csv"
    csv.write_text(f"id,account,text\nc1,crm-1,{'Long. ' * 25_000}\nc2,crm-1,{'x' * (MAX_CELL + 1)}\n"
                   f"c3,crm-1,{'Longer still. ' * 25_000}\nc4,crm-2,After the huge cell.\n")
    (folder / "good.csv").write_text("id,account,text\nc5,crm-2,Great QBR.\n")
    mail = folder / "mail"
    (mail / "1-id.eml").write_text(MAIL.replace("Message-ID: <{id}@northwind.example>", "Message-ID: <"))
    (mail / "2-from.eml").write_text("From: " + "(" * 5000 + "\n" + MAIL.split("\n", 1)[1].format(id="from"))
    (mail / "3-nested.eml").write_text(nested_multipart(1200))
    (mail / "4-good.eml").write_text(MAIL.format(id="good"))
    (mail / "5-out.eml").symlink_to(outside / "secret.eml")
    box = folder / "archive.mbox"
    box.write_text(f"{SEPARATOR}{MAIL.format(id='box-1')}\n{SEPARATOR}{nested_multipart(1200)}\n"
                   f"{SEPARATOR}{MAIL.format(id='box-3')}\n")

    summary, output = ingest(database, tmp_path, str(jsonl), str(folder / "good.jsonl"), str(csv),
                             str(folder / "good.csv"), str(mail), str(box))
    assert errors(summary) == {
        f"{jsonl}:2": "not valid JSON (nested too deeply)",
        f"{jsonl}:3": "text must be a string, got a list",
        f"{jsonl}:4": "occurred_at must be an ISO 8601 date-time, got '[/] not a [bold]date'",
        f"{jsonl}:6": "not UTF-8 text (byte 0xe9 at column 26)",
        f"{csv}:3": f"a cell is longer than {MAX_CELL:,} characters",
        str(mail / "3-nested.eml"): "not a readable e-mail: nested too deeply",
        f"{box}#2": "not a readable e-mail: nested too deeply"}
    assert "[/] not a [bold]date" in output  # shown as written, never taken for markup
    assert summary["warnings"] == [{"source": str(mail / "5-out.eml"),
                                    "warning": "a link to outside the folder, not followed"}]
    assert summary["unmatched"] == 1  # the From that cannot be parsed: no sender, so no account by domain
    found = stored(database)
    assert {"j1", "j5", "j7", "c1", "c3", "c4", "c5", "<good@northwind.example>", "<box-1@northwind.example>",
            "<box-3@northwind.example>"} <= set(found)
    assert "<secret@northwind.example>" not in found
    assert [k for k in found if k.startswith("sha256:")] and summary["created"] == 11
    assert found["j5"].body == "NUL and lone surrogate"
    assert len(found["c1"].body) == 149_999 and 100_000 < len(found["c3"].body) <= 200_000


def write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_help_desk_exports_with_hostile_records_store_the_good_ones_and_name_each_bad_one(
        database: str, tmp_path: Path) -> None:
    hostile = write(tmp_path / "zendesk-hostile.json", {
        "tickets": [{"id": 1, "requester_id": 7, "organization": {"external_id": "crm-1"}, "comments": [
            {"id": 11, "author_id": 7, "body": "The first comment is fine and stored."},
            {"id": 12, "author": "mallory", "body": "An author that is a string."}]}],
        "audits": [{"id": 90, "ticket_id": 2, "events": 5}]})
    good = write(tmp_path / "zendesk-good.json", {"tickets": [
        {"id": 3, "requester_id": 8, "organization": {"external_id": "crm-1"}, "description": "All good here."}]})
    summary, _ = ingest(database, tmp_path, "--format", "zendesk", str(hostile), str(good))
    assert errors(summary) == {f"{hostile} audits[1]": "events must be a list, got a number",
                               f"{hostile} tickets[1] ticket 1 comment 12":
                                   "author must be a JSON object, got a string"}

    hostile = write(tmp_path / "intercom-hostile.json", {"conversations": [
        {"type": "conversation", "id": "1", "source": "hello"},
        {"type": "conversation", "id": "2", "company": {"external_id": "crm-2"},
         "source": {"body": "<p>Hi</p>", "author": "mallory"}}]})
    good = write(tmp_path / "intercom-good.json", {"type": "conversation", "id": "4", "company": {
        "external_id": "crm-2"}, "source": {"body": "<p>Webhooks work now.</p>", "author": {
            "type": "user", "email": "dora@bluefin.example"}}})
    summary, _ = ingest(database, tmp_path, "--format", "intercom", str(hostile), str(good))
    assert errors(summary) == {
        f"{hostile} conversations[1] conversation 1": "source must be a JSON object, got a string",
        f"{hostile} conversations[2] conversation 2 part source": "author must be a JSON object, got a string"}

    hostile = write(tmp_path / "freshdesk-hostile.json", [
        {"id": 1, "requester_id": 7, "subject": "s", "requester": "mallory", "description_text": "Who?"}])
    good = write(tmp_path / "freshdesk-good.json", [{"id": 5, "requester_id": 8, "subject": "Users",
                                                     "requester": {"email": "ben@northwind.example"},
                                                     "description_text": "Adding users works again."}])
    summary, _ = ingest(database, tmp_path, "--format", "freshdesk", str(hostile), str(good))
    assert errors(summary) == {f"{hostile}#1 ticket 1": "requester must be a JSON object, got a string"}
    assert {"zendesk:1:11", "zendesk:3:description", "intercom:4:source", "freshdesk:5"} <= set(stored(database))
