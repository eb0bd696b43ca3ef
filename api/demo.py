"""Demo data for `pulse demo`: two teams, a dozen accounts, their messages, people and history."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from api.accounts.models import Account
from api.checks import service as checks
from api.checks.models import CheckCreate
from api.config import Settings
from api.db import utcnow
from api.decisions.models import Decision, DecisionCreate
from api.demo_messages import ACCOUNTS, CONTACTS, MESSAGES
from api.intake import service as interactions
from api.interactions.models import InteractionCreate, InteractionKind
from api.model_versions import service as model_versions
from api.model_versions.models import ModelVersion
from api.outcomes.models import Outcome, OutcomeKind
from api.pulse.rollup import roll_up
from api.review import decide as decisions
from api.suggestions.models import Scope
from api.users import service as users
from api.users.models import Role, User
from api.web import service as web
from models.classifier import Classifier
from models.labels import LABELS, Label
from models.registry import ARTIFACTS_DIR

PEOPLE: list[tuple[str, Role, str | None]] = [
    ("Alex Admin", Role.ADMIN, None),
    ("Dana Data", Role.DATA_SCIENTIST, None),
    ("Lena Lead", Role.LEAD, "emea"),
    ("Chloé Martin", Role.CSM, "emea"),
    ("Sam Okafor", Role.CSM, "emea"),
    ("Luis Lead", Role.LEAD, "americas"),
    ("Priya Raman", Role.CSM, "americas"),
    ("Diego Alvarez", Role.CSM, "americas"),
]
INTERACTIONS_PER_ACCOUNT = 11
CHURNED_ACCOUNT = "Keystone Retail"
SECOND_VERSION = ARTIFACTS_DIR / "minilm-lora"
"""A real second version to compare with the active one or put in shadow: the English tone model the shipped
default reads English with, on its own (no cue head reading account risk, no routing of other languages)."""


@dataclass(frozen=True)
class DemoUser:
    """A demo user with the key printed for it."""

    name: str
    role: str
    team: str | None
    api_key: str


def _demo_users(session: Session) -> list[User]:
    names = [name for name, _, _ in PEOPLE]
    return list(session.exec(select(User).where(col(User.name).in_(names))).all())


def load(*, session: Session, classifier: Classifier, settings: Settings, seed: int = 7) -> tuple[list[DemoUser], bool]:
    """Load the demo once; on later runs give the demo users fresh keys. Returns (users, loaded_now)."""
    second_version(session)
    existing = _demo_users(session)
    if existing:
        return [DemoUser(u.name, u.role, u.team, web.revoke(session, u, disable=False) or "") for u in existing], False

    rng = random.Random(seed)
    now = utcnow()
    people: dict[str, tuple[User, str]] = {}
    for name, role, team in PEOPLE:
        user, key = users.create(session=session, name=name, role=role, team=team)
        people[name] = (user, key)
    csms = {team: [people[n][0] for n, r, t in PEOPLE if r == Role.CSM and t == team] for team in ("emea", "americas")}
    # One shuffled pool per colour for the whole demo: no text shows up under two accounts.
    pools = {label: [m for m in MESSAGES if m[0] == label.value] for label in Label}
    for pool in pools.values():
        rng.shuffle(pool)

    for index, (name, team, segment, renewal_days, arr, stage, mix) in enumerate(ACCOUNTS):
        owner = csms[team][index % 2]
        account = Account(name=name, team=team, segment=segment, owner_id=owner.id, arr=arr,
                          renewal_date=(now + timedelta(days=renewal_days)).date(), lifecycle_stage=stage,
                          external_id=f"crm-{1000 + index}", created_at=now - timedelta(days=120))
        session.add(account)
        session.commit()
        session.refresh(account)
        assert account.id is not None
        reasons = _messages(session, account, index, owner, mix, pools, rng, now, classifier, settings)

        rolled = roll_up(session=session, account=account, classifier=classifier, settings=settings)
        # Most accounts have a pulse; some are overdue for their cadence, so the stale list is not empty.
        if index % 4 != 3:
            truth = Label.RED if mix[0] >= 5 else Label.GREEN if mix[2] >= 5 else Label.YELLOW
            # The pulse's reason is the one the account's messages of that colour give most often.
            told = [reason for (colour, reason), _ in reasons.most_common() if colour == truth.value]
            _decide(session, owner, rolled.id, truth, told[0] if told else None, Label(rolled.label), settings,
                    rng, at=now - timedelta(days=rng.choice([2, 5, 12, 40])))
    # One account has already churned, so the audit can tell who saw it coming first.
    churned = session.exec(select(Account).where(Account.name == CHURNED_ACCOUNT)).one()
    session.add(Outcome(account_id=churned.id or 0, kind=OutcomeKind.CHURNED,
                        occurred_on=(now - timedelta(days=2)).date(),
                        note="terminated early after the billing dispute", created_by=csms[churned.team][0].id or 0))
    session.commit()
    for team, members in csms.items():
        lead = next(people[n][0] for n, r, t in PEOPLE if r == Role.LEAD and t == team)
        _check_items(session, lead, members, rng, settings)
    return [DemoUser(name, role.value, team, people[name][1]) for name, role, team in PEOPLE], True


def second_version(session: Session) -> ModelVersion:
    """Register the shipped tone model as a candidate (idempotent), so that comparing and shadowing work at once."""
    version = model_versions.register(session=session, directory=SECOND_VERSION)
    session.commit()
    return version


def _messages(session: Session, account: Account, index: int, owner: User, mix: Sequence[int],
              pools: dict[Label, list[tuple[str, str, str | None, str, str]]], rng: random.Random, now: datetime,
              classifier: Classifier, settings: Settings) -> Counter[tuple[str, str]]:
    """The account's messages, drawn from the colour pools by its mix; about half of the older ones decided by
    their owner as a careful CSM would. Returns how often each (colour, reason) was written."""
    assert account.id is not None
    contact = CONTACTS[index]
    reasons: Counter[tuple[str, str]] = Counter()
    for j in range(INTERACTIONS_PER_ACCOUNT):
        intended = rng.choices(list(Label), weights=mix)[0]
        if not pools[intended]:
            intended = max(pools, key=lambda label: len(pools[label]))
        colour, kind, subject, body, reason = pools[intended].pop()
        reasons[colour, reason] += 1
        occurred = now - timedelta(days=rng.uniform(0.5, 60), minutes=rng.randint(0, 600))
        data = InteractionCreate(account_id=account.id, kind=InteractionKind(kind), subject=subject,
                                 author=contact, external_id=f"demo-{index}-{j}", occurred_at=occurred,
                                 body=body.format(contact=contact, company=account.name))
        _, suggestion, _ = interactions.create(session=session, user=owner, data=data, classifier=classifier,
                                               settings=settings)
        if occurred < now - timedelta(days=3) and rng.random() < 0.5:
            _decide(session, owner, suggestion.id, Label(colour), reason, Label(suggestion.label), settings,
                    rng, at=occurred + timedelta(hours=rng.uniform(2, 48)))
    return reasons


def _check_items(session: Session, lead: User, members: list[User], rng: random.Random,
                 settings: Settings) -> None:
    """The lead marks three decided messages as check items; each CSM who did not decide one has answered
    a copy of it (the first shown with a wrong suggestion), as careful CSMs do: with the agreed colour and the
    reason the message gives (and, against a wrong suggestion, why it was wrong)."""
    decided = session.exec(select(Decision).where(Decision.team == lead.team, Decision.scope == Scope.INTERACTION)
                           .order_by(col(Decision.id)).limit(3)).all()
    for number, decision in enumerate(decided):
        check = checks.create(session=session, user=lead, data=CheckCreate(suggestion_id=decision.suggestion_id,
                                                                          label=Label(decision.label)))
        for member in members:
            if member.id == decision.user_id:
                continue
            copy = checks.copy(session, check, member, decoy=number == 0, blind=False, rng=rng)
            session.flush()
            agreed = Label(check.label)
            answer = DecisionCreate(label=agreed, sentiment_reason=decision.sentiment_reason,
                                    override_reason=override_reason(agreed, Label(copy.label), settings),
                                    viewed_ms=rng.randint(8_000, 60_000))
            checks.answer(session, check=check, copy=copy, user=member, server_ms=rng.randint(8_000, 60_000),
                          data=answer,
                          idempotency_key=None, revision=1)
    session.commit()


def _decide(session: Session, user: User, suggestion_id: int | None, chosen: Label, reason: str | None,
            suggested: Label, settings: Settings, rng: random.Random, at: datetime) -> None:
    """Decide as the owner would: with the reason the message gives, where the deployment offers it for the colour
    (else none, rather than one the message does not give)."""
    assert suggestion_id is not None
    data = DecisionCreate(
        label=chosen, sentiment_reason=reason if reason in settings.sentiment_reasons[chosen] else None,
        override_reason=override_reason(chosen, suggested, settings), viewed_ms=rng.randint(4_000, 45_000),
    )
    decisions.decide(session=session, user=user, suggestion_id=suggestion_id, data=data, idempotency_key=None,
                     settings=settings, at=at)


def override_reason(chosen: Label, suggested: Label, settings: Settings) -> str | None:
    """Why the suggestion was wrong, from how it was wrong: Red read as Green (or back) misread the tone; one
    colour off, it missed what the account's context says. None where the person agreed."""
    if chosen == suggested:
        return None
    wanted = "misread_tone" if abs(LABELS.index(chosen) - LABELS.index(suggested)) == 2 else "missed_context"
    offered = settings.override_reasons
    return wanted if wanted in offered else "other" if "other" in offered else offered[0]
