"""What the help-desk readers make of the vendors' real recorded responses.

    python -m api.lab.offline.reference_helpdesk [../shared/reference/helpdesk]

Reads the Zendesk, Intercom and Freshdesk files in that folder (reference material, never copied into
Pulse) the way `pulse ingest --format <vendor>` does, and prints per vendor how many messages are the
customer's, how many are ours (agents, admins, bots, private notes), what could not be read, and which
account keys the customers' messages carry (for an `--account-map`) or which sender domains would match.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from pipelines.ingest.readers import BadRecord, Notice, RawMessage, read_all

DEFAULT = Path(__file__).resolve().parents[4] / "shared" / "reference" / "helpdesk"
VENDORS = {"zendesk": ["zendesk/incremental-tickets.json", "zendesk/ticket-audits.json"],
           "intercom": ["intercom/openapi-2.10", "intercom/openapi-2.11", "intercom/airbyte"],
           "freshdesk": ["freshdesk/api-v2", "freshdesk/export-style.csv"]}


def summarise(folder: Path, vendor: str) -> dict[str, object]:
    """Counts of one vendor's reference files as the reader sees them."""
    counts: Counter[str] = Counter()
    keys: Counter[str] = Counter()
    for record in read_all([folder / p for p in VENDORS[vendor]], vendor):
        if isinstance(record, RawMessage):
            counts["ours" if record.ours else "customer"] += 1
            if not record.ours:
                keys[record.account or (f"@{record.sender_domain}" if record.sender_domain else "(none)")] += 1
        elif isinstance(record, BadRecord):
            counts["unreadable"] += 1
        elif isinstance(record, Notice):
            counts["warnings"] += 1
    return {"vendor": vendor, **counts, "account keys or sender domains": dict(keys.most_common(5))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, nargs="?", default=DEFAULT)
    folder = parser.parse_args().folder
    if not folder.is_dir():
        raise SystemExit(f"{folder}: no such folder (the reference material is not part of Pulse)")
    for vendor in VENDORS:
        print(summarise(folder, vendor))


if __name__ == "__main__":
    main()
