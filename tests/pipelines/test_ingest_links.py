"""A folder given to `pulse ingest` is read without leaving it: links out are skipped and reported, loops end.

Issue 25, finding 13: a link in an export folder to a file elsewhere (another user's mail, a key) was read.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.ingest.readers import BadRecord, Notice, RawMessage, Record, read_all

MAIL = ("From: Ben Carter <ben@northwind.example>\nSubject: Training\nDate: Wed, 04 Nov 2026 16:02:11 +0000\n"
        "Message-ID: <{id}@northwind.example>\n\nCould we schedule a training session in May?\n")


def outcome(paths: list[Path], fmt: str | None = None) -> tuple[list[str], list[tuple[str, str]]]:
    records: list[Record] = list(read_all(paths, fmt))
    assert not [r for r in records if isinstance(r, BadRecord)]
    return ([r.source for r in records if isinstance(r, RawMessage)],
            [(r.source, r.warning) for r in records if isinstance(r, Notice)])


def test_mail_links_out_of_the_folder_are_skipped_with_a_warning_and_links_inside_are_read_once(
        tmp_path: Path) -> None:
    outside, folder = tmp_path / "elsewhere", tmp_path / "export"
    (outside / "private").mkdir(parents=True)
    (outside / "secret.eml").write_text(MAIL.format(id="secret"))
    (outside / "private" / "other.eml").write_text(MAIL.format(id="other"))
    (folder / "sub").mkdir(parents=True)
    (folder / "a.eml").write_text(MAIL.format(id="a"))
    (folder / "out.eml").symlink_to(outside / "secret.eml")
    (folder / "sub" / "private").symlink_to(outside / "private", target_is_directory=True)
    (folder / "sub" / "again.eml").symlink_to(folder / "a.eml")  # inside: the same file, read once
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "sub" / "dangling.eml").symlink_to(tmp_path / "nowhere.eml")
    sources, warnings = outcome([folder])
    assert sources == [str(folder / "a.eml")]
    assert warnings == [
        (str(folder / "out.eml"), "a link to outside the folder, not followed"),
        (str(folder / "sub" / "dangling.eml"), "a link to nothing, not followed"),
        (str(folder / "sub" / "private"), "a link to outside the folder, not followed")]


def test_maildir_and_help_desk_folders_do_not_follow_links_out_either(tmp_path: Path) -> None:
    outside, maildir, desk = tmp_path / "elsewhere", tmp_path / "Maildir", tmp_path / "zendesk"
    outside.mkdir()
    (outside / "1.M1").write_text(MAIL.format(id="secret"))
    (outside / "tickets.json").write_text(json.dumps({"tickets": [{"id": 9, "description": "Secret"}]}))
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    (maildir / "cur" / "2.M2").write_text(MAIL.format(id="mine"))
    (maildir / "new" / "1.M1").symlink_to(outside / "1.M1")
    desk.mkdir()
    (desk / "tickets.json").write_text(json.dumps({"tickets": [{"id": 1, "description": "Mine"}]}))
    (desk / "more.json").symlink_to(outside / "tickets.json")
    assert outcome([maildir]) == ([str(maildir / "cur" / "2.M2")], [
        (str(maildir / "new" / "1.M1"), "a link to outside the folder, not followed")])
    sources, warnings = outcome([desk], "zendesk")
    assert sources == [f"{desk / 'tickets.json'} tickets[1] ticket 1 comment description"]
    assert warnings == [(str(desk / "more.json"), "a link to outside the folder, not followed")]


def test_a_path_named_on_the_command_line_is_read_even_when_it_is_a_link(tmp_path: Path) -> None:
    (tmp_path / "real.eml").write_text(MAIL.format(id="named"))
    (tmp_path / "named.eml").symlink_to(tmp_path / "real.eml")
    assert outcome([tmp_path / "named.eml"]) == ([str(tmp_path / "named.eml")], [])
