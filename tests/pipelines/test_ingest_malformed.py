"""One malformed record is an error naming its file and row; the rest of its file and the files after it are read.

Each hostile input below once ended `pulse ingest` with a traceback (issue 25, finding 4).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.ingest.addresses import ARCHIVE_SENDER, sender_address
from pipelines.ingest.readers import BadRecord, RawMessage, Record, read_all
from pipelines.ingest.records import MAX_CELL

GOOD_MAIL = ("From: Ben Carter <ben@northwind.example>\nTo: success@pulse-vendor.example\nSubject: Training\n"
             "Date: Wed, 04 Nov 2026 16:02:11 +0000\nMessage-ID: <{id}@northwind.example>\n"
             "Content-Type: text/plain; charset=utf-8\n\nCould we schedule a training session in May?\n")
DEEP = "[" * 5000 + "]" * 5000


def run(paths: list[Path], fmt: str | None = None) -> tuple[list[RawMessage], list[BadRecord]]:
    records: list[Record] = list(read_all(paths, fmt))
    return ([r for r in records if isinstance(r, RawMessage)], [r for r in records if isinstance(r, BadRecord)])


def plain(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def row(id: str, text: str = "The export works again, thanks.") -> str:
    return json.dumps({"id": id, "account": "crm-1", "text": text})


def test_a_jsonl_value_nested_5000_deep_is_an_error_for_its_line(tmp_path: Path) -> None:
    hostile = plain(tmp_path, "hostile.jsonl", f"{row('a')}\n{{\"id\": \"b\", \"text\": {DEEP}}}\n{DEEP}\n{row('c')}\n")
    good = plain(tmp_path, "good.jsonl", row("d") + "\n")
    messages, errors = run([hostile, good])
    assert [m.source_id for m in messages] == ["a", "c", "d"]
    assert [(e.source, e.error) for e in errors] == [
        (f"{hostile}:2", "not valid JSON (nested too deeply)"), (f"{hostile}:3", "not valid JSON (nested too deeply)")]


def test_a_jsonl_field_of_the_wrong_type_or_bytes_that_are_not_utf8_are_errors_for_their_line(tmp_path: Path) -> None:
    hostile = tmp_path / "types.jsonl"
    hostile.write_bytes(b"\n".join([
        json.dumps({"id": "a", "account": "crm-1", "text": ["a", "list"]}).encode(),
        b'{"id": "b", "account": "crm-1", "text": "caf\xe9"}',
        json.dumps({"id": "c", "account": {"deep": [1]}, "text": "hello"}).encode(),
        row("d").encode()]))
    messages, errors = run([hostile])
    assert [m.source_id for m in messages] == ["d"]
    assert [(e.source, e.error) for e in errors] == [
        (f"{hostile}:1", "text must be a string, got a list"),
        (f"{hostile}:2", "not UTF-8 text (byte 0xe9 at column 45)"),
        (f"{hostile}:3", "account must be a string, got an object")]


def test_a_csv_body_of_150000_characters_is_read_and_a_cell_beyond_the_limit_is_an_error_for_its_row(
        tmp_path: Path) -> None:
    long_text, huge = "word " * 30_000, "x" * (MAX_CELL + 1)
    hostile = plain(tmp_path, "hostile.csv", f"id,account,text\nr1,crm-1,{long_text}\nr2,crm-1,{huge}\n"
                                             f'r3,crm-1,"Still read, after the huge cell."\n')
    good = plain(tmp_path, "good.csv", "id,account,text\nr4,crm-2,Fine\n")
    messages, errors = run([hostile, good])
    assert [(m.source_id, len(m.body)) for m in messages] == [("r1", 149_999), ("r3", 32), ("r4", 4)]
    assert [(e.source, e.error) for e in errors] == [
        (f"{hostile}:3", f"a cell is longer than {MAX_CELL:,} characters")]


def test_a_csv_header_beyond_the_limit_is_an_error_for_its_file_and_the_next_file_is_read(tmp_path: Path) -> None:
    hostile = plain(tmp_path, "header.csv", "id,account," + "t" * (MAX_CELL + 1) + "\nr1,crm-1,hello\n")
    good = plain(tmp_path, "good.csv", "id,account,text\nr2,crm-2,Fine\n")
    messages, errors = run([hostile, good])
    assert [m.source_id for m in messages] == ["r2"]
    assert [(e.source, e.error) for e in errors] == [
        (f"{hostile}:1", f"a cell is longer than {MAX_CELL:,} characters")]


def test_a_csv_given_as_a_folder_is_an_error_for_it(tmp_path: Path) -> None:
    (tmp_path / "folder.csv").mkdir()
    messages, errors = run([tmp_path / "folder.csv", plain(tmp_path, "good.csv", "id,account,text\nr2,crm-2,Fine\n")],
                           "csv")
    assert [m.source_id for m in messages] == ["r2"]
    assert [e.source for e in errors] == [str(tmp_path / "folder.csv")]
    assert errors[0].error.startswith("cannot read the file")


def zendesk(tmp_path: Path, name: str, document: object) -> Path:
    return plain(tmp_path, name, json.dumps(document))


def test_zendesk_audit_events_that_are_not_a_list_and_an_author_given_as_a_string_are_errors(tmp_path: Path) -> None:
    hostile = zendesk(tmp_path, "hostile.json", {
        "tickets": [{"id": 1, "requester_id": 7, "comments": [
            {"id": 11, "author_id": 7, "body": "First, fine."},
            {"id": 12, "author": "mallory", "body": "An author that is a string."},
            {"id": 13, "author_id": 7, "body": "Third, fine."}]}],
        "audits": [{"id": 90, "ticket_id": 2, "events": 5}]})
    good = zendesk(tmp_path, "good.json", {"tickets": [{"id": 3, "requester_id": 8, "description": "All good."}]})
    messages, errors = run([hostile, good], "zendesk")
    assert [m.source_id for m in messages] == ["zendesk:1:11", "zendesk:1:13", "zendesk:3:description"]
    assert [(e.source, e.error) for e in errors] == [
        (f"{hostile} audits[1]", "events must be a list, got a number"),
        (f"{hostile} tickets[1] ticket 1 comment 12", "author must be a JSON object, got a string")]


def test_zendesk_ids_bodies_and_organisations_of_the_wrong_type_are_errors(tmp_path: Path) -> None:
    hostile = zendesk(tmp_path, "hostile.json", {"tickets": [
        {"id": {"nested": [[[]]]}, "requester_id": 7, "description": "An id that is an object."},
        {"id": 2, "requester_id": 7, "comments": [{"id": 21, "author_id": 7, "body": {"html": "x"}}]},
        {"id": 3, "requester_id": 7, "organization": "Initech", "description": "An organisation that is a string."},
        {"id": 4, "requester_id": 7, "subject": ["a"], "description": "A subject that is a list."},
        {"id": 5, "requester_id": 7, "description": "Fine.", "created_at": {"when": "now"}}]})
    messages, errors = run([hostile], "zendesk")
    assert messages == []
    assert [(e.source, e.error) for e in errors] == [
        (f"{hostile} tickets[1]", "a ticket's id must be a string or a number, got an object"),
        (f"{hostile} tickets[2] ticket 2 comment 21", "body must be a string, got an object"),
        (f"{hostile} tickets[3] ticket 3", "organization must be a JSON object, got a string"),
        (f"{hostile} tickets[4] ticket 4 comment description", "subject must be a string, got a list"),
        (f"{hostile} tickets[5] ticket 5 comment description",
         "created_at must be a string or a number, got an object")]


def test_intercom_source_or_author_given_as_a_string_are_errors_for_their_conversation(tmp_path: Path) -> None:
    hostile = zendesk(tmp_path, "hostile.json", {"conversations": [
        {"type": "conversation", "id": "1", "source": "hello"},
        {"type": "conversation", "id": "2", "source": {"body": "<p>Hi</p>", "author": "mallory"},
         "conversation_parts": {"conversation_parts": [
             {"id": "p1", "body": "<p>Still read.</p>", "author": {"type": "user", "email": "a@northwind.example"}},
             "a part that is a string"]}},
        {"type": "conversation", "id": "3", "source": {"body": "<p>Hi</p>", "author": {"type": "user"}},
         "conversation_parts": "parts"}]})
    good = zendesk(tmp_path, "good.json", {"type": "conversation", "id": "4", "source": {
        "body": "<p>Good.</p>", "author": {"type": "user", "email": "b@northwind.example"}}})
    messages, errors = run([hostile, good], "intercom")
    assert [m.source_id for m in messages] == ["intercom:2:p1", "intercom:3:source", "intercom:4:source"]
    assert [(e.source, e.error) for e in errors] == [
        (f"{hostile} conversations[1] conversation 1", "source must be a JSON object, got a string"),
        (f"{hostile} conversations[2] conversation 2 part source", "author must be a JSON object, got a string"),
        (f"{hostile} conversations[2] conversation 2 part 2", "a part must be a JSON object, got a string"),
        (f"{hostile} conversations[3] conversation 3", "conversation_parts must be a JSON object, got a string")]


def test_freshdesk_requester_given_as_a_string_is_an_error_for_its_ticket(tmp_path: Path) -> None:
    hostile = zendesk(tmp_path, "hostile.json", [
        {"id": 1, "requester_id": 7, "subject": "s", "requester": "mallory", "description_text": "Who?"},
        {"id": 2, "requester_id": 7, "subject": "s", "description_text": "Fine.",
         "requester": {"email": "ana@northwind.example"}},
        {"id": 3, "email": ["x"], "helpdesk_agent": False},
        {"id": 4, "contact": "agent", "ticket_scope": 1}])
    good = zendesk(tmp_path, "good.json", [{"id": 5, "requester_id": 8, "subject": "t", "description_text": "Good."}])
    messages, errors = run([hostile, good], "freshdesk")
    assert [m.source_id for m in messages] == ["freshdesk:2", "freshdesk:5"]
    assert [(e.source, e.error) for e in errors] == [
        (f"{hostile}#4", "contact must be a JSON object, got a string"),
        (f"{hostile}#1 ticket 1", "requester must be a JSON object, got a string")]


def test_a_help_desk_document_nested_5000_deep_is_an_error_and_the_next_file_is_read(tmp_path: Path) -> None:
    hostile = plain(tmp_path, "deep.json", DEEP)
    lines = plain(tmp_path, "deep.jsonl", f"{DEEP}\n" + json.dumps({"ticket": {"id": 9, "description": "Hi"}}))
    good = zendesk(tmp_path, "good.json", {"tickets": [{"id": 3, "requester_id": 8, "description": "All good."}]})
    messages, errors = run([hostile, lines, good], "zendesk")
    assert [m.source_id for m in messages] == ["zendesk:9:description", "zendesk:3:description"]
    assert [(e.source, e.error) for e in errors] == [
        (f"{hostile}:1", "not valid JSON (nested too deeply)"), (f"{lines}:1", "not valid JSON (nested too deeply)")]


def mail(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def nested_multipart(depth: int) -> str:
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth))
    return "From: a@northwind.example\nMIME-Version: 1.0\n" + opening + "Content-Type: text/plain\n\nhello\n"


def test_mail_with_a_broken_message_id_or_from_is_read_and_parts_nested_1200_deep_are_an_error(
        tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    broken_id = mail(folder, "1-id.eml", GOOD_MAIL.replace("Message-ID: <{id}@northwind.example>", "Message-ID: <"))
    broken_from = mail(folder, "2-from.eml", "From: " + "(" * 5000 + "\n" + GOOD_MAIL.split("\n", 1)[1].format(id="f"))
    nested = mail(folder, "3-nested.eml", nested_multipart(1200))
    mail(folder, "4-good.eml", GOOD_MAIL.format(id="good"))
    messages, errors = run([folder])
    # A message whose headers cannot be parsed is still read: the Message-ID falls back to the content's hash (as
    # for a message without one), an unreadable From leaves it without a sender (so it is reported as unmatched).
    assert [(m.source, m.source_id[:7], m.sender) for m in messages] == [
        (str(broken_id), "sha256:", "ben@northwind.example"), (str(broken_from), "<f@nort", None),
        (str(folder / "4-good.eml"), "<good@n", "ben@northwind.example")]
    assert [(e.source, e.error) for e in errors] == [(str(nested), "not a readable e-mail: nested too deeply")]


def test_a_list_archive_sender_is_found_only_where_a_name_starts() -> None:
    # Trying every position inside a run of letters made a From of 100,000 letters take 30 s (found by the fuzz).
    assert ARCHIVE_SENDER.match("xandy at example.com", 1) is None
    assert sender_address("From the list: andy at example.com") == "andy@example.com"
    assert sender_address("a" * 100_000) is None


def test_an_mbox_with_a_hostile_message_reads_the_messages_after_it(tmp_path: Path) -> None:
    separator = "From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n"
    box = mail(tmp_path, "archive.mbox", separator + GOOD_MAIL.format(id="one") + "\n" + separator
               + nested_multipart(1200) + "\n" + separator + GOOD_MAIL.format(id="three") + "\n")
    messages, errors = run([box])
    assert [m.source_id for m in messages] == ["<one@northwind.example>", "<three@northwind.example>"]
    assert [(e.source, e.error) for e in errors] == [(f"{box}#2", "not a readable e-mail: nested too deeply")]


@pytest.mark.parametrize("fmt", ["eml", "mbox", "jsonl", "csv", "zendesk", "intercom", "freshdesk"])
def test_garbage_or_a_missing_path_in_any_format_is_an_error_and_the_next_path_is_read(tmp_path: Path,
                                                                                       fmt: str) -> None:
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\xff\xfe\x00{[\"\x00\n\r\x80From \n" * 3)
    good = plain(tmp_path, "good.jsonl", row("g") + "\n")
    records = list(read_all([garbage, tmp_path / "missing", good], fmt))
    if fmt == "jsonl":
        assert [r.source_id for r in records if isinstance(r, RawMessage)] == ["g"]
    assert str(tmp_path / "missing") in {r.source for r in records if isinstance(r, BadRecord)}
