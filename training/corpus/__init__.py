"""Pulse's customer-success corpus: messages written for Pulse, labelled by GUIDELINES.md with colour and cues.

`python -m training.corpus balance` prints its balance tables (DATASHEET.md quotes them);
`python -m training.corpus check [FILE ...]` checks the files (all of them by default) against the
guidelines: the columns and their values, cue fragments copied verbatim, the colour rules, unique ids, and no
two messages sharing a sentence skeleton.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
COLUMNS = ["id", "language", "channel", "industry", "role", "text", "label", "cues"]
LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl")
CHANNELS = ("email", "ticket", "chat", "call_note")
INDUSTRIES = ("software", "fintech", "banking", "insurance", "healthcare", "pharma", "retail", "ecommerce",
              "manufacturing", "logistics", "education", "public_sector", "media", "telecom", "energy", "hospitality",
              "professional_services", "nonprofit", "real_estate", "construction")
ROLES = ("executive", "director", "manager", "admin", "end_user", "procurement", "finance", "it", "legal", "analyst")
LEAVING = ("non_renewal", "competitor", "migration", "downgrade")
PRESSURE = ("budget", "sponsor_change", "severe_problem", "escalation")
COMMITMENT = ("renewal_confirmed", "expansion")
ENGAGEMENT = ("adoption", "advocacy")
RISK = LEAVING + PRESSURE
HEALTH = COMMITMENT + ENGAGEMENT
CUES = RISK + HEALTH
"""The twelve cue kinds, risk first, in GUIDELINES.md's order."""

ID = re.compile(r"[a-z]{2}-(train|test)-\d{5}")
QUOTE_START = re.compile(r"^(>|-{3,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|"
                         r"mensagem original|messaggio originale|oorspronkelijk bericht|forwarded message|"
                         r"weitergeleitete nachricht|message transféré|mensaje reenviado|mensagem encaminhada|"
                         r"messaggio inoltrato|doorgestuurd bericht)|.*\b(wrote|schrieb|a écrit|"
                         r"escribió|escreveu|ha scritto|schreef)\b.*:\s*$)", re.I)
SKELETON_MIN_WORDS = 7


@dataclass(frozen=True)
class Cue:
    """A cue kind with the sentence that carries it."""

    kind: str
    fragment: str


@dataclass(frozen=True)
class Message:
    """One labelled message of the corpus."""

    id: str
    language: str
    channel: str
    industry: str
    role: str
    text: str
    label: str
    cues: tuple[Cue, ...]
    source: str  # file:line

    @property
    def split(self) -> str:
        """`train` or `test`, from the id."""
        return self.id.split("-")[1]


def parse_cues(value: str) -> tuple[Cue, ...]:
    """`kind=fragment;kind=fragment` as cues (split on `;`, each pair at its first `=`)."""
    found = []
    for pair in filter(None, (p.strip() for p in value.split(";"))):
        kind, _, fragment = pair.partition("=")
        found.append(Cue(kind.strip(), fragment.strip()))
    return tuple(found)


def read(paths: Iterable[Path]) -> list[Message]:
    """The messages of these corpus files, in order."""
    messages = []
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != COLUMNS:
                raise ValueError(f"{path}: the header must be {','.join(COLUMNS)}, got {reader.fieldnames}")
            for row in reader:
                messages.append(Message(id=row["id"], language=row["language"], channel=row["channel"],
                                        industry=row["industry"], role=row["role"], text=row["text"] or "",
                                        label=row["label"], cues=parse_cues(row["cues"] or ""),
                                        source=f"{path.name}:{reader.line_num}"))
    return messages


def files(split: str | None = None) -> list[Path]:
    """The corpus's files (`train/*.csv`, `test/*.csv`), of one split or both."""
    return sorted(p for s in ([split] if split else ["train", "test"]) for p in (HERE / s).glob("*.csv"))


def dataset(messages: Sequence[Message], weight: float = 1.0, source: str = "corpus") -> Any:
    """The messages as a training Dataset (text, colour), each row weighing `weight`; its hash covers every
    message's id, text and label."""
    import hashlib

    import numpy as np

    from models.labels import LABELS
    from training.datasets import Dataset

    digest = hashlib.sha256("\n".join(f"{m.id}\t{m.label}\t{m.text}" for m in messages).encode()).hexdigest()
    return Dataset([m.text for m in messages], np.asarray([[label.value for label in LABELS].index(m.label)
                                                           for m in messages], dtype=np.int64),
                   np.full(len(messages), weight), f"{source} ({len(messages)} messages)", digest)


def colour_problem(label: str, kinds: set[str]) -> str | None:
    """What breaks GUIDELINES.md's consistency rules, or None."""
    risk, health = kinds & set(RISK), kinds & set(HEALTH)
    if label == "Red" and not risk:
        return "Red carries no risk cue"
    if label == "Green" and (not health or risk):
        return "Green needs a health cue and no risk cue"
    if label == "Yellow":
        if kinds & {"non_renewal", "competitor", "migration"}:
            return "Yellow carries a leaving cue (non_renewal, competitor or migration)"
        if health and not risk:
            return "Yellow carries health cues alone"
    return None


def content_lines(text: str) -> list[str]:
    """The lines of a message above any quoted or forwarded part."""
    lines = []
    for line in text.splitlines():
        if QUOTE_START.match(line.strip()):
            break
        lines.append(line)
    return lines


def skeletons(text: str) -> set[str]:
    """The sentence skeletons of a message: each sentence of its own words (not a quote) of at least
    SKELETON_MIN_WORDS words, lower-cased, with numbers and capitalised words after the first as placeholders;
    a line that is mostly names and numbers (a signature, "Call with X (Y, Z)") is no sentence frame."""
    found = set()
    for line in content_lines(text):
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            words = re.findall(r"\w+", sentence)
            if len(words) < SKELETON_MIN_WORDS:
                continue
            shape = [w.lower() if i == 0 else "0" if w.isdigit() else "X" if w[:1].isupper() else w.lower()
                     for i, w in enumerate(words)]
            if sum(w not in ("0", "X") for w in shape) >= SKELETON_MIN_WORDS - 2:  # not a line of names
                found.add(" ".join(shape))
    return found


def check(messages: Sequence[Message]) -> list[str]:
    """Every problem of these messages, each naming the message's id and where it is."""
    problems = []
    seen: dict[str, str] = {}
    shared: dict[str, str] = {}
    for m in messages:
        where = f"{m.id or '(no id)'} ({m.source})"
        if not ID.fullmatch(m.id) or m.id[:2] != m.language:
            problems.append(f"{where}: id must look like {m.language or 'xx'}-train-00001 or -test-, got {m.id!r}")
        if m.id in seen:
            problems.append(f"{where}: id also used at {seen[m.id]}")
        seen[m.id] = m.source
        for column, allowed in (("language", LANGUAGES), ("channel", CHANNELS), ("industry", INDUSTRIES),
                                ("role", ROLES), ("label", ("Red", "Yellow", "Green"))):
            if getattr(m, column) not in allowed:
                problems.append(f"{where}: {column} must be one of {', '.join(allowed)}, got {getattr(m, column)!r}")
        words = len(re.findall(r"\w+", m.text))
        if not 5 <= words <= 400:
            problems.append(f"{where}: text has {words} words; 5 to 400")
        kinds = [c.kind for c in m.cues]
        for cue in m.cues:
            if cue.kind not in CUES:
                problems.append(f"{where}: cue kind {cue.kind!r} is not one of the twelve")
            if not cue.fragment or cue.fragment not in m.text:
                problems.append(f"{where}: {cue.kind} fragment is not copied verbatim from the text: {cue.fragment!r}")
            elif "\n" in cue.fragment:
                problems.append(f"{where}: {cue.kind} fragment crosses a line break")
        if len(set(kinds)) != len(kinds):
            problems.append(f"{where}: a cue kind is given twice")
        if m.label in ("Red", "Yellow", "Green") and (why := colour_problem(m.label, set(kinds))):
            problems.append(f"{where}: {why} (cues: {', '.join(kinds) or 'none'})")
        for skeleton in skeletons(m.text):
            if skeleton in shared and shared[skeleton] != m.id:
                problems.append(f"{where}: shares a sentence skeleton with {shared[skeleton]}: {skeleton!r}")
            shared.setdefault(skeleton, m.id)
    return problems


def balance(messages: Sequence[Message]) -> str:
    """The corpus's balance as Markdown tables: colours by language and split, channels, and cue kinds."""
    from collections import Counter

    keys = sorted({(m.language, m.split) for m in messages}, key=lambda k: (LANGUAGES.index(k[0]), k[1]))
    by = Counter((m.language, m.split, m.label) for m in messages)
    lines = ["| language | split | Red | Yellow | Green | total |", "|---|---|---|---|---|---|"]
    for language, split in keys:
        counts = [by[(language, split, label)] for label in ("Red", "Yellow", "Green")]
        lines.append(f"| {language} | {split} | " + " | ".join(map(str, counts)) + f" | {sum(counts)} |")
    channels = Counter(m.channel for m in messages)
    lines += ["", "| channel | messages |", "|---|---|"] + [f"| {c} | {channels[c]} |" for c in CHANNELS]
    cues = Counter(c.kind for m in messages for c in m.cues)
    lines += ["", "| cue | messages |", "|---|---|"] + [f"| {k} | {cues[k]} |" for k in CUES]
    words = sorted(len(re.findall(r"\w+", m.text)) for m in messages)
    if words:
        lines += ["", f"Words per message: median {words[len(words) // 2]}, shortest {words[0]}, longest {words[-1]}; "
                      f"messages with no cue: {sum(1 for m in messages if not m.cues)}."]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """`check [FILE ...]`: print every problem; exit 1 if there is any. `balance`: the corpus's tables."""
    if argv and argv[0] == "balance":
        print(balance(read(files())))
        return 0
    if not argv or argv[0] != "check":
        print("usage: python -m training.corpus check [FILE ...] | balance", file=sys.stderr)
        return 2
    paths = [Path(a) for a in argv[1:]] or files()
    messages = read(paths)
    problems = check(messages)
    for problem in problems:
        print(problem)
    counts: dict[tuple[str, str], int] = {}
    for m in messages:
        counts[(m.language, m.label)] = counts.get((m.language, m.label), 0) + 1
    print(f"{len(messages)} messages in {len(paths)} files, {len(problems)} problems; "
          + ", ".join(f"{lang} {label} {n}" for (lang, label), n in sorted(counts.items())))
    return 1 if problems else 0
