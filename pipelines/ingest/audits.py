"""Zendesk ticket audits, read with or without their tickets.

An audit (`GET /api/v2/tickets/{id}/audits`, `/ticket_audits`, the audits a ticket export side-loads) holds
the events of one change to a ticket: `Comment` events are the messages, and `Create` and `Change` events
set the ticket's fields. The requester, organisation and subject of a ticket are therefore known from its
audits alone, so a comment needs no ticket export beside it to be matched to an account and to be told
the customer's from ours (the requester's comments are the customer's, as when a ticket has no `users`
side-load). The time of a comment is its own, else its audit's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipelines.ingest.documents import array, json_type, obj, scalar
from pipelines.ingest.records import BadRecord, ShapeError

TICKET_FIELDS = ("requester_id", "organization_id", "subject")
"""The ticket's fields an audit's Create and Change events set that a message needs."""

Comment = tuple[str, dict[str, Any], Any]
"""(where it was read, the comment, when it was written)."""


@dataclass
class Audited:
    """The comments of audits by ticket id, each ticket's fields as its audits leave them, and the problems."""

    comments: dict[str, list[Comment]] = field(default_factory=dict)
    tickets: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # id: (first source, fields)
    problems: list[BadRecord] = field(default_factory=list)


def read_audits(audits: list[tuple[str, dict[str, Any]]]) -> Audited:
    """Every audit's comments and the ticket fields its events set, in the order given (Zendesk lists a
    ticket's audits oldest first, so a later Change wins over an earlier Create)."""
    found = Audited()
    for source, audit in audits:
        try:
            events = array(audit, "events")
        except ShapeError as error:
            found.problems.append(BadRecord(source, str(error)))
            continue
        tid = scalar(audit.get("ticket_id"))
        if tid is None:
            if any(isinstance(e, dict) and e.get("type") == "Comment" for e in events):
                found.problems.append(BadRecord(source, "an audit with a comment needs a ticket_id (a string or a "
                                                        f"number), got {json_type(audit.get('ticket_id'))}"))
            continue
        ticket = found.tickets.setdefault(tid, (source, {"id": tid, "created_at": audit.get("created_at")}))[1]
        for index, event in enumerate(events, start=1):
            if not isinstance(event, dict):
                found.problems.append(BadRecord(f"{source} event {index}",
                                                f"an event must be a JSON object, got {json_type(event)}"))
            elif event.get("type") == "Comment":
                found.comments.setdefault(tid, []).append(
                    (source, _with_sender(event, audit), event.get("created_at") or audit.get("created_at")))
            elif event.get("type") in ("Create", "Change") and event.get("field_name") in TICKET_FIELDS:
                ticket[str(event["field_name"])] = event.get("value")
    return found


def _with_sender(comment: dict[str, Any], audit: dict[str, Any]) -> dict[str, Any]:
    """The comment, with the address it was mailed from as its author's e-mail when the audit came by e-mail
    from the comment's own author (`via.source.from.address`), so that its domain can match an account."""
    if comment.get("author") or scalar(comment.get("author_id")) != scalar(audit.get("author_id")):
        return comment
    try:
        via = obj(audit, "via")
        address = obj(obj(via, "source"), "from").get("address")
    except ShapeError:  # a via of another shape says nothing of the sender; the comment is read without it
        return comment
    if via.get("channel") != "email" or not isinstance(address, str) or not address.strip():
        return comment
    return {**comment, "author": {"email": address}}
