"""Running Pulse: serve, migrate, demo and the background worker."""

from __future__ import annotations

import os
import time
from functools import partial
from typing import Annotated, Any

import typer
from sqlalchemy.engine import make_url

from api.cli.common import (
    DbOption,
    app,
    database,
    err,
    fail,
    out,
    prepare_database,
    safe_url,
    settings_for,
)
from api.config import Settings
from api.db import make_engine, migrate
from api.model_versions.holder import ModelHolder
from api.users.models import Role


def run_server(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the app with uvicorn.

    One worker serves in this process, built with `settings` as they are. Several are processes uvicorn
    spawns, which read their settings from the environment: the one channel to them, so --db is handed on
    there, and only there.
    """
    import uvicorn

    from api.main import create_app

    app: Any = partial(create_app, settings)
    if workers > 1:
        os.environ["PULSE_DATABASE_URL"] = settings.database_url
        app = "api.main:create_app"
    # The master pings each worker and replaces one that does not answer in time. Its default of 5 s is
    # shorter than a worker's start-up on a busy 2-core machine, where the master then killed and restarted
    # workers over and over and the server never became healthy; 60 s still replaces a hung worker.
    uvicorn.run(app, factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level.lower(), access_log=False, timeout_worker_healthcheck=60,
                log_config=None,  # uvicorn's lines go through Pulse's handler, in its one format
                # On SIGTERM, requests still running after this long are abandoned (each write commits before
                # it is answered, so nothing acknowledged is lost) and the process exits.
                timeout_graceful_shutdown=max(int(round(settings.shutdown_timeout_s)), 1))


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
          workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1, db: DbOption = None) -> None:
    """Migrate the database, then serve the API and web pages."""
    settings = settings_for(db)
    prepare_database(settings)
    run_server(settings, host, port, workers)


@app.command("migrate")
def migrate_command(db: DbOption = None) -> None:
    """Bring the database schema up to date and register the configured model."""
    prepare_database(settings_for(db))


@app.command()
def demo(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
         port: Annotated[int, typer.Option(help="port to listen on")] = 8000, db: DbOption = None,
         serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="serve after loading")] = True,
         force: Annotated[bool, typer.Option("--force", help="load the demo even into a PostgreSQL database or "
                                                             "with PULSE_ENVIRONMENT=production")] = False) -> None:
    """Load demo accounts, messages and users into a local database, print their keys, and serve."""
    from api.demo import load

    settings = settings_for(db)
    # The demo writes made-up accounts and gives its users new keys: never into production by accident.
    if not force and make_url(settings.database_url).get_backend_name() != "sqlite":
        raise fail(f"pulse demo loads made-up data; {safe_url(settings.database_url)} is not a local SQLite file. "
                   "Use --db sqlite:///demo.db, or --force if you mean it")
    if not force and settings.environment == "production":
        raise fail("pulse demo loads made-up data and PULSE_ENVIRONMENT is production; use --force if you mean it")
    prepare_database(settings)
    with database(settings) as session:
        classifier = ModelHolder(settings.serving()).active(session)
        started = time.perf_counter()
        with err.status("loading demo data (scoring 132 messages)..."):
            people, loaded = load(session=session, classifier=classifier, settings=settings)
    if loaded:
        err.print(f"demo data loaded in {time.perf_counter() - started:.1f}s", highlight=False)
    else:
        err.print("[yellow]demo data was already loaded: each demo user has a new key below, and the keys printed "
                  "by an earlier `pulse demo` no longer work[/] (keys are stored only as hashes, so an old one cannot "
                  "be shown again)", highlight=False)
    # Plain lines, not a table: a table narrows to the terminal and would cut the keys.
    out.print("Demo users (keys are shown once):", style="bold")
    for person in people:
        print(f"  {person.name:<15} {person.role:<15} {person.team or '-':<9} {person.api_key}")
    csm = next(p for p in people if p.role == Role.CSM)
    out.print(f"\nTry: curl -H 'Authorization: Bearer {csm.api_key}' http://{host}:{port}/v1/suggestions\n"
              f"API docs: http://{host}:{port}/docs", highlight=False, soft_wrap=True)
    if serve_after:
        run_server(settings, host, port, 1)


@app.command()
def worker(once: Annotated[bool, typer.Option("--once", help="run the ready jobs, then exit")] = False,
           kinds: Annotated[str, typer.Option(help="job kinds to take, comma-separated; sources: read the mailbox "
                                                   "sources that are due")] = "webhook,rollup,score,adapt,sources",
           name: Annotated[str | None, typer.Option(help="worker name in logs and locks")] = None,
           db: DbOption = None) -> None:
    """Run background jobs (webhook deliveries, roll-ups, backfill scoring, adapting) and read due mailbox sources
    until interrupted."""
    import signal
    import threading

    from api.jobs.models import JobKind
    from api.observability import configure_logging
    from api.worker import Worker

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # from the start: a stop during start-up is a clean stop
        signal.signal(sig, lambda *_: stop.set())
    names = [k.strip() for k in kinds.split(",") if k.strip()]
    try:
        wanted = [JobKind(k) for k in names if k != "sources"]
    except ValueError:
        raise fail(f"--kinds takes {', '.join(k.value for k in JobKind)}, sources, comma-separated; "
                   f"got {kinds!r}") from None
    settings = settings_for(db)
    configure_logging(settings.log_level, settings.log_format)
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    runner = Worker(engine, settings, name=name, kinds=wanted, sources="sources" in names)
    if once:
        total = 0
        while runner.sources and runner.read_sources():
            pass  # each due source read to its end, a bounded step at a time
        if settings.adapt_every and JobKind.ADAPT in wanted:
            runner.queue_adapting()  # enough new confirmed labels make an adapt job ready too
        while (claimed := runner.run_once()):
            total += claimed
        err.print(f"{total} job(s) run", highlight=False)
    else:
        runner.run(stop)
