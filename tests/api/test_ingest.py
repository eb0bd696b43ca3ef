"""`pulse ingest`: real-shaped mail and exports in, cleaned and scored, nothing lost, nothing twice."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session, col, select
from typer.testing import CliRunner

from api.cli import app
from api.db import make_engine
from api.interactions.models import Interaction
from api.suggestions.models import Scope, Suggestion
from pipelines.ingest.readers import BadRecord, RawMessage, read

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
runner = CliRunner()


def test_readers_parse_mail_archives_and_exports() -> None:
    mail = list(read(FIXTURES / "mail"))
    assert len(mail) == 6 and not [r for r in mail if isinstance(r, BadRecord)]
    # An unreadable Date no longer loses the message: the file's time stands in, and the message says so.
    undated = next(r for r in mail if isinstance(r, RawMessage) and r.source_id == "<broken-6@northwind.example>")
    assert undated.date_source == "file" and undated.occurred_at is not None
    html = next(r for r in mail if isinstance(r, RawMessage) and r.source_id == "<export-1@northwind.example>")
    assert html.sender == "ana.souza@northwind.example" and html.sender_domain == "northwind.example"
    assert html.occurred_at is not None and html.occurred_at.utcoffset() is not None
    assert [r.source_id for r in read(FIXTURES / "archive.mbox") if isinstance(r, RawMessage)] == [
        "<renewal-1@bluefin.example>", "<invoice-2@bluefin.example>"]
    rows = list(read(FIXTURES / "export.jsonl"))
    assert [r.error for r in rows if isinstance(r, BadRecord)] == [
        "not valid JSON (Invalid control character) at column 54",
        "occurred_at must be an ISO 8601 date-time, got 'last week'"]
    assert [(r.source, r.error) for r in read(FIXTURES / "export.csv") if isinstance(r, BadRecord)] == [
        (f"{FIXTURES / 'export.csv'}:3", "text is empty")]
    assert isinstance(next(read(FIXTURES / "nope.mbox")), BadRecord)


def test_ingest_stores_cleaned_customer_text_reports_the_rest_and_is_idempotent(database: str,
                                                                                  tmp_path: Path) -> None:
    report = tmp_path / "unmatched.jsonl"
    args = ["ingest", str(FIXTURES / "mail"), str(FIXTURES / "archive.mbox"), str(FIXTURES / "export.jsonl"),
            str(FIXTURES / "export.csv"), "--report", str(report), "--db", database]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert {k: summary.get(k, 0) for k in ("read", "created", "already_present", "unmatched", "ours_skipped",
                                           "errors")} == {
        "read": 16, "created": 10, "already_present": 0, "unmatched": 2, "ours_skipped": 1, "errors": 3}
    assert summary["matched_by"] == {"domain": 6, "external_id": 4}
    assert "export.csv:3: text is empty" in first.output  # errors name their source
    unmatched = [json.loads(line) for line in report.read_text().splitlines()]
    assert {u["source_id"] for u in unmatched} == {"<hello-5@unknown-company.example>", "t-5"}
    assert all(u["reason"] for u in unmatched)

    engine = make_engine(database)
    with Session(engine) as session:
        stored = {i.external_id: i for i in session.exec(select(Interaction).order_by(col(Interaction.id)))}
    engine.dispose()
    html = stored["<export-1@northwind.example>"]
    assert html.body == ("The nightly export failed again and our finance close is blocked.\n\n"
                         "Nobody has answered our ticket since Monday — this is not acceptable.")
    assert html.author == "ana.souza@northwind.example" and html.subject == "Re: Export failures"
    assert stored["<training-2@northwind.example>"].body == (
        "Could we schedule a training session for five new team members joining in May?\n\nThanks,\nBen")
    assert stored["<merci-3@bluefin.example>"].body.startswith("Merci beaucoup pour la correction rapide")
    assert "a écrit" not in stored["<merci-3@bluefin.example>"].body
    assert stored["t-1"].kind == "ticket" and stored["c-1"].kind == "call_note"
    assert "<agent-4@pulse-vendor.example>" not in stored

    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    repeat = json.loads(again.stdout.strip().splitlines()[-1])
    assert repeat.get("created", 0) == 0 and repeat["already_present"] == 10


def test_ingest_refuses_an_unknown_match_method(database: str) -> None:
    result = runner.invoke(app, ["ingest", str(FIXTURES / "export.csv"), "--match", "crm", "--db", database])
    assert result.exit_code == 2 and "--match takes external_id, name and/or domain" in result.output


def test_help_desk_exports_keep_customer_words_and_mark_agents_as_ours(database: str, tmp_path: Path) -> None:
    helpdesk = FIXTURES / "helpdesk"
    zendesk = list(read(helpdesk / "zendesk.json", "zendesk"))
    customer = [r for r in zendesk if isinstance(r, RawMessage) and not r.ours]
    assert [r.source_id for r in customer] == ["zendesk:501:1", "zendesk:501:4"]
    assert [r.source_id for r in zendesk if isinstance(r, RawMessage) and r.ours] == ["zendesk:501:2",
                                                                                    "zendesk:501:3"]
    assert sorted(r.error for r in zendesk if isinstance(r, BadRecord)) == ["a ticket needs an id",
                                                                           "the comment has no body"]
    intercom = [r for r in read(helpdesk / "intercom.json", "intercom") if isinstance(r, RawMessage)]
    assert [(r.source_id, r.ours) for r in intercom] == [("intercom:c-77:source", False), ("intercom:c-77:p1", True),
                                                         ("intercom:c-77:p3", False)]
    freshdesk = list(read(helpdesk / "freshdesk.csv", "freshdesk"))
    assert [type(r).__name__ for r in freshdesk] == ["RawMessage", "BadRecord"]

    args = ["ingest", "--db", database, "--report", str(tmp_path / "u.jsonl")]
    for name, fmt in (("zendesk.json", "zendesk"), ("intercom.json", "intercom"), ("freshdesk.csv", "freshdesk")):
        result = runner.invoke(app, [*args, str(helpdesk / name), "--format", fmt])
        assert result.exit_code == 0, result.output
    engine = make_engine(database)
    with Session(engine) as session:
        stored = {i.external_id: i for i in session.exec(select(Interaction))}
    engine.dispose()
    assert set(stored) == {"zendesk:501:1", "zendesk:501:4", "intercom:c-77:source", "intercom:c-77:p3",
                           "freshdesk:901"}
    assert stored["zendesk:501:4"].body == "Thanks, it works again. Great response time."
    assert stored["intercom:c-77:p3"].kind == "chat" and stored["freshdesk:901"].kind == "ticket"


def test_ingested_text_is_rolled_up_by_pulse_worker(database: str, tmp_path: Path) -> None:
    args = ["ingest", str(FIXTURES / "mail"), str(FIXTURES / "archive.mbox"), "--report", str(tmp_path / "u.jsonl"),
            "--db", database]
    assert runner.invoke(app, args).exit_code == 0
    waiting = runner.invoke(app, ["jobs", "--db", database])
    assert json.loads(waiting.stdout) == {"rollup": {"pending": 2}}  # one per account, however many messages
    worked = runner.invoke(app, ["worker", "--once", "--db", database])
    assert worked.exit_code == 0, worked.output
    assert "2 job(s) run" in worked.output
    assert json.loads(runner.invoke(app, ["jobs", "--db", database]).stdout) == {"rollup": {"done": 2}}
    engine = make_engine(database)
    with Session(engine) as session:
        rollups = session.exec(select(Suggestion).where(Suggestion.scope == Scope.ACCOUNT)).all()
    engine.dispose()
    assert len(rollups) == 2 and all(r.explanation for r in rollups)
    # Everything is scored by the active version already: a backfill finds nothing to do.
    backfill = runner.invoke(app, ["backfill", "--db", database])
    assert backfill.exit_code == 0 and "0 interaction(s) queued" in backfill.output


def test_bench_ingest_stores_every_generated_message_and_accounts_for_each_stage(tiny_model: Path,
                                                                                 tmp_path: Path) -> None:
    from api.config import Settings
    from api.lab.offline.bench_ingest import run

    settings = Settings(model_dir=tiny_model, database_url="sqlite://", log_format="text")
    result = run(tmp_path, 300, settings, accounts=20)
    assert result["outcomes"]["read"] == 300 and result["outcomes"]["created"] == 300
    assert result["outcomes"]["matched_by"] == {"domain": 90, "external_id": 210}  # the mbox is 30%
    assert set(result["stage_share"]) == {"parse", "match", "clean", "score", "store"}
    assert abs(sum(result["stage_share"].values()) - 1) < 0.01 and result["messages_per_s"] > 0
    engine = make_engine(f"sqlite:///{tmp_path / 'bench-ingest.db'}")
    with Session(engine) as session:
        bodies = [i.body for i in session.exec(select(Interaction))]
        scored = session.exec(select(Suggestion).where(Suggestion.scope == Scope.INTERACTION)).all()
    engine.dispose()
    # Signatures, quoted replies and markup of the generated mail are gone before storage.
    assert len(bodies) == 300 and len(scored) == 300
    assert not any("Head of Operations" in b or "wrote:" in b or "<p>" in b for b in bodies)


def eml(path: Path, message_id: str, body: str, date: str = "Tue, 04 Mar 2025 10:02:00 +0000") -> None:
    path.write_text(f"From: Ana Souza <ana@northwind.example>\nTo: support@pulse-vendor.example\n"
                    f"Subject: Export\nDate: {date}\nMessage-ID: {message_id}\n"
                    f"Content-Type: text/plain; charset=utf-8\n\n{body}\n", encoding="utf-8")


def test_an_empty_an_oversized_or_a_future_dated_mail_never_stops_the_run(database: str, tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    eml(folder / "1-empty.eml", "<empty@northwind.example>", "")
    huge = "\n".join(f"Line {n}: the nightly export failed again and the finance team is blocked."
                     for n in range(4000))
    eml(folder / "2-huge.eml", "<huge@northwind.example>", huge)  # about 290,000 characters
    eml(folder / "3-future.eml", "<future@northwind.example>", "Hello from the future.",
        "Tue, 04 Mar 2092 10:02:00 +0000")
    eml(folder / "4-fine.eml", "<fine@northwind.example>", "The new dashboards are great, thank you.")
    result = runner.invoke(app, ["ingest", str(folder), "--db", database, "--report", str(tmp_path / "u.jsonl")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["read"] == 4 and summary.get("created") == 2, summary
    assert summary.get("empty_after_cleaning") == 1 and summary.get("errors") == 1
    assert "3-future.eml" in summary["errors_shown"][0]["source"]
    assert "occurred_at" in summary["errors_shown"][0]["error"]
    engine = make_engine(database)
    with Session(engine) as session:
        stored = {i.external_id: i for i in session.exec(select(Interaction))}
    engine.dispose()
    assert set(stored) == {"<huge@northwind.example>", "<fine@northwind.example>"}
    kept = stored["<huge@northwind.example>"].body
    assert 100_000 < len(kept) <= 200_000 and kept.startswith("Line 0:") and kept.endswith("blocked.")
