"""Account events and webhooks: recorded with the change, delivered later by a worker, signed with HMAC.

An event and one delivery job per subscribed endpoint are written in the change's own transaction
(api.jobs.deliveries), so an event exists exactly when the change does and survives a restart. Workers
deliver each job with retries and exponential backoff. Every delivery carries the event id (receivers
deduplicate on it) and a signature over the timestamp and the exact body:

    X-Pulse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlmodel import Session, col, select

from api.errors import NotFoundError, UnprocessableError
from api.events.models import Event, EventType, WebhookCreate, WebhookEndpoint, WebhookPublic
from api.users.models import User

SIGNATURE_HEADER = "X-Pulse-Signature"


def overdue_already(session: Session, account_id: int, due: str) -> bool:
    """Whether this account's overdue event for this due date was recorded already."""
    for event in session.exec(select(Event).where(Event.account_id == account_id)
                              .where(Event.type == EventType.PULSE_OVERDUE.value)):
        if event.payload.get("overdue", {}).get("due") == due:
            return True
    return False


def body(event: Event, format: str = "pulse") -> bytes:
    """The exact bytes delivered for an event (the signature covers them): the event itself, or a chat
    message in Slack's or Microsoft Teams' incoming-webhook format."""
    if format == "pulse":
        return json.dumps(event.payload, sort_keys=True, separators=(",", ":")).encode()
    if format == "slack":  # https://api.slack.com/messaging/webhooks: a JSON body with "text" (mrkdwn)
        return json.dumps({"text": message(event, slack_text)}).encode()
    # Teams incoming webhooks take a MessageCard (the Office 365 connector card format).
    colour = {"Red": "D64545", "Yellow": "E0A100", "Green": "2F9E5B"}.get(event.payload.get("pulse", {}).get("to"),
                                                                        "777777")
    return json.dumps({"@type": "MessageCard", "@context": "https://schema.org/extensions", "themeColor": colour,
                       "summary": message(event, teams_text, bold=""), "text": message(event, teams_text)}).encode()


def message(event: Event, escape: Callable[[object], str], bold: str = "*") -> str:
    """One line a person reads in a channel: which account, from what colour to what (or how overdue).

    Every value is escaped for the channel's format, so an account's name or team shows as text: it can
    mention no one and link nowhere.
    """
    if "challenger" in event.payload:
        return challenger_message(event.payload, escape, bold)
    if "failing" in event.payload:
        source, failing = event.payload["source"], event.payload["failing"]
        return (f":warning: Pulse: source {bold}{escape(source.get('name'))}{bold} (team {escape(source.get('team'))}) "
                f"has failed to be read since {escape(failing.get('since'))}: {escape(failing.get('last_error'))}")
    account = event.payload.get("account", {})
    pulse = event.payload.get("pulse", {})
    name = f"{bold}{escape(account.get('name') or 'account ' + str(account.get('id')))}{bold}"
    team = escape(account.get("team"))
    if "overdue" in event.payload:
        overdue = event.payload["overdue"]
        last = f"last pulse {escape(overdue['last_pulse'])}" if overdue.get("last_pulse") else "no pulse yet"
        return (f":hourglass: Pulse: {name} is overdue for a pulse (due {escape(overdue['due'])}, "
                f"{escape(overdue['cadence'])} cadence, {last}), team {team}.")
    before = f" (was {escape(pulse['from'])})" if pulse.get("from") else " (its first pulse)"
    flag = ":red_circle: " if pulse.get("to") == "Red" else ""
    return f"{flag}Pulse: {name} is now {bold}{escape(pulse.get('to'))}{bold}{before}, team {team}."


def challenger_message(payload: dict[str, Any], escape: Callable[[object], str], bold: str) -> str:
    """A challenger adapted from confirmed labels, in one line: its figures against its base, and what now."""
    found = payload["challenger"]
    now = "promoted (PULSE_ADAPT_AUTO_PROMOTE)" if payload.get("promoted") else "in shadow, to compare and promote"
    return (f":test_tube: Pulse: {bold}{escape(found['version'])}{bold}, adapted from {escape(found['base_version'])} "
            f"on {escape(found['n_train'])} confirmed labels, is {now}: macro-F1 {escape(found['adapted_macro_f1'])} "
            f"against {escape(found['base_macro_f1'])} on the latest {escape(found['n_eval'])}.")


_SLACK_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def slack_text(value: object) -> str:
    """A value as literal text in Slack's mrkdwn: on one line, with & < > as entities (Slack's own escaping),
    so no <!channel>, <@user> or <https://…|disguised link> survives."""
    return " ".join(str(value).split()).translate(_SLACK_ENTITIES)


def teams_text(value: object) -> str:
    """A value as literal text in a Teams card, which reads Markdown and some HTML: & < > as entities and
    every Markdown mark backslashed, so no [text](url), <a> or emphasis survives."""
    return _MARKDOWN.sub(r"\\\1", slack_text(value))


def sign(secret: str, payload: bytes, timestamp: int | None = None) -> str:
    """The signature header's value for a body."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify_signature(secret: str, header: str, payload: bytes, tolerance_s: int = 300) -> bool:
    """What a receiver does: check the HMAC in constant time and refuse old timestamps (replays)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > tolerance_s:
        return False
    # As bytes: compare_digest refuses a str with non-ASCII characters, and a forged header may hold them.
    return hmac.compare_digest(sign(secret, payload, t).encode(), header.encode("utf-8", "surrogatepass"))


def refused_destination(url: str, allow_private: bool) -> str | None:
    """Why deliveries may not go to this URL's host, or None.

    Unless allowed, every address the host resolves to must be public, so a webhook cannot be aimed at
    this machine, its network or a cloud metadata service. A host that does not resolve (yet) passes here;
    each delivery checks again before it connects.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"url must be an http or https URL with a host, got {display_url(url)!r}"
    if allow_private:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)}
    except (OSError, ValueError, UnicodeError):
        return None
    for address in sorted(addresses):
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return (f"url host {parts.hostname!r} resolves to {address}, a loopback, private, link-local or reserved "
                    "address; webhooks go to public hosts unless PULSE_WEBHOOK_ALLOW_PRIVATE=true")
    return None


def create_endpoint(session: Session, *, user: User, data: WebhookCreate, allow_private: bool) -> WebhookPublic:
    """Configure an endpoint; its signing secret is shown in this answer only."""
    refused = refused_destination(data.url, allow_private)
    if refused is not None:
        raise UnprocessableError(refused, field="url")
    endpoint = WebhookEndpoint(url=data.url, secret="whsec_" + secrets.token_urlsafe(32),
                               event_types=[t.value for t in data.event_types], format=data.format,
                               created_by=user.id or 0)
    session.add(endpoint)
    session.flush()
    session.refresh(endpoint)
    return public(endpoint, with_secret=True)


def public(endpoint: WebhookEndpoint, with_secret: bool = False) -> WebhookPublic:
    """An endpoint as the API shows it: its URL without credentials or query, which may carry secrets."""
    assert endpoint.id is not None
    return WebhookPublic(id=endpoint.id, url=display_url(endpoint.url), event_types=endpoint.event_types,
                         format=endpoint.format, active=endpoint.active, created_at=endpoint.created_at,
                         secret=endpoint.secret if with_secret else None)


def get_all(session: Session) -> list[WebhookPublic]:
    """Every endpoint, active or not."""
    return [public(e) for e in session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id)))]


def deactivate(session: Session, endpoint_id: int) -> WebhookPublic:
    """Stop sending to an endpoint; its queued deliveries end dead when a worker reaches them."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFoundError(f"webhook {endpoint_id} not found")
    endpoint.active = False
    session.add(endpoint)
    session.flush()
    return public(endpoint)


def display_url(url: str) -> str:
    """A webhook URL as people and logs may see it: scheme, host, port and path; no credentials or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{host}{port}", parts.path, "", ""))
