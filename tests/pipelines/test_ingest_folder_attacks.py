"""A folder of mail built to hurt the reader: headers whose parsing grows with the square of their length, beside
the links, pipes and empty files a real folder holds. Each is named and the rest of the folder is read."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from pipelines.ingest.readers import BadRecord, Notice, RawMessage, read

HEAD = b"From: ana@acme.example\r\nMessage-ID: <%d@acme.example>\r\nDate: Mon, 7 Dec 2026 06:00:00 +0000\r\n"


def maildir(root: Path, messages: dict[str, bytes]) -> Path:
    folder = root / "Maildir"
    for part in ("cur", "new", "tmp"):
        (folder / part).mkdir(parents=True)
    for name, raw in messages.items():
        (folder / "cur" / f"{name}:2,S").write_bytes(raw)
    return folder


def test_headers_too_long_to_parse_are_named_and_the_rest_is_read(tmp_path: Path) -> None:
    # Before, the first took the parser about 24 s; a megabyte of encoded words (smaller here) ran it out of memory.
    hostile = {
        "subject-words": HEAD % 1 + b"Subject: " + b"word " * 200_000 + b"\r\n\r\nhello\r\n",
        "folded-subject": HEAD % 2 + b"Subject: a\r\n" + b" folded line\r\n" * 20_000 + b"\r\nhello\r\n",
        "encoded-words": HEAD % 3 + b"Subject: " + b"=?utf-8?q?abc?= " * 15_000 + b"\r\n\r\nhello\r\n",
        "many-senders": b"From: " + b"a@b.example, " * 4_000 + b"\r\nMessage-ID: <4@x>\r\n\r\nhello\r\n",
        "part-params": HEAD % 5 + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                       b"Content-Type: text/plain; " + b"a=b; " * 20_000 + b"\r\n\r\nhi\r\n--b--\r\n",
    }
    fine = {
        # Many recipients: the reader never has the parser interpret To, so it is read as any message.
        "big-to": HEAD % 6 + b"To: " + b"a@b.example, " * 20_000 + b"\r\nSubject: renewal\r\n\r\nAll good.\r\n",
        "quoted": HEAD % 7 + b"Subject: re\r\n\r\nSee below.\r\n-----Original Message-----\r\nFrom: x@y.example\r\n"
                  b"Subject: renewal\r\n\r\nEarlier text.\r\n",
    }
    folder = maildir(tmp_path, hostile | fine)
    records = list(read(folder))
    bad = {Path(r.source).name.split(":")[0]: r.error for r in records if isinstance(r, BadRecord)}
    assert set(bad) == set(hostile), records
    assert "Subject header" in bad["subject-words"] and "1,000,009 bytes" in bad["subject-words"]
    assert "From header" in bad["many-senders"] and "Content-Type header" in bad["part-params"]
    read_ok = {Path(r.source).name.split(":")[0]: r for r in records if isinstance(r, RawMessage)}
    assert set(read_ok) == set(fine)
    assert read_ok["big-to"].body.strip() == "All good." and read_ok["quoted"].subject == "re"


def test_links_a_pipe_and_a_file_of_nul_bytes_are_named_not_read(tmp_path: Path) -> None:
    folder = maildir(tmp_path, {"ok": HEAD % 1 + b"Subject: hi\r\n\r\nhello\r\n"})
    (folder / "cur" / "loop").symlink_to(folder)  # a folder linking to itself: never entered
    os.mkfifo(folder / "cur" / "pipe")  # opening it would wait for a writer for ever
    (folder / "cur" / "zeros").write_bytes(b"\0" * 100_000)
    records = list(read(folder))
    notices = {Path(r.source).name: r.warning for r in records if isinstance(r, Notice)}
    assert "not a regular file" in notices["pipe"] and "not mail" in notices["zeros"]
    assert [r.subject for r in records if isinstance(r, RawMessage)] == ["hi"]


def test_a_pipe_named_itself_is_refused_at_once(tmp_path: Path) -> None:
    """`pulse ingest pipe.eml`, a FIFO: opening it waited for a writer for ever (before, this thread never ended)."""
    pipe = tmp_path / "pipe.eml"
    os.mkfifo(pipe)
    found: list[list[object]] = []
    reader = threading.Thread(target=lambda: found.append(list(read(pipe))), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert found, "reading a FIFO named on the command line never returned"
    [refused] = found[0]
    assert isinstance(refused, BadRecord) and "not a regular file" in refused.error
