"""An adapted version on disk: its base whole under base/, the head, its settings and a model card, sealed."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models import adapted
from models.artifacts import seal, verify

LICENCE = ("the deployment's own: labels its people confirmed on its customers' messages (the licence is the "
           "deployment's)")


def write(directory: Path, base_dir: Path, base_manifest: dict[str, Any], head: adapted.Head, result: Any,
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
              "method": result.method, "temperature": result.temperature}
    (staging / adapted.CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    meta = {"version": result.version, "kind": adapted.KIND, "base_version": result.base_version,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "languages": base_manifest.get("languages"), "licence": LICENCE, "command": command,
            "data": {"source": "confirmed labels in this deployment's database", "sha256": result.labels_sha256,
                     "train": result.n_train, "evaluate": result.n_eval, **result.data},
            "params": {"method": result.method, "temperature": result.temperature},
            "metrics": {"held_out_confirmed": {k: v for k, v in result.as_dict().items()
                                               if k not in ("directory", "written", "version", "base_version",
                                                            "data")}}}
    (staging / "MODEL_CARD.md").write_text(model_card(meta, result))
    seal(staging, meta)
    staging.rename(directory)


def model_card(meta: dict[str, Any], result: Any) -> str:
    """What the adapted version is, what it learned from (the deployment's own labels) and its figures."""
    rows = "\n".join(f"| {language} | {entry['n_train']} | {entry['n_eval']} | {entry.get('base_macro_f1', '—')} | "
                     f"{entry.get('adapted_macro_f1', '—')} |" for language, entry in result.languages.items())
    return f"""# Model card: {meta['version']}

Kind: {meta['kind']}: the base version `{result.base_version}` (whole, under `base/`, unchanged) with a head
refitted on this deployment's confirmed labels. The head reads the base's log-probabilities and the
multilingual encoder's embedding of each text's opening; a temperature fitted on the latest quarter of the
training labels calibrates it. Languages, cues and explanations are the base's.
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

Head: {result.method['family']} (penalty {result.method['penalty']}), temperature {result.temperature}.

## Command

    {meta['command'] or '(adapted from Python)'}
"""
