"""How well the cleaner keeps the sender's own words on real reply bodies from other projects' test suites.

    python -m api.lab.offline.reference_replies [../shared/reference/mail-replies] [--show-failures]

Reads `expected.jsonl` in that folder (reference material, never copied into Pulse), cleans each input
with `pipelines.clean.clean_text` and checks it the way its suite states: the exact reply (whitespace
folded, or ignored where the suite ignores it), regular expressions that must match, or substrings that
must or must not appear. Prints the share that passes, per source and in all.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from pipelines.clean import clean_text

DEFAULT = Path(__file__).resolve().parents[4] / "shared" / "reference" / "mail-replies"


def read_input(folder: Path, row: dict[str, Any]) -> str:
    """The body a fixture feeds in: the text/plain part of an .eml, or the file as text."""
    path = folder / row["file"]
    if row["input"].startswith("the text/plain part"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",))
        return str(part.get_content()) if part is not None else ""
    text: str = path.read_text(encoding="utf-8", errors="replace")
    return text


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def passes(row: dict[str, Any], cleaned: str) -> bool:
    """Whether the cleaned text meets the fixture's expectation."""
    if "expected_reply" in row:
        if "ignoring all whitespace" in row["compare"]:
            return re.sub(r"\s+", "", cleaned) == re.sub(r"\s+", "", row["expected_reply"])
        return fold(cleaned) == fold(row["expected_reply"])
    checks = [re.search(pattern, cleaned) is not None for pattern in row.get("reply_must_match", [])]
    checks += [needle in cleaned for needle in row.get("reply_must_contain", [])]
    checks += [needle not in cleaned for needle in row.get("reply_must_not_contain", [])]
    if "non-empty" in row["compare"]:
        checks.append(bool(cleaned.strip()))
    return all(checks)


def score(folder: Path, show_failures: bool = False) -> dict[str, Any]:
    """Pass counts per source folder and in all."""
    rows = [json.loads(line) for line in (folder / "expected.jsonl").read_text().splitlines() if line.strip()]
    passed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for row in rows:
        source = row["file"].split("/")[0]
        cleaned = clean_text(read_input(folder, row))
        ok = passes(row, cleaned)
        total[source] += 1
        passed[source] += ok
        if show_failures and not ok:
            expected = row.get("expected_reply") or {k: v for k, v in row.items() if k.startswith("reply_")}
            print(f"FAIL {row['file']}\n  expected: {expected!r}\n  cleaned:  {cleaned[:300]!r}", file=sys.stderr)
    result: dict[str, Any] = {source: f"{passed[source]}/{total[source]}" for source in sorted(total)}
    result["all"] = f"{sum(passed.values())}/{sum(total.values())}"
    result["share"] = round(sum(passed.values()) / max(sum(total.values()), 1), 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    if not (args.folder / "expected.jsonl").is_file():
        raise SystemExit(f"no reference replies at {args.folder} (expected.jsonl missing)")
    print(json.dumps(score(args.folder, args.show_failures)))


if __name__ == "__main__":
    main()
