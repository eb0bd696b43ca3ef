"""`pulse sources`: mailboxes and help desks the worker keeps up with by itself."""

from __future__ import annotations

import json
import os
import socket
from enum import StrEnum
from typing import Annotated, Any

import typer

from api.cli.common import DbOption, OutputFormat, app, database, err, fail, prepare_database, settings_for, shown
from api.db import make_engine, migrate
from api.ids import MAX_ID

sources_app = typer.Typer(help="Mailboxes and help desks the worker reads new customer text from by itself.",
                          no_args_is_help=True)
app.add_typer(sources_app, name="sources")

IdArgument = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="the id `pulse sources list` shows")]


class SourceKindOption(StrEnum):
    """Kinds of source `pulse sources add` makes."""

    IMAP = "imap"
    ZENDESK = "zendesk"


@sources_app.command("add")
def sources_add(kind: Annotated[SourceKindOption, typer.Argument(help="imap or zendesk")],
                team: Annotated[str, typer.Option(help="its messages are matched to this team's accounts")],
                url: Annotated[str | None, typer.Option(help="imap: imaps://user@host[:port]/FOLDER (TLS), or "
                                                             "imap://… (STARTTLS)")] = None,
                password_env: Annotated[str | None, typer.Option(
                    "--password-env", help="the environment variable that holds the password (its name is stored, "
                                           "never the password)")] = None,
                oauth2_token_env: Annotated[str | None, typer.Option(
                    "--oauth2-token-env", help="the environment variable that holds an OAuth2 access token "
                                               "(XOAUTH2)")] = None,
                tls: Annotated[str | None, typer.Option(help="tls, starttls, or none (loopback only); default from "
                                                             "the URL's scheme")] = None,
                ca_file: Annotated[str | None, typer.Option("--ca-file", help="a private CA's certificate (PEM) to "
                                                                              "verify the server with")] = None,
                subdomain: Annotated[str | None, typer.Option(help="zendesk: acme for acme.zendesk.com")] = None,
                token_env: Annotated[str | None, typer.Option(
                    "--token-env", help="zendesk: the environment variable that holds the API token (or, without "
                                        "--email, an OAuth access token)")] = None,
                email: Annotated[str | None, typer.Option(help="zendesk: the agent the API token belongs to")] = None,
                start_time: Annotated[int, typer.Option(min=0, help="zendesk: the Unix time the first read starts "
                                                                    "from (0: all history)")] = 0,
                db: DbOption = None) -> None:
    """Add a mailbox or a Zendesk account; workers read it every PULSE_SOURCE_POLL_S seconds, the first time at
    once."""
    from pydantic import ValidationError

    from api.errors import describe_validation_error
    from api.sources import service as sources
    from api.sources.models import SourceCreate, ZendeskSourceCreate

    given = {"imap": {"--url": url, "--password-env": password_env, "--oauth2-token-env": oauth2_token_env,
                      "--tls": tls, "--ca-file": ca_file},
             "zendesk": {"--subdomain": subdomain, "--token-env": token_env, "--email": email}}
    stray = [name for other, options in given.items() if other != kind.value for name, v in options.items() if v]
    if stray or (kind == SourceKindOption.IMAP and url is None):
        raise fail(f"{kind.value} takes none of {', '.join(stray)}" if stray else "imap needs --url")
    try:
        if kind == SourceKindOption.IMAP:
            data: SourceCreate | ZendeskSourceCreate = SourceCreate.model_validate(
                {"kind": kind.value, "url": url, "team": team, "password_env": password_env,
                 "oauth2_token_env": oauth2_token_env, "tls": tls, "ca_file": ca_file})
        else:
            data = ZendeskSourceCreate.model_validate({"subdomain": subdomain, "team": team, "token_env": token_env,
                                                       "email": email, "start_time": start_time})
    except ValidationError as error:
        raise fail("; ".join(describe_validation_error(dict(e))["message"] for e in error.errors())) from None
    settings = settings_for(db)
    migrate(settings.database_url)
    with database(settings) as session:
        if isinstance(data, SourceCreate):
            source, variable = sources.create(session, data), data.password_env or data.oauth2_token_env or ""
        else:
            source, variable = sources.create_zendesk(session, data), data.token_env
    unset = "" if os.environ.get(variable) else f"; set {variable} where `pulse worker` and `pulse serve` run"
    err.print(f"source {source.id} added: {shown(source.name)}, team {shown(source.team)}, secret from ${variable}"
              f"{unset}", highlight=False)
    print(source.id)


def _row(found: Any) -> dict[str, Any]:
    from api.sources import service as sources

    return json.loads(sources.public(found).model_dump_json())  # type: ignore[no-any-return]


@sources_app.command("list")
def sources_list(format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
                 db: DbOption = None) -> None:
    """List sources: where, last read, messages stored, unmatched, errors, skipped, next read, last error."""
    from api.sources import service as sources

    settings = settings_for(db)
    with database(settings) as session:
        rows = [_row(s) for s in sources.get_all(session)]
    if format == OutputFormat.JSON:
        print(json.dumps(rows))
        return
    print(f"{'id':<5} {'team':<10} {'last read':<20} {'stored':>7} {'unmatched':>9} {'errors':>6} {'skipped':>7} "
          f"{'next read':<20} source")
    for r in rows:
        print(f"{r['id']:<5} {r['team'][:10]:<10} {(r['last_sync_at'] or 'never')[:19]:<20} {r['stored']:>7} "
              f"{r['unmatched']:>9} {r['errors']:>6} {r['skipped']:>7} {r['next_poll_at'][:19]:<20} {r['name']}")
        if r["last_error"]:
            print(f"      failing since {r['failing_since'][:19]}: {r['last_error']}")


@sources_app.command("remove")
def sources_remove(source_id: IdArgument, db: DbOption = None) -> None:
    """Stop reading a source; the messages it stored stay."""
    from api.sources import service as sources

    settings = settings_for(db)
    with database(settings) as session:
        removed = sources.delete(session, source_id)
    err.print(f"source {source_id} ({shown(removed.name)}) removed; its messages stay", highlight=False)


@sources_app.command("sync")
def sources_sync(source_id: IdArgument, db: DbOption = None) -> None:
    """Read a source's new messages now, to the end, and print what happened (JSON); exit 1 if it failed."""
    from api.intake import sources as flow
    from api.model_versions.holder import ModelHolder
    from api.sources import service as sources

    settings = settings_for(db)
    prepare_database(settings)
    with database(settings) as session:
        sources.get_or_raise(session, source_id)
    engine = make_engine(settings.database_url)
    try:
        steps = flow.read_all(engine, settings, ModelHolder(settings.serving()).active, source_id=source_id,
                              worker=f"pulse sources sync:{socket.gethostname()}:{os.getpid()}")
    finally:
        engine.dispose()
    if not steps:
        raise fail(f"source {source_id} is being read by a worker right now; try again in a moment", code=1)
    total = {k: sum(s.counts.get(k, 0) for s in steps) for k in ("stored", "unmatched", "errors", "skipped")}
    last = steps[-1]
    for step in steps:
        for notice in step.report.get("warnings", []):
            err.print(f"[yellow]not read[/] {shown(notice['source'])}: {shown(notice['warning'])}", highlight=False)
    print(json.dumps({"source": source_id, "ok": last.ok, "steps": len(steps), **total,
                      "already_present": sum(s.report.get("already_present", 0) for s in steps),
                      "error": last.error, "notes": [n for s in steps for n in s.report.get("notes", [])]}))
    if not last.ok:
        raise typer.Exit(1)
