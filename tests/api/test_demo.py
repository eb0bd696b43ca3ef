"""`pulse demo`'s messages: each text shown once across the accounts, coloured by GUIDELINES.md, and decided
with the reason it was written with; a second model version registered, so comparing and shadowing work at
once; the admin's account list naming each account's team."""

from __future__ import annotations

import re
from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.accounts.models import Account
from api.checks.models import Check, CheckAnswer
from api.config import DEFAULT_SENTIMENT_REASONS, Settings
from api.decisions.models import Decision
from api.demo import INTERACTIONS_PER_ACCOUNT, SECOND_VERSION, load
from api.demo_messages import ACCOUNTS, MESSAGES
from api.interactions.models import Interaction
from api.model_versions.holder import ModelHolder
from api.model_versions.models import ModelStatus, ModelVersion
from api.suggestions.models import Scope, Suggestion
from api.users.models import Role
from models.artifacts import verify
from models.labels import LABELS, Label
from pipelines.clean import clean_text
from tests.api.test_web import sign_in
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
        interactions = {i.id: i for i in session.exec(select(Interaction)).all()}
        overrides: Counter[str | None] = Counter()
        for decision, suggestion in decided:
            if suggestion.scope == Scope.INTERACTION:
                colour, _, _, body, reason = written[suggestion.interaction_id]
                assert (decision.label, decision.sentiment_reason) == (colour, reason), body[:80]
            else:
                # An account's pulse gives a reason its own messages of that colour give.
                given = {written[i.id][4] for i in interactions.values()
                         if i.account_id == decision.account_id and written[i.id][0] == decision.label}
                assert decision.sentiment_reason in given, (decision.sentiment_reason, given)
            # An override says how the model was wrong: across the scale it misread the tone, one step off
            # it missed the context.
            steps = abs(LABELS.index(Label(decision.label)) - LABELS.index(Label(suggestion.label)))
            assert decision.override_reason == {0: None, 1: "missed_context", 2: "misread_tone"}[steps]
            overrides[decision.override_reason] += 1
        assert overrides["missed_context"] > 0, overrides

        # Check items' answers give the message's own reason, and against a decoy say why it was wrong.
        answers = session.exec(select(CheckAnswer)).all()
        assert len(answers) >= 6 and any(a.label != a.shown_label for a in answers)
        for answer in answers:
            check = session.get(Check, answer.check_id)
            assert check is not None
            colour, _, _, body, reason = written[check.interaction_id]
            assert (answer.label, answer.sentiment_reason) == (colour, reason), body[:80]
            assert (answer.override_reason is None) == (answer.label == answer.shown_label), answer


def test_the_demo_registers_a_real_second_version_to_compare_and_shadow(engine: Engine, settings: Settings) -> None:
    second = verify(SECOND_VERSION)["version"]
    with Session(engine) as session:
        classifier = ModelHolder(settings.serving()).active(session)
        load(session=session, classifier=classifier, settings=settings)
        registered = session.get(ModelVersion, second)
        assert registered is not None and registered.status == ModelStatus.CANDIDATE
        assert registered.kind == "transformer-lora" and registered.version != classifier.version
        # Running the demo again registers nothing twice and changes no status.
        users, loaded = load(session=session, classifier=classifier, settings=settings)
        assert not loaded and users
        versions = session.exec(select(ModelVersion)).all()
        assert sorted(v.status for v in versions) == sorted([ModelStatus.ACTIVE, ModelStatus.CANDIDATE])


def test_only_a_reader_of_every_team_sees_each_accounts_team(client: TestClient, make_user, make_account) -> None:
    _, admin = make_user(Role.ADMIN, team=None)
    _, csm = make_user(Role.CSM, team="emea")
    make_account(headers=admin, name="Northwind", team="emea")
    make_account(headers=admin, name="Zephyr", team="americas")
    sign_in(client, admin)
    listed = client.get("/app/accounts?stale=true").text
    assert "<th>Team</th>" in listed
    assert re.search(r"Northwind</a></td>\s*<td>emea</td>", listed) and re.search(
        r"Zephyr</a></td>\s*<td>americas</td>", listed), listed
    client.cookies.clear()
    sign_in(client, csm)
    own = client.get("/app/accounts?stale=true").text
    assert "Northwind" in own and "Zephyr" not in own and "<th>Team</th>" not in own
