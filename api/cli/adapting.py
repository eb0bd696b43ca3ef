"""`pulse models adapt`: a version adapted to this deployment's customers from the labels its people confirmed."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import DbOption, OutputFormat, database, err, fail, models_app, progress_bar, settings_for
from api.lab import adapting
from api.model_versions import service as model_versions
from models.artifacts import ArtifactError


@models_app.command("adapt")
def models_adapt(base: Annotated[str | None, typer.Option("--base", help="the version to adapt (default: the "
                                                                        "active one)")] = None,
                 register: Annotated[bool, typer.Option("--register", help="record the adapted version as a "
                                                                           "candidate")] = False,
                 force: Annotated[bool, typer.Option("--force", help="write it even where it reads the held-out "
                                                                     "labels worse than its base")] = False,
                 include_flagged: Annotated[bool, typer.Option(
                     "--include-flagged", help="learn from people the audit flags too")] = False,
                 out_dir: Annotated[Path | None, typer.Option("--out", help="folder for the version (default: "
                                                                            "PULSE_ADAPTED_DIR)")] = None,
                 format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
                 db: DbOption = None) -> None:
    """Adapt a version to this deployment from its confirmed labels: the latest share (by time) is held out and
    the adapted version is measured against its base there, with 95% intervals. Nothing is written where it
    reads those labels worse than its base, unless --force."""
    settings = settings_for(db)
    command = "pulse " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    try:
        with database(settings) as session, progress_bar() as bar:
            task = bar.add_task("reading confirmed labels with the base", total=None)
            result = adapting.adapt(session, settings, base=base, out_root=out_dir.resolve() if out_dir else None,
                                    include_flagged=include_flagged, force=force, command=command,
                                    say=lambda done, total: bar.update(task, completed=done, total=total))
            if result.written and register:
                model_versions.register(session=session, directory=Path(result.directory))
    except ArtifactError as error:
        raise fail(f"model artifact refused: {error}") from error
    report: dict[str, Any] = {**result.as_dict(), "registered": bool(result.written and register)}
    if format == OutputFormat.JSON:
        print(json.dumps(report, indent=2))
    else:
        print(text(report))
    if not result.written:
        err.print(f"not written: the adapted version reads the {result.n_eval} held-out labels worse than its base "
                  f"({result.adapted_macro_f1} against {result.base_macro_f1} macro-F1); --force writes it anyway",
                  highlight=False)
        raise typer.Exit(1)


def text(report: dict[str, Any]) -> str:
    """The report for a person."""
    lines = [f"{report['version']} adapted from {report['base_version']} in {report['seconds']}s",
             f"learned from {report['n_train']} confirmed labels, measured on the latest {report['n_eval']}",
             f"macro-F1 base {report['base_macro_f1']} {report['base_macro_f1_ci']}, adapted "
             f"{report['adapted_macro_f1']} {report['adapted_macro_f1_ci']}; difference {report['difference_ci']}"]
    for language, entry in report["languages"].items():
        figures = (f", macro-F1 {entry['base_macro_f1']} -> {entry['adapted_macro_f1']}"
                   if "adapted_macro_f1" in entry else "")
        lines.append(f"  {language}: {entry['n_train']} learned from, {entry['n_eval']} held out{figures}")
    if report["written"]:
        lines.append(f"written to {report['directory']}" + ("; registered as a candidate" if report["registered"]
                                                              else "; `pulse models register` records it"))
    return "\n".join(lines)
