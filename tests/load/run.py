"""The load benchmark: 50 CSMs and a stream of new messages against `pulse serve --workers 2` on PostgreSQL.

    .venv/bin/python -m tests.load.run [--users 50] [--minutes 5]

It starts a throwaway PostgreSQL server, migrates it, creates 5 teams of 10 CSMs with 20 accounts
each and 1,000 scored messages, serves with two worker processes, and runs locust headless on
loopback. It prints one JSON object: requests per second, and per endpoint the count, errors, p50 and
p99 in ms, beside the targets (no errors; p99 under 150 ms for decisions and queue reads).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlmodel import Session

import api.tables  # noqa: F401  (every table registered: a suggestion's row refers to check items)
from api.accounts.models import Account
from api.config import Settings
from api.db import make_engine
from api.intake import service as interactions
from api.interactions.models import InteractionCreate, InteractionKind
from api.model_versions.holder import ModelHolder
from api.users import service as users
from api.users.models import Role
from tests.e2e.conftest import cli, pulse_env, serving
from tests.load.texts import TEXTS
from tests.postgres import throwaway_server

TEAMS = ["emea", "americas", "apac", "nordics", "public-sector"]
TARGET_P99_MS = 150
WATCHED = ("POST /v1/suggestions/[id]/decisions", "GET /v1/suggestions")


def seed(url: str, directory: Path, csms_per_team: int, accounts_per_team: int, messages: int) -> Path:
    """Users, accounts and scored messages; returns the file with the keys locust reads."""
    engine = make_engine(url)
    setup: dict[str, Any] = {"csm_keys": [], "accounts_by_team": {}}
    with Session(engine) as session:
        integration, setup["integration_key"] = users.create(session=session, name="inbox", role=Role.ADMIN,
                                                             team=None)
        for team in TEAMS:
            for n in range(csms_per_team):
                _, key = users.create(session=session, name=f"{team} csm {n}", role=Role.CSM, team=team)
                setup["csm_keys"].append(key)
            rows = [Account(name=f"{team} account {n}", team=team, arr=random.choice([20_000, 90_000, 250_000]))
                    for n in range(accounts_per_team)]
            session.add_all(rows)
            session.commit()
            setup["accounts_by_team"][team] = [a.id for a in rows]
        settings = Settings(database_url=url, blind_share=0.1)
        classifier = ModelHolder(settings.serving()).active(session)
        everyone = [a for ids in setup["accounts_by_team"].values() for a in ids]
        batch = [InteractionCreate(account_id=random.choice(everyone), kind=InteractionKind.EMAIL,
                                   body=f"{random.choice(TEXTS)} (seed {n})", external_id=f"seed-{n}")
                 for n in range(messages)]
        for start in range(0, messages, 64):
            interactions.create_many(session=session, user=integration, items=batch[start:start + 64],
                                     classifier=classifier, settings=settings)
    engine.dispose()
    keys = directory / "keys.json"
    keys.write_text(json.dumps(setup))
    return keys


def report(stats_csv: Path, seconds: float) -> dict[str, Any]:
    """Locust's per-endpoint statistics as the benchmark's figures."""
    endpoints: dict[str, Any] = {}
    total: dict[str, Any] = {}
    with stats_csv.open() as handle:
        for row in csv.DictReader(handle):
            figures = {"requests": int(row["Request Count"]), "errors": int(row["Failure Count"]),
                       "rps": round(float(row["Requests/s"]), 1), "p50_ms": float(row["50%"]),
                       "p99_ms": float(row["99%"])}
            if row["Name"] == "Aggregated":
                total = figures
            else:
                endpoints[row["Name"]] = figures
    met = total.get("errors") == 0 and all(endpoints[name]["p99_ms"] < TARGET_P99_MS for name in WATCHED
                                           if name in endpoints)
    return {"seconds": seconds, "total": total, "endpoints": endpoints,
            "target": f"zero errors; p99 < {TARGET_P99_MS} ms for {' and '.join(WATCHED)}", "target_met": met}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="simulated CSMs (plus one inbox per ten)")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--messages", type=int, default=1000, help="scored messages seeded before the run")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="pulse-load-"))
    with throwaway_server() as url:
        env = pulse_env(url)
        cli("migrate", env=env)
        keys = seed(url, directory, csms_per_team=max(args.users // len(TEAMS), 1), accounts_per_team=20,
                    messages=args.messages)
        with serving(env, directory, workers=args.workers) as (base, _server):
            seconds = int(args.minutes * 60)
            locust = [str(Path(sys.executable).with_name("locust")), "-f", str(Path(__file__).with_name(
                "locustfile.py")), "--headless", "-u", str(args.users + args.users // 10), "-r", "10",
                "-t", f"{seconds}s", "--host", base, "--csv", str(directory / "load"), "--only-summary"]
            subprocess.run(locust, env=os.environ | {"PULSE_LOAD_KEYS": str(keys)}, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 120)
    print(json.dumps(report(directory / "load_stats.csv", seconds)))


if __name__ == "__main__":
    main()
