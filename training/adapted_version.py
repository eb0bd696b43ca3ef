"""An adapted version built and written: the head learned from a team's labels (training.adapt), measured against
its base on the later labels, its learning curve, and on disk its base whole under base/, the head, its settings
and a model card, sealed."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from models import adapted, registry
from models.artifacts import seal, verify
from models.options import ServingOptions
from training.adapt import (
    BALANCE_CAP,
    LANGUAGE_HEAD_FROM,
    Example,
    Method,
    by_language,
    check_enough,
    compare,
    labels_digest,
    learn,
    read_with_base,
    targets,
)
from training.learning_curve import curve

MIN_CURVE = 10
"""The fewest labels a point of the stored learning curve learns from."""
LICENCE = ("the deployment's own: labels its people confirmed on its customers' messages (the licence is the "
           "deployment's)")


@dataclass
class Adapted:
    """What adapting found, and (when it was written) where the version is."""

    version: str
    base_version: str
    n_train: int
    n_eval: int
    seconds: float
    base_macro_f1: float
    base_macro_f1_ci: list[float]
    adapted_macro_f1: float
    adapted_macro_f1_ci: list[float]
    difference_ci: list[float]
    better: bool
    method: dict[str, Any]
    temperature: float
    labels_sha256: str
    languages: dict[str, dict[str, Any]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # what was left out, and how the labels were split
    # macro-F1 on the held-out labels against how many of the training labels (oldest first) the head learned
    # from: the base itself at 0, then a quarter, half, three quarters and all of them, overall and per language
    curve: list[dict[str, Any]] = field(default_factory=list)
    directory: str | None = None
    written: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def version_id(base_version: str, labels_sha256: str, method: Method, temperature: float,
               base_only: Sequence[str] = (), language_heads: Sequence[str] = ()) -> str:
    """An adapted version's id: it changes with the base, the labels, and anything chosen on them."""
    key = f"{base_version}|{labels_sha256}|{method.family}|{method.penalty}|{BALANCE_CAP}|{temperature}|" \
          f"{','.join(base_only)}|{','.join(language_heads)}|{LANGUAGE_HEAD_FROM}|{adapted.METHOD}"
    return f"{adapted.KIND.split('-')[0]}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def build(base_dir: Path, train: Sequence[Example], evaluate: Sequence[Example], *, out_root: Path,
          options: ServingOptions | None = None, force: bool = False, command: str = "",
          say: Callable[[int, int], None] = lambda done, total: None, extra: dict[str, Any] | None = None) -> Adapted:
    """Fit a head for the base on `train` (oldest first), measure it against the base on `evaluate` (the later
    labels), and write the version under `out_root` unless it reads them worse than its base (or `force`)."""
    started = time.perf_counter()
    check_enough(train, evaluate)
    base, manifest = registry.load(base_dir, options=options)
    probabilities, x = read_with_base(base, [e.text for e in [*train, *evaluate]], say)
    n = len(train)
    y_train, y_eval, weights = targets(train), targets(evaluate), np.array([e.weight for e in train])
    head, choice = learn(x[:n], y_train, weights, [e.language for e in train])
    method, temperature = choice.method, choice.temperature
    mine = head.probabilities(x[n:], [e.language for e in evaluate]).argmax(axis=1)
    theirs = probabilities[n:].argmax(axis=1)
    steps = sorted({max(int(n * share), MIN_CURVE) for share in (0.25, 0.5, 0.75)} - {n})
    learned = curve((probabilities[:n], x[:n], train), (probabilities[n:], x[n:], evaluate), range(n),
                    [s for s in steps if s < n])
    figures = compare(y_eval, theirs, mine)
    languages = by_language(evaluate, y_eval, theirs, mine, train)
    digest = labels_digest(train)
    result = Adapted(
        version=version_id(manifest["version"], digest, method, temperature, choice.base_only, list(head.by_language)),
        base_version=manifest["version"],
        n_train=n, n_eval=len(evaluate), seconds=0.0, base_macro_f1=figures["base"],
        base_macro_f1_ci=figures["base_ci"], adapted_macro_f1=figures["adapted"],
        adapted_macro_f1_ci=figures["adapted_ci"], difference_ci=figures["difference_ci"],
        better=figures["adapted"] >= figures["base"], method=method.describe() | {
            "base_only_languages": list(choice.base_only), "language_heads": list(head.by_language)},
        temperature=temperature,
        labels_sha256=digest, languages=languages, data=extra or {},
        curve=[*learned, {"n": n, "macro_f1": figures["adapted"], "ci": figures["adapted_ci"],
                          "languages": {k: v["adapted_macro_f1"] for k, v in languages.items()
                                        if "adapted_macro_f1" in v}}])
    if result.better or force:
        directory = out_root / result.version
        write(directory, base_dir, manifest, head, result, command)
        result.directory, result.written = str(directory), True
    result.seconds = round(time.perf_counter() - started, 1)
    return result


def write(directory: Path, base_dir: Path, base_manifest: dict[str, Any], head: adapted.Head, result: Adapted,
          command: str) -> None:
    """The sealed artifact: the base whole under base/, the head, its settings and a model card."""
    if directory.exists():
        verify(directory)  # the same version written before: it is immutable, keep it
        return
    staging = directory.with_name(directory.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copytree(base_dir, staging / adapted.BASE)
    head.save(staging)
    config = {"base_version": result.base_version, "labels_sha256": result.labels_sha256,
              "features": adapted.METHOD,
              "method": result.method, "temperature": result.temperature,
              "base_only_languages": list(head.base_only), "language_heads": list(head.by_language)}
    (staging / adapted.CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    meta = {"version": result.version, "kind": adapted.KIND, "base_version": result.base_version,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "languages": base_manifest.get("languages"), "licence": LICENCE, "command": command,
            "data": {"source": "confirmed labels in this deployment's database", "sha256": result.labels_sha256,
                     "train": result.n_train, "evaluate": result.n_eval, **result.data},
            "params": {"method": result.method, "temperature": result.temperature},
            "metrics": {"held_out_confirmed": {k: v for k, v in result.as_dict().items()
                                               if k not in ("directory", "written", "version", "data")}}}
    (staging / "MODEL_CARD.md").write_text(model_card(meta, result))
    seal(staging, meta)
    staging.rename(directory)


def model_card(meta: dict[str, Any], result: Adapted) -> str:
    """What the adapted version is, what it learned from (the deployment's own labels) and its figures."""
    rows = "\n".join(f"| {language} | {entry['n_train']} | {entry['n_eval']} | {entry.get('base_macro_f1', '—')} | "
                     f"{entry.get('adapted_macro_f1', '—')} |" for language, entry in result.languages.items())
    return f"""# Model card: {meta['version']}

Kind: {meta['kind']}: the base version `{result.base_version}` (whole, under `base/`, unchanged) with a head
refitted on this deployment's confirmed labels. The head reads the base's log-probabilities, the
multilingual encoder's embedding of each text's opening and the text's hashed words; a language with
{LANGUAGE_HEAD_FROM} or more labels has a head of its own. Languages, cues and explanations are the base's.

Calibration, and its trade: a temperature ({result.temperature}) fitted on the latest quarter of the training
labels makes the confidence it shows honest on this team's messages. On text unlike them (another team's, a
new channel) it was not measured; there the base's own calibration, on its card, is the better guide.
Created: {meta['created_at']}.

## Data and licence
- {result.n_train} confirmed labels learned from (sha256 `{result.labels_sha256[:16]}…`), the latest
  {result.n_eval} held out by time to measure on; near-duplicates collapsed, check items never included.
- Licence: {LICENCE}. The base's own data and licences are on its card, in `base/`.
- Left out: {json.dumps({k: v for k, v in meta['data'].items() if k not in ('source', 'sha256', 'train', 'evaluate')})}

## Figures on the held-out confirmed labels

| | macro-F1 | 95% interval |
|---|---|---|
| base `{result.base_version}` | {result.base_macro_f1} | {result.base_macro_f1_ci} |
| adapted | {result.adapted_macro_f1} | {result.adapted_macro_f1_ci} |
| adapted − base (paired) | | {result.difference_ci} |

| language | learned from | held out | base macro-F1 | adapted macro-F1 |
|---|---|---|---|---|
{rows}

Head: {result.method['family']} (penalty {result.method['penalty']}, rare colours weighed up at most
{result.method.get('colour_weight_cap')} times), temperature {result.temperature}. Languages with a head of their
own: {', '.join(result.method.get('language_heads') or []) or 'none'}. Languages that keep the
base's reading (the head read their labels worse): {', '.join(result.method.get('base_only_languages') or []) or
'none'}.

## Command

    {meta['command'] or '(adapted from Python)'}
"""
