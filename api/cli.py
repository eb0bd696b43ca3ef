"""The `pulse` command line: one entry point for every job."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from api.config import Settings, get_settings
from api.db import make_engine, migrate
from api.errors import PulseError
from api.lab import promotion
from api.model_versions import service as model_versions
from api.model_versions.holder import ModelHolder
from api.model_versions.models import ModelVersion
from api.users import service as users
from api.users.models import Role
from models import registry
from models.artifacts import ArtifactError
from models.classifier import Classifier

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


class OutputFormat(StrEnum):
    """How a command prints its result."""

    JSON = "json"
    TEXT = "text"


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error for a person and return the exit to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def settings_for(db: str | None) -> Settings:
    """Settings, with --db overriding PULSE_DATABASE_URL for this process and the server workers it starts."""
    if db:
        os.environ["PULSE_DATABASE_URL"] = db
        get_settings.cache_clear()
    return get_settings()


def model_directory(settings: Settings) -> Path:
    """The artifact directory the service registers: PULSE_MODEL_DIR or the shipped default."""
    return (settings.model_dir or registry.shipped_default()).resolve()


def prepare_database(settings: Settings) -> None:
    """Migrate the database and make sure a model version is active."""
    try:
        migrate(settings.database_url)
        engine = make_engine(settings.database_url)
        with Session(engine) as session:
            active = model_versions.ensure_active(session=session, directory=model_directory(settings))
        engine.dispose()
    except ArtifactError as error:
        raise fail(f"model artifact refused: {error}") from error
    except OperationalError as error:
        raise fail(f"cannot reach the database {safe_url(settings.database_url)}: {error.orig}") from error
    err.print(f"database ready ({safe_url(settings.database_url)}); active model {active.version}", highlight=False)
    prepare_model(Path(active.artifact_path))


def prepare_model(directory: Path) -> None:
    """Build the model's serving graph, if it needs one, in a child process: torch stays out of the server."""
    try:
        seconds = registry.prepare_isolated(directory)
    except ArtifactError as error:
        raise fail(str(error)) from error
    if seconds > 3:
        err.print(f"serving graph built in {seconds:.1f}s (cached for later starts)", highlight=False)


def safe_url(url: str) -> str:
    """A database URL with its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def run_server(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the app with uvicorn."""
    import uvicorn

    # The master pings each worker and replaces one that does not answer in time. Its default of 5 s is
    # shorter than a worker's start-up on a busy 2-core machine, where the master then killed and restarted
    # workers over and over and the server never became healthy; 60 s still replaces a hung worker.
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level.lower(), access_log=False, timeout_worker_healthcheck=60)


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
         serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="serve after loading")] = True) -> None:
    """Load demo accounts, messages and users into a local database, print their keys, and serve."""
    from api.demo import load

    settings = settings_for(db)
    prepare_database(settings)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        classifier = ModelHolder().active(session)
        started = time.perf_counter()
        with err.status("loading demo data (scoring 132 messages)..."):
            people, loaded = load(session=session, classifier=classifier, settings=settings)
    engine.dispose()
    if loaded:
        err.print(f"demo data loaded in {time.perf_counter() - started:.1f}s", highlight=False)
    else:
        err.print("demo data was already loaded; the demo users got fresh keys", highlight=False)
    # Plain lines, not a table: a table narrows to the terminal and would cut the keys.
    out.print("Demo users (keys are shown once):", style="bold")
    for person in people:
        print(f"  {person.name:<15} {person.role:<15} {person.team or '-':<9} {person.api_key}")
    csm = next(p for p in people if p.role == Role.CSM)
    out.print(f"\nTry: curl -H 'Authorization: Bearer {csm.api_key}' http://{host}:{port}/v1/suggestions\n"
              f"API docs: http://{host}:{port}/docs", highlight=False, soft_wrap=True)
    if serve_after:
        run_server(settings, host, port, 1)


@users_app.command("create")
def users_create(name: Annotated[str, typer.Option(help="the person's or integration's name")],
                 role: Annotated[Role, typer.Option(help="csm, lead, data_scientist or admin")],
                 team: Annotated[str | None, typer.Option(help="team (required for csm and lead)")] = None,
                 db: DbOption = None) -> None:
    """Create a user and print its API key once: Pulse keeps only its hash."""
    settings = settings_for(db)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            user, key = users.create(session=session, name=name, role=role, team=team)
    except PulseError as error:
        raise fail(error.message) from error
    except (OperationalError, ProgrammingError) as error:
        raise fail(f"the database is not ready ({error.orig}); run `pulse migrate` first") from error
    finally:
        engine.dispose()
    err.print(f"created user {user.id} ({user.name}, {user.role}, team {user.team or '-'}); "
              "the key below is shown once", highlight=False)
    print(key)


def registered_version(spec: str | None, settings: Settings) -> ModelVersion | None:
    """The registry's record of a version (the active one when spec is None), if there is a registry."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        return None  # no database yet: do not create one just to look
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            return model_versions.get_active(session=session) if spec is None else session.get(ModelVersion, spec)
    except (OperationalError, ProgrammingError):
        return None
    finally:
        engine.dispose()


def load_model(spec: str | None, settings: Settings) -> Classifier:
    """A classifier from an artifact directory, a registered version, or by default the active one.

    Without a registry (or an active version) the default is PULSE_MODEL_DIR or the shipped model.
    """
    try:
        if spec and Path(spec).is_dir():
            return registry.load(Path(spec))[0]
        version = registered_version(spec, settings)
        if version is not None:
            return ModelHolder().load(version)
        if spec is not None:
            raise fail(f"model {spec!r} is neither an artifact directory nor a version registered in "
                       f"{safe_url(settings.database_url)}")
        return registry.load(model_directory(settings))[0]
    except ArtifactError as error:
        raise fail(f"model artifact refused: {error}") from error


def progress_bar() -> Progress:
    """A progress bar on stderr."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err)


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
              + (f", {counts['empty']} rows without text left blank" if counts["empty"] else ""), highlight=False)


@app.command("eval")
def evaluate_command(data: Annotated[Path, typer.Option("--data", help="CSV with `text,label`")],
                     model: Annotated[list[str] | None, typer.Option(
                         help="artifact directory or version; repeat to compare models in one run")] = None,
                     format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.JSON,
                     db: DbOption = None) -> None:
    """Evaluate model versions on labelled data: accuracy, macro-F1, per class, confusion and ECE.

    One JSON object per model, one per line, in the order the models were given.
    """
    from training.datasets import DatasetError, read_csv
    from training.evaluate import evaluate

    settings = settings_for(db)
    try:
        dataset = read_csv(data)
    except DatasetError as error:
        raise fail(str(error)) from error
    specs: list[str | None] = list(model) if model else [None]
    for spec in specs:
        result = evaluate(load_model(spec, settings), dataset)
        if format == OutputFormat.JSON:
            print(json.dumps(result), flush=True)
        else:
            out.print(f"{result['model_version']} on {data} (n={result['n']}): accuracy {result['accuracy']:.4f}, "
                      f"macro-F1 {result['macro_f1']:.4f}, ECE {result['ece']:.4f}", highlight=False)


@app.command()
def train(data: Annotated[Path, typer.Option("--data", help="CSV with `text,label` (and label_confidence)")],
          out_dir: Annotated[Path, typer.Option("--out", help="artifact directory to write")],
          dev: Annotated[Path | None, typer.Option("--dev", help="CSV to report metrics on")] = None,
          from_db: Annotated[bool, typer.Option("--from-db", help="add the labels people confirmed, split by time")
                             ] = False,
          eval_share: Annotated[float, typer.Option(min=0.0, max=0.9, help="--from-db: latest share of confirmed "
                                                                           "messages kept for evaluation")] = 0.2,
          eval_from: Annotated[datetime | None, typer.Option(help="--from-db: evaluate on messages from this "
                                                                  "moment on (instead of --eval-share)")] = None,
          eval_accounts: Annotated[str, typer.Option(help="--from-db: account ids held out whole, comma-separated")
                                   ] = "",
          register: Annotated[bool, typer.Option("--register", help="record the version as a candidate")] = False,
          licence: Annotated[str, typer.Option(help="licence of the training data, for the model card")] = "",
          kind: Annotated[ModelKind, typer.Option(help="transformer (fine-tuned MiniLM) or baseline (TF-IDF)")]
          = ModelKind.TRANSFORMER,
          epochs: Annotated[int | None, typer.Option(min=1, help="transformer: passes over the data")] = None,
          seed: Annotated[int, typer.Option(help="random seed")] = 13,
          db: DbOption = None) -> None:
    """Train a model version into a sealed artifact directory with its model card.

    With --from-db the labels people confirmed join the base data: messages of the evaluation period
    (the latest --eval-share, or from --eval-from, and any --eval-accounts) never train; they are
    the dev set unless --dev is given. The split and the confirmed data's hash go into the version.
    """
    from training.datasets import DatasetError, concat, read_csv
    from training.train import BaselineParams, TrainingError, train_baseline

    settings = settings_for(db)
    try:
        dataset = read_csv(data)
        dev_set = read_csv(dev) if dev else None
    except DatasetError as error:
        raise fail(str(error)) from error
    provenance: dict[str, Any] = {}
    if from_db:
        try:
            held = [int(a) for a in eval_accounts.split(",") if a.strip()]
        except ValueError:
            raise fail(f"--eval-accounts takes account ids, comma-separated; got {eval_accounts!r}") from None
        moment = eval_from.replace(tzinfo=UTC) if eval_from and eval_from.tzinfo is None else eval_from
        confirmed, later, provenance = confirmed_labels(settings, eval_share, moment, held)
        err.print(f"adding {len(confirmed)} confirmed labels from the database; {len(later)} of the evaluation "
                  f"period (from {provenance['evaluate_from'] or '-'}) kept apart", highlight=False)
        if len(confirmed):
            dataset = concat(dataset, confirmed)
        if dev_set is None and len(later):
            dev_set = later
    command = "pulse " + shlex.join(sys.argv[1:]) if Path(sys.argv[0]).name == "pulse" else ""
    try:
        if kind == ModelKind.TRANSFORMER:
            from training.finetune import FinetuneParams, finetune

            params = FinetuneParams(seed=seed, epochs=epochs or FinetuneParams.epochs)
            err.print(f"fine-tuning {params.epochs} epoch(s) on {len(dataset)} rows", highlight=False)
            manifest = finetune(dataset, out_dir, dev=dev_set, params=params, command=command, licence=licence,
                                progress=lambda message: err.print(message, highlight=False))
        else:
            with err.status(f"training on {len(dataset)} rows..."):
                manifest = train_baseline(dataset, out_dir, dev=dev_set, params=BaselineParams(seed=seed),
                                          command=command, licence=licence)
    except TrainingError as error:
        raise fail(str(error)) from error
    if register or from_db:
        engine = make_engine(settings.database_url)
        with Session(engine) as session:
            version = model_versions.register(session=session, directory=out_dir.resolve())
            if provenance:
                version.provenance = {**version.provenance, "confirmed_labels": provenance}
                session.add(version)
                session.commit()
        engine.dispose()
    summary: dict[str, Any] = {"version": manifest["version"], "out": str(out_dir)}
    summary.update({split: {"macro_f1": m["macro_f1"], "ece": m["ece"]} for split, m in manifest["metrics"].items()})
    if provenance:
        summary["confirmed_labels"] = provenance
    print(json.dumps(summary))


def confirmed_labels(settings: Settings, eval_share: float, cut: datetime | None,
                     eval_accounts: list[int]) -> tuple[Any, Any, dict[str, Any]]:
    """Confirmed labels split by time: (training rows, evaluation rows, provenance of the split)."""
    from api.exports import service as exports
    from training.datasets import from_rows

    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        rows = exports.confirmed(session=session)
    engine.dispose()
    split = exports.split_by_time(rows, eval_share=eval_share, cut=cut, eval_accounts=eval_accounts)
    where = safe_url(settings.database_url)
    train_set = from_rows([(r["text"], r["label"]) for r in split.train],
                          f"confirmed labels in {where}, messages before {split.cut or 'any time'}",
                          weights=[exports.label_weight(r) for r in split.train])
    later = from_rows([(r["text"], r["label"]) for r in split.evaluate],
                      f"confirmed labels in {where}, messages from {split.cut}")
    return train_set, later, {**split.describe(), "database": where, "train_sha256": train_set.sha256,
                              "evaluate_sha256": later.sha256}


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
def ingest(paths: Annotated[list[Path], typer.Argument(help=".eml files or folders, .mbox, .jsonl or .csv")],
           format: Annotated[IngestFormat | None, typer.Option("--format", help="default: from each name")] = None,
           match: Annotated[str, typer.Option(help="how to find the account, in order")] = "external_id,domain",
           team: Annotated[str | None, typer.Option(help="only accounts of this team")] = None,
           report: Annotated[Path, typer.Option(help="where unmatched messages are listed (JSONL)")] = Path(
               "ingest-unmatched.jsonl"),
           explain: Annotated[bool, typer.Option("--explain/--no-explain",
                                                 help="find each message's evidence sentences (4x the scoring work)")
                              ] = True,
           batch_size: Annotated[int, typer.Option(min=1, max=1024, help="messages per model call and commit")] = 64,
           db: DbOption = None) -> None:
    """Read customer messages, match them to accounts, clean, score and store them; re-running changes nothing."""
    from api.intake.ingest import ingest as run_ingest
    from pipelines.ingest.readers import read

    order = [m.strip() for m in match.split(",") if m.strip()]
    unknown = [m for m in order if m not in ("external_id", "domain")]
    if unknown or not order:
        raise fail(f"--match takes external_id and/or domain, comma-separated; got {match!r}")
    settings = settings_for(db)
    prepare_database(settings)
    engine = make_engine(settings.database_url)
    with Session(engine) as session, progress_bar() as bar:
        task = bar.add_task("ingesting", total=None)
        records = (record for path in paths for record in read(path, format.value if format else None))
        result = run_ingest(session=session, records=records,
                            classifier=ModelHolder().active(session), settings=settings,
                            match_order=order, team=team, progress=lambda: bar.advance(task),
                            batch_size=batch_size, explained=explain)
    engine.dispose()
    if result.unmatched:
        with report.open("w") as handle:
            for row in result.unmatched:
                handle.write(json.dumps(row) + "\n")
        err.print(f"{len(result.unmatched)} unmatched message(s) listed in {report}", highlight=False)
    for problem in result.errors[:20]:
        err.print(f"[yellow]skipped[/] {problem['source']}: {problem['error']}", highlight=False)
    print(json.dumps(result.summary()))


@app.command()
def bench(model: Annotated[str | None, typer.Option(help="artifact directory or version; default: active")] = None,
          threads: Annotated[int, typer.Option(min=1, help="CPU threads for each backend")] = 2,
          format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.JSON, db: DbOption = None) -> None:
    """Measure the serving path against the eager fp32 reference of the same model, in one run."""
    from pipelines.bench import run

    settings = settings_for(db)
    version = None if model and Path(model).is_dir() else registered_version(model, settings)
    directory = Path(model) if model and Path(model).is_dir() else (
        Path(version.artifact_path) if version else model_directory(settings))
    with err.status("benchmarking the serving path and the fp32 reference (a minute or two)..."):
        result = run(directory.resolve(), threads=threads)
    if format == OutputFormat.JSON:
        print(json.dumps(result))
        return
    for name in ("serving", "reference_fp32_eager"):
        r = result[name]
        out.print(f"{name:<22} batch1 {r['throughput_batch1_texts_per_s']:>7} texts/s  batch16 "
                  f"{r['throughput_batch16_texts_per_s']:>7} texts/s  p50 {r['latency_p50_ms']} ms  p99 "
                  f"{r['latency_p99_ms']} ms  start-up {r['startup_to_first_suggestion_s']} s  "
                  f"peak {r['peak_rss_mb']} MB", highlight=False)
    out.print(f"speed-up batch1 {result['speedup_batch1']}x, batch16 {result['speedup_batch16']}x; "
              f"label agreement {result['label_agreement']}", highlight=False)


@app.command("bench-ingest")
def bench_ingest(messages: Annotated[int, typer.Option(min=10, help="messages to generate and ingest")] = 100_000,
                 directory: Annotated[Path, typer.Option("--dir", help="where exports and the database go")] = Path(
                     "bench-ingest"),
                 explain: Annotated[bool, typer.Option("--explain/--no-explain")] = True,
                 batch_size: Annotated[int, typer.Option(min=1, max=1024)] = 64) -> None:
    """Ingest generated exports end to end on SQLite; print messages/s and each stage's share."""
    from api.lab.bench_ingest import run

    settings = get_settings().model_copy(update={"model_dir": model_directory(get_settings())})
    prepare_model(settings.model_dir or registry.shipped_default())
    with progress_bar() as bar:
        task = bar.add_task("ingesting", total=messages)
        result = run(directory, messages, settings, explained=explain, batch_size=batch_size,
                     progress=lambda: bar.advance(task))
    print(json.dumps(result))


@app.command("bench-audit")
def bench_audit(decisions: Annotated[int, typer.Option(min=1000, help="decisions to generate")] = 1_000_000,
                path: Annotated[Path, typer.Option(help="SQLite file; generated if missing")] = Path(
                    "bench-audit.db")) -> None:
    """Time the audit summary over a generated database of decisions (SQLite)."""
    from api.lab.bench_audit import run

    with progress_bar() as bar:
        task = bar.add_task(f"generating {decisions} decisions", total=0 if path.exists() else decisions)
        result = run(path, decisions, progress=lambda n: bar.advance(task, n))
    print(json.dumps(result))


@models_app.command("list")
def models_list(db: DbOption = None) -> None:
    """List model versions with status and metrics."""
    settings = settings_for(db)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        versions = model_versions.get_all(session=session)
    engine.dispose()
    print(f"{'version':<32} {'kind':<14} {'status':<10} {'dev macro-F1':<13} created")
    for v in versions:
        dev_f1 = (v.metrics.get("dev") or {}).get("macro_f1")
        print(f"{v.version:<32} {v.kind:<14} {v.status:<10} {'-' if dev_f1 is None else f'{dev_f1:.4f}':<13} "
              f"{v.created_at.isoformat(timespec='seconds')}")


@models_app.command("register")
def models_register(directory: Annotated[Path, typer.Argument(help="artifact directory")],
                    db: DbOption = None) -> None:
    """Verify an artifact directory and record it as a candidate version."""
    settings = settings_for(db)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            version = model_versions.register(session=session, directory=directory.resolve()).version
    except ArtifactError as error:
        raise fail(f"model artifact refused: {error}") from error
    finally:
        engine.dispose()
    print(version)


@models_app.command("promote")
def models_promote(version: Annotated[str, typer.Argument(help="a registered version")],
                   force: Annotated[bool, typer.Option("--force", help="promote even if it scores below the "
                                                                       "active version")] = False,
                   db: DbOption = None) -> None:
    """Make a version the active one; running servers switch on their next request.

    A challenger scoring below the active version on the latest confirmed labels is refused unless --force.
    """
    settings = settings_for(db)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            promoted = promotion.promote(session=session, version=version, force=force, holder=ModelHolder())
    except (PulseError, ArtifactError) as error:
        raise fail(str(error)) from error
    finally:
        engine.dispose()
    err.print(f"{promoted.version} is now active", highlight=False)


@app.command()
def worker(once: Annotated[bool, typer.Option("--once", help="run the ready jobs, then exit")] = False,
           kinds: Annotated[str, typer.Option(help="job kinds to take, comma-separated")] = "webhook,rollup,score",
           name: Annotated[str | None, typer.Option(help="worker name in logs and locks")] = None,
           db: DbOption = None) -> None:
    """Run background jobs (webhook deliveries, roll-ups, backfill scoring) until interrupted."""
    import signal
    import threading

    from api.jobs.models import JobKind
    from api.observability import configure_logging
    from api.worker import Worker

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # from the start: a stop during start-up is a clean stop
        signal.signal(sig, lambda *_: stop.set())
    try:
        wanted = [JobKind(k.strip()) for k in kinds.split(",") if k.strip()]
    except ValueError:
        raise fail(f"--kinds takes {', '.join(k.value for k in JobKind)}, comma-separated; got {kinds!r}") from None
    settings = settings_for(db)
    configure_logging(settings.log_level, settings.log_format)
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    runner = Worker(engine, settings, name=name, kinds=wanted)
    if once:
        total = 0
        while (claimed := runner.run_once()):
            total += claimed
        err.print(f"{total} job(s) run", highlight=False)
    else:
        runner.run(stop)
    engine.dispose()


@app.command()
def backfill(model: Annotated[str | None, typer.Option(help="version to score with; default: the active one")] = None,
             chunk: Annotated[int, typer.Option(min=1, max=5000, help="interactions per job")] = 256,
             db: DbOption = None) -> None:
    """Queue scoring of every interaction the version has not scored yet; workers do the scoring."""
    from api.intake.backfill import enqueue_backfill

    settings = settings_for(db)
    version = registered_version(model, settings)
    if version is None:
        raise fail("no model version is active; name one with --model")
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        queued = enqueue_backfill(session, version=version.version, chunk=chunk)
    engine.dispose()
    err.print(f"{queued} interaction(s) queued for scoring with {version.version} "
              f"in {-(-queued // chunk)} job(s); run `pulse worker` to score them", highlight=False)


@app.command("experiment-leave-one-out")
def experiment_leave_one_out(
        data: Annotated[Path, typer.Option("--data", help="training CSV with text, label, account, created_at")],
        dev: Annotated[Path, typer.Option("--dev", help="dev CSV with the same columns")],
        account: Annotated[str, typer.Option(help="the account (airline) left out, then confirmed")],
        confirmed: Annotated[int, typer.Option(min=10, help="its earliest messages confirmed through Pulse")] = 300,
        kind: Annotated[ModelKind, typer.Option(help="what to train both versions as")] = ModelKind.BASELINE,
        epochs: Annotated[int, typer.Option(min=1, help="transformer: passes over the data")] = 1,
        repeat: Annotated[int, typer.Option(min=1, max=20, help="times the confirmed labels are repeated")] = 1,
        workdir: Annotated[Path, typer.Option("--dir", help="where both versions and the database go")] = Path(
            "experiment-leave-one-out")) -> None:
    """Leave an account out, confirm labels on its earliest messages in Pulse, retrain: print the gain on the rest."""
    from api.lab.experiment import leave_one_out
    from training.datasets import Dataset
    from training.train import BaselineParams, train_baseline

    def trainer(train_set: Dataset, out: Path, dev_set: Dataset | None) -> dict[str, Any]:
        if kind == ModelKind.TRANSFORMER:
            from training.finetune import FinetuneParams, finetune

            return finetune(train_set, out, dev=dev_set, params=FinetuneParams(epochs=epochs),
                            progress=lambda message: err.print(message, highlight=False))
        return train_baseline(train_set, out, dev=dev_set, params=BaselineParams())

    workdir.mkdir(parents=True, exist_ok=True)
    settings = get_settings().model_copy(update={"blind_share": 0.0, "redact_pii": False})
    try:
        result = leave_one_out(train_csv=data, dev_csv=dev, account=account, confirmed=confirmed, workdir=workdir,
                               trainer=trainer, settings=settings, repeat=repeat,
                               progress=lambda message: err.print(message, highlight=False))
    except (ValueError, OSError) as error:
        raise fail(str(error)) from error
    print(json.dumps(result))


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
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        rows = exports.confirmed(session=session, team=team)
    engine.dispose()
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
def erase(account: Annotated[int, typer.Option("--account", help="the account id whose texts are erased")],
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
    finally:
        engine.dispose()
    print(json.dumps(result.__dict__))


@app.command("jobs")
def jobs_command(db: DbOption = None) -> None:
    """Count background jobs by kind and status."""
    from api.jobs import service as jobs

    settings = settings_for(db)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        print(json.dumps(jobs.counts(session), sort_keys=True))
    engine.dispose()


@webhooks_app.command("add")
def webhooks_add(url: Annotated[str, typer.Argument(help="http(s) URL that receives the events")],
                 events: Annotated[str, typer.Option(help="event types, comma-separated")] = "pulse.changed,pulse.red",
                 db: DbOption = None) -> None:
    """Send account events to a URL; prints the signing secret once."""
    from pydantic import ValidationError

    from api.events import service as webhooks
    from api.events.models import WebhookCreate
    from api.intake.ingest import ingest_user

    try:
        data = WebhookCreate.model_validate({"url": url, "event_types": [e.strip() for e in events.split(",")]})
    except ValidationError as error:
        raise fail("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}, got {e['input']!r}"
                             for e in error.errors())) from None
    settings = settings_for(db)
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        created = webhooks.create_endpoint(session, user=ingest_user(session), data=data)
    engine.dispose()
    err.print(f"webhook {created.id} sends {', '.join(created.event_types)} to {created.url}; verify deliveries "
              "with this secret (shown once):", highlight=False)
    print(created.secret)


@webhooks_app.command("list")
def webhooks_list(db: DbOption = None) -> None:
    """List the configured webhook endpoints."""
    from api.events import service as webhooks

    settings = settings_for(db)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        for endpoint in webhooks.get_all(session):
            print(f"{endpoint.id:<5} {'active' if endpoint.active else 'off':<7} {','.join(endpoint.event_types):<28} "
                  f"{endpoint.url}")
    engine.dispose()


@webhooks_app.command("remove")
def webhooks_remove(webhook_id: Annotated[int, typer.Argument(help="the id `pulse webhooks list` shows")],
                    db: DbOption = None) -> None:
    """Stop sending events to an endpoint."""
    from api.events import service as webhooks

    settings = settings_for(db)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            webhooks.deactivate(session, webhook_id)
    except PulseError as error:
        raise fail(str(error)) from error
    finally:
        engine.dispose()
    err.print(f"webhook {webhook_id} deactivated", highlight=False)


@models_app.command("rollback")
def models_rollback(db: DbOption = None) -> None:
    """Make the previously active version active again; running servers switch on their next request."""
    settings = settings_for(db)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            version = model_versions.rollback(session=session).version
    except PulseError as error:
        raise fail(str(error)) from error
    finally:
        engine.dispose()
    err.print(f"rolled back: {version} is active again", highlight=False)


@models_app.command("compare")
def models_compare(champion: Annotated[str, typer.Argument(help="the version to beat (usually the active one)")],
                   challenger: Annotated[str, typer.Argument(help="the candidate")],
                   limit: Annotated[int, typer.Option(min=1, help="latest confirmed labels to use")] = 500,
                   db: DbOption = None) -> None:
    """Both versions on the latest confirmed labels: macro-F1, agreement, ECE, with 95% intervals."""
    from api.lab.compare import compare

    settings = settings_for(db)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            versions = [session.get(ModelVersion, v) for v in (champion, challenger)]
            missing = [v for v, found in zip((champion, challenger), versions, strict=True) if found is None]
            if missing:
                raise fail(f"model version {missing[0]!r} is not registered in {safe_url(settings.database_url)}")
            a, b = versions
            assert a is not None and b is not None
            result = compare(session=session, champion=a, challenger=b, holder=ModelHolder(),
                             limit=limit)
    except ArtifactError as error:
        raise fail(f"model artifact refused: {error}") from error
    finally:
        engine.dispose()
    print(json.dumps(result))


@models_app.command("shadow")
def models_shadow(version: Annotated[str, typer.Argument(help="a registered version")], db: DbOption = None) -> None:
    """Let a version score new text silently beside the active one, for comparison with people's decisions."""
    settings = settings_for(db)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            model_versions.shadow(session=session, version=version)
    except (PulseError, ArtifactError) as error:
        raise fail(str(error)) from error
    finally:
        engine.dispose()
    err.print(f"{version} now scores new text in shadow; workers store its suggestions silently",
              highlight=False)


def main() -> None:
    """Console-script entry point."""
    app()
