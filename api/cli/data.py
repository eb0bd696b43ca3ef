"""Customer text and labels in and out: ingest, score, backfill, export, erase, jobs."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import (
    DbOption,
    app,
    database,
    err,
    fail,
    load_model,
    prepare_database,
    progress_bar,
    safe_url,
    settings_for,
    shown,
)
from api.db import make_engine
from api.errors import PulseError
from api.ids import MAX_ID
from api.model_versions import resolve
from api.model_versions.holder import ModelHolder


class IngestFormat(StrEnum):
    """Formats `pulse ingest` reads."""

    EML = "eml"
    MBOX = "mbox"
    JSONL = "jsonl"
    CSV = "csv"
    ZENDESK = "zendesk"
    INTERCOM = "intercom"
    FRESHDESK = "freshdesk"


@app.command()
def ingest(paths: Annotated[list[Path], typer.Argument(help="mail files, mail folders (read whole: Maildir, MH, "
                                                           "notmuch, mu, .eml), .mbox, .jsonl, .csv, or help-desk "
                                                           "JSON files or folders")],
           format: Annotated[IngestFormat | None, typer.Option("--format", help="default: from each name")] = None,
           match: Annotated[str, typer.Option(help="how to find the account, in order: external_id, name, domain")
                            ] = "external_id,name,domain",
           account_map: Annotated[Path | None, typer.Option(
               "--account-map", help="CSV `key,account`: a help-desk key (zendesk:organization:361) to the "
                                     "account's external id")] = None,
           dry_run: Annotated[bool, typer.Option("--dry-run", help="read, match and clean; store nothing, "
                                                                   "print the report")] = False,
           team: Annotated[str | None, typer.Option(help="only accounts of this team")] = None,
           report: Annotated[Path, typer.Option(help="where unmatched messages are listed (JSONL)")] = Path(
               "ingest-unmatched.jsonl"),
           warnings: Annotated[Path | None, typer.Option(
               help="where every warning is listed (JSONL), files not read among them; default: "
                    "ingest-warnings.jsonl beside --report")] = None,
           explain: Annotated[bool, typer.Option("--explain/--no-explain",
                                                 help="find each message's evidence sentences (4x the scoring work)")
                              ] = True,
           batch_size: Annotated[int, typer.Option(min=1, max=1024, help="messages per model call and commit")] = 64,
           db: DbOption = None) -> None:
    """Read customer messages, match them to accounts, clean, score and store them; re-running changes nothing."""
    from api.intake.ingest import ingest as run_ingest
    from pipelines.ingest.readers import read_all

    order = [m.strip() for m in match.split(",") if m.strip()]
    unknown = [m for m in order if m not in ("external_id", "name", "domain")]
    if unknown or not order:
        raise fail(f"--match takes external_id, name and/or domain, comma-separated; got {match!r}")
    mapping = read_account_map(account_map) if account_map else None
    listed = warnings or report.with_name("ingest-warnings.jsonl")
    for target, option in ((report, "--report"), (listed, "--warnings")):
        if not target.parent.is_dir():  # said before the run, not after it
            raise fail(f"{option} {target}: no such folder {target.parent}")
    settings = settings_for(db)
    prepare_database(settings)
    with database(settings) as session, progress_bar() as bar:
        task = bar.add_task("checking (dry run)" if dry_run else "ingesting", total=None)
        records = read_all(paths, format.value if format else None)
        classifier = None if dry_run else ModelHolder(settings.serving()).active(session)
        result = run_ingest(session=session, records=records, classifier=classifier, settings=settings,
                            match_order=order, team=team, progress=lambda: bar.advance(task),
                            batch_size=batch_size, explained=explain, account_map=mapping, dry_run=dry_run)
    written = write_lines(report, result.unmatched, f"{len(result.unmatched)} unmatched message(s)")
    for problem in result.errors[:20]:
        err.print(f"[yellow]skipped[/] {shown(problem['source'])}: {shown(problem['error'])}", highlight=False)
    for notice in result.warnings[:20]:
        err.print(f"[yellow]warning[/] {shown(notice['source'])}: {shown(notice['warning'])}", highlight=False)
    written &= write_lines(listed, result.warnings, f"{len(result.warnings)} warning(s), {result.files_not_read} "
                                                    "file(s) not read,")
    print(json.dumps({"dry_run": dry_run, **result.summary()}))
    if not written:
        raise typer.Exit(1)


def write_lines(path: Path, rows: list[dict[str, Any]], what: str) -> bool:
    """Rows as JSON lines in a file, where there are any, said on stderr; False (said too) where it cannot be
    written."""
    if not rows:
        return True
    try:
        with path.open("w") as handle:
            for row in rows:
                handle.write(json.dumps(row) + "\n")
    except OSError as error:
        err.print(f"[bold red]error:[/] {what} could not be listed in {path}: {error.strerror or error}",
                  highlight=False)
        return False
    err.print(f"{what} listed in {path}", highlight=False)
    return True


def read_account_map(path: Path) -> dict[str, str]:
    """`key,account` rows: the key a help-desk export gives an organisation, and the account's external id."""
    import csv

    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not {"key", "account"} <= set(reader.fieldnames or []):
                raise fail(f"{path}: an account map needs the columns key and account; found "
                           f"{', '.join(reader.fieldnames or []) or 'no header'}")
            return {row["key"].strip(): row["account"].strip() for row in reader
                    if row.get("key") and row.get("account")}
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"{path}: cannot read the account map ({error})") from None


@app.command()
def score(input: Annotated[Path, typer.Option("--input", help="CSV with a `text` column")],
          output: Annotated[Path, typer.Option("--output", help="CSV to write")],
          model: Annotated[str | None, typer.Option(help="artifact directory or version; default: active")] = None,
          batch_size: Annotated[int, typer.Option(min=1, max=4096)] = 64, db: DbOption = None) -> None:
    """Batch-score a CSV, adding label, p_red, p_yellow, p_green and model_version."""
    from pipelines.score import ScoreInputError, count_rows, score_csv

    settings = settings_for(db)
    classifier = load_model(model, settings)
    try:
        total = count_rows(input) if input.is_file() else 0
        with progress_bar() as bar:
            task = bar.add_task(f"scoring {input.name}", total=total)
            counts = score_csv(classifier, input, output, batch_size,
                               progress=lambda n: bar.advance(task, n))
    except ScoreInputError as error:
        raise fail(str(error)) from error
    err.print(f"wrote {output}: {counts['scored']} rows scored by {classifier.version}"
              + (f", {counts['empty']} rows without text left blank" if counts["empty"] else "")
              + (f"; {counts['unreadable']} rows not readable as CSV (a cell over 10,000,000 characters), left out: "
                 f"lines {', '.join(map(str, counts['unreadable_lines']))}" if counts["unreadable"] else ""),
              highlight=False)


@app.command()
def backfill(model: Annotated[str | None, typer.Option(help="version to score with; default: the active one")] = None,
             chunk: Annotated[int, typer.Option(min=1, max=5000, help="interactions per job")] = 256,
             db: DbOption = None) -> None:
    """Queue scoring of every interaction the version has not scored yet; workers do the scoring."""
    from api.intake.backfill import enqueue_backfill

    settings = settings_for(db)
    version = resolve.registered_version(model, settings.database_url)
    if version is None:
        raise fail("no model version is active; name one with --model")
    with database(settings) as session:
        queued = enqueue_backfill(session, version=version.version, chunk=chunk)
    err.print(f"{queued} interaction(s) queued for scoring with {version.version} "
              f"in {-(-queued // chunk)} job(s); run `pulse worker` to score them", highlight=False)


@app.command("export-labels")
def export_labels(out: Annotated[Path, typer.Option("--out", help="file to write (- for standard output)")],
                  format: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
                  team: Annotated[str | None, typer.Option(help="only this team's decisions")] = None,
                  db: DbOption = None) -> None:
    """Write confirmed labels with their provenance (near duplicates collapsed; CSV safe from formulas)."""
    from api.exports import service as exports

    if format not in ("jsonl", "csv"):
        raise fail(f"--format takes jsonl or csv, got {format!r}")
    settings = settings_for(db)
    with database(settings) as session:
        rows = exports.confirmed(session=session, team=team)
    chunks = exports.as_csv(rows) if format == "csv" else exports.as_jsonl(rows)
    if str(out) == "-":
        for chunk in chunks:
            sys.stdout.write(chunk)
    else:
        partial = out.with_name(out.name + ".partial")
        with partial.open("w", newline="", encoding="utf-8") as handle:
            handle.writelines(chunks)
        partial.replace(out)  # the file appears only when complete
    err.print(f"{len(rows)} confirmed label(s) written to {out}", highlight=False)


@app.command()
def erase(account: Annotated[int, typer.Option("--account", min=1, max=MAX_ID,
                                               help="the account id whose texts are erased")],
          yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
          db: DbOption = None) -> None:
    """Erase an account's customer texts everywhere (the decision counts stay); this cannot be undone."""
    from api.privacy.service import erase_account

    settings = settings_for(db)
    if not yes and not typer.confirm(f"Erase every text of account {account} in {safe_url(settings.database_url)}?"):
        raise fail("nothing erased", code=1)
    engine = make_engine(settings.database_url)
    try:
        result = erase_account(engine, account)
    except PulseError as error:
        raise fail(str(error)) from error
    print(json.dumps(result.__dict__))


@app.command("jobs")
def jobs_command(db: DbOption = None) -> None:
    """Count background jobs by kind and status."""
    from api.jobs import service as jobs

    settings = settings_for(db)
    with database(settings) as session:
        print(json.dumps(jobs.counts(session), sort_keys=True))
