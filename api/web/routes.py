"""Web pages for CSMs, leads and data scientists, rendered on the server from the API's own services.

Every page goes through the same services and team rules as the API. Forms carry the session's
CSRF token; the cookie is HttpOnly and SameSite=Lax; customer text is escaped by the templates.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlmodel import Session, col, select

from api.accounts import service as accounts
from api.audit import service as audit
from api.audit import shadow
from api.audit.models import AuditSettings
from api.checks import service as checks
from api.config import Settings
from api.db import as_utc, utcnow
from api.decisions.models import DecisionCreate
from api.deps import ClassifierDep, SessionDep, SettingsDep
from api.errors import ConflictError, ForbiddenError, PulseError, UnprocessableError
from api.ids import IdPath, IdQuery
from api.interactions.models import Interaction, InteractionKind
from api.lab import promotion
from api.model_versions import service as model_versions
from api.model_versions.models import ModelStatus
from api.policies import TEAM_READERS, check_role, confined_team, team_for_filter
from api.pulse import rollup
from api.pulse import service as pulse
from api.review import checking, queue
from api.review import decide as deciding
from api.scale import parse as parse_scale
from api.suggestions.models import Scope
from api.todos.service import for_account as todo_list
from api.users.models import Role, User
from api.web import charts
from api.web import service as web
from api.web.cards import account_names, card, card_context, retry_of, suggestion_texts
from api.web.forms import human, pulse_context, team_people
from api.web.service import COOKIE, LOGIN_COOKIE, SignedIn
from models.labels import LABELS, Label

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
STATIC = Path(__file__).parent / "static"
HOME = {Role.CSM: "/app/queue", Role.LEAD: "/app/audit", Role.DATA_SCIENTIST: "/app/models", Role.ADMIN: "/app/audit"}
QUEUE_PAGE = 20


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page, and back here afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def signed_in(request: Request, session: SessionDep) -> SignedIn:
    """The signed-in user, or a redirect to the sign-in page."""
    viewer = web.current(session, request.cookies.get(COOKIE))
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    request.app.state.limiter.hit(viewer.user.api_key_hash[:32])  # pages count against the key's limit too
    return viewer


Viewer = Annotated[SignedIn, Depends(signed_in)]
CsrfField = Annotated[str, Form(alias="csrf_token")]


def allow(viewer: SignedIn, roles: tuple[Role, ...], action: str) -> User:
    """The viewer's user, if their role may do this; the same 403 the API gives otherwise."""
    return check_role(viewer.user, roles, action)


def check_csrf(viewer: SignedIn, token: str) -> None:
    """Refuse a form that does not carry this session's token."""
    if not web.csrf_ok(viewer.csrf_token, token):
        raise ForbiddenError("this form's security token is missing or out of date; reload the page and try again")


def local(path: str | None, default: str = "/app") -> str:
    """A redirect target inside the app only (never another site)."""
    if path and path.startswith("/app") and not path.startswith("//") and "\\" not in path:
        return path
    return default


def render(request: Request, name: str, viewer: SignedIn | None, status: int = 200, **context: Any) -> HTMLResponse:
    """A page, with the viewer and the CSRF token every form needs."""
    base = {"me": viewer.user if viewer else None, "csrf": viewer.csrf_token if viewer else "",
            "labels": [label.value for label in LABELS], "path": request.url.path,
            "error": _message(request, viewer, "error"), "notice": _message(request, viewer, "notice")}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


SIGN_IN_MESSAGES = frozenset({"The sign-in form expired; try again.", "That API key is unknown or disabled.",
                              "Signed out."})
"""The only texts a page shows from its query string without a seal: the sign-in page's own."""


def _message(request: Request, viewer: SignedIn | None, name: str) -> str | None:
    """An error or notice from the query string, if this server wrote it for this session (content spoofing:
    a link must not put "re-enter your key at http://evil…" on a Pulse page)."""
    text = request.query_params.get(name)
    if not text:
        return None
    if text in SIGN_IN_MESSAGES:
        return text
    seal = request.query_params.get(f"{name}_seal", "")
    return text if viewer is not None and web.csrf_ok(web.seal(viewer.csrf_token, text), seal) else None


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An error as a page (for /app paths), with the same message the API would give."""
    with Session(request.app.state.engine) as session:
        viewer = web.current(session, request.cookies.get(COOKIE))
    return render(request, "error.html", viewer, status=status, status_code=status, message=message)


def with_query(path: str, **params: Any) -> str:
    """A path with query parameters (None left out)."""
    kept = {k: v for k, v in params.items() if v is not None}
    return f"{path}?{urlencode(kept)}" if kept else path


# --- sign in and out -------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form: an API key, exchanged for a session cookie."""
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, next=local(next), login_csrf=token)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", max_age=3600, path="/login")
    return response


@router.post("/login")
def login(request: Request, session: SessionDep, settings: SettingsDep, api_key: Annotated[str, Form(max_length=200)],
          csrf_token: CsrfField, next: Annotated[str, Form()] = "/app") -> Response:
    """Check the key; on success set the session cookie and go on. Attempts are limited per client address."""
    request.app.state.limiter.attempt(request.client.host if request.client else "unknown")
    if not web.csrf_ok(request.cookies.get(LOGIN_COOKIE), csrf_token):
        return RedirectResponse(with_query("/login", next=local(next), error="The sign-in form expired; try again."),
                                status_code=303)
    signed = web.sign_in(session, api_key=api_key, hours=settings.session_hours)
    if signed is None:
        return RedirectResponse(with_query("/login", next=local(next), error="That API key is unknown or disabled."),
                                status_code=303)
    token, user = signed
    target = local(next) if next and next != "/app" else HOME[Role(user.role)]
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=settings.environment == "production",
                        max_age=int(settings.session_hours * 3600), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(session: SessionDep, viewer: Viewer, csrf_token: CsrfField) -> Response:
    """End the session and forget the cookie."""
    check_csrf(viewer, csrf_token)
    web.sign_out(session, viewer)
    response = RedirectResponse("/login?notice=Signed+out.", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/app")
def home(viewer: Viewer) -> RedirectResponse:
    """Each role's first page."""
    return RedirectResponse(HOME[Role(viewer.user.role)], status_code=303)


# --- CSM: the review queue and decisions --------------------------------------------------------------


@router.get("/app/queue", response_class=HTMLResponse)
def queue_page(request: Request, session: SessionDep, viewer: Viewer, settings: SettingsDep,
               scope: Scope | None = None, cursor: str | None = None) -> HTMLResponse:
    """Pending suggestions, most in need of a person first; the latest decisions below."""
    user = allow(viewer, TEAM_READERS, "review suggestions")
    team = team_for_filter(user, None)
    today = utcnow().date()
    pending, total, next_cursor = queue.queue(session=session, team=team, status="pending", scope=scope,
                                                    account_id=None, limit=QUEUE_PAGE, cursor=cursor, today=today,
                                                    settings=settings, viewer_id=user.id)
    decided, _, _ = queue.queue(session=session, team=team, status="decided", scope=scope, account_id=None,
                                      limit=8, cursor=None, today=today, settings=settings, viewer_id=user.id,
                                      own_decided=user.role == Role.CSM)
    names = account_names(session, {s.account_id for s in pending + decided})
    context = card_context(session, pending)
    return render(request, "queue.html", viewer, cards=[card(s, names, context) for s in pending],
                  decided=[card(s, names) for s in decided], total=total, next_cursor=next_cursor, scope=scope,
                  reasons=reason_lists(settings), retry=retry_of(request),
                  scale=parse_scale(settings.scale, settings.guidelines), people=team_people(session, team))


def reason_lists(settings: Settings) -> dict[str, Any]:
    """The reason lists the decision form offers (sentiment reasons change with the colour)."""
    return {"sentiment": {label.value: reasons for label, reasons in settings.sentiment_reasons.items()},
            "override": settings.override_reasons}


@router.post("/app/suggestions/{suggestion_id}/decide")
def decide(suggestion_id: IdPath, session: SessionDep, viewer: Viewer, settings: SettingsDep, csrf_token: CsrfField,
           label: Annotated[str, Form()] = "", point: Annotated[str, Form(max_length=60)] = "",
           sentiment_reason: Annotated[str, Form()] = "",
           override_reason: Annotated[str, Form()] = "", note: Annotated[str, Form(max_length=5000)] = "",
           viewed_ms: Annotated[str, Form()] = "", idempotency_key: Annotated[str, Form(max_length=200)] = "",
           tags: Annotated[str, Form(max_length=500)] = "", lifecycle_stage: Annotated[str, Form(max_length=50)] = "",
           todo_title: Annotated[str, Form(max_length=300)] = "", todo_owner: Annotated[str, Form(max_length=20)] = "",
           todo_due: Annotated[str, Form(max_length=20)] = "",
           next: Annotated[str, Form()] = "/app/queue") -> Response:
    """Record a decision from the form, then go back to the page it came from."""
    check_csrf(viewer, csrf_token)
    user = allow(viewer, TEAM_READERS, "decide on suggestions")
    back = local(next, "/app/queue")
    try:
        chosen = Label.parse(label) if label else None
        if chosen is None and not point:
            raise UnprocessableError("choose a colour: Red, Yellow or Green", field="label")
        data = DecisionCreate(label=chosen, point=point or None, sentiment_reason=sentiment_reason or None,
                              override_reason=override_reason or None, note=note.strip() or None,
                              viewed_ms=_viewed(viewed_ms),
                              **pulse_context(tags, lifecycle_stage, todo_title, todo_owner, todo_due))
        deciding.decide(session=session, user=user, suggestion_id=suggestion_id, data=data,
                         idempotency_key=idempotency_key or None, settings=settings)
    except ValidationError as error:
        first = error.errors()[0]
        return back_to(back + f"#s{suggestion_id}", viewer, error=human(
            f"{'.'.join(map(str, first['loc']))}: {first['msg']}"))
    except ValueError as error:
        return back_to(back, viewer, error=human(str(error)))
    except PulseError as error:
        if error.status == 404:
            raise
        # Back to the same card with the colour still chosen and the message beside the field it concerns.
        kept = {"retry": str(suggestion_id), "chosen": chosen.value if chosen else "", "field": error.field or ""}
        return back_to(with_query(back, **kept) + f"#s{suggestion_id}", viewer, error=human(error.message))
    recorded = f"Decision on suggestion {suggestion_id} recorded: {point or (chosen.value if chosen else '')}."
    return back_to(back, viewer, notice=recorded)




def _viewed(value: str) -> int | None:
    try:
        return min(max(int(float(value)), 0), 86_400_000) if value else None
    except ValueError:
        return None


def back_to(path: str, viewer: SignedIn, **messages: str) -> RedirectResponse:
    """Redirect with an error or notice, sealed for this session so that no link can put words on a page."""
    path, _, anchor = path.partition("#")
    joiner = "&" if "?" in path else "?"
    sealed = {**messages, **{f"{k}_seal": web.seal(viewer.csrf_token, v) for k, v in messages.items()}}
    query = "&".join(f"{k}={quote(v)}" for k, v in sealed.items())
    return RedirectResponse(f"{path}{joiner}{query}" + (f"#{anchor}" if anchor else ""), status_code=303)


# --- accounts -------------------------------------------------------------------------------------------


@router.get("/app/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, session: SessionDep, viewer: Viewer, settings: SettingsDep,
                  stale: bool | None = None) -> HTMLResponse:
    """The team's accounts with pulse, cadence and due date; `?stale=true` lists the overdue ones."""
    user = allow(viewer, TEAM_READERS, "read accounts")
    listed = pulse.get_all(session=session, team=team_for_filter(user, None), stale=stale, settings=settings,
                              today=utcnow().date())
    return render(request, "accounts.html", viewer, accounts=listed, stale=stale)


@router.get("/app/accounts/{account_id}", response_class=HTMLResponse)
def account_page(account_id: IdPath, request: Request, session: SessionDep, viewer: Viewer,
                 settings: SettingsDep) -> HTMLResponse:
    """One account: its pulse over time, the roll-up to decide, its interactions and decisions."""
    user = allow(viewer, TEAM_READERS, "read accounts")
    account = accounts.get_or_raise(session=session, user=user, account_id=account_id)
    [shown] = pulse.public_many(session=session, accounts=[account], settings=settings, today=utcnow().date())
    events = pulse.timeline(session=session, account=account, reveal_endpoints=viewer.user.role == Role.ADMIN,
                            own_messages_of=user.id if user.role == Role.CSM else None)
    points = [charts.Point(e.at, e.label, e.type == "decision", e.summary) for e in events
              if e.label and e.type in ("decision", "suggestion") and e.detail.get("scope") == Scope.ACCOUNT]
    pending, _, _ = queue.queue(session=session, team=account.team, status="pending", scope=None,
                                      account_id=account_id, limit=50, cursor=None, today=utcnow().date(),
                                      settings=settings, viewer_id=viewer.user.id)
    names = {account_id: account}
    interactions = list(session.exec(select(Interaction).where(Interaction.account_id == account_id)
                                     .order_by(col(Interaction.occurred_at).desc()).limit(100)))
    context = card_context(session, pending)
    return render(request, "account.html", viewer, account=shown, chart=charts.pulse_chart(points),
                  cards=[card(s, names, context) for s in pending], interactions=interactions,
                  retry=retry_of(request), kinds=[k.value for k in InteractionKind],
                  scale=parse_scale(settings.scale, settings.guidelines), people=team_people(session, account.team),
                  todos=todo_list(session=session, user=user, account_id=account_id),
                  events=[e for e in reversed(events) if e.type in ("decision", "pulse_change")][:50],
                  reasons=reason_lists(settings))


@router.post("/app/accounts/{account_id}/rollup")
def roll_up(account_id: IdPath, session: SessionDep, viewer: Viewer, settings: SettingsDep, classifier: ClassifierDep,
            csrf_token: CsrfField) -> Response:
    """Roll the account's recent interactions up into a suggestion to decide."""
    check_csrf(viewer, csrf_token)
    user = allow(viewer, TEAM_READERS, "roll accounts up")
    account = accounts.get_or_raise(session=session, user=user, account_id=account_id)
    back = f"/app/accounts/{account_id}"
    try:
        made = rollup.roll_up(session=session, account=account, classifier=classifier, settings=settings)
    except UnprocessableError as error:
        return back_to(back, viewer, error=error.message)
    return back_to(back, viewer, notice=f"Roll-up suggestion {made.id} made from the recent interactions.")


# --- lead: the audit -------------------------------------------------------------------------------------


@router.get("/app/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, viewer: Viewer, settings: SettingsDep,
               since_text: Annotated[str, Query(alias="since", max_length=40)] = "",
               until_text: Annotated[str, Query(alias="until", max_length=40)] = "",
               model_version: str | None = None) -> HTMLResponse:
    """Agreement, confusion, direction, anchoring, trends and rubber-stamp flags; every count links to its rows.

    Either date may be left empty (the form sends both): an empty one is no bound."""
    user = allow(viewer, (Role.LEAD, Role.ADMIN), "read the audit")
    since, until = _date_field(since_text, "since"), _date_field(until_text, "until")
    model_version = model_version or None
    thresholds = AuditSettings.from_settings(settings)
    summary = audit.summary(session=session, team=team_for_filter(user, None), since=_day(since),
                            until=_day(until), model_version=model_version, scope=None, segment=None,
                            settings=thresholds)
    base = {"since": _day(since), "until": _day(until), "model_version": model_version, "current": "true"}

    def rows(**filters: Any) -> str:
        merged = {**base, **filters}
        return with_query("/app/decisions", **{k: (v.isoformat() if isinstance(v, datetime) else v)
                                               for k, v in merged.items()})

    total = sum(sum(row.values()) for row in summary.confusion.values())
    trend = lambda weeks: charts.trend_chart([(t.week.isoformat(), t.model_version, t.override_rate,  # noqa: E731
                                                t.override_ci_low, t.override_ci_high) for t in weeks])
    return render(request, "audit.html", viewer, summary=summary, rows=rows, total=total, heat=charts.heat, trend=trend,
                  interval=charts.interval, since=since, until=until, model_version=model_version,
                  checks=checks.listing(session=session, team=team_for_filter(user, None), limit=50),
                  check_share=settings.check_share, family=thresholds.family_confidence,
                  week_end=lambda week: (week + timedelta(days=7)).isoformat())


def _date_field(text: str, name: str) -> date | None:
    """A date from a form field: empty is None; anything else must be YYYY-MM-DD."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UnprocessableError(f"{name} must be a date like 2026-11-28, got {text!r}", field=name) from None


def _day(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=utcnow().tzinfo) if day else None


@router.get("/app/decisions", response_class=HTMLResponse)
def decisions_page(request: Request, session: SessionDep, viewer: Viewer, user_id: IdQuery = None,
                   account_id: IdQuery = None, model_version: str | None = None, since: datetime | None = None,
                   until: datetime | None = None, label: Label | None = None, suggested_label: Label | None = None,
                   scope: Scope | None = None, blind: bool | None = None, current: bool | None = None,
                   language: Annotated[str | None, Query(max_length=8)] = None, offset: int = 0) -> HTMLResponse:
    """The decisions behind an audit number, with the same filters as GET /v1/decisions."""
    user = allow(viewer, (Role.CSM, Role.LEAD, Role.DATA_SCIENTIST, Role.ADMIN), "read decisions")
    filters = {"user_id": user_id, "account_id": account_id, "model_version": model_version,
               "since": as_utc(since, "since"), "until": as_utc(until, "until"), "label": label,
               "suggested_label": suggested_label,
               "scope": scope, "blind": blind, "language": language}
    data, count = checking.decisions_for(session, user=user, filters=filters, current=current, limit=200,
                                         offset=min(max(offset, 0), queue.MAX_OFFSET))
    names = account_names(session, {d.account_id for d in data})
    people = {u.id: u.name for u in session.exec(select(User).where(col(User.id).in_({d.user_id for d in data})))}
    shown = {k: v for k, v in {**filters, "current": current}.items() if v is not None}
    return render(request, "decisions.html", viewer, decisions=data, count=count, names=names, people=people,
                  filters=shown, offset=offset, texts=suggestion_texts(session, [d.suggestion_id for d in data]),
                  checked=set() if user.role == Role.CSM else checks.checked_messages(
                      session, [d.interaction_id for d in data]))


# --- data scientist: model versions ---------------------------------------------------------------------


@router.get("/app/models", response_class=HTMLResponse)
def models_page(request: Request, session: SessionDep, viewer: Viewer) -> HTMLResponse:
    """Model versions with their metrics; compare one with the active version, put it in shadow, promote it,
    or roll back to the one before."""
    return render_models(request, session, viewer)


def render_models(request: Request, session: Session, viewer: SignedIn,
                  comparison: dict[str, Any] | None = None) -> HTMLResponse:
    """The models page, with a comparison shown at the top when one was asked for."""
    versions = model_versions.get_all(session=session)
    retired = sorted((v for v in versions if v.status == ModelStatus.RETIRED and v.promoted_at),
                     key=lambda v: v.promoted_at or utcnow(), reverse=True)
    can_promote = viewer.user.role in (Role.DATA_SCIENTIST, Role.ADMIN)
    team = confined_team(viewer.user)
    comparisons = [shadow.compare(session=session, version=v.version, team=team) for v in versions
                   if v.status == ModelStatus.SHADOW]
    return render(request, "models.html", viewer, versions=versions, previous=retired[0] if retired else None,
                  can_promote=can_promote, comparisons=comparisons, comparison=comparison)


@router.post("/app/models/{version}/promote")
def promote(version: str, request: Request, session: SessionDep, viewer: Viewer, csrf_token: CsrfField,
            force: Annotated[str, Form()] = "") -> Response:
    """Make a version active for every worker at once; a worse challenger needs `force`."""
    check_csrf(viewer, csrf_token)
    allow(viewer, (Role.DATA_SCIENTIST, Role.ADMIN), "promote model versions")
    try:
        promoted = promotion.promote(session=session, version=version, holder=request.app.state.models,
                                     force=force == "on")
    except ConflictError as error:
        return back_to("/app/models", viewer, error=error.message)
    return back_to("/app/models", viewer, notice=f"{promoted.version} is now active.")


@router.post("/app/models/rollback")
def rollback(session: SessionDep, viewer: Viewer, csrf_token: CsrfField) -> Response:
    """Make the previously active version active again."""
    check_csrf(viewer, csrf_token)
    allow(viewer, (Role.DATA_SCIENTIST, Role.ADMIN), "roll model versions back")
    try:
        restored = model_versions.rollback(session=session)
    except ConflictError as error:
        return back_to("/app/models", viewer, error=error.message)
    return back_to("/app/models", viewer, notice=f"Rolled back: {restored.version} is active again.")
