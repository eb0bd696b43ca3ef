"""Customer messages written for Pulse's demo: what customers of a B2B software vendor really send.

Each entry: (colour, kind, subject, body, sentiment_reason). `{contact}` and `{company}` are filled per account.
The colour follows training/corpus/GUIDELINES.md: Red is a risk to the account's renewal or revenue (however
politely put), Yellow is routine, mixed or uncertain, Green is health, growth or advocacy. The reason is the one
of DEFAULT_SENTIMENT_REASONS[colour] that fits the text; the demo's people decide with both. Every text is
written for the demo alone (none is taken from the corpus) and the demo shows each one once.
"""

from __future__ import annotations

import json
from pathlib import Path

MESSAGES: list[tuple[str, str, str | None, str, str]] = [
    (m["colour"], m["kind"], m["subject"], m["body"], m["sentiment_reason"])
    for m in json.loads((Path(__file__).with_name("demo_messages.json")).read_text(encoding="utf-8"))
]
"""(colour, kind, subject, body, sentiment reason) of each message, from demo_messages.json beside this file."""

# Each account: (name, team, segment, renewal in days, ARR, lifecycle, health mix as Red/Yellow/Green weights)
ACCOUNTS: list[tuple[str, str, str, int, float, str, tuple[int, int, int]]] = [
    ("Northwind Logistics", "emea", "enterprise", 35, 240_000, "renewal", (6, 3, 1)),
    ("Bluefin Analytics", "emea", "mid-market", 150, 82_000, "adoption", (1, 3, 6)),
    ("Harbor Health", "emea", "enterprise", 75, 310_000, "expansion", (2, 3, 5)),
    ("Keystone Retail", "emea", "smb", 20, 18_000, "renewal", (5, 4, 1)),
    ("Lumen Energy", "emea", "mid-market", 200, 64_000, "onboarding", (3, 5, 2)),
    ("Orbital Freight", "emea", "enterprise", 110, 185_000, "adoption", (1, 2, 7)),
    ("Cedar & Pine Legal", "americas", "smb", 50, 24_000, "renewal", (2, 6, 2)),
    ("Quantum Foods", "americas", "enterprise", 300, 420_000, "expansion", (1, 2, 7)),
    ("Riverstone Bank", "americas", "enterprise", 40, 365_000, "renewal", (6, 3, 1)),
    ("Summit Education", "americas", "mid-market", 95, 47_000, "adoption", (2, 5, 3)),
    ("Vela Robotics", "americas", "mid-market", 180, 96_000, "onboarding", (5, 3, 2)),
    ("Zephyr Media", "americas", "smb", 260, 15_000, "adoption", (1, 4, 5)),
]

CONTACTS = ["Ana Souza", "Ben Carter", "Chen Wei", "Dora Novak", "Emeka Obi", "Fatima Khan", "Greta Lind",
            "Hiro Tanaka", "Ines Duarte", "Jonas Berg", "Kemi Adeyemi", "Lars Holm"]


def labelled_messages() -> list[tuple[str, str]]:
    """The demo messages as labelled text (the intended colour), filled in and cleaned as Pulse cleans text
    before scoring it: a small evaluation set of customer-success text written for Pulse."""
    from pipelines.clean import clean_text

    return [(clean_text(body.format(contact="Ana Souza", company="Northwind")), label)
            for label, _kind, _subject, body, _reason in MESSAGES]
