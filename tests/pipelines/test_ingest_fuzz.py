"""A bounded fuzz of every reader: mutated real-shaped inputs end as messages or errors, never as an exception.

The seeds are the ingest fixtures (mail, Maildir, mbox, CSV, JSONL, and Zendesk, Intercom and Freshdesk
shapes written for Pulse after `../shared/reference/helpdesk/`). The run is fixed: one seed and a count of
mutations, so a failure names the mutation that caused it and repeats.
"""

from __future__ import annotations

import json
import random
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.ingest.readers import BadRecord, Notice, RawMessage, read_all
from pipelines.ingest.records import MAX_CELL

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
SEED = 25
MUTATIONS = 420  # documents in all; about 10 s on two cores

# (fixture file or folder, format); a folder is copied whole and one of its files mutated.
SEEDS: list[tuple[str, str | None]] = [
    ("mail/01-html-reply.eml", "eml"), ("mail/03-french.eml", "eml"), ("real-mail/broken-boundary.eml", "eml"),
    ("real-mail/unknown-charset.eml", "eml"), ("real-mail/mailman.eml", "eml"), ("real-mail/maildir", "eml"),
    ("archive.mbox", "mbox"), ("export.csv", "csv"), ("export.jsonl", "jsonl"),
    ("helpdesk/zendesk.json", "zendesk"), ("helpdesk/zendesk-export", "zendesk"),
    ("fuzz-seeds/zendesk-incremental.json", "zendesk"), ("helpdesk/intercom.json", "intercom"),
    ("helpdesk/intercom-streams", "intercom"), ("fuzz-seeds/intercom-conversation.json", "intercom"),
    ("helpdesk/freshdesk-api", "freshdesk"), ("fuzz-seeds/freshdesk-ticket.json", "freshdesk"),
    ("helpdesk/freshdesk-export.csv", "freshdesk"), ("helpdesk/freshdesk.csv", "freshdesk"),
]
DEEP = "\x00deep\x00"  # a marker string, replaced by nesting after serialising (json.dumps itself would recurse)


def hostile_values(rng: random.Random) -> list[Any]:
    """JSON values of every type, and the texts that have broken readers: huge, NUL, lone surrogates, markup."""
    return ["", "x", 0, -1, 2**70, 1.5e308, True, False, None, [], {}, [None], {"": {}}, ["a", 5], {"id": {}},
            DEEP, "\x00", "\ud800", "a\udfff\x00b", "x" * rng.choice([131_073, 250_000]), "(" * 5000, "<",
            "[/]", "=?utf-8?b?////?=", "1970-01-01T00:00:00+99:00", "9999-12-31T23:59:59Z", float("nan")]


def paths_of(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a parsed JSON document, as a path of keys and indexes."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_of(item, (*path, index))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    holder = document
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return document


def dumped(document: Any, rng: random.Random) -> str:
    depth = rng.choice([1100, 5000])
    return json.dumps(document).replace(json.dumps(DEEP), "[" * depth + "]" * depth)


def mutate_json(text: str, rng: random.Random) -> str:
    """A value of the document (or of one line of a JSONL stream) replaced by a hostile one."""
    lines = text.splitlines()
    try:
        document = json.loads(text)
        values: list[tuple[int | None, Any]] = [(None, document)]
    except json.JSONDecodeError:
        values = []
        for number, line in enumerate(lines):
            try:
                values.append((number, json.loads(line)))
            except json.JSONDecodeError:
                continue
    if not values:
        return mutate_bytes(text.encode(), rng).decode("utf-8", "surrogateescape")
    index, document = rng.choice(values)
    for _ in range(rng.randint(1, 3)):
        document = replaced(document, rng.choice(paths_of(document)), rng.choice(hostile_values(rng)))
    if index is None:
        return dumped(document, rng)
    lines[index] = dumped(document, rng)
    return "\n".join(lines)


def mutate_mail(text: str, rng: random.Random) -> str:
    """A header's value replaced by a hostile one, or the message wrapped in deeply nested multiparts."""
    if rng.random() < 0.15:
        depth = rng.choice([200, 1200])
        opening = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth))
        return "From: a@northwind.example\nMIME-Version: 1.0\n" + opening + text
    header = rng.choice(["From", "Message-ID", "Date", "Subject", "Content-Type", "Content-Transfer-Encoding",
                         "Received", "To"])
    value = rng.choice(["<", "(" * 5000, "\x00", '"' * 3000, "=?x-unknown?q?=FF?=", "multipart/mixed; boundary=",
                        "text/plain; charset=utf-999", "base64", "<" + "@" * 4000 + ">", "a" * 100_000,
                        "Thu, 32 Foo 99999 25:61:61 +9999", "\ud800", ", ".join(["x@y"] * 2000)])
    head, _, body = text.partition("\n\n")
    kept = [line for line in head.splitlines() if not line.lower().startswith(header.lower() + ":")]
    return "\n".join([*kept, f"{header}: {value}"]) + "\n\n" + body


def mutate_csv(text: str, rng: random.Random) -> str:
    """A cell replaced by a hostile one: too long for the csv module, unbalanced quotes, NUL, empty."""
    lines = text.splitlines()
    index = rng.randrange(len(lines))
    cells = lines[index].split(",")
    cell = rng.randrange(len(cells))
    cells[cell] = rng.choice(['"' + "x" * 140_000 + '"', '"unclosed', "\x00", "", '"a""b', "\r", "\ud800",
                              "=HYPERLINK(1)", "x" * 131_073])
    lines[index] = ",".join(cells)
    return "\n".join(lines)


def mutate_bytes(raw: bytes, rng: random.Random) -> bytes:
    """Truncated, or with NUL, invalid UTF-8 or a repeated slice inserted."""
    at = rng.randrange(len(raw) + 1)
    choice = rng.randrange(4)
    if choice == 0:
        return raw[:at]
    if choice == 1:
        return raw[:at] + b"\x00" + raw[at:]
    if choice == 2:
        return raw[:at] + bytes(rng.randrange(256) for _ in range(8)) + raw[at:]
    return raw[:at] + raw[at: at + 200] * 50 + raw[at:]


def mutated(file: Path, rng: random.Random) -> None:
    raw = file.read_bytes()
    if rng.random() < 0.3 or not raw:
        file.write_bytes(mutate_bytes(raw, rng))
        return
    text = raw.decode("utf-8", "surrogateescape")
    suffix = file.suffix.lower()
    if suffix in (".json", ".jsonl"):
        text = mutate_json(text, rng)
    elif suffix == ".csv":
        text = mutate_csv(text, rng)
    else:
        text = mutate_mail(text, rng)
    file.write_bytes(text.encode("utf-8", "surrogatepass"))


def well_formed(record: object) -> bool:
    if isinstance(record, BadRecord | Notice):
        return isinstance(record.source, str) and isinstance(getattr(record, "error", getattr(record, "warning", "")),
                                                              str)
    if not isinstance(record, RawMessage):
        return False
    texts = (record.account, record.sender, record.subject, record.account_name)
    return (isinstance(record.source, str) and isinstance(record.source_id, str) and bool(record.source_id)
            and isinstance(record.body, str) and all(t is None or isinstance(t, str) for t in texts)
            and (record.occurred_at is None or isinstance(record.occurred_at, datetime)
                 and record.occurred_at.utcoffset() is not None))


def test_mutated_real_shapes_never_escape_a_reader(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    escaped = []
    for number in range(MUTATIONS):
        seed, fmt = SEEDS[number % len(SEEDS)]
        original = FIXTURES / seed
        copy = tmp_path / str(number) / original.name
        if original.is_dir():
            shutil.copytree(original, copy)
            mutated(rng.choice(sorted(p for p in copy.rglob("*") if p.is_file())), rng)
        else:
            copy.parent.mkdir()
            shutil.copy(original, copy)
            mutated(copy, rng)
        try:
            records = list(read_all([copy], fmt))
        except Exception as error:  # collected, to name every mutation that escaped
            escaped.append(f"mutation {number} of {seed}: {type(error).__name__}: {str(error)[:200]}")
            continue
        bad = [r for r in records if not well_formed(r)]
        if bad:
            escaped.append(f"mutation {number} of {seed}: a record of the wrong shape: {str(bad[0])[:200]}")
        shutil.rmtree(tmp_path / str(number))
    assert not escaped, "\n".join(escaped)


def test_a_csv_cell_beyond_the_limit_in_any_csv_reader_is_an_error_for_its_row(tmp_path: Path) -> None:
    for seed, fmt in [("export.csv", "csv"), ("helpdesk/freshdesk-export.csv", "freshdesk")]:
        lines = (FIXTURES / seed).read_text(encoding="utf-8-sig").splitlines()
        copy = tmp_path / Path(seed).name
        copy.write_text("\n".join([lines[0], lines[1].replace(",", ',"' + "x" * (MAX_CELL + 1) + '",', 1),
                                   *lines[2:], lines[1]]) + "\n")
        records = list(read_all([copy], fmt))
        assert [r.source for r in records if isinstance(r, BadRecord)][:1] == [f"{copy}:2"]
        assert any(isinstance(r, RawMessage) for r in records)
