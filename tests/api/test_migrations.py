"""The migrations build exactly the schema the models describe, and upgrade existing data."""

from __future__ import annotations

import json
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import api.tables  # noqa: F401 - registers every table
from api.db import alembic_config, make_engine


def test_migrations_match_the_models(fresh_database_url: str) -> None:
    command.upgrade(alembic_config(fresh_database_url), "head")
    engine = make_engine(fresh_database_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    engine.dispose()


def seed(db: Any, *, users: int = 1, body: str = "hi") -> None:
    """A team's first rows in any schema since 0001: CSMs, one account, an active version v1 and message 1."""
    for user in range(1, users + 1):
        db.execute(text("INSERT INTO users (id, name, role, team, api_key_hash, key_prefix, disabled, created_at) "
                        f"VALUES ({user}, 'CSM {user}', 'csm', 'emea', 'h{user}', 'p{user}', false, "
                        "'2026-01-01 00:00:00')"))
    db.execute(text("INSERT INTO accounts (id, name, team, segment, created_at) "
                    "VALUES (1, 'Acme', 'emea', 'smb', '2026-01-01 00:00:00')"))
    db.execute(text("INSERT INTO model_versions (version, kind, status, artifact_path, artifact_sha256, metrics, "
                    "provenance, created_at) VALUES ('v1', 'k', 'active', '/x', 's', '{}', '{}', "
                    "'2026-01-01 00:00:00')"))
    db.execute(text("INSERT INTO interactions (id, account_id, kind, body, occurred_at, created_by, created_at) "
                    "VALUES (1, 1, 'email', :body, '2026-01-01 00:00:00', 1, '2026-01-01 00:00:00')"), {"body": body})


def message_suggestion(db: Any) -> None:
    """Suggestion 1, the model's Red on message 1, in the shape every schema since 0001 takes."""
    db.execute(text("INSERT INTO suggestions (id, scope, account_id, interaction_id, label, p_red, p_yellow, "
                    "p_green, confidence, margin, model_version, explanation, created_at) VALUES "
                    "(1, 'interaction', 1, 1, 'Red', 0.7, 0.2, 0.1, 0.7, 0.5, 'v1', '[]', '2026-01-01 00:00:00')"))


def message_at_0001(url: str) -> tuple[Any, Any]:
    """A database at 0001 with seed's rows and suggestion 1: (its Alembic config, its engine)."""
    config = alembic_config(url)
    command.upgrade(config, "0001")
    engine = make_engine(url)
    with engine.begin() as db:
        seed(db)
        message_suggestion(db)
    return config, engine


def test_0002_backfills_decision_facts_and_heads(fresh_database_url: str) -> None:
    config, engine = message_at_0001(fresh_database_url)
    with engine.begin() as db:
        for revision, label in ((1, "Green"), (2, "Red")):
            db.execute(text(
                "INSERT INTO decisions (id, suggestion_id, user_id, revision, supersedes_id, label, accepted, blind, "
                f"request_hash, created_at) VALUES ({revision}, 1, 1, {revision}, {'NULL' if revision == 1 else 1}, "
                f"'{label}', {'true' if label == 'Red' else 'false'}, false, 'r', '2026-01-02 00:00:00')"))
    command.upgrade(config, "head")
    with engine.connect() as db:
        rows = db.execute(text("SELECT id, account_id, interaction_id, team, segment, scope, suggested_label, "
                               "model_version, confidence FROM decisions ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, 1, 1, "emea", "smb", "interaction", "Red", "v1", 0.7),
                                            (2, 1, 1, "emea", "smb", "interaction", "Red", "v1", 0.7)]
        assert db.execute(text("SELECT suggestion_id, decision_id FROM decision_heads")).all() == [(1, 2)]
        assert db.execute(text("SELECT blind FROM suggestions")).scalar() in (False, 0)
    engine.dispose()
    command.downgrade(config, "0001")
    command.upgrade(config, "head")


def test_0019_moves_shadow_predictions_out_of_suggestions_and_back(fresh_database_url: str) -> None:
    config = alembic_config(fresh_database_url)
    command.upgrade(config, "0018")
    engine = make_engine(fresh_database_url)
    columns = ("scope, account_id, interaction_id, label, p_red, p_yellow, p_green, confidence, margin, "
               "model_version, explanation, cues, risk, created_at, language, unsupported_language, blind, shadow")
    with engine.begin() as db:
        db.execute(text("INSERT INTO users (id, name, role, team, api_key_hash, key_prefix, disabled, created_at) "
                        "VALUES (1, 'Chloé', 'csm', 'emea', 'h', 'p', false, '2026-01-01 00:00:00')"))
        db.execute(text("INSERT INTO accounts (id, name, team, segment, created_at) "
                        "VALUES (1, 'Acme', 'emea', 'smb', '2026-01-01 00:00:00')"))
        for version in ("active", "challenger"):
            db.execute(text("INSERT INTO model_versions (version, kind, status, artifact_path, artifact_sha256, "
                            f"metrics, provenance, created_at) VALUES ('{version}', 'k', 'registered', '/x', 's', "
                            "'{}', '{}', '2026-01-01 00:00:00')"))
        for n in (1, 2):
            db.execute(text("INSERT INTO interactions (id, account_id, kind, body, occurred_at, created_by, "
                            f"created_at) VALUES ({n}, 1, 'email', 'text {n}', '2026-01-01 00:00:00', 1, "
                            "'2026-01-01 00:00:00')"))
        rows = [  # two live suggestions, two shadow predictions (one with cues)
            (1, "active", "Red", '[{"sentence": "s", "weight": 0.5}]', '[]', 0.0, "en", False),
            (1, "challenger", "Yellow", '[]', '[{"kind": "competitor", "score": 0.9, "sentence": "We signed '
             'with X.", "start": 0, "end": 15}]', 0.9, "de", True),
            (2, "active", "Green", '[]', '[]', 0.0, None, False),
            (2, "challenger", "Green", '[]', '[]', 0.0, "en", True)]
        for interaction, version, label, explanation, cues, risk, language, shadow in rows:
            db.execute(text(f"INSERT INTO suggestions ({columns}) VALUES ('interaction', 1, :i, :label, 0.2, "
                            "0.3, 0.5, 0.5, 0.2, :version, :explanation, :cues, :risk, '2026-01-02 03:04:05', "
                            ":language, false, false, :shadow)"),
                       {"i": interaction, "label": label, "version": version, "explanation": explanation,
                        "cues": cues, "risk": risk, "language": language, "shadow": shadow})
        # A stray pointer at a shadow row (the product never writes one) is cleared, not left dangling.
        db.execute(text("UPDATE suggestions SET superseded_by_id = (SELECT id FROM suggestions WHERE shadow = :yes "
                        "AND interaction_id = 2) WHERE interaction_id = 2 AND shadow = :no"),
                   {"yes": True, "no": False})
    command.upgrade(config, "head")
    with engine.connect() as db:
        assert db.execute(text("SELECT interaction_id, model_version, label FROM suggestions ORDER BY id")).all() == [
            (1, "active", "Red"), (2, "active", "Green")]
        assert db.execute(text("SELECT count(*) FROM suggestions WHERE superseded_by_id IS NOT NULL")).scalar() == 0
        moved = db.execute(text("SELECT interaction_id, model_version, label, p_red, p_yellow, p_green, confidence, "
                                "margin, explanation, cues, risk, created_at, language, unsupported_language, "
                                "account_id FROM shadow_predictions ORDER BY interaction_id")).all()
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[10], r[12], bool(r[13]), r[14]) for r in moved] == [
        (1, "challenger", "Yellow", 0.2, 0.3, 0.5, 0.5, 0.2, 0.9, "de", False, 1),
        (2, "challenger", "Green", 0.2, 0.3, 0.5, 0.5, 0.2, 0.0, "en", False, 1)]
    stored: Any = moved[0][9]  # a list on PostgreSQL, JSON text on SQLite
    found = stored if isinstance(stored, list) else json.loads(stored)
    assert found == [{"kind": "competitor", "score": 0.9, "sentence": "We signed with X.", "start": 0, "end": 15}]
    assert str(moved[0][11]).startswith("2026-01-02 03:04:05")
    command.downgrade(config, "0018")
    with engine.connect() as db:
        back = db.execute(text("SELECT interaction_id, model_version, label, shadow FROM suggestions "
                               "ORDER BY interaction_id, model_version")).all()
    assert [(r[0], r[1], r[2], bool(r[3])) for r in back] == [
        (1, "active", "Red", False), (1, "challenger", "Yellow", True), (2, "active", "Green", False),
        (2, "challenger", "Green", True)]
    engine.dispose()


def test_0020_moves_check_copies_out_of_suggestions_and_back(fresh_database_url: str) -> None:
    config = alembic_config(fresh_database_url)
    command.upgrade(config, "0019")
    engine = make_engine(fresh_database_url)
    with engine.begin() as db:
        seed(db, users=2, body="we will not renew")
        db.execute(text("INSERT INTO checks (id, interaction_id, suggestion_id, account_id, team, label, created_by, "
                        "created_at) VALUES (7, 1, 1, 1, 'emea', 'Red', 1, '2026-01-02 00:00:00')"))
        # The original suggestion, then two copies of check 7 (one per CSM) in the 0019 shape.
        for id_, interaction, check, served_to in ((1, "1", "NULL", "NULL"), (2, "NULL", "7", "1"),
                                                   (3, "NULL", "7", "2")):
            db.execute(text("INSERT INTO suggestions (id, scope, account_id, interaction_id, label, p_red, p_yellow, "
                            "p_green, confidence, margin, model_version, explanation, created_at, check_id, "
                            f"served_to) VALUES ({id_}, 'interaction', 1, {interaction}, 'Red', 0.7, 0.2, 0.1, 0.7, "
                            f"0.5, 'v1', '[]', '2026-01-02 00:00:00', {check}, {served_to})"))
    command.upgrade(config, "head")
    with engine.connect() as db:
        assert db.execute(text("SELECT suggestion_id, check_id, served_to FROM check_copies "
                               "ORDER BY suggestion_id")).all() == [(2, 7, 1), (3, 7, 2)]
        assert db.execute(text("SELECT id, interaction_id FROM suggestions ORDER BY id")).all() == [
            (1, 1), (2, None), (3, None)]
    command.downgrade(config, "0019")
    with engine.connect() as db:
        assert db.execute(text("SELECT id, check_id, served_to FROM suggestions ORDER BY id")).all() == [
            (1, None, None), (2, 7, 1), (3, 7, 2)]
    engine.dispose()


def test_0023_withdrawals_and_back_restores_the_withdrawn_decision_s_head(fresh_database_url: str) -> None:
    config, engine = message_at_0001(fresh_database_url)
    with engine.begin() as db:
        db.execute(text("INSERT INTO decisions (id, suggestion_id, user_id, revision, label, accepted, blind, "
                        "request_hash, created_at) VALUES (1, 1, 1, 1, 'Red', true, false, 'r', "
                        "'2026-01-02 00:00:00')"))
    command.upgrade(config, "head")
    with engine.begin() as db:  # withdrawn by its maker: the head goes, a withdrawal row says so
        db.execute(text("DELETE FROM decision_heads"))
        db.execute(text("INSERT INTO withdrawals (id, withdrawn_id, suggestion_id, user_id, created_at) "
                        "VALUES (1, 1, 1, 1, '2026-01-02 00:05:00')"))
    command.downgrade(config, "0022")
    with engine.connect() as db:  # the older schema has no withdrawals: the decision stands again
        assert db.execute(text("SELECT suggestion_id, decision_id FROM decision_heads")).all() == [(1, 1)]
    engine.dispose()
    command.upgrade(config, "head")


def test_0022_sources_and_back_drops_their_failing_events(fresh_database_url: str) -> None:
    config = alembic_config(fresh_database_url)
    command.upgrade(config, "0022")
    engine = make_engine(fresh_database_url)
    with engine.begin() as db:
        seed(db)
        db.execute(text("INSERT INTO sources (id, kind, name, team, config, credential_env, checkpoint, created_at, "
                        "next_poll_at, failures, failing_reported, last_report, stored, unmatched, errors, skipped) "
                        "VALUES (1, 'imap', 'imaps://a@h/INBOX', 'emea', '{}', 'PW', '{}', '2026-01-01 00:00:00', "
                        "'2026-01-01 00:00:00', 3, true, '{}', 5, 1, 0, 2)"))
        for id_, kind in ((1, "source.failing"), (2, "model.challenger_ready")):
            db.execute(text(f"INSERT INTO events (id, type, account_id, payload, created_at) VALUES ({id_}, '{kind}', "
                            "NULL, '{}', '2026-01-01 00:00:00')"))
            db.execute(text("INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_after, created_at, "
                            f"event_id) VALUES ('webhook', '{{}}', 'pending', 0, 8, '2026-01-01 00:00:00', "
                            f"'2026-01-01 00:00:00', {id_})"))
    command.downgrade(config, "0021")
    with engine.connect() as db:  # the older schema knows no sources, nor their events
        assert db.execute(text("SELECT id, type FROM events")).all() == [(2, "model.challenger_ready")]
        assert db.execute(text("SELECT event_id FROM jobs")).all() == [(2,)]
    engine.dispose()
    command.upgrade(config, "head")
