"""A temperature for text a version never trained on, fitted where the recipe itself can be held out.

A version is calibrated on held-apart rows of its own training sources, and on text of another domain it is
surer than it is right: the default read customer tweets to airlines with an expected calibration error of
0.131. No labelled text here from a domain the default never saw may fit a shipped parameter (the airline
tweets are non-commercial, UMSAB evaluation-only). So the temperature is fitted on a source the recipe can
leave out: the same recipe trained without that source (a version that never saw it) is scored on all of it,
and the temperature that makes that version honest there is the one the shipped version gets for text it did
not train on, as the last step of every answer (models.multilingual `shift_temperature`).

The sources left out are the open ones the English transformer learned tone from: trained on GoEmotions'
Reddit comments alone it is scored on DynaSent's review sentences, and the other way round. Each pair counts
alike (`fit_shift`). A deployment's mail is, like each of them to the other, text of the same task (how the
writer feels about the matter) in a domain the version never read. Leaving out the customer-success corpus
instead measures a different shift: a version that never read it does not know what Red means there (0.40
macro-F1), and the temperature that makes a version that cannot do the task honest (3.1) says nothing of one
that can. A temperature changes no colour, only how sure each answer is; its cost is under-confidence on the
version's own domains, which the command measures and the card states.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.artifacts import seal, verify
from models.metrics import expected_calibration_error, macro_f1
from models.multilingual import KIND, SHIFT_RANGE, soften
from training.calibrate import fit_temperature_across, nll
from training.datasets import Dataset, DatasetError, concat, read_csv

DIGITS = 2
"""The temperature is kept to two decimals: it is part of the version id, and a third would be noise."""
LOWEST, HIGHEST = SHIFT_RANGE  # the temperatures a version may take; models.multilingual refuses others at load
SHIFTABLE = KIND  # the kind whose last step is the shift temperature


@dataclass(frozen=True)
class Reading:
    """How sure a version is on labelled texts, at temperature 1 and at the shift temperature."""

    rows: int
    macro_f1: float
    ece: float
    ece_shifted: float
    nll: float
    nll_shifted: float


def labelled(paths: Sequence[Path]) -> Dataset:
    """The `text,label` CSVs at paths (a folder: every CSV in it, sorted), as one dataset."""
    files = [file for path in paths for file in (sorted(path.glob("*.csv")) if path.is_dir() else [path])]
    if not files:
        raise DatasetError(f"no CSV in {', '.join(str(p) for p in paths)}")
    found = read_csv(files[0])
    for file in files[1:]:
        found = concat(found, read_csv(file))
    return found


def score(model: Any, texts: Sequence[str], say: Callable[[int, int], None], chunk: int = 64) -> NDArray[np.float64]:
    """The model's probabilities for texts, `say(done, total)` after each chunk."""
    found = []
    for start in range(0, len(texts), chunk):
        found.append(np.asarray(model.predict_proba(list(texts[start:start + chunk])), dtype=np.float64))
        say(min(start + chunk, len(texts)), len(texts))
    return np.vstack(found) if found else np.zeros((0, 3))


shifted = soften  # probabilities as the shift temperature serves them (models.multilingual's last step)


def fit_shift(pairs: Sequence[tuple[NDArray[np.float64], NDArray[np.int64]]]) -> float:
    """The temperature, to DIGITS decimals, with the lowest mean log-loss over pairs of (probabilities, labels)
    of versions on text they never saw, each pair counting alike whatever its number of rows."""
    logs = [(np.log(np.clip(p, 1e-12, 1.0)), y) for p, y in pairs]
    if not logs or not all(len(y) for _, y in logs):
        raise DatasetError("fitting a shift temperature needs labelled rows the versions never saw")
    return round(fit_temperature_across(logs), DIGITS)


def reading(probabilities: NDArray[np.float64], labels: NDArray[np.int64], temperature: float) -> Reading:
    logs = np.log(np.clip(probabilities, 1e-12, 1.0))
    return Reading(len(labels), round(macro_f1(labels, probabilities.argmax(axis=1)), 4),
                   round(expected_calibration_error(probabilities, labels), 4),
                   round(expected_calibration_error(shifted(probabilities, temperature), labels), 4),
                   round(nll(logs, labels, 1.0), 4), round(nll(logs, labels, temperature), 4))


def shifted_version(version: str, temperature: float) -> str:
    """The id of `version` with a shift temperature: the temperature is part of it."""
    kind = version.rsplit("-", 1)[0]
    digest = hashlib.sha256(f"{version}|shift_temperature={temperature:.{DIGITS}f}".encode()).hexdigest()
    return f"{kind}-{digest[:10]}"


def check_temperature(temperature: float) -> float:
    """`temperature`, where it is a number between LOWEST and HIGHEST; DatasetError saying so otherwise."""
    if not LOWEST <= temperature <= HIGHEST:  # false for nan too
        raise DatasetError(f"the shift temperature must be between {LOWEST} and {HIGHEST:g}, got {temperature}")
    return temperature


def shiftable(source: Path, out: Path) -> dict[str, Any]:
    """The manifest of the version at `source`, where a shift temperature can be given it and written to `out`
    (a new or empty folder, apart from the source: nothing is ever replaced)."""
    manifest = verify(source)
    if manifest["kind"] != SHIFTABLE:
        raise DatasetError(f"{source} is a {manifest['kind']} version; only a {SHIFTABLE} takes a shift temperature")
    if "shift" in manifest:
        raise DatasetError(f"{source} already has a shift temperature ({manifest['shift']['temperature']}); "
                           f"shift the version it came from, {manifest['shift']['from']}")
    here, there = source.resolve(), out.resolve()
    if there == here or here in there.parents or there in here.parents:
        raise DatasetError(f"{out} is {source}, inside it or above it; write the shifted version beside it")
    if out.is_symlink() or (out.exists() and (not out.is_dir() or any(out.iterdir()))):
        raise DatasetError(f"{out} already exists and is not an empty folder; give a new or empty folder")
    return manifest


def write_shifted(source: Path, out: Path, temperature: float, evidence: dict[str, Any], command: str
                  ) -> dict[str, Any]:
    """A copy of the version at `source` whose answers end with the shift temperature, sealed at `out` under
    its own version id; its card states the temperature, how it was fitted, and the trade (`evidence`). It is
    built beside `out` and moved there whole, so a failure leaves no half-written version."""
    manifest, temperature = shiftable(source, out), check_temperature(temperature)
    version = shifted_version(manifest["version"], temperature)
    building = out.parent / f".{out.name}.building"
    if building.exists():
        shutil.rmtree(building)
    shutil.copytree(source, building)
    try:
        (building / "manifest.json").unlink()
        config = json.loads((building / "config.json").read_text())
        (building / "config.json").write_text(json.dumps(config | {"shift_temperature": temperature}, indent=2))
        meta = {k: v for k, v in manifest.items() if k not in ("files", "metrics")}
        meta |= {"version": version, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                 "metrics": _metrics(manifest.get("metrics") or {}, manifest["version"], version),
                 "shift": {"temperature": temperature, "from": manifest["version"], **evidence, "command": command}}
        card = (building / "MODEL_CARD.md").read_text().replace(manifest["version"], version, 1)
        (building / "MODEL_CARD.md").write_text(card.rstrip() + "\n\n" + card_section(meta["shift"]))
        sealed = seal(building, meta)
        if out.exists():
            out.rmdir()  # empty, as shiftable checked
        building.rename(out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return sealed


def _metrics(metrics: dict[str, Any], source: str, version: str) -> dict[str, Any]:
    """The source's figures, which hold for the shifted version (no message's colour changes) except its
    calibration error: that is kept as `ece_before_shift`, and the card's table gives it after."""
    found: dict[str, Any] = {}
    for name, entry in metrics.items():
        if isinstance(entry, dict) and "ece" in entry:
            entry = {k: v for k, v in entry.items() if k != "ece"} | {"ece_before_shift": entry["ece"]}
            entry |= {"model_version": version} if entry.get("model_version") == source else {}
        found[name] = entry
    return found


def card_section(shift: dict[str, Any]) -> str:
    """The card's account of the shift temperature: what it is, how it was fitted, and what it costs."""
    held = [_row(f"{pair['data']}, read by {pair['version']}, which never read it", pair["reading"])
            for pair in shift["held_out"]]
    own = [_row(f"{pair['data']}, read by {pair['version']} and shifted", pair["reading"]) for pair in shift["own"]]
    how = ("**How it was fitted** (`training/shift.py`): versions trained by the same recipe without a source were "
           "scored on that source, and the temperature is the one with the lowest mean log-loss there, each source "
           "counting alike. For the open sources, `python -m training.open_mix --out DIR` writes each alone under "
           "`DIR/one_source/`, and `pulse train --data DIR/one_source/<source>_train.csv --out DIR/only_<source> "
           "--epochs 2` trains the version that never read the other."
           if shift.get("fitted", True) else
           "**It was given, not fitted** (`--temperature`); the table measures it on the sets below.")
    return "\n".join([
        "## Calibration for text it did not train on", "",
        f"Every answer ends with a temperature of **{shift['temperature']}** (softmax of the log-probabilities "
        f"over it): on text of a domain it never read, a version is surer than it is right. No message's colour "
        f"changes, only how sure each answer is; an account's pulse, which averages its messages' probabilities, "
        f"can change where they disagree, and the review queue's order and the audit's low-confidence figures move "
        f"with the probabilities. This version is {shift['from']} with that last step; its other figures above "
        f"are that version's, and they hold here except the calibration error, which the table gives.", "",
        how, "",
        "**The trade** (expected calibration error over 15 bins, and log-loss, at 1 and at the temperature):", "",
        "| set | rows | macro-F1 | ECE at 1 | ECE shifted | log-loss at 1 | log-loss shifted |",
        "|---|---|---|---|---|---|---|", *held, *own, "",
        "An adapted version (`pulse models adapt`) fits its own temperature on the team's labels.", "",
        f"    {shift['command']}", ""])


def _named(path: Path) -> str:
    """A data path as the card names it: its folder and its name."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _row(name: str, figures: dict[str, Any]) -> str:
    return (f"| {name} | {figures['rows']} | {figures['macro_f1']} | {figures['ece']} | {figures['ece_shifted']} "
            f"| {figures['nll']} | {figures['nll_shifted']} |")


def measured(data: str, version: str, probabilities: NDArray[np.float64], labels: NDArray[np.int64],
             temperature: float) -> dict[str, Any]:
    """One set's entry in the evidence: what it is, which version read it, and its reading."""
    return {"data": data, "version": version, "reading": asdict(reading(probabilities, labels, temperature))}


@dataclass(frozen=True)
class HeldOut:
    """A version trained without a source, and labelled files of that source (a file or a folder each)."""

    model: Path
    data: tuple[Path, ...]


def shift(source: Path, out: Path, held_out: Sequence[HeldOut], own: Sequence[Path], command: str,
          say: Callable[[str, int, int], None], temperature: float | None = None) -> dict[str, Any]:
    """Fit the shift temperature on the held-out pairs (or take `temperature`), measure the trade on them and
    on the source version's own held-out sets (`own`), and write the shifted version at `out`."""
    from models import registry

    shiftable(source, out)
    if temperature is not None:
        check_temperature(temperature)
    if not held_out:
        raise DatasetError("a shift temperature needs at least one version trained without a source (--held-out)")
    pairs: list[tuple[str, str, NDArray[np.float64], NDArray[np.int64]]] = []
    for entry in held_out:
        data = labelled(entry.data)
        model, manifest = registry.load(entry.model)
        name = ", ".join(_named(p) for p in entry.data)
        pairs.append((name, manifest["version"], score(model, data.texts, partial(say, name)),
                      data.labels))
    fitted = check_temperature(fit_shift([(p, y) for _, _, p, y in pairs]) if temperature is None
                               else round(temperature, DIGITS))
    model, manifest = registry.load(source)
    mine = []
    for path in own:
        data = labelled([path])
        mine.append(measured(_named(path), manifest["version"],
                             score(model, data.texts, partial(say, _named(path))), data.labels, fitted))
    found = {"fitted": temperature is None,
             "held_out": [measured(name, version, p, y, fitted) for name, version, p, y in pairs], "own": mine}
    return write_shifted(source, out, fitted, found, command)
