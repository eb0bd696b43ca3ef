"""Confirmed labels for retraining: one row per text people decided, with where it came from.

A confirmed label is the current (latest) decision on an interaction's suggestion. Texts that are
the same once case, spacing, punctuation, numbers, links and addresses are set aside are near
duplicates (a forwarded complaint, a template reply); they collapse into the row decided last,
which counts the others and says whether they disagreed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.decisions.models import Decision
from api.decisions.service import standing
from api.interactions.models import Interaction
from api.privacy.service import ERASED
from api.suggestions.models import Scope, Suggestion
from api.users.models import User
from pipelines.cells import safe_cell

COLUMNS = ["text", "label", "suggestion_id", "decision_id", "interaction_id", "account_id", "team", "model_version",
           "suggested_label", "decided_by", "decided_by_name", "blind", "accepted", "sentiment_reason",
           "override_reason", "revision", "occurred_at", "suggested_at", "decided_at", "duplicates",
           "duplicates_disagree", "text_key", "suggested_cues"]
_LINK = re.compile(r"https?://\S+|www\.\S+")
_ADDRESS = re.compile(r"\S+@\S+")
_NUMBER = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[^\w]+")


def text_key(text: str) -> str:
    """The same key for texts that differ only in case, spacing, punctuation, numbers, links or addresses."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    normal = _NUMBER.sub("0", _ADDRESS.sub(" @ ", _LINK.sub(" link ", normal)))
    normal = " ".join(_NOT_WORD.sub(" ", normal).split())
    return hashlib.sha256(normal.encode()).hexdigest()[:16]


def confirmed(*, session: Session, team: str | None = None, since: datetime | None = None,
              until: datetime | None = None) -> list[dict[str, Any]]:
    """Confirmed labels, oldest decision first, near duplicates collapsed into the latest."""
    query = (standing(sa_select(col(Interaction.body), col(Interaction.occurred_at), Decision,
                                col(Suggestion.created_at), col(User.name), col(Suggestion.cues)))
             .join(Suggestion, col(Suggestion.id) == col(Decision.suggestion_id))
             .join(Interaction, col(Interaction.id) == col(Decision.interaction_id))
             .join(User, col(User.id) == col(Decision.user_id))
             .where(col(Decision.scope) == Scope.INTERACTION)
             .where(col(Interaction.body) != ERASED)  # pulse erase: nothing left to learn from
             .order_by(col(Decision.created_at), col(Decision.id)))
    if team is not None:
        query = query.where(col(Decision.team) == team)
    if since is not None:
        query = query.where(col(Decision.created_at) >= since)
    if until is not None:
        query = query.where(col(Decision.created_at) <= until)  # inclusive (api.db.Until)
    latest: dict[str, dict[str, Any]] = {}
    for body, occurred_at, decision, suggested_at, name, cues in session.execute(query):
        key = text_key(body)
        earlier = latest.get(key)
        duplicates = earlier["duplicates"] + 1 if earlier is not None else 0
        disagree = earlier is not None and (earlier["duplicates_disagree"] or earlier["label"] != decision.label)
        latest[key] = {
            "text": body, "label": decision.label, "suggestion_id": decision.suggestion_id,
            "decision_id": decision.id, "interaction_id": decision.interaction_id,
            "account_id": decision.account_id, "team": decision.team, "model_version": decision.model_version,
            "suggested_label": decision.suggested_label, "decided_by": decision.user_id, "decided_by_name": name,
            "blind": decision.blind, "accepted": decision.accepted, "sentiment_reason": decision.sentiment_reason,
            "override_reason": decision.override_reason, "revision": decision.revision,
            "occurred_at": occurred_at.isoformat(), "suggested_at": suggested_at.isoformat(),
            "decided_at": decision.created_at.isoformat(),
            "duplicates": duplicates, "duplicates_disagree": disagree,
            "text_key": key,
            "suggested_cues": ";".join(c["kind"] for c in cues or []),  # the model's cue kinds, strongest first
        }
    return sorted(latest.values(), key=lambda row: (row["decided_at"], row["decision_id"]))


ACCEPTED_SHOWN_WEIGHT = 0.7
"""Training weight of a label accepted while the suggestion was shown: people lean towards what they
see (anchoring), so agreeing with it says less than a blind label or a deliberate override (both 1.0)."""


def label_weight(row: dict[str, Any]) -> float:
    """How much a confirmed label counts in training (used as the label's confidence, at most 1)."""
    return ACCEPTED_SHOWN_WEIGHT if row["accepted"] and not row["blind"] else 1.0


@dataclass(frozen=True)
class TimeSplit:
    """Confirmed labels cut by time (and optionally by account): nothing of the evaluation period trains."""

    train: list[dict[str, Any]]
    evaluate: list[dict[str, Any]]
    cut: str
    eval_accounts: list[int]
    dropped_duplicates: int

    def describe(self) -> dict[str, Any]:
        """The split, for the model version's provenance."""
        return {"train": len(self.train), "evaluate": len(self.evaluate), "evaluate_from": self.cut,
                "evaluate_accounts": self.eval_accounts,
                "dropped_near_duplicates_of_evaluation": self.dropped_duplicates,
                "train_blind": sum(r["blind"] for r in self.train),
                "train_overridden": sum(not r["accepted"] for r in self.train),
                "weights": {"blind": 1.0, "overridden": 1.0, "accepted_while_shown": ACCEPTED_SHOWN_WEIGHT}}


def split_by_time(rows: list[dict[str, Any]], *, eval_share: float = 0.2, cut: datetime | None = None,
                  eval_accounts: Iterable[int] = ()) -> TimeSplit:
    """Messages from `cut` on (default: the latest `eval_share` by time) and whole `eval_accounts` evaluate;
    the rest trains, less any near duplicate of an evaluation text."""
    held = set(eval_accounts)
    moments = sorted(r["occurred_at"] for r in rows)
    if cut is not None:
        boundary = cut.isoformat()
    elif moments and eval_share > 0:
        boundary = moments[min(int(len(moments) * (1 - eval_share)), len(moments) - 1)]
    else:
        boundary = ""
    evaluates = [bool(boundary and r["occurred_at"] >= boundary) or r["account_id"] in held for r in rows]
    later = [r for r, held_out in zip(rows, evaluates, strict=True) if held_out]
    earlier = [r for r, held_out in zip(rows, evaluates, strict=True) if not held_out]
    keys = {r["text_key"] for r in later}
    train = [r for r in earlier if r["text_key"] not in keys]
    return TimeSplit(train=train, evaluate=later, cut=boundary, eval_accounts=sorted(held),
                     dropped_duplicates=len(earlier) - len(train))


def as_csv(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The rows as CSV, a header first, every cell safe from formula injection.

    Every cell is quoted, so a separator inside one (";=cmd|…" where a spreadsheet splits on ";") cannot
    start a new cell; a cell that itself starts like a formula gets a leading quote (safe_cell).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(COLUMNS)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(row[c]) for c in COLUMNS])
        yield buffer.getvalue()


def as_jsonl(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The rows as JSON lines."""
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"
