"""`pulse models shift-temperature`: a version whose answers end with a temperature for text it did not train on
(training/shift.py)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TaskID

from api.cli.common import OutputFormat, err, fail, models_app, progress_bar
from models.artifacts import ArtifactError
from training.datasets import DatasetError


def held_out_pair(value: str) -> tuple[Path, tuple[Path, ...]]:
    """`MODEL=DATA[,DATA...]` as the model's folder and its data paths."""
    model, sep, data = value.partition("=")
    if not sep or not model or not data:
        raise fail(f"--held-out must be MODEL=DATA (a version trained without a source, and that source's labelled "
                   f"CSV or folder), got {value!r}")
    return Path(model), tuple(Path(d) for d in data.split(","))


@models_app.command("shift-temperature")
def models_shift_temperature(
        source: Annotated[Path, typer.Argument(help="the multilingual version's artifact directory")],
        out: Annotated[Path, typer.Option("--out", help="folder for the shifted version")],
        held_out: Annotated[list[str], typer.Option(
            "--held-out", help="MODEL=DATA: a version trained without a source, and that source's labelled CSV "
                               "or folder (comma-separated for several; no path with '=' or ','); repeat for "
                               "each source")],
        own: Annotated[list[Path] | None, typer.Option(
            "--own", help="labelled CSV or folder of the version's own domains, held out from its training: "
                          "the card states what the temperature costs there")] = None,
        temperature: Annotated[float | None, typer.Option(
            help="use this temperature instead of fitting one (still measured)")] = None,
        format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT) -> None:
    """Write a copy of a version whose every answer ends with a temperature fitted on text of sources it was
    not trained on: versions trained by the same recipe without a source are scored on that source."""
    from training.shift import HeldOut, shift

    pairs = [HeldOut(*held_out_pair(value)) for value in held_out]
    command = "pulse " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    try:
        with progress_bar() as bar:
            tasks: dict[str, TaskID] = {}

            def say(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(f"scoring {name}", total=total)
                bar.update(tasks[name], completed=done, total=total)

            manifest = shift(source, out, pairs, own or [], command, say, temperature)
    except (DatasetError, ArtifactError) as error:
        raise fail(str(error)) from error
    except OSError as error:  # a folder that cannot be written, a disk that is full
        raise fail(f"cannot write {out}: {error}") from error
    found = manifest["shift"]
    if format == OutputFormat.JSON:
        print(json.dumps({"version": manifest["version"], "directory": str(out), **found}, indent=2))
        return
    print(f"{manifest['version']} in {out}: {found['from']} with a shift temperature of {found['temperature']}"
          f" ({'fitted' if found['fitted'] else 'given'})")
    for kind, entries in (("never read", found["held_out"]), ("own domain", found["own"])):
        for entry in entries:
            r = entry["reading"]
            print(f"  {kind:10} {entry['data']:<30} {entry['version']:<34} n={r['rows']:<5} ECE {r['ece']:.3f} -> "
                  f"{r['ece_shifted']:.3f}  log-loss {r['nll']:.3f} -> {r['nll_shifted']:.3f}")
    err.print("register it with `pulse models register`", highlight=False)
