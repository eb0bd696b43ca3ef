"""`pulse demo`'s messages: each text shown once across the accounts, coloured by GUIDELINES.md, and decided
with the reason it was written with."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.accounts.models import Account
from api.config import DEFAULT_SENTIMENT_REASONS, Settings
from api.decisions.models import Decision
from api.demo import INTERACTIONS_PER_ACCOUNT, load
from api.demo_messages import ACCOUNTS, MESSAGES
from api.interactions.models import Interaction
from api.model_versions.holder import ModelHolder
from api.suggestions.models import Scope, Suggestion
from models.labels import Label
from pipelines.clean import clean_text
from training.corpus import skeletons

# A loose stand-in for the guidelines' risk cues, by kind, with the local contract words of section 7.
RISK_WORDS = {
    "non_renewal": r"renew|cancel|notice|end the contract|lapse|kündig|dénon|reconduction|opzeg|verlenging",
    "competitor": r"competitor|replacement|other supplier|evaluat|trial|demo from|rebuild|side by side|what else",
    "migration": r"export|moving|moved onto|migrat",
    "downgrade": r"downgrade|move us from|down to|drop to|seats|licen[cs]es",
    "budget": r"budget|spend|cost|price|uplift|paying|pay for|cfo|\bcut",
    "sponsor_change": r"\bleft\b|leaving|notice|retired|let go|replacing|\bweg\b",
    "severe_problem": r"outage|\bdown\b|unavailable|503|locked out|missing|disappeared|lost|blocked|broken|useless|"
                      r"wrong|overwrites|double-books|returns nothing|other customers' data|caída",
    "escalation": r"escalat|complaint|legal|penalt|\bsla\b|ceo|cto|cio|board|dispute|payment|withhold|collections|"
                  r"pagamento ficará suspenso",
}
RISK = re.compile("|".join(RISK_WORDS.values()), re.IGNORECASE)


def test_the_demo_messages_are_distinct_coloured_by_the_guidelines_and_give_a_fitting_reason() -> None:
    assert len(MESSAGES) >= 160
    assert len({body for _, _, _, body, _ in MESSAGES}) == len(MESSAGES)
    colours = Counter(colour for colour, *_ in MESSAGES)
    assert colours["Red"] >= 50 and colours["Yellow"] >= 50 and colours["Green"] >= 45, colours
    for colour, kind, _subject, body, reason in MESSAGES:
        assert reason in DEFAULT_SENTIMENT_REASONS[Label(colour)], (reason, body[:60])
        assert kind in ("email", "ticket", "chat", "call_note")
        if colour == "Red":
            assert RISK.search(body), f"a Red message names no risk: {body[:80]!r}"
    # No sentence frame twice: the corpus checker's skeletons, over the demo's own texts.
    seen: dict[str, str] = {}
    for _, _, _, body, _ in MESSAGES:
        for skeleton in skeletons(body.format(contact="Ana Souza", company="Northwind")):
            assert skeleton not in seen, f"{body[:50]!r} shares a sentence frame with {seen[skeleton]!r}"
            seen[skeleton] = body[:50]


def test_the_demo_shows_each_text_once_and_decides_with_the_reason_it_was_written_with(
        engine: Engine, settings: Settings) -> None:
    with Session(engine) as session:
        _, loaded = load(session=session, classifier=ModelHolder(settings.serving()).active(session), settings=settings)
        assert loaded
        bodies = [i.body for i in session.exec(select(Interaction)).all()]
        assert len(bodies) == len(ACCOUNTS) * INTERACTIONS_PER_ACCOUNT
        assert len(set(bodies)) == len(bodies), [b for b, n in Counter(bodies).items() if n > 1][:3]

        written = {}  # (account, stored body) -> the message it was written from
        accounts = {a.id: a for a in session.exec(select(Account)).all()}
        for interaction in session.exec(select(Interaction)).all():
            account = accounts[interaction.account_id]
            for message in MESSAGES:
                text = clean_text(message[3].format(contact=interaction.author, company=account.name))
                if text == interaction.body:
                    written[interaction.id] = message
            assert interaction.id in written, interaction.body[:80]

        decided = session.exec(select(Decision, Suggestion).where(Decision.suggestion_id == Suggestion.id)).all()
        scopes = Counter(suggestion.scope for _, suggestion in decided)
        assert scopes[Scope.INTERACTION] > 20 and scopes[Scope.ACCOUNT] > 5, scopes
        for decision, suggestion in decided:
            if suggestion.scope == Scope.INTERACTION:
                colour, _, _, body, reason = written[suggestion.interaction_id]
                assert (decision.label, decision.sentiment_reason) == (colour, reason), body[:80]
            else:
                assert decision.sentiment_reason in DEFAULT_SENTIMENT_REASONS[Label(decision.label)]
