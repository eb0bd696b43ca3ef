"""Experiments and benchmarks of the service: leave-one-out retraining, the learning curve, ingestion and audit
speed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import (
    DbOption,
    ModelKind,
    OutputFormat,
    app,
    err,
    fail,
    load_model,
    model_directory,
    prepare_model,
    progress_bar,
    settings_for,
)
from api.config import get_settings
from models import registry


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
    from api.lab.offline.experiment import leave_one_out
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


experiment_app = typer.Typer(help="Experiments that measure how Pulse learns.", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")


@experiment_app.command("learning-curve")
def learning_curve(
        data: Annotated[Path, typer.Option("--data", help="labelled CSV (text,label) the labels are taken from")],
        test: Annotated[Path, typer.Option("--test", help="labelled CSV read at each step, never learned from")],
        steps: Annotated[str, typer.Option(help="numbers of labels, comma-separated")] = "50,100,300,500,1000",
        order: Annotated[str, typer.Option(help="random, queue, or both (measured in one run)")] = "both",
        pool: Annotated[int, typer.Option(min=10, help="labelled messages drawn from --data to take labels "
                                                      "from")] = 3000,
        model: Annotated[str | None, typer.Option(help="artifact directory or version (default: the active or "
                                                       "shipped one)")] = None,
        format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT, db: DbOption = None) -> None:
    """Macro-F1 on --test against how many labels an adapted head learned from, in random order and in the
    order the review queue would serve the messages."""
    from api.lab.offline import learning_curve as experiment

    try:
        counts = sorted({int(step) for step in steps.split(",") if step.strip()})
    except ValueError:
        raise fail(f"--steps must be numbers separated by commas, got {steps!r}") from None
    if not counts or counts[0] < 10:
        raise fail(f"--steps must be 10 labels or more each, got {steps!r}")
    orders = ["random", "queue"] if order == "both" else [order]
    if set(orders) - {"random", "queue"}:
        raise fail(f"--order must be random, queue or both, got {order!r}")
    classifier = load_model(model, settings_for(db))
    try:
        result = experiment.run(classifier, data, test, counts, orders, pool,
                                say=lambda message: err.print(message, highlight=False))
    except ValueError as error:  # a missing or malformed file, or too few rows for the steps
        raise fail(str(error)) from error
    print(json.dumps(result) if format == OutputFormat.JSON else experiment.table(result))


@app.command("bench-ingest")
def bench_ingest(messages: Annotated[int, typer.Option(min=10, help="messages to generate and ingest")] = 100_000,
                 directory: Annotated[Path, typer.Option("--dir", help="where exports and the database go")] = Path(
                     "bench-ingest"),
                 explain: Annotated[bool, typer.Option("--explain/--no-explain")] = True,
                 batch_size: Annotated[int, typer.Option(min=1, max=1024)] = 64,
                 imap: Annotated[bool, typer.Option("--imap", help="read the messages as a mailbox source from a "
                                                                   "local Dovecot instead (dovecot-imapd)")] = False,
                 incremental: Annotated[int, typer.Option(min=0, help="with --imap: messages that arrive after the "
                                                                      "first read, read again")] = 100) -> None:
    """Ingest generated exports end to end on SQLite (or, with --imap, a local mailbox); print messages/s and each
    stage's share."""
    from api.lab.offline.bench_ingest import run

    settings = get_settings().model_copy(update={"model_dir": model_directory(get_settings())})
    prepare_model(settings.model_dir or registry.shipped_default(), settings.serving())
    if imap:
        from api.lab.offline import bench_imap, dovecot

        if not dovecot.installed():
            raise fail("--imap needs Dovecot's IMAP server and openssl (apt-get install dovecot-imapd)")
        with progress_bar() as bar:
            task = bar.add_task("reading the mailbox", total=messages + incremental)
            figures = bench_imap.run(directory, messages, settings, incremental=incremental,
                                     progress=lambda n: bar.advance(task, n))
        print(json.dumps(figures))
        return
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
    from api.lab.offline.bench_audit import run

    with progress_bar() as bar:
        task = bar.add_task(f"generating {decisions} decisions", total=0 if path.exists() else decisions)
        result = run(path, decisions, progress=lambda n: bar.advance(task, n))
    print(json.dumps(result))
