"""What every `pulse` command shares: the command groups, the consoles, errors, settings and the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from api.config import Settings, get_settings
from api.db import make_engine, migrate
from api.errors import NotFoundError, PulseError
from api.model_versions import resolve
from api.model_versions import service as model_versions
from models import registry
from models.artifacts import ArtifactError
from models.classifier import Classifier
from models.options import ServingOptions

app = typer.Typer(help="Pulse: suggested account sentiment with every human decision recorded beside it.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
users_app = typer.Typer(help="Create users and their API keys.", no_args_is_help=True)
models_app = typer.Typer(help="List, register and promote model versions.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Configure the URLs that account events are sent to.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(models_app, name="models")
app.add_typer(webhooks_app, name="webhooks")
# soft_wrap: long paths, keys and versions stay on one line whatever the terminal's width.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[str | None, typer.Option("--db", help="database URL (default: PULSE_DATABASE_URL)")]


class ModelKind(StrEnum):
    """Which model `pulse train` builds."""

    TRANSFORMER = "transformer"
    BASELINE = "baseline"
    MULTILINGUAL = "multilingual"


class OutputFormat(StrEnum):
    """How a command prints its result."""

    JSON = "json"
    TEXT = "text"


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error for a person and return the exit to raise."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)  # a message's brackets are its own
    return typer.Exit(code)


def settings_for(db: str | None) -> Settings:
    """Settings, with --db overriding PULSE_DATABASE_URL for this command (the environment is left as it is)."""
    return Settings(database_url=db) if db else get_settings()


def model_directory(settings: Settings) -> Path:
    """The artifact directory the service registers: PULSE_MODEL_DIR or the shipped default."""
    return (settings.model_dir or registry.shipped_default()).resolve()


def prepare_database(settings: Settings) -> None:
    """Migrate the database and make sure a model version is active."""
    try:
        migrate(settings.database_url)
        with database(settings) as session:
            active = model_versions.ensure_active(session=session, directory=model_directory(settings))
    except ArtifactError as error:
        raise fail(f"model artifact refused: {error}") from error
    except OperationalError as error:
        raise fail(f"cannot reach the database {safe_url(settings.database_url)}: {error.orig}") from error
    err.print(f"database ready ({safe_url(settings.database_url)}); active model {active.version}", highlight=False)
    prepare_model(Path(active.artifact_path), settings.serving())


def prepare_model(directory: Path, serving: ServingOptions) -> None:
    """Build the model's serving graph, if it needs one, in a child process: torch stays out of the server."""
    try:
        if registry.is_prepared(directory, serving):
            return  # built on an earlier start and intact: nothing to say
        seconds = registry.prepare_isolated(directory, serving)
    except ArtifactError as error:
        raise fail(str(error)) from error
    err.print(f"serving graph built in {seconds:.1f}s (cached for later starts)", highlight=False)


def safe_url(url: str) -> str:
    """A database URL with its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def progress_bar() -> Progress:
    """A progress bar on stderr."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err)


@contextmanager
def database(settings: Settings) -> Iterator[Session]:
    """A command's unit of work: a session on the configured database, committed once when the block ends
    without error (records only add and flush), rolled back otherwise, its engine disposed of at the end.

    A domain error raised inside (a missing version, a refused promotion) ends the command with its message.
    """
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:  # what a command read stays readable after
            yield session
            session.commit()
    except PulseError as error:
        raise fail(error.message) from error
    except (OperationalError, ProgrammingError) as error:  # an unmigrated database, or one out of reach
        if "no such table" in str(error.orig) or "relation" in str(error.orig) and "does not exist" in str(error.orig):
            raise fail(f"{safe_url(settings.database_url)} has no Pulse schema yet: run `pulse migrate` "
                       "first") from None
        if isinstance(error, ProgrammingError):
            raise
        raise fail(f"cannot reach the database {safe_url(settings.database_url)}: {error.orig}") from None
    finally:
        engine.dispose()


def load_model(spec: str | None, settings: Settings) -> Classifier:
    """The classifier a --model option names (see api.model_versions.resolve), or a clear error."""
    try:
        return resolve.load_classifier(spec, settings.database_url, model_directory(settings), settings.serving())
    except NotFoundError:
        raise fail(f"model {spec!r} is neither an artifact directory nor a version registered in "
                   f"{safe_url(settings.database_url)}") from None
    except ArtifactError as error:
        raise fail(f"model artifact refused: {error}") from error


def shown(text: str) -> str:
    """Text from the input as the terminal shows it: never read as markup (an error quoting `[/]` once ended the
    run), and with lone surrogates (from file names or JSON escapes) replaced, as a terminal cannot print them."""
    return escape(text.encode("utf-8", "replace").decode("utf-8"))
