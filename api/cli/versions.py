"""Model versions: train, evaluate and benchmark them (the registry's commands are api.cli.registry)."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import (
    DbOption,
    ModelKind,
    OutputFormat,
    app,
    database,
    err,
    fail,
    load_model,
    model_directory,
    out,
    safe_url,
    settings_for,
)
from api.config import Settings
from api.model_versions import resolve
from api.model_versions import service as model_versions


@app.command("eval")
def evaluate_command(data: Annotated[Path | None, typer.Option("--data", help="CSV with `text,label`")] = None,
                     suite: Annotated[list[Path] | None, typer.Option(
                         "--suite", help="a folder (or file): every CSV in it is a set; repeat for more")] = None,
                     demo: Annotated[bool, typer.Option("--demo", help="--suite: add Pulse's demo messages as a "
                                                                       "set")] = False,
                     model: Annotated[list[str] | None, typer.Option(
                         help="artifact directory or version; repeat to compare models in one run")] = None,
                     format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.JSON,
                     db: DbOption = None) -> None:
    """Evaluate model versions on labelled data: accuracy, macro-F1, per class, confusion and ECE.

    With --data: one JSON object per model, one per line, in the order the models were given. With
    --suite: every set, and every language within a set, for each model with the active default beside
    them, as a table (or JSON with --format json).
    """
    from training.datasets import DatasetError, read_csv
    from training.evaluate import evaluate

    settings = settings_for(db)
    if suite or demo:
        evaluate_suite_command(suite or [], demo, model or [], format, settings)
        return
    if data is None:
        raise fail("give --data FILE, or --suite FOLDER (and --demo)")
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


def evaluate_suite_command(folders: list[Path], demo: bool, specs: list[str], format: OutputFormat,
                           settings: Settings) -> None:
    """`pulse eval --suite`: the active default first, then each --model, on every set."""
    from training.datasets import DatasetError
    from training.suite import evaluate_suite, suite_sets, table

    try:
        sets = suite_sets(folders)
    except DatasetError as error:
        raise fail(str(error)) from error
    if demo:
        sets.append(("pulse-demo-messages", demo_dataset()))
    if not sets:
        raise fail(f"no CSV files under {', '.join(map(str, folders))}")
    models = [load_model(None, settings)]
    for spec in specs:
        candidate = load_model(spec, settings)
        if candidate.version not in {m.version for m in models}:
            models.append(candidate)
    rows = evaluate_suite(models, sets, progress=lambda message: err.print(message, highlight=False),
                          low_confidence=settings.audit_low_confidence)
    if format == OutputFormat.JSON:
        for row in rows:
            print(json.dumps(row), flush=True)
    else:
        print(f"default (active): {models[0].version}")
        print(table(rows, [m.version for m in models]))


def demo_dataset() -> Any:
    """Pulse's demo messages (written for Pulse, each with the colour a careful CSM would choose)."""
    from api.demo_messages import labelled_messages
    from training.datasets import from_rows

    return from_rows(labelled_messages(), "pulse demo messages")


FromDbOption = Annotated[bool, typer.Option("--from-db", help="add the labels people confirmed, split by time")]
EvalShareOption = Annotated[float, typer.Option(min=0.0, max=0.9, help="--from-db: latest share of confirmed "
                                                                      "messages kept for evaluation")]
EvalFromOption = Annotated[datetime | None, typer.Option(help="--from-db: evaluate on messages from this moment on "
                                                             "(instead of --eval-share)")]
EvalAccountsOption = Annotated[str, typer.Option(help="--from-db: account ids held out whole, comma-separated")]
KindOption = Annotated[ModelKind, typer.Option(help="transformer (fine-tuned MiniLM), baseline (TF-IDF) or "
                                                    "multilingual (a head over a multilingual encoder)")]
EnglishOption = Annotated[Path | None, typer.Option(help="multilingual: the transformer artifact that scores English")]
RedGreenOption = Annotated[Path | None, typer.Option(
    "--red-green-data", help="multilingual: CSV of a set without neutral rows (Red or Green only); it teaches the "
                             "head Red against Green")]
CorpusOption = Annotated[bool, typer.Option(
    "--corpus", help="add the customer-success corpus's train split (training/corpus): its English for a "
                     "transformer, every language for a multilingual head, which also learns cues from it")]
CorpusWeightOption = Annotated[float, typer.Option(min=0.1, max=10.0, help="--corpus: the weight of each corpus row "
                                                                          "against an open one")]


@app.command()
def train(data: Annotated[Path, typer.Option("--data", help="CSV with `text,label` (and label_confidence)")],
          out_dir: Annotated[Path, typer.Option("--out", help="artifact directory to write")],
          dev: Annotated[Path | None, typer.Option("--dev", help="CSV to report metrics on")] = None,
          from_db: FromDbOption = False, eval_share: EvalShareOption = 0.2, eval_from: EvalFromOption = None,
          eval_accounts: EvalAccountsOption = "",
          register: Annotated[bool, typer.Option("--register", help="record the version as a candidate")] = False,
          licence: Annotated[str, typer.Option(help="licence of the training data, for the model card")] = "",
          kind: KindOption = ModelKind.TRANSFORMER,
          epochs: Annotated[int | None, typer.Option(min=1, help="transformer: passes over the data")] = None,
          english: EnglishOption = None, red_green_data: RedGreenOption = None, corpus: CorpusOption = False,
          corpus_weight: CorpusWeightOption = 2.0,
          seed: Annotated[int, typer.Option(help="random seed")] = 13,
          db: DbOption = None) -> None:
    """Train a model version into a sealed artifact directory with its model card.

    With --from-db the labels people confirmed join the base data: messages of the evaluation period
    (the latest --eval-share, or from --eval-from, and any --eval-accounts) never train; they are
    the dev set unless --dev is given. The split and the confirmed data's hash go into the version.
    """
    from training.datasets import DatasetError, read_csv
    from training.train import TrainingError

    settings = settings_for(db)
    try:
        dataset = read_csv(data)
        dev_set = read_csv(dev) if dev else None
        red_green = read_csv(red_green_data) if red_green_data else None
    except DatasetError as error:
        raise fail(str(error)) from error
    provenance: dict[str, Any] = {}
    written: list[Any] = []
    if corpus:
        dataset, written = _with_corpus(dataset, kind, corpus_weight)
    if from_db:
        dataset, dev_set, provenance = _with_confirmed(settings, dataset, dev_set, eval_share, eval_from,
                                                       eval_accounts)
    command = "pulse " + shlex.join(sys.argv[1:]) if Path(sys.argv[0]).name == "pulse" else ""
    try:
        manifest = _fit(kind, dataset, out_dir, dev_set, command=command, licence=licence, seed=seed, epochs=epochs,
                        english=english, red_green=red_green, written=written)
    except TrainingError as error:
        raise fail(str(error)) from error
    if register or from_db:
        with database(settings) as session:
            version = model_versions.register(session=session, directory=out_dir.resolve())
            if provenance:
                version.provenance = {**version.provenance, "confirmed_labels": provenance}
                session.add(version)
    summary: dict[str, Any] = {"version": manifest["version"], "out": str(out_dir)}
    summary.update({split: {"macro_f1": m["macro_f1"], "ece": m["ece"]} for split, m in manifest["metrics"].items()})
    if provenance:
        summary["confirmed_labels"] = provenance
    print(json.dumps(summary))


def _with_corpus(dataset: Any, kind: ModelKind, weight: float) -> tuple[Any, list[Any]]:
    """The customer-success corpus's train split: rows of the data for a transformer (English), or the messages
    a multilingual model's cue head and colour learn from."""
    from training import corpus as corpus_files
    from training.datasets import concat

    written = [m for m in corpus_files.read(corpus_files.files("train"))
               if kind == ModelKind.MULTILINGUAL or m.language == "en"]
    if not written:
        raise fail("--corpus: training/corpus/train holds no messages for this kind")
    if kind == ModelKind.MULTILINGUAL:  # the corpus teaches the cue head and the colour over it
        err.print(f"the cue head and the colour over it learn from {len(written)} corpus messages", highlight=False)
        return dataset, written
    err.print(f"adding {len(written)} corpus messages (weight {weight:g})", highlight=False)
    return concat(dataset, corpus_files.dataset(written, weight=weight, source="training/corpus/train")), written


def _with_confirmed(settings: Settings, dataset: Any, dev_set: Any, eval_share: float, eval_from: datetime | None,
                    eval_accounts: str) -> tuple[Any, Any, dict[str, Any]]:
    """The labels people confirmed join the data; the evaluation period's are the dev set unless one was given."""
    from training.datasets import concat

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
    return dataset, dev_set, provenance


def _fit(kind: ModelKind, dataset: Any, out_dir: Path, dev_set: Any, *, command: str, licence: str, seed: int,
         epochs: int | None, english: Path | None, red_green: Any, written: list[Any]) -> dict[str, Any]:
    """Train the kind asked for into `out_dir`; its manifest."""
    from training.train import BaselineParams, train_baseline

    progress = lambda message: err.print(message, highlight=False)  # noqa: E731
    if kind == ModelKind.TRANSFORMER:
        from training.finetune import FinetuneParams, finetune

        params = FinetuneParams(seed=seed, epochs=epochs or FinetuneParams.epochs)
        err.print(f"fine-tuning {params.epochs} epoch(s) on {len(dataset)} rows", highlight=False)
        return finetune(dataset, out_dir, dev=dev_set, params=params, command=command, licence=licence,
                        progress=progress)
    if kind == ModelKind.MULTILINGUAL:
        from training.multilingual import train_router

        if english is None:
            raise fail("--kind multilingual needs --english: the transformer artifact for English text")
        return train_router(english, dataset, out_dir, dev=dev_set, command=command, licence=licence,
                            progress=progress, red_green=red_green, cue_corpus=written or None)
    with err.status(f"training on {len(dataset)} rows..."):
        return train_baseline(dataset, out_dir, dev=dev_set, params=BaselineParams(seed=seed), command=command,
                              licence=licence)


def confirmed_labels(settings: Settings, eval_share: float, cut: datetime | None,
                     eval_accounts: list[int]) -> tuple[Any, Any, dict[str, Any]]:
    """Confirmed labels split by time: (training rows, evaluation rows, provenance of the split)."""
    from api.lab.retraining import confirmed_training_sets

    with database(settings) as session:
        return confirmed_training_sets(session=session, where=safe_url(settings.database_url),
                                       eval_share=eval_share, cut=cut, eval_accounts=eval_accounts)


@app.command()
def bench(model: Annotated[str | None, typer.Option(help="artifact directory or version; default: active")] = None,
          threads: Annotated[int, typer.Option(min=1, help="CPU threads for each backend")] = 2,
          format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.JSON,
          fairness: Annotated[bool, typer.Option("--fairness/--no-fairness", help="also serve the model and time "
                                                 "/healthz and a one-sentence request beside a 200,000-character "
                                                 "thread")] = True,
          score_texts: Annotated[int, typer.Option(min=0, help="also time `pulse score` on this many e-mails "
                                                   "against an eager fp32 loop (0: skip)")] = 2000,
          db: DbOption = None) -> None:
    """Measure the serving path against the eager fp32 reference of the same model, in one run."""
    import importlib.util

    from api.lab.offline.bench import run

    if importlib.util.find_spec("torch") is None:  # the reference runs in a child process, which would only fail
        raise fail("pulse bench measures against the eager PyTorch reference, which needs the training install: "
                   "pip install -e '.[train]'")
    settings = settings_for(db)
    directory = resolve.artifact_directory(model, settings.database_url, model_directory(settings))
    with err.status("benchmarking the serving path and the fp32 reference (a minute or two)..."):
        result = run(directory.resolve(), threads=threads)
    if score_texts:
        from api.lab.offline import bench_score

        with err.status(f"timing pulse score on {score_texts} e-mails against an eager fp32 loop..."):
            result["score"] = bench_score.run(directory.resolve(), threads, score_texts)
    if fairness:
        from api.lab.fairness import run as fairness_run

        with err.status("serving the model and timing others beside a 200,000-character thread..."):
            result["fairness"] = fairness_run(directory.resolve())
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
    out.print(f"serving path: {result['serving_path']['inference_precision']} ({result['serving_path']['why']}); "
              f"CPU {result['cpu']['model']} with {', '.join(result['cpu']['features']) or 'none of'} "
              f"{'' if result['cpu']['features'] else 'the features that matter'}", highlight=False)
    serving = result["serving"]
    if "cues_cost_of_throughput" in serving:
        out.print(f"cues (named, combined and read by the colour head): {serving['with_cues_batch16_texts_per_s']} "
                  f"texts/s against the tone model alone {serving['tone_model_alone_batch16_texts_per_s']} texts/s, "
                  f"batch 16: they cost {serving['cues_cost_of_throughput']:.0%} of throughput", highlight=False)
    if result.get("score"):
        score = result["score"]
        out.print(f"pulse score {score['pulse_score']['texts_per_s']} texts/s against an eager fp32 loop "
                  f"{score['reference_fp32_eager_loop']['texts_per_s']} texts/s: {score['speedup']}x "
                  f"({score['texts']}; label agreement {score['label_agreement']})", highlight=False)
    for way, figures in result.get("fairness", {}).items():
        if isinstance(figures, dict):
            out.print(f"fairness via {way}: long request {figures['long_request_s']} s; /healthz p99 "
                      f"{figures['healthz'].get('p99_ms')} ms; one-sentence suggest p99 "
                      f"{figures['one_sentence_suggest'].get('p99_ms')} ms", highlight=False)
