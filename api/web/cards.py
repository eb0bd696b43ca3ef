"""What suggestion cards need beyond the suggestion: the message's author, kind and time, the messages
behind a roll-up, and the choice a person made before a refused save (kept for the retry)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlmodel import Session, col, select

from api.accounts.models import Account
from api.decisions.models import DecisionPublic
from api.decisions.shown import SuggestionPublic
from api.interactions.models import Interaction
from api.suggestions.models import Scope, Suggestion
from models.cues import RISK
from models.labels import LABELS

ROLLUP_MESSAGES = 5
"""How many of an account's latest messages a roll-up card shows."""
FIELDS = frozenset({"label", "sentiment_reason", "override_reason", "note"})


@dataclass
class CardContext:
    """Interactions by id (for message cards) and the latest messages by account (for roll-up cards)."""

    messages: dict[int, Interaction] = field(default_factory=dict)
    recent: dict[int, list[Interaction]] = field(default_factory=dict)


def card_context(session: Session, items: Sequence[SuggestionPublic]) -> CardContext:
    """The interactions the cards need, in two queries (plus one per roll-up account, at most a page's worth)."""
    ids = {s.interaction_id for s in items if s.interaction_id}
    messages = {i.id or 0: i for i in session.exec(select(Interaction).where(col(Interaction.id).in_(ids)))} if ids \
        else {}
    recent: dict[int, list[Interaction]] = {}
    for account_id in {s.account_id for s in items if s.scope == Scope.ACCOUNT}:
        recent[account_id] = list(session.exec(
            select(Interaction).where(Interaction.account_id == account_id)
            .order_by(col(Interaction.occurred_at).desc()).limit(ROLLUP_MESSAGES)))
    return CardContext(messages, recent)


def suggestion_texts(session: Session, suggestion_ids: Sequence[int], limit: int = 300) -> dict[int, str]:
    """The customer's text behind each suggestion (its first `limit` characters); roll-ups are named as such."""
    if not suggestion_ids:
        return {}
    rows = session.exec(select(Suggestion.id, Suggestion.scope, Interaction.body)
                        .join(Interaction, col(Interaction.id) == col(Suggestion.interaction_id), isouter=True)
                        .where(col(Suggestion.id).in_(set(suggestion_ids)))).all()
    return {sid: (body[:limit] + ("…" if len(body) > limit else "")) if body else f"({scope} roll-up)"
            for sid, scope, body in rows if sid is not None}


def first_words(text: str | None, words: int = 8) -> str:
    """The opening words of a message, to name it in a sentence ("Our invoices are wrong for the third…")."""
    parts = (text or "").split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def decided_words(session: Session, suggestion: Suggestion, decision: DecisionPublic, message: int | None) -> str:
    """A recorded decision in plain words, naming the account and the message (or the pulse, for a roll-up)."""
    account = session.get(Account, suggestion.account_id)
    name = account.name if account else "the account"
    choice = decision.point or decision.label.value
    if suggestion.scope == Scope.ACCOUNT:
        return f"Pulse of {name} set to {choice}" + (" (the model's reading)." if decision.accepted else ".")
    body = session.get(Interaction, message) if message else None
    verb = "Accepted" if decision.accepted else "Chose"
    words = first_words(body.body if body else "")
    return f"{verb} {choice} for {name}'s message “{words}”" + ("" if words[-1:] in ".!?…" else ".")


def retry_of(request: Request) -> dict[str, Any] | None:
    """The card a refused save came back to, with the colour that was chosen and the field at fault."""
    query = request.query_params
    try:
        suggestion = int(query.get("retry", ""))
    except ValueError:
        return None
    chosen = query.get("chosen", "")
    at_fault = query.get("field", "")
    return {"id": suggestion, "chosen": chosen if chosen in {label.value for label in LABELS} else None,
            "field": at_fault if at_fault in FIELDS else "label", "reason": query.get("reason", "")[:100],
            "point": query.get("point", "")[:60], "note": query.get("note", "")[:1000]}


def highlight(text: str | None, explanation: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, is evidence) by the explanation's character offsets."""
    if not text:
        return []
    spans = sorted((int(e["start"]), int(e["end"])) for e in explanation if "start" in e and "end" in e)
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in spans:
        if start < at or end > len(text):
            continue
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def card(item: SuggestionPublic, accounts_by_id: dict[int, Account], context: CardContext | None = None
         ) -> dict[str, Any]:
    """What a suggestion card shows: the text and evidence, who wrote it and when, and for a blind roll-up
    the messages it was made from."""
    account = accounts_by_id.get(item.account_id)
    context = context or CardContext()
    # A cue's sentence is evidence too: highlighted in the message, and named as a chip above it.
    spans = item.explanation + ([c.model_dump() for c in item.cues] if item.scope == Scope.INTERACTION else [])
    return {"s": item, "account": account, "pieces": highlight(item.text, spans),
            "chips": [{"kind": c.kind.replace("_", " "), "side": "risk" if c.kind in RISK else "health",
                       "sentence": c.sentence} for c in item.cues],
            "hidden": item.blind and item.decision is None, "key": secrets.token_urlsafe(12),
            "message": context.messages.get(item.interaction_id or 0),
            "behind": context.recent.get(item.account_id, []) if item.scope == Scope.ACCOUNT else []}


def account_names(session: Session, ids: set[int]) -> dict[int, Account]:
    """Accounts by id."""
    if not ids:
        return {}
    return {a.id: a for a in session.exec(select(Account).where(col(Account.id).in_(ids))) if a.id is not None}
