"""`pulse signals import`: risk signals from another system's CSV export, row by row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlmodel import col, select

from api.accounts.models import Account
from api.cli.common import DbOption, app, database, err, fail, prepare_database, settings_for, shown
from api.errors import describe_validation_error
from api.hostile import bad_field, refusal
from api.intake.ingest import ingest_user
from api.signals import service as signals
from api.signals.models import SignalCreate
from pipelines.ingest.records import BadRecord, csv_rows

signals_app = typer.Typer(help="Record risk signals (open risk tasks, at-risk opportunities, usage, NPS).",
                          no_args_is_help=True)
app.add_typer(signals_app, name="signals")
COLUMNS = ("account", "kind", "value", "source", "observed_at")


@signals_app.command("import")
def import_signals(path: Annotated[Path, typer.Argument(help="CSV: account (external id), kind, value, source, "
                                                             "observed_at (ISO 8601), optionally at_risk")],
                   dry_run: Annotated[bool, typer.Option("--dry-run", help="check every row, store nothing")] = False,
                   db: DbOption = None) -> None:
    """Import signals; a bad row is reported with its line and never stops the rest."""
    settings = settings_for(db)
    prepare_database(settings)
    if not path.is_file():
        raise fail(f"{path}: no such file")
    report: dict[str, Any] = {"read": 0, "created": 0, "errors": 0, "errors_shown": []}
    with database(settings) as session:
        by_external: dict[str, list[Account]] = {}
        for account in session.exec(select(Account).where(col(Account.external_id).is_not(None))):
            by_external.setdefault(account.external_id or "", []).append(account)
        user = None if dry_run else ingest_user(session)  # recorded as made by the import service user
        for item in csv_rows(path, COLUMNS):
            if isinstance(item, BadRecord) and _line(item.source) in (None, 1):
                raise fail(f"{item.source}: {item.error}")  # an unreadable file or header: nothing to import
            report["read"] += 1
            checked = item.error if isinstance(item, BadRecord) else _checked(item[1], by_external)
            if isinstance(checked, str):
                report["errors"] += 1
                if len(report["errors_shown"]) < 20:
                    source = item.source if isinstance(item, BadRecord) else item[0]
                    report["errors_shown"].append({"line": _line(source), "error": _short(checked)})
                continue
            account, data = checked
            if user is not None:
                session.add(signals.build(account.id or 0, data, user))
            report["would_create" if dry_run else "created"] = report.get("would_create" if dry_run else "created",
                                                                          0) + 1
    for problem in report["errors_shown"]:
        err.print(f"[yellow]skipped[/] {shown(str(path))}:{problem['line']}: {shown(problem['error'])}",
                  highlight=False)
    print(json.dumps({"dry_run": dry_run, **report}))


def _checked(row: dict[str, str | None], by_external: dict[str, list[Account]]) -> tuple[Account, SignalCreate] | str:
    """A row's account and signal, checked as the API checks a body (the same middleware rule and schema),
    or why it cannot be stored."""
    cells = ((name, text) for name, text in row.items() if isinstance(name, str) and isinstance(text, str))
    refused = bad_field(cells)
    if refused is not None:  # no database text holds a NUL: PostgreSQL would fail the whole import
        return refusal(refused)
    found = by_external.get((row.get("account") or "").strip(), [])
    if len(found) != 1:
        return (f"account {row.get('account')!r} matches no account" if not found else
                f"account {row.get('account')!r} matches {len(found)} accounts")
    try:
        return found[0], SignalCreate.model_validate({
            "kind": (row.get("kind") or "").strip(), "value": row.get("value"),
            "source": (row.get("source") or "").strip(), "observed_at": row.get("observed_at"),
            "at_risk": (row.get("at_risk") or "").strip() or None})
    except ValidationError as error:
        return "; ".join(describe_validation_error(dict(e))["message"] for e in error.errors())


def _line(source: str) -> int | None:
    """The line a "file:line" source names; None for a whole file."""
    _, _, line = source.rpartition(":")
    return int(line) if line.isdigit() else None


def _short(problem: str, limit: int = 300) -> str:
    """A problem as shown: an error quoting a cell of 100,000 characters shows its start."""
    return problem if len(problem) <= limit else problem[:limit - 1] + "…"
