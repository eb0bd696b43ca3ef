"""Leave one account out, then let its CSM confirm labels: does retraining on them help on its later text?

1. Train version A on the base data without the account's messages.
2. In a fresh SQLite database with A live, the account's earliest `confirmed` messages arrive as
   interactions (cleaned and scored by A) and a CSM decides each with its true label, accepting or
   overriding as the suggestion falls: Pulse's own write path.
3. Train version B on the same base data plus those confirmed labels, read back exactly as
   `pulse train --from-db` reads them (with its weights).
4. Score A and B on the account's remaining messages (the rest of the training file and all of the
   dev file, none seen by either) and compare macro-F1, with a paired bootstrap interval.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import Session

from api.accounts import service as accounts
from api.accounts.models import AccountCreate
from api.config import Settings
from api.db import make_engine, migrate
from api.decisions.models import DecisionCreate
from api.exports import service as exports
from api.intake import service as interactions
from api.interactions.models import InteractionCreate, InteractionKind
from api.model_versions import service as model_versions
from api.model_versions.holder import ModelHolder
from api.review import decide as decisions
from api.users import service as users
from api.users.models import Role
from models.labels import Label
from models.metrics import bootstrap, bootstrap_samples, interval95, macro_f1
from models.registry import load
from training.datasets import Dataset, concat, from_rows

Trainer = Callable[[Dataset, Path, Dataset | None], dict[str, Any]]


def read_rows(path: Path) -> list[dict[str, str]]:
    """The CSV's rows; it needs `text`, `label` and `account` (and uses `created_at`, `label_confidence`)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    missing = {"text", "label", "account"} - set(rows[0] if rows else {})
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return rows


def dataset(rows: list[dict[str, str]], source: str) -> Dataset:
    """Rows as a training set, the annotators' confidence as weights."""
    return from_rows([(r["text"], r["label"]) for r in rows], source,
                     weights=[float(r.get("label_confidence") or 1.0) for r in rows])


def leave_one_out(*, train_csv: Path, dev_csv: Path, account: str, confirmed: int, workdir: Path,
                  trainer: Trainer, settings: Settings, progress: Callable[[str], None] = print,
                  seed: int = 0, repeat: int = 1) -> dict[str, Any]:
    """Run the experiment; returns both versions' macro-F1 on the account's unseen messages and the gain."""
    started = time.perf_counter()
    train_rows, dev_rows = read_rows(train_csv), read_rows(dev_csv)
    theirs = sorted((r for r in train_rows if r["account"] == account), key=lambda r: r.get("created_at", ""))
    if len(theirs) <= confirmed:
        raise ValueError(f"{account!r} has {len(theirs)} training messages; need more than {confirmed}")
    base = [r for r in train_rows if r["account"] != account]
    base_dev = dataset([r for r in dev_rows if r["account"] != account], f"{dev_csv} without {account}")
    unseen = theirs[confirmed:] + [r for r in dev_rows if r["account"] == account]
    base_set = dataset(base, f"{train_csv} without {account}")

    progress(f"training A without {account} on {len(base_set)} rows")
    before = trainer(base_set, workdir / "without", base_dev)
    progress(f"{account}: {confirmed} messages confirmed through Pulse with A live")
    rows, overrides = _confirm(theirs[:confirmed], account, workdir, settings, progress)
    split = exports.split_by_time(rows, eval_share=0.0)
    confirmed_set = from_rows([(r["text"], r["label"]) for r in split.train], f"{len(split.train)} labels confirmed "
                              f"in Pulse for {account}", weights=[exports.label_weight(r) for r in split.train])
    progress(f"training B on {len(base_set)} + {repeat} × {len(confirmed_set)} confirmed rows")
    combined = base_set
    for _ in range(repeat):
        combined = concat(combined, confirmed_set)
    after = trainer(combined, workdir / "with-confirmed", base_dev)

    texts = [r["text"] for r in unseen]
    truth = np.array([Label.parse(r["label"]).rank for r in unseen], dtype=np.int64)
    predicted = {name: load(workdir / name)[0].predict_proba(texts).argmax(axis=1)
                 for name in ("without", "with-confirmed")}
    gain = bootstrap(lambda s: macro_f1(truth[s], predicted["with-confirmed"][s]) - macro_f1(truth[s],
                                                                                          predicted["without"][s]),
                     bootstrap_samples(len(unseen), seed=seed))
    scores = {name: round(macro_f1(truth, p), 4) for name, p in predicted.items()}
    return {
        "account": account, "confirmed": len(split.train), "repeat": repeat, "overridden": overrides,
        "unseen_messages": len(unseen), "version_without": before["version"], "version_with": after["version"],
        "macro_f1_without": scores["without"], "macro_f1_with": scores["with-confirmed"],
        "gain": round(scores["with-confirmed"] - scores["without"], 4),
        "gain_ci": interval95(gain),
        "accuracy_without": round(float((predicted["without"] == truth).mean()), 4),
        "accuracy_with": round(float((predicted["with-confirmed"] == truth).mean()), 4),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _confirm(theirs: list[dict[str, str]], account: str, workdir: Path, settings: Settings,
             progress: Callable[[str], None]) -> tuple[list[dict[str, Any]], int]:
    """The account's messages confirmed through Pulse with version A live: each scored, then decided with its
    true label by the account's CSM. Returns the exported confirmed rows and how many were overrides."""
    url = f"sqlite:///{workdir / 'confirmations.db'}"
    (workdir / "confirmations.db").unlink(missing_ok=True)
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session:
        model_versions.ensure_active(session=session, directory=workdir / "without")
        session.commit()  # records flush; whoever calls them commits
        classifier = ModelHolder(settings.serving()).active(session)
        csm, _ = users.create(session=session, name=f"CSM of {account}", role=Role.CSM, team="airlines")
        customer = accounts.create(session=session, user=csm, data=AccountCreate(name=account, team="airlines"))
        overrides = 0
        moment = datetime(2026, 1, 1, tzinfo=UTC)
        for n, row in enumerate(theirs):
            data = InteractionCreate(account_id=customer.id or 0, kind=InteractionKind.CHAT, body=row["text"],
                                     external_id=row.get("id") or f"row-{n}", occurred_at=moment + timedelta(hours=n))
            try:
                _, suggestion, _ = interactions.create(session=session, user=csm, data=data, classifier=classifier,
                                                       settings=settings)
            except Exception as error:  # noqa: BLE001 - a text that cleans to nothing is not confirmed
                progress(f"skipped {data.external_id}: {error}")
                continue
            label = Label.parse(row["label"])
            overriding = label != suggestion.label
            overrides += overriding
            decisions.decide(session=session, user=csm, suggestion_id=suggestion.id or 0, settings=settings,
                             data=DecisionCreate(label=label, override_reason="misread_tone" if overriding else None),
                             idempotency_key=None)
        rows = exports.confirmed(session=session)
    engine.dispose()
    return rows, overrides
