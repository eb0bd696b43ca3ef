"""Who reaches Pulse: users and their keys, and the webhook endpoints events go to."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from api.cli.common import (
    DbOption,
    database,
    err,
    fail,
    settings_for,
    users_app,
    webhooks_app,
)
from api.db import migrate
from api.ids import MAX_ID
from api.users import service as users
from api.users.models import Role


@users_app.command("create")
def users_create(name: Annotated[str, typer.Option(help="the person's or integration's name")],
                 role: Annotated[Role, typer.Option(help="csm, lead, data_scientist or admin")],
                 team: Annotated[str | None, typer.Option(help="team (required for csm and lead)")] = None,
                 db: DbOption = None) -> None:
    """Create a user and print its API key once: Pulse keeps only its hash."""
    settings = settings_for(db)
    try:
        with database(settings) as session:
            user, key = users.create(session=session, name=name, role=role, team=team)
    except (OperationalError, ProgrammingError) as error:
        raise fail(f"the database is not ready ({error.orig}); run `pulse migrate` first") from error
    err.print(f"created user {user.id} ({user.name}, {user.role}, team {user.team or '-'}); "
              "the key below is shown once", highlight=False)
    print(key)


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """List users: id, name, role, team, the first characters of their key, and whether it is disabled."""
    settings = settings_for(db)
    with database(settings) as session:
        people = users.get_all(session=session)
    print(f"{'id':<6} {'name':<24} {'role':<15} {'team':<12} {'key starts':<12} status")
    for user in people:
        print(f"{user.id:<6} {user.name[:24]:<24} {user.role:<15} {user.team or '-':<12} {user.key_prefix + '…':<12} "
              f"{'disabled' if user.disabled else 'active'}")


def _revoke(user_id: int, db: str | None, disable: bool) -> tuple[str, str | None]:
    """Disable or rotate a user's key, ending their web sessions; (name, new key)."""
    from api.web import service as web

    settings = settings_for(db)
    with database(settings) as session:
        user = users.get_or_raise(session=session, user_id=user_id)
        key = web.revoke(session, user, disable=disable)
        return user.name, key


@users_app.command("disable")
def users_disable(user_id: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="the id `pulse users list` shows")],
                  db: DbOption = None) -> None:
    """Stop a user's key at once and end their web sessions; their decisions stay."""
    name, _ = _revoke(user_id, db, disable=True)
    err.print(f"user {user_id} ({name}) disabled: the key answers 401 and web sessions have ended", highlight=False)


@users_app.command("rotate-key")
def users_rotate_key(user_id: Annotated[int, typer.Argument(min=1, max=MAX_ID,
                                                            help="the id `pulse users list` shows")],
                     db: DbOption = None) -> None:
    """Give a user a new key (printed once); the old key and their web sessions stop at once."""
    name, key = _revoke(user_id, db, disable=False)
    err.print(f"user {user_id} ({name}) has a new key, shown once below; the old one answers 401", highlight=False)
    print(key)


@webhooks_app.command("add")
def webhooks_add(url: Annotated[str, typer.Argument(help="http(s) URL that receives the events")],
                 events: Annotated[str, typer.Option(help="event types, comma-separated")] = "pulse.changed,pulse.red",
                 format: Annotated[str, typer.Option(help="pulse (the signed event), slack or teams (a channel "
                                                          "message to an incoming-webhook URL)")] = "pulse",
                 db: DbOption = None) -> None:
    """Send account events to a URL; prints the signing secret once."""
    from pydantic import ValidationError

    from api.events import service as webhooks
    from api.events.models import WebhookCreate
    from api.intake.ingest import ingest_user

    try:
        data = WebhookCreate.model_validate({"url": url, "event_types": [e.strip() for e in events.split(",")],
                                             "format": format})
    except ValidationError as error:
        raise fail("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}, got {e['input']!r}"
                             for e in error.errors())) from None
    settings = settings_for(db)
    migrate(settings.database_url)
    with database(settings) as session:
        created = webhooks.create_endpoint(session, user=ingest_user(session), data=data,
                                           allow_private=settings.webhook_allow_private)
    err.print(f"webhook {created.id} sends {', '.join(created.event_types)} to {created.url}; verify deliveries "
              "with this secret (shown once):", highlight=False)
    print(created.secret)


@webhooks_app.command("list")
def webhooks_list(db: DbOption = None) -> None:
    """List the configured webhook endpoints."""
    from api.events import service as webhooks

    settings = settings_for(db)
    with database(settings) as session:
        for endpoint in webhooks.get_all(session):
            print(f"{endpoint.id:<5} {'active' if endpoint.active else 'off':<7} {','.join(endpoint.event_types):<28} "
                  f"{endpoint.url}")


@webhooks_app.command("remove")
def webhooks_remove(webhook_id: Annotated[int, typer.Argument(min=1, max=MAX_ID,
                                                               help="the id `pulse webhooks list` shows")],
                    db: DbOption = None) -> None:
    """Stop sending events to an endpoint."""
    from api.events import service as webhooks

    settings = settings_for(db)
    with database(settings) as session:
        webhooks.deactivate(session, webhook_id)
    err.print(f"webhook {webhook_id} deactivated", highlight=False)
