"""`pulse bench-audit`: the audit summary over a million decisions, timed on a generated database."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from api.audit import service
from api.audit.models import AuditSummary
from api.db import make_engine, migrate

LABELS = ["Red", "Yellow", "Green"]


def generate(url: str, decisions: int, seed: int = 7, progress: Any = None) -> float:
    """Fill a migrated database with `decisions` current decisions (and their suggestions); seconds taken."""
    started = time.perf_counter()
    migrate(url)
    engine = make_engine(url)
    rng = random.Random(seed)
    teams = ["emea", "americas", "apac", "public-sector"]
    versions = ["v1", "v2", "v3"]
    start = datetime(2026, 1, 5, tzinfo=UTC)
    with engine.begin() as db:
        db.execute(text("INSERT INTO users (id, name, role, team, api_key_hash, key_prefix, disabled, created_at) "
                        "VALUES (:id, :name, 'csm', :team, :hash, 'p', false, :at)"),
                   [{"id": i, "name": f"csm {i}", "team": teams[i % 4], "hash": f"h{i}", "at": start}
                    for i in range(1, 51)])
        db.execute(text("INSERT INTO accounts (id, name, team, segment, created_at) VALUES (:id, :name, :team, "
                        ":segment, :at)"),
                   [{"id": i, "name": f"account {i}", "team": teams[i % 4], "segment": ["smb", "mid", "ent"][i % 3],
                     "at": start} for i in range(1, 2001)])
        db.execute(text("INSERT INTO model_versions (version, kind, status, artifact_path, artifact_sha256, metrics, "
                        "provenance, created_at) VALUES (:v, 'bench', 'retired', '/bench', 's', '{}', '{}', :at)"),
                   [{"v": v, "at": start} for v in versions])
    batch = 50_000
    for first in range(1, decisions + 1, batch):
        suggestions, rows, heads = [], [], []
        for i in range(first, min(first + batch, decisions + 1)):
            account = rng.randint(1, 2000)
            user = 1 + (account % 4) + 4 * rng.randint(0, 11)
            suggested = rng.choices(LABELS, weights=(5, 3, 2))[0]
            chosen = suggested if rng.random() < 0.8 else rng.choice(LABELS)
            confidence = round(rng.uniform(0.34, 0.99), 3)
            at = start + timedelta(minutes=i // 3)
            version = versions[min(i * 3 // decisions, 2)]
            suggestions.append({"id": i, "account": account, "label": suggested, "c": confidence, "v": version,
                                "at": at})
            rows.append({"id": i, "s": i, "u": user, "label": chosen, "accepted": chosen == suggested,
                         "blind": rng.random() < 0.1, "viewed": int(rng.lognormvariate(9, 0.8)), "at": at,
                         "account": account, "team": ["emea", "americas", "apac", "public-sector"][account % 4],
                         "segment": ["smb", "mid", "ent"][account % 3], "suggested": suggested, "v": version,
                         "c": confidence})
            heads.append({"s": i, "d": i})
        with engine.begin() as db:
            db.execute(text("INSERT INTO suggestions (id, scope, account_id, label, p_red, p_yellow, p_green, "
                            "confidence, margin, model_version, explanation, created_at, blind) VALUES (:id, "
                            "'interaction', :account, :label, 0.3, 0.3, 0.4, :c, 0.1, :v, '[]', :at, false)"),
                       suggestions)
            db.execute(text("INSERT INTO decisions (id, suggestion_id, user_id, revision, label, accepted, blind, "
                            "viewed_ms, request_hash, created_at, account_id, team, segment, scope, suggested_label, "
                            "model_version, confidence) VALUES (:id, :s, :u, 1, :label, :accepted, :blind, :viewed, "
                            "'r', :at, :account, :team, :segment, 'interaction', :suggested, :v, :c)"), rows)
            db.execute(text("INSERT INTO decision_heads (suggestion_id, decision_id) VALUES (:s, :d)"), heads)
        if progress:
            progress(len(rows))
    with engine.begin() as db:
        if engine.dialect.name == "sqlite":
            db.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def time_summary(url: str, repeats: int = 3, **filters: Any) -> tuple[float, AuditSummary]:
    """The best of `repeats` timings of the full audit summary."""
    engine = make_engine(url)
    best = float("inf")
    result = None
    with Session(engine) as session:
        for _ in range(repeats):
            started = time.perf_counter()
            result = service.summary(session=session, team=filters.get("team"), since=None, until=None,
                                     model_version=None, scope=None, segment=None)
            best = min(best, time.perf_counter() - started)
    engine.dispose()
    assert result is not None
    return best, result


def run(path: Path, decisions: int, progress: Any = None) -> dict[str, Any]:
    """Generate (unless the file exists) and time the summary, all teams and one team."""
    url = f"sqlite:///{path}"
    generated = None if path.exists() else round(generate(url, decisions, progress=progress), 1)
    all_teams, summary = time_summary(url)
    one_team, team_summary = time_summary(url, team="emea")
    return {"database": str(path), "decisions": summary.n, "generate_s": generated,
            "summary_all_teams_s": round(all_teams, 3), "summary_one_team_s": round(one_team, 3),
            "one_team_n": team_summary.n, "people": len(summary.per_user), "weeks": len(summary.trends),
            "agreement": summary.agreement, "cohen_kappa": summary.cohen_kappa}
