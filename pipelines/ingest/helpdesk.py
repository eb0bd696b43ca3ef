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
from pipelines.ingest.documents import Gathered, gather, when
from pipelines.ingest.records import BadRecord, RawMessage, Record, csv_rows

CUSTOMER_ROLES = {"end-user", "end_user", "user", "lead", "contact"}


def _problems(found: Gathered) -> Iterator[Record]:
    yield from found.problems


def _message(where: str, *, source_id: str, body: Any, kind: str, sender: str | None, created: Any,
             ours: bool, account: str | None, account_name: str | None, subject: str | None = None) -> Record | None:
    """A RawMessage, a BadRecord for an unreadable time, or None for a part without text."""
    if not isinstance(body, str) or not body.strip():
        return None
    try:
        occurred_at = when(created)
    except (ValueError, OverflowError, OSError):
        return BadRecord(where, f"created_at is not a time: {created!r}")
    return RawMessage(source=where, source_id=source_id, body=body, kind=kind, account=account,
                      account_name=account_name, sender=sender_address(sender) if sender else None,
                      occurred_at=occurred_at, subject=subject, ours=ours, date_source="export")


def _org(organizations: dict[str, dict[str, Any]], org_id: Any, vendor: str, noun: str
         ) -> tuple[str | None, str | None]:
    """(account key, account name) of an organisation or company id."""
    if org_id in (None, ""):
        return None, None
    org = organizations.get(str(org_id), {})
    key = org.get("external_id") or org.get("company_id") or f"{vendor}:{noun}:{org_id}"
    return str(key), org.get("name")


def read_zendesk(path: Path | Sequence[Path]) -> Iterator[Record]:
    """Zendesk tickets with their comments from audits, the comments endpoint, or the description.

    Tickets come from `/tickets`, the incremental export (`tickets`, with `users` and `organizations`
    side-loads) or one ticket a line; comments from ticket audits (`audits[].events[type=Comment]`, the
    time on the audit), from `comments` lists that carry a `ticket_id` (or sit on their ticket), and
    otherwise the ticket's `description` stands as the requester's first message. Without a `users`
    side-load, only the requester's comments count as the customer's.
    """
    found = gather(path, {"tickets": "tickets", "users": "users", "organizations": "organizations",
                          "audits": "audits", "ticket_audits": "audits", "comments": "comments",
                          "ticket_comments": "comments"}, {"ticket": "tickets"})
    yield from _problems(found)
    users, organizations = found.by_id("users"), found.by_id("organizations")
    comments: dict[str, list[tuple[str, dict[str, Any], Any]]] = {}
    for source, audit in found.of("audits"):
        for event in audit.get("events") or []:
            if isinstance(event, dict) and event.get("type") == "Comment":
                comments.setdefault(str(audit.get("ticket_id")), []).append(
                    (source, event, event.get("created_at") or audit.get("created_at")))
    for source, comment in found.of("comments"):
        if comment.get("ticket_id") is not None:
            comments.setdefault(str(comment["ticket_id"]), []).append((source, comment, comment.get("created_at")))
    tickets = found.of("tickets") + [(s, t) for s, t in found.of("_bare") if "requester_id" in t or "comments" in t]
    for item in _with_ids(tickets, "ticket"):
        if isinstance(item, BadRecord):
            yield item
            continue
        source, ticket, tid = item
        account, name = _org(organizations, ticket.get("organization_id"), "zendesk", "organization")
        if account is None and isinstance(ticket.get("organization"), dict):  # an older export shape
            account, name = ticket["organization"].get("external_id"), ticket["organization"].get("name")
        own = comments.get(tid) or [(source, c, c.get("created_at")) for c in ticket.get("comments") or []
                                    if isinstance(c, dict)]
        if not own:
            own = [(source, {"id": "description", "body": ticket.get("description"),
                             "author_id": ticket.get("requester_id"), "public": True}, ticket.get("created_at"))]
        for where, comment, created in own:
            place = f"{where} ticket {tid} comment {comment.get('id')}"
            author = users.get(str(comment.get("author_id")), comment.get("author") or {})
            role = author.get("role")
            customer = role in CUSTOMER_ROLES if role else comment.get("author_id") == ticket.get("requester_id")
            message = _message(place, source_id=f"zendesk:{tid}:{comment.get('id')}",
                               body=comment.get("body") or comment.get("plain_body") or comment.get("html_body"),
                               kind="ticket", sender=author.get("email"), created=created,
                               ours=not customer or comment.get("public") is False, account=account,
                               account_name=name, subject=ticket.get("subject"))
            yield message or BadRecord(place, "the comment has no body")


def _latest(items: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """One entry an id, in first-seen order: exports page through the same objects again, and a later copy's
    fields update an earlier one's (a search result lacks the side-loaded requester of the full ticket).
    Entries without an id are kept, to be reported."""
    latest: dict[str, tuple[str, dict[str, Any]]] = {}
    for index, (source, item) in enumerate(items):
        key = str(item["id"]) if item.get("id") is not None else f"#{index}"
        latest[key] = (source, {**latest[key][1], **item}) if key in latest else (source, item)
    return list(latest.values())


def _with_ids(items: list[tuple[str, dict[str, Any]]], what: str
              ) -> Iterator[tuple[str, dict[str, Any], str] | BadRecord]:
    """(source, object, id) of each object once (see _latest), or a BadRecord for one without an id."""
    for source, item in _latest(items):
        if item.get("id") is None:
            yield BadRecord(source, f"a {what} needs an id")
        else:
            yield source, item, str(item["id"])


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
    contacts = {str(o["id"]): o for _, o in people if o.get("type") in ("contact", "user", "lead") and "id" in o}
    companies = {str(o["id"]): o for _, o in people if o.get("type") == "company" and "id" in o}
    by_conversation: dict[str, list[dict[str, Any]]] = {}
    for _, part in found.of("parts"):
        by_conversation.setdefault(str(part.get("conversation_id")), []).append(part)
    conversations = found.of("conversations") + [(s, c) for s, c in found.of("_bare")
                                                 if c.get("type") == "conversation" or "source" in c]
    for item in _with_ids(conversations, "conversation"):
        if isinstance(item, BadRecord):
            yield item
            continue
        source, conversation, cid = item
        account, name = _intercom_company(conversation, contacts, companies)
        listed = (conversation.get("conversation_parts") or {}).get("conversation_parts") or []
        opening = conversation.get("source") or {}
        parts = [{**opening, "id": "source", "created_at": opening.get("created_at") or conversation.get("created_at")},
                 *listed, *by_conversation.get(cid, [])]
        seen: set[str] = set()
        for part in parts:
            if not isinstance(part, dict) or str(part.get("id")) in seen or part.get("redacted"):
                continue
            seen.add(str(part.get("id")))
            author = part.get("author") or {}
            email = author.get("email") or contacts.get(str(author.get("id")), {}).get("email")
            message = _message(f"{source} conversation {cid} part {part.get('id')}",
                               source_id=f"intercom:{cid}:{part.get('id')}", body=part.get("body"), kind="chat",
                               sender=email, created=part.get("created_at"),
                               ours=author.get("type") not in CUSTOMER_ROLES, account=account, account_name=name)
            if message:
                yield message


def _intercom_company(conversation: dict[str, Any], contacts: dict[str, dict[str, Any]],
                      companies: dict[str, dict[str, Any]]) -> tuple[str | None, str | None]:
    company = conversation.get("company")
    if isinstance(company, dict):  # older API versions put the company on the conversation
        return company.get("company_id") or company.get("external_id"), company.get("name")
    for listed in (conversation.get("contacts") or {}).get("contacts") or []:
        contact = contacts.get(str(listed.get("id")), {}) if isinstance(listed, dict) else {}
        for entry in (contact.get("companies") or {}).get("data") or []:
            if isinstance(entry, dict) and entry.get("id") is not None:
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
    contacts = {str(o["id"]): o for _, o in bare if "email" in o and "helpdesk_agent" in o and "id" in o}
    agents = {str((o.get("contact") or {}).get("email", "")).lower() for _, o in bare if "ticket_scope" in o}
    companies = {str(o["id"]): o for _, o in bare if "domains" in o and "name" in o and "id" in o}
    replies: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for source, conversation in conversations:
        replies.setdefault(str(conversation.get("ticket_id")), []).append((source, conversation))
    for item in _with_ids(tickets, "ticket"):
        if isinstance(item, BadRecord):
            yield item
            continue
        source, ticket, tid = item
        account, name = _org(companies, ticket.get("company_id"), "freshdesk", "company")
        requester = ticket.get("requester") or contacts.get(str(ticket.get("requester_id")), {})
        first = _message(f"{source} ticket {tid}", source_id=f"freshdesk:{tid}", kind="ticket",
                         body=ticket.get("description_text") or ticket.get("description"),
                         sender=requester.get("email"), created=ticket.get("created_at"),
                         ours=str(requester.get("email", "")).lower() in agents, account=account,
                         account_name=name, subject=ticket.get("subject"))
        if first:
            yield first
        for where, reply in replies.get(tid, []):
            sender = reply.get("from_email") or contacts.get(str(reply.get("user_id")), {}).get("email")
            message = _message(f"{where} ticket {tid} conversation {reply.get('id')}",
                               source_id=f"freshdesk:{tid}:{reply.get('id')}", kind="ticket",
                               body=reply.get("body_text") or reply.get("body"), sender=sender,
                               created=reply.get("created_at"),
                               ours=not reply.get("incoming") or bool(reply.get("private"))
                               or _address(sender) in agents, account=account, account_name=name,
                               subject=ticket.get("subject"))
            if message:
                yield message


def _address(sender: str | None) -> str:
    return (sender_address(sender or "") or "").lower()


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
