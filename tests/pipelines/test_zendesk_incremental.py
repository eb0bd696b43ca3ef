"""The Zendesk incremental client against a local HTTP server that answers as Zendesk does (fixtures written for
Pulse in the recorded shapes, see tests/fixtures/ingest/zendesk-api/README.md): the cursor followed to
end_of_stream, the same messages as the file reader, 429 with Retry-After, 5xx, a crash and a resume, hostile
answers."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipelines.ingest.fetch import FetchError, FetchLimits, JsonFetcher, checked_base, retry_after
from pipelines.ingest.helpdesk import read_zendesk
from pipelines.ingest.records import BadRecord, Notice, RawMessage, Record
from pipelines.ingest.zendesk_incremental import (
    Page,
    ZendeskError,
    ZendeskLimits,
    ZendeskReader,
    sync,
    zendesk_base,
    zendesk_headers,
)
from tests.zendesk_api import (
    AUDITS_701_NEXT,
    EXPECTED,
    FIRST,
    FIXTURES,
    SECOND,
    Answer,
    Zendesk,
    zendesk_fixture,  # noqa: F401 - the zendesk fixture
)


def fetcher(sleeps: list[float] | None = None, **limits: Any) -> JsonFetcher:
    return JsonFetcher(zendesk_headers("s3cret", "agent@acme.example"),
                       limits=FetchLimits(**{"backoff_s": 1.0, "timeout_s": 10.0, **limits}),
                       sleep=(sleeps if sleeps is not None else []).append)


def messages(pages: list[Page]) -> list[RawMessage]:
    return [r for page in pages for r in page.records if isinstance(r, RawMessage)]


def problems(pages: list[Page]) -> list[Record]:
    return [r for page in pages for r in page.records if not isinstance(r, RawMessage)]


def summary(found: list[RawMessage]) -> dict[str, tuple[bool, str | None, str | None]]:
    assert len(found) == len({m.source_id for m in found}), "a message was given twice"
    return {m.source_id: (m.ours, m.account, m.sender) for m in found}


def test_a_sync_follows_the_cursor_to_end_of_stream_and_joins_as_the_file_reader_does(zendesk: Zendesk) -> None:
    pages = list(sync(fetcher(), zendesk.base, None))
    assert [(p.tickets, p.checkpoint, p.end_of_stream) for p in pages] == [(2, FIRST, False), (1, SECOND, True)]
    assert problems(pages) == []
    assert summary(messages(pages)) == EXPECTED
    thanks = next(m for m in messages(pages) if m.source_id == "zendesk:701:8401")
    assert thanks.occurred_at == datetime(2026, 10, 2, 12, tzinfo=UTC)  # the audit's time
    assert (thanks.subject, thanks.account_name, thanks.kind) == ("Reports time out", "Northwind Logistics", "ticket")
    # the same join as the files: the same messages, only where they were read differs
    files = [m for m in read_zendesk(sorted(FIXTURES.glob("*.json"))) if isinstance(m, RawMessage)]
    assert len(files) == len(messages(pages))
    assert {dataclasses.replace(m, source="") for m in messages(pages)} == {
        dataclasses.replace(m, source="") for m in files}
    first = zendesk.log[0][1]
    assert first == {"start_time": "0", "include": "users,organizations", "exclude_deleted": "true", "per_page": "100"}
    assert zendesk.requests("audits") == ["audits:701:", f"audits:701:{AUDITS_701_NEXT}", "audits:702:", "audits:703:"]
    basic = base64.b64encode(b"agent@acme.example/token:s3cret").decode()
    assert {auth for _, _, auth in zendesk.log} == {f"Basic {basic}"}
    # the next sync starts from the stored cursor, and nothing has changed since
    zendesk.log.clear()
    again = list(sync(fetcher(), zendesk.base, SECOND))
    assert [(p.tickets, p.checkpoint, p.end_of_stream, p.records) for p in again] == [(0, SECOND, True, [])]
    assert zendesk.requests("") == [f"tickets:{SECOND}"]


def test_rate_limits_and_server_failures_are_waited_out_within_their_bounds(zendesk: Zendesk) -> None:
    limited = (429, {"Retry-After": "7", "Content-Type": "application/json"}, b'{"error": "APIRateLimitExceeded"}')
    failed = (503, {"Content-Type": "text/html"}, b"<html>Service Unavailable</html>")
    zendesk.faults = {"tickets:start": [limited], "audits:702:": [(429, {"Retry-After": "2"}, b"")],
                      "audits:703:": [failed, failed]}
    sleeps: list[float] = []
    pages = list(sync(fetcher(sleeps), zendesk.base, None))
    assert summary(messages(pages)) == EXPECTED and problems(pages) == []
    assert sleeps == [7.0, 2.0, 1.0, 2.0]  # Retry-After as given; then backing off 1 s, 2 s
    assert zendesk.requests("tickets") == ["tickets:start", "tickets:start", f"tickets:{FIRST}"]


def test_a_rate_limit_longer_than_the_cap_ends_the_sync_saying_when_to_come_back(zendesk: Zendesk) -> None:
    zendesk.faults = {"tickets:start": [(429, {"Retry-After": "3600"}, b"")]}
    sleeps: list[float] = []
    with pytest.raises(FetchError, match="rate limited .* for 3600 s, longer than the 120 s") as raised:
        list(sync(fetcher(sleeps), zendesk.base, None))
    assert (raised.value.transient, raised.value.retry_after, sleeps) == (True, 3600.0, [])


def test_five_failures_in_a_row_end_the_sync_after_the_bounded_retries(zendesk: Zendesk) -> None:
    zendesk.replaced = {"tickets:start": (502, {}, b"Bad Gateway")}
    sleeps: list[float] = []
    with pytest.raises(FetchError, match=r"the server failed \(HTTP 502\)") as raised:
        list(sync(fetcher(sleeps, retries=3), zendesk.base, None))
    assert raised.value.transient and sleeps == [1.0, 2.0, 4.0] and len(zendesk.log) == 4


def test_a_crash_part_way_resumes_from_the_stored_checkpoint_without_reading_a_page_twice(zendesk: Zendesk) -> None:
    zendesk.replaced = {"audits:703:": (500, {}, b"Internal Server Error")}
    stored: list[str] = []
    checkpoint: str | None = None
    with pytest.raises(FetchError, match="HTTP 500"):
        for page in sync(fetcher(retries=1), zendesk.base, checkpoint):
            stored += [m.source_id for m in messages([page])]  # stored with its checkpoint, in one transaction
            checkpoint = page.checkpoint
    assert checkpoint == FIRST and sorted(stored) == sorted(k for k in EXPECTED if not k.startswith("zendesk:703"))
    zendesk.replaced, zendesk.log = {}, []
    for page in sync(fetcher(), zendesk.base, checkpoint):
        stored += [m.source_id for m in messages([page])]
        checkpoint = page.checkpoint
    assert checkpoint == SECOND
    assert sorted(stored) == sorted(EXPECTED)  # each once
    assert zendesk.requests("") == [f"tickets:{FIRST}", "audits:703:"]  # the first page was not read again


def test_pages_a_call_are_bounded_and_the_next_call_goes_on(zendesk: Zendesk) -> None:
    pages = list(sync(fetcher(), zendesk.base, None, limits=ZendeskLimits(pages=1)))
    assert [(p.checkpoint, p.end_of_stream) for p in pages] == [(FIRST, False)]
    rest = list(sync(fetcher(), zendesk.base, pages[-1].checkpoint, limits=ZendeskLimits(pages=1)))
    assert summary(messages(pages + rest)) == EXPECTED


def _json(text: str) -> Answer:
    return 200, {"Content-Type": "application/json"}, text.encode()


@pytest.mark.parametrize(("answer", "error"), [
    ((200, {}, b"<html><body>Maintenance</body></html>"), r"the answer is not JSON \(Expecting value"),
    ((200, {}, b"\xff\xfe{}"), "the answer is not UTF-8 text"),
    ((200, {}, b"[" * 4_000 + b"]" * 4_000), r"not JSON we read \(nested too deeply\)"),
    (_json('{"tickets": [{"id": ' + "7" * 5000 + "}]}"), r"not JSON we read \(Exceeds the limit \(4300 digits\)"),
    (_json('[{"id": 1}]'), r"JSON but not an object \(list\)"),
    (_json('{"tickets": []}'), "end_of_stream must be true or false, got null"),
    (_json('{"tickets": "all of them", "end_of_stream": true}'), "tickets must be a list, got a string"),
    (_json('{"tickets": [], "end_of_stream": false}'), "end_of_stream is false but there is no after_cursor"),
    (_json('{"tickets": [], "end_of_stream": false, "after_cursor": 12}'), "after_cursor must be a non-empty string"),
    ((200, {}, lambda out: out.write(b'{"tickets": [' + b" " * 50_000 + b"]}")), "more than the 10,000 bytes read"),
    ((200, {}, b'{"tickets": [' + b" " * 50_000 + b"]}"), "50,015 bytes, more than the 10,000 read"),
    ((401, {}, b'{"error": "Couldn\'t authenticate you"}'), r"the credential was refused \(HTTP 401\)"),
    ((302, {"Location": "https://elsewhere.example/steal"}, b""), "redirected .* not followed"),
])
def test_a_hostile_ticket_page_is_a_clear_error(zendesk: Zendesk, answer: Answer, error: str) -> None:
    zendesk.replaced = {"tickets:start": answer}
    with pytest.raises(FetchError, match=error) as raised:
        list(sync(fetcher(max_bytes=10_000), zendesk.base, None))
    assert str(raised.value).startswith(zendesk.base) and not raised.value.transient


def test_a_cursor_that_loops_is_stopped(zendesk: Zendesk) -> None:
    looping = (FIXTURES / "tickets-start.json").read_text()  # its after_cursor is the first page's again
    zendesk.replaced = {f"tickets:{FIRST}": _json(looping)}
    got: list[Page] = []
    with pytest.raises(ZendeskError, match="already read in this sync .a cursor loop"):
        for page in sync(fetcher(), zendesk.base, None):
            got.append(page)
    assert [p.checkpoint for p in got] == [FIRST] and len(zendesk.requests("tickets")) == 2


def test_a_slow_answer_ends_at_the_deadline(zendesk: Zendesk) -> None:
    def drip(out: io.BufferedIOBase) -> None:
        for _ in range(30):
            out.write(b" ")
            out.flush()
            time.sleep(0.1)

    zendesk.replaced = {"tickets:start": (200, {}, drip)}
    started = time.monotonic()
    with pytest.raises(FetchError, match="no complete answer within 1 s"):
        list(sync(fetcher(timeout_s=1.0, retries=0), zendesk.base, None))
    assert time.monotonic() - started < 2.5


def test_a_ticket_whose_audits_cannot_be_read_is_named_and_the_others_are_read(zendesk: Zendesk) -> None:
    zendesk.replaced = {"audits:702:": _json("not json"), "audits:703:": _json('{"audits": {"id": 95}}')}
    pages = list(sync(fetcher(), zendesk.base, None))
    assert summary(messages(pages)) == {k: v for k, v in EXPECTED.items() if k.startswith("zendesk:701")}
    bad = {(r.source.rsplit(" ", 2)[-1], type(r)) for r in problems(pages)}
    assert bad == {("702", BadRecord), ("703", BadRecord)}  # named, and not stood in for by the description
    assert "not JSON" in str(problems(pages)[0]) and "audits must be a list, got an object" in str(problems(pages)[1])


def test_missing_fields_odd_audits_and_too_many_audit_pages_are_reported(zendesk: Zendesk) -> None:
    page = (FIXTURES / "tickets-next.json").read_text()
    zendesk.replaced = {
        f"tickets:{FIRST}": _json(page.replace('"id": 703,', '"id": "703/../../users",', 1)
                                  .replace('"tickets": [', '"tickets": [{"subject": "no id"}, {"id": "\u0663"}, ', 1)),
        "audits:702:": _json('{"audits": [{"id": 1, "ticket_id": 999, "events": []}, {"id": 2, "ticket_id": 702,'
                             ' "events": "none"}], "meta": {"has_more": true, "after_cursor": null}}')}
    pages = list(sync(fetcher(), zendesk.base, None, limits=ZendeskLimits(audit_pages=1)))
    # 701's first page of audits (the limit is one); 702's description, as its one audit's events are unreadable
    assert summary(messages(pages)) == {"zendesk:702:description": EXPECTED["zendesk:702:9101"], **{
        k: v for k, v in EXPECTED.items() if k in ("zendesk:701:8101", "zendesk:701:8201")}}
    found = sorted(f"{type(r).__name__}: {r.error if isinstance(r, BadRecord) else r.warning}"
                   for r in problems(pages) if isinstance(r, BadRecord | Notice))
    assert found == [
        "BadRecord: a ticket id must be a whole number; the ticket was not read",
        "BadRecord: a ticket id must be a whole number; the ticket was not read",  # an Arabic-Indic three too
        "BadRecord: a ticket needs an id",
        "BadRecord: an audit of ticket 999, not 702; not read",
        "BadRecord: events must be a list, got a string",
        "BadRecord: has_more is true but after_cursor is null or already read; the ticket's later audits were not "
        "read",
        "Notice: more than 100 audits; the later ones were not read"]
    assert not any("users" in path for path, _, _ in zendesk.log)  # the odd id never reached a URL


def test_settings_are_checked_before_anything_is_sent() -> None:
    assert zendesk_base("acme-support") == "https://acme-support.zendesk.com"
    for wrong in ("acme.evil.example", "acme/x", "", "-acme"):
        with pytest.raises(ValueError, match="not a Zendesk subdomain"):
            zendesk_base(wrong)
    with pytest.raises(ValueError, match="plain http is allowed only on a loopback"):
        checked_base("http://acme.zendesk.com")
    with pytest.raises(ValueError, match="no query, fragment or credentials"):
        checked_base("https://user:pw@acme.zendesk.com")
    assert zendesk_headers(" oauth-token ") == {"Authorization": "Bearer oauth-token"}
    with pytest.raises(ValueError, match="empty or spans lines"):
        zendesk_headers("a\r\nX-Injected: 1", "agent@acme.example")
    with pytest.raises(ValueError, match="not an e-mail address"):
        zendesk_headers("token", "agent:acme")
    assert retry_after("12") == 12.0 and retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_the_source_reader_steps_a_page_at_a_time_and_keeps_its_cursor(zendesk: Zendesk) -> None:
    config = {"base_url": zendesk.base, "email": "agent@acme.example", "start_time": 1789990000}
    checkpoint: dict[str, Any] = {}
    read: list[str] = []
    for _ in range(5):
        reader = ZendeskReader(config, "s3cret", checkpoint)
        read += [r.source_id for r in reader.records() if isinstance(r, RawMessage)]
        checkpoint = reader.checkpoint  # what the source stores once the step's messages are
        if not reader.more:
            break
    assert checkpoint == {"cursor": SECOND} and sorted(read) == sorted(EXPECTED)
    assert zendesk.requests("tickets") == ["tickets:start", f"tickets:{FIRST}"]
    assert zendesk.log[0][1]["start_time"] == "1789990000"
    assert reader.notes == ["1 changed tickets read in 2 requests"]
    zendesk.replaced = {f"tickets:{SECOND}": (401, {}, b'{"error": "Couldn\'t authenticate you"}')}
    failing = ZendeskReader(config, "wrong", checkpoint)
    with pytest.raises(FetchError, match=r"credential was refused \(HTTP 401\)"):
        list(failing.records())
    assert failing.checkpoint == checkpoint and zendesk.log[-1][2] == "Basic " + base64.b64encode(
        b"agent@acme.example/token:wrong").decode()
    with pytest.raises(ValueError, match="not a Zendesk subdomain"):
        ZendeskReader({"subdomain": "acme.evil.example"}, "token", {})
    assert ZendeskReader({"subdomain": "acme"}, "token", {"cursor": 5}).checkpoint == {}  # not a cursor: start over


REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "helpdesk" / "zendesk"


@pytest.mark.skipif(not (REFERENCE / "incremental-tickets-cursor.json").exists(),
                    reason="the recorded Zendesk responses (../shared/reference/helpdesk/zendesk) are not here")
def test_the_recorded_real_responses_read_as_their_files_do(zendesk: Zendesk) -> None:
    """Served as Zendesk served them (read here, never copied: they are GPL-3.0): the 87 tickets of the cursor
    export, and each ticket's audits taken from the recorded audit listing."""
    page = json.loads((REFERENCE / "incremental-tickets-cursor.json").read_text())
    audits: dict[str, list[Any]] = {}
    for audit in json.loads((REFERENCE / "ticket-audits.json").read_text())["audits"]:
        audits.setdefault(str(audit["ticket_id"]), []).append(audit)
    zendesk.replaced = {"tickets:start": _json(json.dumps(page)), **{
        f"audits:{t['id']}:": _json(json.dumps({"audits": audits.get(str(t["id"]), []), "meta": {"has_more": False}}))
        for t in page["tickets"]}}
    pages = list(sync(fetcher(), zendesk.base, None))
    assert [(p.tickets, p.end_of_stream, p.checkpoint) for p in pages] == [(87, True, page["after_cursor"])]
    assert problems(pages) == [] and len(zendesk.log) == 88
    files = [m for m in read_zendesk([REFERENCE / "incremental-tickets-cursor.json", REFERENCE / "ticket-audits.json"])
             if isinstance(m, RawMessage)]
    assert {dataclasses.replace(m, source="") for m in messages(pages)} == {
        dataclasses.replace(m, source="") for m in files}
    assert (len(files), sum(not m.ours for m in files)) == (89, 85)
