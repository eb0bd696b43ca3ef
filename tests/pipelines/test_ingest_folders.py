"""A folder given to `pulse ingest` is read whole, and whether a file is mail is decided by its content.

Issue 29: of 53 messages in a folder of plain message files (MH, notmuch, mu), 43 were read; the 10 outside a
Maildir's cur/ and new/, named like `18:2,`, were neither read nor named. Zendesk audits given alone were read as
nothing at all, although they held 88 comments.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from pipelines.ingest import mail
from pipelines.ingest.mail import sniff
from pipelines.ingest.readers import BadRecord, Notice, RawMessage, Record, read, read_all
from pipelines.ingest.records import MAX_MESSAGE_BYTES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"


def message(sender: str, ident: str, body: str = "Could we move the training session to May?") -> str:
    return (f"Return-Path: <{sender}>\nFrom: {sender}\nTo: support@pulse-vendor.example\nSubject: {ident}\n"
            f"Date: Wed, 04 Nov 2026 16:02:11 +0000\nMessage-ID: <{ident}@mail.example>\n\n{body}\n")


def put(root: Path, name: str, content: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def mixed_tree(root: Path) -> tuple[set[str], dict[str, str]]:
    """Mail in every layout beside files that are not mail: (the message files, {file not read: why})."""
    northwind, unknown, ours = "ana@northwind.example", "zoe@unknown-company.example", "sam@pulse-vendor.example"
    messages = {
        "Maildir/cur/1700000000.M1P2.host:2,S": message(northwind, "maildir-cur"),
        "Maildir/new/1700000001.M3P4.host": message(northwind, "maildir-new"),
        "Maildir/.Sent/cur/1700000002.M5P6.host:2,S": message(ours, "maildir-sent"),
        "Mail/inbox/1": message(northwind, "mh-1"),
        "Mail/inbox/2": message(unknown, "mh-2"),
        "Mail/inbox/10": "Received: from mx.example by mail.example; Wed, 04 Nov 2026 16:02:11 +0000\n"
                         "X-Folded: a header\n  folded over two lines\n" + message(northwind, "mh-10"),
        "notmuch/archive/18:2,": message(northwind, "notmuch-18"),
        "notmuch/archive/19:2,RS": message(northwind, "notmuch-19"),
        "mu/cur/1700000003_1.1234.host,U=12:2,S": message(northwind, "mu-1"),
        "exports/reply.eml": message(northwind, "eml"),
        "exports/LOUD.EML": message(northwind, "eml-upper"),
        "exports/scan.msg": "From: ana@northwind.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
                            "Content-Type: image/png\n\niVBORw0KGgo=\n--b--\n",  # no text: an error, counted
    }
    for name, text in messages.items():
        put(root, name, text)
    put(root, "Maildir/tmp/1700000009.M9P9.host", message(northwind, "in-delivery"))
    put(root, "Maildir/dovecot-uidlist", "3 V1700000000 N4 G3c1f\n1 1700000000.M1P2.host\n")
    put(root, "Mail/inbox/.mh_sequences", "unseen: 1-2 10\ncur: 10\n")
    put(root, "exports/invoice.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n\x00\x01")
    put(root, "exports/empty.eml", b"")
    put(root, "exports/notes.txt", "TODO: call Ana about the renewal\nand the training dates\n")
    with put(root, "exports/huge.eml", message(northwind, "huge")).open("r+b") as handle:
        handle.truncate(MAX_MESSAGE_BYTES + 1)  # sparse: it costs no disk, and must never be read into memory
    os.mkfifo(root / "exports" / "pipe")  # opening it would wait for a writer for ever
    for number in range(22):  # more than the report shows, so the full list must be kept elsewhere
        put(root, f"attachments/scan-{number:02}.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    not_read = {
        "Maildir/tmp/1700000009.M9P9.host": "not read: in a Maildir's tmp/, where messages are still being delivered",
        "Maildir/dovecot-uidlist": "not mail: it does not start with e-mail headers",
        "Mail/inbox/.mh_sequences": "not mail: it does not start with e-mail headers",
        "exports/invoice.pdf": "not mail: it does not start with e-mail headers",
        "exports/empty.eml": "empty file",
        "exports/notes.txt": "not mail: it does not start with e-mail headers",
        "exports/huge.eml": f"too large ({MAX_MESSAGE_BYTES + 1:,} bytes, limit {MAX_MESSAGE_BYTES:,})",
        "exports/pipe": "unreadable: not a regular file (a pipe, socket or device)",
        **{f"attachments/scan-{n:02}.png": "not mail: it does not start with e-mail headers" for n in range(22)}}
    return set(messages), {str(root / name): why for name, why in not_read.items()}


def test_every_file_of_a_mixed_tree_is_read_or_named_with_its_reason(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    messages, not_read = mixed_tree(root)
    given = sum(1 for _, _, names in os.walk(root) for _ in names)
    records: list[Record] = list(read_all([root]))
    read_files = {r.source for r in records if isinstance(r, RawMessage | BadRecord)}
    named = {r.source: r.warning for r in records if isinstance(r, Notice) and r.not_read}
    assert read_files == {str(root / name) for name in messages}
    assert named == not_read
    assert len(read_files) + len(named) == given == len(messages) + len(not_read)
    assert [r for r in records if isinstance(r, Notice) and not r.not_read] == []
    assert [(r.source, r.error) for r in records if isinstance(r, BadRecord)] == [
        (str(root / "exports/scan.msg"), "the e-mail has no text or HTML body")]
    ids = {r.source_id for r in records if isinstance(r, RawMessage)}
    assert "<notmuch-18@mail.example>" in ids and "<mh-10@mail.example>" in ids and len(ids) == len(messages) - 1


def test_a_file_named_on_the_command_line_is_told_by_its_content_when_its_name_does_not_say(tmp_path: Path) -> None:
    mh = put(tmp_path, "inbox/7", message("ana@northwind.example", "mh-7"))
    saved = (("ana@b.example", "saved-1"), ("ben@b.example", "saved-2"))
    archive = put(tmp_path, "saved", "".join(f"From {who} Wed Nov  4 16:02:11 2026\n{message(who, ident)}\n"
                                             for who, ident in saved))
    text = put(tmp_path, "README", "Read me first.\n")
    assert [r.source_id for r in read(mh) if isinstance(r, RawMessage)] == ["<mh-7@mail.example>"]
    assert [r.source_id for r in read(archive) if isinstance(r, RawMessage)] == [
        "<saved-1@mail.example>", "<saved-2@mail.example>"]
    [error] = list(read(text))
    assert isinstance(error, BadRecord) and "cannot tell the format" in error.error


@pytest.mark.parametrize(("head", "kind"), [
    (b"From: a@b.example\nSubject: hi\n\nbody", "mail"),
    (b"Received: from x\n\tby y; Wed, 4 Nov 2026 16:02:11 +0000\nMessage-ID: <1@b>\n\nbody", "mail"),
    (b"Date : Wed, 4 Nov 2026 16:02:11 +0000\r\nFrom: a@b.example\r\n\r\nbody", "mail"),  # obsolete blank, CRLF
    (b"From a@b.example Wed Nov  4 16:02:11 2026\nFrom: a@b.example\n\nbody", "mbox"),
    (b"unseen: 1-3\ncur: 3\n", None),  # MH's .mh_sequences: header-shaped, no message's header
    (b" From: a@b.example\n\nbody", None),  # a continuation cannot come first
    (b"From: a@b.example\nthis line is no header\n\nbody", None),
    (b"From a@b.example Wed Nov  4 16:02:11 2026\nHello there\n", None),
    (b"%PDF-1.4\n", None), (b"\x00\x00\x00\x00", None), (b"\xff\xfeF\x00r\x00", None),
    (b"", None), (b"{\"tickets\": []}", None), (b"account,text\ncrm-1,hi\n", None),
])
def test_mail_is_told_by_the_headers_at_its_start(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


def test_a_header_cut_at_the_end_of_the_part_read_does_not_decide(tmp_path: Path) -> None:
    long_headers = b"From: a@b.example\n" + b"".join(b"X-Trace-%d: %s\n" % (n, b"x" * 60) for n in range(2000))
    assert sniff(long_headers[: mail.HEAD_BYTES], complete=False) == "mail"  # its last, cut line is not judged
    path = put(tmp_path, "long", long_headers + b"\nThe body, far below the first 64 KiB.\n")
    [record] = list(mail.read_found(path))
    assert isinstance(record, RawMessage) and record.body.startswith("The body")


def test_an_mbox_message_over_the_limit_is_an_error_and_the_next_is_read(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mail, "MAX_MESSAGE_BYTES", 2_000)
    archive = put(tmp_path, "box.mbox", "From a Wed Nov  4 16:02:11 2026\n" + message("a@b.example", "big", "x" * 3_000)
                  + "\nFrom b Wed Nov  4 16:02:11 2026\n" + message("b@b.example", "small"))
    records = list(read(archive))
    assert isinstance(records[0], BadRecord) and records[0].error.startswith("too large (3,")
    assert records[0].error.endswith("bytes, limit 2,000)")
    assert [r.source_id for r in records if isinstance(r, RawMessage)] == ["<small@mail.example>"]


def test_help_desk_folders_name_the_files_they_do_not_read(tmp_path: Path) -> None:
    desk = tmp_path / "zendesk"
    put(desk, "tickets.json", json.dumps({"tickets": [{"id": 1, "requester_id": 7, "description": "Mine"}]}))
    put(desk, "notes.md", "# exported on Monday\n")
    put(desk, "empty.json", "")
    records = list(read_all([desk], "zendesk"))
    assert [r.source_id for r in records if isinstance(r, RawMessage)] == ["zendesk:1:description"]
    assert {(r.source, r.warning) for r in records if isinstance(r, Notice) and r.not_read} == {
        (str(desk / "notes.md"), "not read: not a JSON file (.json, .jsonl, .ndjson)"),
        (str(desk / "empty.json"), "empty file")}


def test_zendesk_audits_alone_take_requester_organisation_and_time_from_their_own_events() -> None:
    records = list(read_all([FIXTURES / "helpdesk" / "zendesk-audits-alone.json"], "zendesk"))
    messages = {r.source_id: r for r in records if isinstance(r, RawMessage)}
    assert len(messages) == len(records) == 10  # every comment of the file, nothing else, no error
    assert Counter((m.account, m.ours) for m in messages.values()) == {
        ("zendesk:organization:501", False): 4,  # ticket 15's organisation is the one its Change event set
        ("zendesk:organization:501", True): 3,  # an agent's reply, a private note, a ticket opened for a customer
        ("zendesk:organization:502", False): 1, (None, False): 2}
    first = messages["zendesk:11:110101"]
    assert (first.subject, first.occurred_at and first.occurred_at.isoformat()) == (
        "Nightly sync failing", "2026-09-01T08:00:00+00:00")
    assert messages["zendesk:12:120101"].ours and not messages["zendesk:12:120201"].ours
    assert messages["zendesk:16:160101"].sender == "dana@bluefin.example"  # mailed in: the audit's from address


def test_zendesk_comments_whose_author_cannot_be_told_are_errors_not_agents(tmp_path: Path) -> None:
    orphan = put(tmp_path, "comments.json", json.dumps({"comments": [
        {"id": 5, "ticket_id": 99, "author_id": 7, "body": "Whose words are these?"}]}))
    nameless = put(tmp_path, "audits.json", json.dumps({"audits": [
        {"id": 1, "created_at": "2026-09-01T08:00:00Z", "events": [{"type": "Comment", "id": 2, "body": "Hi"}]},
        {"id": 3, "ticket_id": 4, "events": ["not an event"]}]}))
    errors = [r for r in read_all([orphan, nameless], "zendesk") if isinstance(r, BadRecord)]
    assert [e.error.split(":")[0] for e in errors] == [
        "an audit with a comment needs a ticket_id (a string or a number), got null",
        "an event must be a JSON object, got a string",
        "cannot tell whether the comment is the customer's"]
