"""Zendesk, Intercom and Freshdesk data in the shapes the vendors really send.

Each reader takes one file or a folder of JSON/JSONL files (API responses, exports, connector
streams) and joins the pieces. Whether words are the customer's comes from the vendor's own role
fields: Zendesk users' `role`, Intercom authors' `type`, Freshdesk conversations' `incoming` and
`private` and its agents list. The account key of a message is, in order: the organisation's or
company's own external id where the export has it, its name (matched to an account's name), and the
vendor's id as `zendesk:organization:<id>` (or `freshdesk:company:<id>`, `intercom:company:<id>`), which
an `--account-map` file can translate. Senders' e-mail domains match as for mail.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pipelines.ingest.addresses import sender_address
from pipelines.ingest.audits import read_audits
from pipelines.ingest.documents import Gathered, array, gather, json_type, obj, scalar, when, with_ids
from pipelines.ingest.records import BadRecord, RawMessage, Record, ShapeError, csv_rows, shielded

CUSTOMER_ROLES = {"end-user", "end_user", "user", "lead", "contact"}
ZENDESK_LISTS = {"tickets": "tickets", "users": "users", "organizations": "organizations", "audits": "audits",
                 "ticket_audits": "audits", "comments": "comments", "ticket_comments": "comments"}


def _problems(found: Gathered) -> Iterator[Record]:
    yield from found.problems


def _message(where: str, *, source_id: str, body: Any, kind: str, sender: Any, created: Any,
             ours: bool, account: str | None, account_name: Any, subject: Any = None) -> Record | None:
    """A RawMessage, a BadRecord for a field of the wrong kind or an unreadable time, or None for a part
    without text."""
    for field, value in (("body", body), ("sender", sender), ("subject", subject), ("organisation name", account_name)):
        if value is not None and not isinstance(value, str):
            return BadRecord(where, f"{field} must be a string, got {json_type(value)}")
    if not body or not body.strip():
        return None
    if created is not None and scalar(created) is None:
        return BadRecord(where, f"created_at must be a string or a number, got {json_type(created)}")
    try:
        occurred_at = when(created)
    except (ValueError, OverflowError, OSError):
        return BadRecord(where, f"created_at is not a time: {str(created)[:100]!r}")
    return RawMessage(source=where, source_id=source_id, body=body, kind=kind, account=account,
                      account_name=account_name, sender=sender_address(sender) if sender else None,
                      occurred_at=occurred_at, subject=subject, ours=ours, date_source="export")


def _customer(role: Any) -> bool:
    return isinstance(role, str) and role in CUSTOMER_ROLES


def _org(organizations: dict[str, dict[str, Any]], org_id: Any, vendor: str, noun: str
         ) -> tuple[str | None, str | None]:
    """(account key, account name) of an organisation or company id."""
    if org_id in (None, ""):
        return None, None
    if scalar(org_id) is None:
        raise ShapeError(f"{noun}_id must be a string or a number, got {json_type(org_id)}")
    org = organizations.get(str(org_id), {})
    key = scalar(org.get("external_id")) or scalar(org.get("company_id")) or f"{vendor}:{noun}:{org_id}"
    return key, scalar(org.get("name"))


def read_zendesk(path: Path | Sequence[Path] | Gathered) -> Iterator[Record]:
    """Zendesk tickets with their comments from audits, the comments endpoint, or the description; read from files
    or from pieces already gathered (the API's responses, `zendesk_incremental`).

    Tickets come from `/tickets`, the incremental export (`tickets`, with `users` and `organizations`
    side-loads) or one ticket a line; comments from ticket audits (`audits[].events[type=Comment]`, the
    time on the audit), from `comments` lists that carry a `ticket_id` (or sit on their ticket), and
    otherwise the ticket's `description` stands as the requester's first message. Without a `users`
    side-load, only the requester's comments count as the customer's. Audits without their tickets are read
    too: a ticket's requester, organisation and subject come from their Create and Change events (`audits.py`).
    """
    found = path if isinstance(path, Gathered) else gather(path, ZENDESK_LISTS, {"ticket": "tickets"})
    yield from _problems(found)
    users, organizations = found.by_id("users"), found.by_id("organizations")
    audited = read_audits(found.of("audits") + [(s, a) for s, a in found.of("_bare") if "events" in a])
    yield from audited.problems
    comments = audited.comments
    for source, comment in found.of("comments"):
        if scalar(comment.get("ticket_id")) is not None:
            comments.setdefault(str(comment["ticket_id"]), []).append((source, comment, comment.get("created_at")))
    tickets = found.of("tickets") + [(s, t) for s, t in found.of("_bare") if "requester_id" in t or "comments" in t]
    known: set[str] = set()
    for item in with_ids(tickets, "ticket"):
        if isinstance(item, BadRecord):
            yield item
            continue
        source, ticket, tid = item
        known.add(tid)
        ticket = {**audited.tickets.get(tid, ("", {}))[1], **ticket}  # what the ticket lacks, its audits say
        yield from shielded(f"{source} ticket {tid}", _zendesk_ticket(
            source, ticket, tid, comments.get(tid), users=users, organizations=organizations))
    for tid in [t for t in comments if t not in known]:  # audits or comments without their ticket
        source, ticket = audited.tickets.get(tid, (comments[tid][0][0], {"id": tid}))
        yield from shielded(f"{source} ticket {tid}", _zendesk_ticket(
            source, ticket, tid, comments[tid], users=users, organizations=organizations))


def _zendesk_ticket(source: str, ticket: dict[str, Any], tid: str, comments: list[tuple[str, dict[str, Any], Any]]
                    | None, *, users: dict[str, dict[str, Any]], organizations: dict[str, dict[str, Any]]
                    ) -> Iterator[Record]:
    """The messages of one ticket: its comments, else its description."""
    account, name = _org(organizations, ticket.get("organization_id"), "zendesk", "organization")
    if account is None and ticket.get("organization"):  # an older export shape
        older = obj(ticket, "organization")
        account, name = scalar(older.get("external_id")), scalar(older.get("name"))
    own = comments or []
    for index, comment in enumerate([] if own else array(ticket, "comments"), start=1):
        if isinstance(comment, dict):
            own.append((source, comment, comment.get("created_at")))
        else:
            yield BadRecord(f"{source} ticket {tid} comment {index}",
                            f"a comment must be a JSON object, got {json_type(comment)}")
    if not own:
        own = [(source, {"id": "description", "body": ticket.get("description"),
                         "author_id": ticket.get("requester_id"), "public": True}, ticket.get("created_at"))]
    for where, comment, created in own:
        place = f"{where} ticket {tid} comment {scalar(comment.get('id'))}"
        yield from shielded(place, _zendesk_comment(place, ticket, tid, comment, created, users=users,
                                                    account=account, name=name))


def _zendesk_comment(place: str, ticket: dict[str, Any], tid: str, comment: dict[str, Any], created: Any, *,
                     users: dict[str, dict[str, Any]], account: str | None, name: str | None) -> Iterator[Record]:
    author = users.get(str(scalar(comment.get("author_id")))) or obj(comment, "author")
    role, requester = author.get("role"), scalar(ticket.get("requester_id"))
    if not role and requester is None and scalar(comment.get("author_id")) is not None:
        yield BadRecord(place, "cannot tell whether the comment is the customer's: its author has no role (no users "
                               "side-load) and its ticket no requester (no ticket, nor a requester_id audit event)")
        return
    customer = _customer(role) if role else scalar(comment.get("author_id")) == requester
    message = _message(place, source_id=f"zendesk:{tid}:{scalar(comment.get('id'))}",
                       body=comment.get("body") or comment.get("plain_body") or comment.get("html_body"),
                       kind="ticket", sender=author.get("email"), created=created,
                       ours=not customer or comment.get("public") is False, account=account,
                       account_name=name, subject=ticket.get("subject"))
    yield message or BadRecord(place, "the comment has no body")


def _keyed(items: list[tuple[str, dict[str, Any]]], *kinds: str) -> dict[str, dict[str, Any]]:
    """The objects of the given `type`s, by id."""
    return {key: o for _, o in items if o.get("type") in kinds and (key := scalar(o.get("id"))) is not None}


def read_intercom(path: Path | Sequence[Path]) -> Iterator[Record]:
    """Intercom conversations (list or single responses, or connector streams) with their parts.

    Parts come with the conversation (`conversation_parts.conversation_parts`) or from a parts stream
    linked by `conversation_id`. Authors of type user, lead or contact are the customer; admin, bot and
    team are ours. An author without an e-mail (leads often have "") takes the contact's, from a
    `contacts` stream when there is one; the account is the contact's company.
    """
    found = gather(path, {"conversations": "conversations", "conversation_parts": "parts",
                          "contacts": "contacts", "companies": "companies", "data": "contacts"}, {})
    yield from _problems(found)
    people = found.of("contacts") + found.of("companies") + found.of("_bare")
    contacts, companies = _keyed(people, "contact", "user", "lead"), _keyed(people, "company")
    by_conversation: dict[str, list[Any]] = {}
    for _, part in found.of("parts"):
        by_conversation.setdefault(str(scalar(part.get("conversation_id"))), []).append(part)
    conversations = found.of("conversations") + [(s, c) for s, c in found.of("_bare")
                                                 if c.get("type") == "conversation" or "source" in c]
    for item in with_ids(conversations, "conversation"):
        if isinstance(item, BadRecord):
            yield item
            continue
        source, conversation, cid = item
        place = f"{source} conversation {cid}"
        yield from shielded(place, _intercom_conversation(place, conversation, cid, by_conversation.get(cid, []),
                                                          contacts, companies))


def _intercom_conversation(place: str, conversation: dict[str, Any], cid: str, streamed: list[Any],
                           contacts: dict[str, dict[str, Any]], companies: dict[str, dict[str, Any]]
                           ) -> Iterator[Record]:
    """The messages of one conversation: its opening (`source`) and its parts; a part of the wrong shape is an
    error of its own, and the other parts are read."""
    account, name = _intercom_company(conversation, contacts, companies)
    parts: list[tuple[str, Any]] = []
    try:
        opening = obj(conversation, "source")
        parts.append(("source", {**opening, "id": "source",
                                 "created_at": opening.get("created_at") or conversation.get("created_at")}))
    except ShapeError as error:
        yield BadRecord(place, str(error))
    try:
        listed = array(obj(conversation, "conversation_parts"), "conversation_parts")
    except ShapeError as error:
        yield BadRecord(place, str(error))
        listed = []
    parts += [(str(index), part) for index, part in enumerate([*listed, *streamed], start=1)]
    seen: set[str] = set()
    for index, part in parts:
        if not isinstance(part, dict):
            yield BadRecord(f"{place} part {index}", f"a part must be a JSON object, got {json_type(part)}")
            continue
        pid = str(scalar(part.get("id")))
        if pid in seen or part.get("redacted"):
            continue
        seen.add(pid)
        yield from shielded(f"{place} part {pid}", _intercom_part(f"{place} part {pid}", part, cid, pid, contacts,
                                                                  account=account, name=name))


def _intercom_part(place: str, part: dict[str, Any], cid: str, pid: str, contacts: dict[str, dict[str, Any]], *,
                   account: str | None, name: str | None) -> Iterator[Record]:
    author = obj(part, "author")
    email = author.get("email") or contacts.get(str(scalar(author.get("id"))), {}).get("email")
    message = _message(place, source_id=f"intercom:{cid}:{pid}", body=part.get("body"), kind="chat",
                       sender=email, created=part.get("created_at"), ours=not _customer(author.get("type")),
                       account=account, account_name=name)
    if message:
        yield message


def _intercom_company(conversation: dict[str, Any], contacts: dict[str, dict[str, Any]],
                      companies: dict[str, dict[str, Any]]) -> tuple[str | None, str | None]:
    company = conversation.get("company")
    if isinstance(company, dict):  # older API versions put the company on the conversation
        return scalar(company.get("company_id")) or scalar(company.get("external_id")), scalar(company.get("name"))
    for listed in array(obj(conversation, "contacts"), "contacts"):
        contact = contacts.get(str(scalar(listed.get("id"))), {}) if isinstance(listed, dict) else {}
        for entry in array(obj(contact, "companies"), "data"):
            if isinstance(entry, dict) and scalar(entry.get("id")) is not None:
                return _org(companies, entry["id"], "intercom", "company")
    return None, None


def read_freshdesk(path: Path | Sequence[Path]) -> Iterator[Record]:
    """Freshdesk: API JSON (tickets, `/conversations`, contacts, companies, agents), or the CSV export.

    A ticket's `description_text` is the requester's first message; a conversation is the customer's
    when it is `incoming` and not `private` (replies and notes by agents are ours, as is anything from
    an agent's address).
    """
    paths = [path] if isinstance(path, Path) else list(path)
    for export in [p for p in paths if p.is_file() and p.suffix.lower() == ".csv"]:
        yield from read_freshdesk_csv(export)
    paths = [p for p in paths if not (p.is_file() and p.suffix.lower() == ".csv")]
    if not paths:
        return
    found = gather(paths, {"tickets": "tickets", "results": "tickets", "conversations": "conversations"},
                   {"ticket": "tickets"})
    yield from _problems(found)
    bare = found.of("_bare")
    tickets = found.of("tickets") + [(s, o) for s, o in bare if "requester_id" in o and "subject" in o]
    conversations = found.of("conversations") + [(s, o) for s, o in bare if "ticket_id" in o and "incoming" in o]
    contacts = {key: o for _, o in bare if "email" in o and "helpdesk_agent" in o
                and (key := scalar(o.get("id"))) is not None}
    agents: set[str] = set()
    for source, agent in bare:
        if "ticket_scope" in agent:
            try:
                agents.add(_address(obj(agent, "contact").get("email")))
            except ShapeError as error:
                yield BadRecord(source, str(error))
    companies = {key: o for _, o in bare if "domains" in o and "name" in o and (key := scalar(o.get("id"))) is not None}
    replies: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for source, conversation in conversations:
        replies.setdefault(str(scalar(conversation.get("ticket_id"))), []).append((source, conversation))
    for item in with_ids(tickets, "ticket"):
        if isinstance(item, BadRecord):
            yield item
            continue
        source, ticket, tid = item
        yield from shielded(f"{source} ticket {tid}", _freshdesk_ticket(
            source, ticket, tid, replies.get(tid, []), contacts=contacts, agents=agents, companies=companies))


def _freshdesk_ticket(source: str, ticket: dict[str, Any], tid: str, replies: list[tuple[str, dict[str, Any]]], *,
                      contacts: dict[str, dict[str, Any]], agents: set[str], companies: dict[str, dict[str, Any]]
                      ) -> Iterator[Record]:
    """A ticket's first message (its description) and its conversations."""
    account, name = _org(companies, ticket.get("company_id"), "freshdesk", "company")
    requester = obj(ticket, "requester") or contacts.get(str(scalar(ticket.get("requester_id"))), {})
    first = _message(f"{source} ticket {tid}", source_id=f"freshdesk:{tid}", kind="ticket",
                     body=ticket.get("description_text") or ticket.get("description"),
                     sender=requester.get("email"), created=ticket.get("created_at"),
                     ours=_address(requester.get("email")) in agents, account=account,
                     account_name=name, subject=ticket.get("subject"))
    if first:
        yield first
    for where, reply in replies:
        place = f"{where} ticket {tid} conversation {scalar(reply.get('id'))}"
        yield from shielded(place, _freshdesk_reply(place, ticket, tid, reply, contacts=contacts, agents=agents,
                                                    account=account, name=name))


def _freshdesk_reply(place: str, ticket: dict[str, Any], tid: str, reply: dict[str, Any], *,
                     contacts: dict[str, dict[str, Any]], agents: set[str], account: str | None, name: str | None
                     ) -> Iterator[Record]:
    sender = reply.get("from_email") or contacts.get(str(scalar(reply.get("user_id"))), {}).get("email")
    message = _message(place, source_id=f"freshdesk:{tid}:{scalar(reply.get('id'))}", kind="ticket",
                       body=reply.get("body_text") or reply.get("body"), sender=sender,
                       created=reply.get("created_at"),
                       ours=not reply.get("incoming") or bool(reply.get("private")) or _address(sender) in agents,
                       account=account, account_name=name, subject=ticket.get("subject"))
    if message:
        yield message


def _address(sender: Any) -> str:
    """The lower-case address of a sender; "" for none (or a value that is not text)."""
    return (sender_address(sender) or "").lower() if isinstance(sender, str) else ""


FRESHDESK_COLUMNS = ("Ticket ID", "Description")


def read_freshdesk_csv(path: Path) -> Iterator[Record]:
    """The Freshdesk ticket export: `Ticket ID`, `Subject`, `Description`, `Created time`, the requester's
    `Email` (or `Requester Email`) and `Company Name` (or `Company`), matched to an account's name or id."""
    for item in csv_rows(path, FRESHDESK_COLUMNS):
        if isinstance(item, BadRecord):
            yield item
            continue
        source, row = item
        company = (row.get("Company Name") or row.get("Company") or "").strip() or None
        message = _message(source, source_id=f"freshdesk:{row['Ticket ID']}", kind="ticket",
                           body=row.get("Description"), sender=row.get("Email") or row.get("Requester Email"),
                           created=row.get("Created time") or None, ours=False, account=company,
                           account_name=company, subject=row.get("Subject") or None)
        yield message or BadRecord(source, "Description is empty")
